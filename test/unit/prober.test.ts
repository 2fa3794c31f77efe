// lsm-probe's output (vm/prober/lsm-probe.c) as engine/src/prober.ts reads it: real outputs of the test
// VM's Debian 6.12 and 6.1 kernels (kept inside the facts files of test/fixtures/prober/, as
// `bpf-lsm-lint --probe-target --save-facts` wrote them), the sets derived from them, and bad output.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseProbeOutput, probedReturns, probedSets, ProbeOutputError, type ProbedFacts, type ProbedHook } from '../../engine/src/prober';
import { fixture } from '../helpers/paths';

/** lsm-probe's output as it printed it, from a facts fixture. */
function output(series: '6.12' | '6.1'): Record<string, unknown> {
  return (JSON.parse(fixture('prober', `${series}.facts.json`)) as { probe: Record<string, unknown> }).probe;
}

const parse = (o: unknown) => parseProbeOutput(JSON.stringify(o));
const hook = (facts: ProbedFacts, name: string): ProbedHook => {
  const h = facts.hooks.find((x) => x.name === name);
  assert.ok(h, `${name} is not in the probe`);
  return h;
};

describe("lsm-probe's output", () => {
  describe('of Debian 6.12.117 (return ranges checked at load, the disabled list)', () => {
    const facts = parse(output('6.12'));

    it('names the kernel, its BTF and what the probe cost', () => {
      assert.equal(facts.release, '6.12.117+deb12-amd64');
      assert.equal(facts.machine, 'x86_64');
      assert.match(facts.btfChecksum, /^[0-9a-f]{64}$/);
      assert.equal(facts.btfBytes, 4918287);
      assert.equal(facts.lsmCgroup, true);
      assert.ok(facts.loads > 1500 && facts.ms > 0);
      assert.equal(facts.hooks.length, 266);
    });

    it('reads an int hook: lsm/ returns 0 or -errno, lsm.s/ and lsm_cgroup/ (0 or 1) load, with the reasons of the refusals', () => {
      assert.deepEqual(hook(facts, 'file_open'), {
        name: 'file_open',
        ret: 'int',
        lsm: [0, -1],
        sleepable: true,
        cgroup: [0, 1],
        refused: [
          { kind: 'lsm', ret: 1, reason: 'EINVAL: At program exit the register R0 has smin=1 smax=1 should have been in [-4095, 0]' },
          { kind: 'cgroup', ret: -1, reason: 'EINVAL: At program exit the register R0 has smin=-1 smax=-1 should have been in [0, 1]' },
        ],
      });
      assert.equal(probedReturns(hook(facts, 'file_open')), 'int');
    });

    it('reads a bool hook, a void hook (lsm_cgroup must return 1) and a hook that cannot sleep', () => {
      const known = hook(facts, 'audit_rule_known');
      assert.deepEqual([known.lsm, known.sleepable, probedReturns(known)], [[0, 1], false, 'bool']);
      assert.deepEqual(
        known.refused.find((r) => r.kind === 'lsm.s'),
        {
          kind: 'lsm.s',
          ret: 0,
          reason: 'EINVAL: bpf_lsm_audit_rule_known is not sleepable',
        },
      );
      const creds = hook(facts, 'bprm_committed_creds');
      assert.deepEqual([creds.ret, creds.lsm, creds.cgroup, probedReturns(creds)], ['void', [0, 1, -1], [1], 'void']);
      assert.match(creds.refused.find((r) => r.kind === 'cgroup' && r.ret === 0)!.reason, /void LSM hooks can't modify return value/);
    });

    it('reads a disabled hook with the verifier’s words, and whether the sleepable list has it', () => {
      assert.deepEqual(hook(facts, 'getprocattr'), {
        name: 'getprocattr',
        ret: 'int',
        disabled: 'attach_btf_id 35410 points to disabled hook bpf_lsm_getprocattr',
        sleepable: false,
        lsm: [],
        refused: [],
      });
      assert.equal(hook(facts, 'inode_need_killpriv').sleepable, true);
      assert.equal(probedReturns(hook(facts, 'getprocattr')), 'unknown');
    });

    it('leaves out the bpf_lsm_ functions the kernel says are no hooks', () => {
      assert.deepEqual(facts.notHooks.sort(), [
        'find_cgroup_shim',
        'func_proto',
        'get_retval_range',
        'init',
        'is_sleepable_hook',
        'is_trusted',
        'verify_prog',
      ]);
      assert.ok(!facts.hooks.some((h) => facts.notHooks.includes(h.name)));
    });

    it('derives the disabled, sleepable and bool sets', () => {
      const sets = probedSets(facts);
      assert.deepEqual(sets.disabled, [
        'audit_rule_match',
        'getprocattr',
        'getselfattr',
        'inode_copy_up_xattr',
        'inode_getsecurity',
        'inode_listsecurity',
        'inode_need_killpriv',
        'ismaclabel',
        'key_getsecurity',
        'setprocattr',
        'vm_enough_memory',
        'xfrm_decode_session',
      ]);
      assert.deepEqual(sets.bool, ['audit_rule_known', 'inode_xattr_skipcap', 'xfrm_state_pol_flow_match']);
      assert.equal(sets.sleepable.length, 84);
      assert.ok(sets.sleepable.includes('inode_need_killpriv') && !sets.sleepable.includes('bpf_prog_free'));
      assert.equal(sets.returnRangesChecked, true);
    });
  });

  describe('of Debian 6.1.0-57 (no return range checked, the disabled list backported)', () => {
    const facts = parse(output('6.1'));

    it('has every lsm/ value load and so no bool hook, and lsm_cgroup still 0 or 1', () => {
      assert.equal(facts.release, '6.1.0-57-amd64');
      const open = hook(facts, 'file_open');
      assert.deepEqual([open.lsm, open.cgroup, probedReturns(open)], [[0, 1, -1], [0, 1], 'unchecked']);
      const sets = probedSets(facts);
      assert.deepEqual(sets.bool, []);
      assert.equal(sets.returnRangesChecked, false);
      assert.equal(sets.disabled.length, 11);
      assert.ok(!sets.disabled.includes('getselfattr'), '6.1 has no getselfattr hook');
    });
  });

  describe('that is not usable', () => {
    const good = output('6.12');
    const bad = (mutate: (o: Record<string, unknown>) => unknown, message: RegExp) =>
      assert.throws(
        () => parse(mutate(structuredClone(good))),
        (e: Error) => e instanceof ProbeOutputError && message.test(e.message),
      );

    it('is refused with what is wrong with it', () => {
      assert.throws(() => parseProbeOutput(''), /^Error: lsm-probe printed nothing$/);
      assert.throws(() => parseProbeOutput('{"prober":'), /lsm-probe printed something that is not JSON/);
      bad(() => [], /is not an object/);
      bad((o) => ({ ...o, prober: 'other' }), /is not from lsm-probe/);
      bad((o) => ({ ...o, version: 2 }), /has version 2; this version of BPF LSM Studio reads version 1/);
      bad((o) => ({ ...o, btf_sha256: 'abc' }), /has no BTF checksum/);
      bad(({ lsm_cgroup: _, ...o }) => o, /does not say whether the kernel has lsm_cgroup \(was it cut off\?\)/);
      bad((o) => ({ ...o, hooks: [...(o.hooks as unknown[]), (o.hooks as unknown[])[10]] }), /twice/);
      bad((o) => ({ ...o, hooks: [{ name: 'x; rm -rf', ret: 'int', lsm: [] }] }), /without a valid name/);
      bad(
        (o) => ({ ...o, hooks: [{ name: 'file_open', ret: 'int', lsm: [0, 2], cgroup: [] }] }),
        /says of file_open: lsm is not a list of 0, 1 and -1/,
      );
      bad((o) => ({ ...o, hooks: [{ name: 'file_open', ret: 'int', lsm: [0] }] }), /says of file_open: no lsm_cgroup results/);
      bad(
        (o) => ({ ...o, hooks: [{ name: 'file_open', ret: 'int', lsm: [0], cgroup: [], refused: { 'lsm 7': 'x' } }] }),
        /a refusal "lsm 7" is not KIND RET: reason/,
      );
    });
  });
});
