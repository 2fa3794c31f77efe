// Where a hook table came from, as the user reads it (hooks/tableSource.ts): each kind written out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeTableSource } from '../../server/src/hooks/tableSource';

describe('where a hook table came from, in words', () => {
  it('names each kind of source, with or without its label and path', () => {
    assert.deepEqual(
      [
        describeTableSource({ kind: 'bundled', release: '6.12' }),
        describeTableSource({ kind: 'btf', release: '6.12.117', label: 'vm', path: '/tmp/vm.btf' }),
        describeTableSource({ kind: 'btf', release: '6.12', path: '/sys/kernel/btf/vmlinux' }),
        describeTableSource({ kind: 'btf', release: '6.12' }),
        describeTableSource({ kind: 'header', release: '7.3.4', path: 'include/linux/lsm_hook_defs.h' }),
        describeTableSource({ kind: 'header', release: '7.3.4' }),
        describeTableSource({ kind: 'probed', release: '6.12.117', label: 'vm', path: 'vm.facts.json' }),
        describeTableSource({ kind: 'probed', release: '6.12.117', path: 'vm.facts.json' }),
        describeTableSource({ kind: 'probed', release: '6.12.117' }),
      ],
      [
        'bundled 6.12',
        'BTF of vm (6.12.117)',
        'BTF of /sys/kernel/btf/vmlinux',
        'BTF of a kernel',
        'include/linux/lsm_hook_defs.h',
        'a kernel header',
        'probed on vm (6.12.117)',
        'probed on vm.facts.json (6.12.117)',
        'probed on a kernel (6.12.117)',
      ],
    );
  });
});
