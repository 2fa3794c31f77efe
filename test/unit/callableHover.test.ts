// Hover and completion of helper and kfunc calls inside a program (server/src/lsp/features/callables.ts),
// in this process: the Markdown and items written out for each kind of call the rules decide.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { callableItems, describeCall, programAt, wordAt } from '../../server/src/lsp/features/callables';
import type { ProgramSpan } from '../../server/src/lsp/workerProtocol';

const catalog = HookCatalog.bundled();
const newest = catalog.target({}).target;
const KSYMS =
  'extern int bpf_get_file_xattr(struct file *f, const char *n, struct bpf_dynptr *v) __ksym;\n' +
  'extern void bpf_nope_kfunc(void) __ksym;\n';
const NOWHERE = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
const program = (kind: ProgramSpan['kind'], hook: string): ProgramSpan => ({
  kind,
  hook,
  name: 'p',
  bodyStart: 10,
  bodyEnd: 20,
  hookStart: 0,
  hookEnd: 0,
  macroStart: 0,
  macroEnd: 0,
  hookRange: NOWHERE,
  macroRange: NOWHERE,
});
const hover = (word: string, kind: ProgramSpan['kind'], hook: string, target = newest) =>
  describeCall(KSYMS, word, program(kind, hook), target)?.split('\n');
const RELEASES = '6.1.192 %, 6.12.117 %, 7.2.13 %, 7.3.4 %';
const perRelease = (...v: string[]) => `- Here, per release: ${v.reduce((s, x) => s.replace('%', x), RELEASES)}`;

describe('hover on a helper or kfunc call', () => {
  it('a helper: its number, whether this program may call it here, whether it sleeps, and per release', () => {
    assert.deepEqual(hover('bpf_d_path', 'lsm', 'file_open'), [
      '**bpf_d_path**: BPF helper #147',
      '- In this `lsm/file_open` program on kernel 7.3.4: yes (on sleepable-set hooks only)',
      '- Sleepable: no (any program kind)',
      perRelease('yes', 'yes', 'yes', 'yes'),
    ]);
    assert.deepEqual(hover('bpf_d_path', 'lsm', 'binder_set_context_mgr'), [
      '**bpf_d_path**: BPF helper #147',
      '- In this `lsm/binder_set_context_mgr` program on kernel 7.3.4: no: "helper call is not allowed in probe"',
      '- Sleepable: no (any program kind)',
      perRelease('no', 'no', 'no', 'no'),
    ]);
    assert.deepEqual(hover('bpf_copy_from_user', 'lsm', 'file_open'), [
      '**bpf_copy_from_user**: BPF helper #148',
      '- In this `lsm/file_open` program on kernel 7.3.4: no: "sleepable helper bpf_copy_from_user#148 in non-sleepable prog"',
      '- Sleepable: it may sleep: sleepable programs (`lsm.s/`) only',
      perRelease('no', 'no', 'no', 'no'),
    ]);
    assert.deepEqual(hover('bpf_copy_from_user', 'lsm.s', 'file_open')?.slice(1, 2), [
      '- In this `lsm.s/file_open` program on kernel 7.3.4: yes',
    ]);
    assert.deepEqual(hover('bpf_get_current_pid_tgid', 'lsm_cgroup', 'socket_bind'), [
      '**bpf_get_current_pid_tgid**: BPF helper #14',
      '- In this `lsm_cgroup/socket_bind` program on kernel 7.3.4: yes',
      '- Sleepable: no (any program kind)',
      perRelease('yes', 'yes', 'yes', 'yes'),
    ]);
    assert.deepEqual(hover('bpf_d_path', 'lsm', 'file_open', catalog.target({ kernel: '5.7' }).target)?.slice(1, 2), [
      '- In this `lsm/file_open` program on kernel 5.7.14: no rules for this kernel (no claim)',
    ]);
  });

  it('a kfunc: declared with __ksym, sleepable or not, and whether the kernel has it', () => {
    assert.deepEqual(hover('bpf_get_file_xattr', 'lsm', 'file_open'), [
      '**bpf_get_file_xattr**: kfunc (`__ksym`)',
      '- In this `lsm/file_open` program on kernel 7.3.4: no: sleepable kfunc ("program must be sleepable to call sleepable kfunc bpf_get_file_xattr")',
      '- Sleepable: yes (KF_SLEEPABLE): `lsm.s/` programs only',
      perRelease('no', 'no', 'no', 'no'),
    ]);
    assert.deepEqual(hover('bpf_get_file_xattr', 'lsm.s', 'file_open')?.slice(1), [
      '- In this `lsm.s/file_open` program on kernel 7.3.4: yes (sleepable kfunc)',
      '- Sleepable: yes (KF_SLEEPABLE): `lsm.s/` programs only',
      perRelease('no', 'yes', 'yes', 'yes'),
    ]);
    assert.equal(
      hover('bpf_get_file_xattr', 'lsm.s', 'file_open', catalog.target({ kernel: '6.1' }).target)?.[1],
      '- In this `lsm.s/file_open` program on kernel 6.1.20: no: the kernel lacks it',
    );
    assert.deepEqual(hover('bpf_nope_kfunc', 'lsm', 'file_open'), [
      '**bpf_nope_kfunc**: kfunc (`__ksym`)',
      '- In this `lsm/file_open` program on kernel 7.3.4: not known',
      '- Sleepable: no',
      perRelease('?', '?', '?', '?'),
    ]);
  });

  it('nothing for a word that is neither', () => {
    assert.equal(hover('bpf_not_a_helper', 'lsm', 'file_open'), undefined);
    assert.equal(hover('open', 'lsm', 'file_open'), undefined);
  });

  it('the word under the cursor (at most 128 characters each way) and the program whose body holds it', () => {
    const call = { word: 'bpf_d_path', start: 2, end: 12 };
    assert.deepEqual(
      [4, 2, 12].map((o) => wordAt('a bpf_d_path(x)', o)),
      [call, call, call],
    );
    assert.equal(wordAt(' 9ab ', 2), null);
    assert.equal(wordAt('', 0), null);
    assert.deepEqual(wordAt('x'.repeat(300), 150), { word: 'x'.repeat(256), start: 22, end: 278 });
    const spans = [
      { ...program('lsm', 'a'), bodyStart: -1, bodyEnd: 50 },
      { ...program('lsm', 'b'), bodyStart: 10, bodyEnd: 20 },
      { ...program('lsm', 'c'), bodyStart: 30, bodyEnd: 40 },
    ];
    assert.deepEqual(
      [0, 5, 10, 11, 19, 20, 35].map((o) => programAt(spans, o)?.hook ?? '-'),
      ['-', '-', '-', 'b', 'b', '-', 'c'],
    );
  });
});

describe('completion of helpers and kfuncs', () => {
  const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 3 } };
  it('offers what this program may call: sleepable ones in lsm.s only, and the kfuncs the file declares', () => {
    const sleepable = callableItems(KSYMS, program('lsm.s', 'file_open'), newest, range);
    const plain = callableItems(KSYMS, program('lsm', 'file_open'), newest, range);
    const labels = (items: typeof plain) => items.map((i) => i.label);
    assert.deepEqual(
      sleepable.filter((i) => ['bpf_d_path', 'bpf_get_file_xattr'].includes(i.label)),
      [
        {
          label: 'bpf_d_path',
          kind: 3,
          detail: 'BPF helper, callable here on kernel 7.3.4',
          documentation: { kind: 'markdown', value: 'yes (on sleepable-set hooks only)' },
          textEdit: { range, newText: 'bpf_d_path' },
        },
        {
          label: 'bpf_get_file_xattr',
          kind: 3,
          detail: 'kfunc, callable here on kernel 7.3.4',
          textEdit: { range, newText: 'bpf_get_file_xattr' },
        },
      ],
    );
    assert.ok(labels(sleepable).includes('bpf_copy_from_user'));
    assert.ok(!labels(plain).includes('bpf_copy_from_user'));
    assert.ok(!labels(plain).includes('bpf_get_file_xattr'));
    assert.ok(!labels(sleepable).includes('bpf_nope_kfunc'));
    assert.deepEqual([sleepable.length, plain.length], [98, 93]);
    assert.deepEqual(callableItems(KSYMS, program('lsm', 'file_open'), catalog.target({ kernel: '5.7' }).target, range), []);
  });
});
