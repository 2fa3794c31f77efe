// helper-not-allowed and kfunc-not-allowed in words (checks/callables.ts): for each reason the verifier
// refuses a call, what the user reads, with the advice that goes with it, each message written out.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Analyzer } from '../../server/src/analysis/analyze';
import { HookCatalog } from '../../server/src/hooks/catalog';

describe('refused calls, in words', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await Analyzer.create();
  });
  after(() => analyzer.dispose());
  const catalog = HookCatalog.bundled();
  const FILE_OPEN = 'struct file *file, int ret';
  const TASK_KILL = 'struct task_struct *p, struct kernel_siginfo *info, int sig, const struct cred *cred, int ret';
  const XATTR = 'extern int bpf_get_file_xattr(struct file *f, const char *n, struct bpf_dynptr *v) __ksym';
  /** [code, line, first and last column, message] of each refused call in the program's body. */
  const refused = (kernel: string, section: string, args: string, body: string, before = '') =>
    analyzer
      .analyze(
        `char L[] SEC("license") = "GPL";\n${before}SEC("${section}")\nint BPF_PROG(p, ${args})\n{\n${body}\n\treturn 0;\n}\n`,
        catalog.target({ kernel }).target,
        catalog,
      )
      .findings.filter((f) => f.code === 'helper-not-allowed' || f.code === 'kfunc-not-allowed')
      .map((f) => [f.code, f.range.start.line, f.range.start.character, f.range.end.character, f.message]);

  it('a helper that may sleep: make the program sleepable, or move it to a hook that may sleep', () => {
    const sleeps =
      'bpf_copy_from_user may sleep, and a non-sleepable lsm/ program may not call it on kernel 6.12: the verifier refuses it ' +
      '("helper call might sleep in a non-sleepable prog").';
    const body = '\tchar b[8];\n\tbpf_copy_from_user(b, 8, 0);';
    assert.deepEqual(refused('6.12', 'lsm/file_open', FILE_OPEN, body), [
      ['helper-not-allowed', 5, 1, 19, `${sleeps} Make the program sleepable: SEC("lsm.s/file_open").`],
    ]);
    assert.deepEqual(refused('6.12', 'lsm/task_kill', TASK_KILL, body), [
      [
        'helper-not-allowed',
        5,
        1,
        19,
        `${sleeps} Use a sleepable program (lsm.s/) on a sleepable hook such as file_open; 'task_kill' is not one.`,
      ],
    ]);
  });

  it('a helper for hooks of the sleepable set only, called from another', () => {
    assert.deepEqual(refused('6.12', 'lsm.s/task_kill', TASK_KILL, '\tbpf_ima_inode_hash(0, 0, 0);'), [
      [
        'helper-not-allowed',
        4,
        1,
        19,
        "bpf_ima_inode_hash is allowed only on hooks of the sleepable set, and 'task_kill' is not one on kernel 6.12: the verifier " +
          'refuses it ("helper call is not allowed in probe"). Call it from a hook of the sleepable set, such as file_open.',
      ],
    ]);
  });

  it('a helper of lsm_cgroup/ programs, or of no LSM program; a raw helper pointer by number or by name', () => {
    const retval = (shown: string) =>
      `lsm/ programs may not call ${shown} on kernel 6.12: the verifier refuses it ("program of this type cannot use helper ` +
      'bpf_get_retval#186"). It is for lsm_cgroup/ programs: use SEC("lsm_cgroup/file_open").';
    assert.deepEqual(refused('6.12', 'lsm/file_open', FILE_OPEN, '\tbpf_get_retval();'), [
      ['helper-not-allowed', 4, 1, 15, retval('bpf_get_retval')],
    ]);
    assert.deepEqual(refused('6.12', 'lsm/file_open', FILE_OPEN, '\tget_retval();', 'static long (*get_retval)(void) = (void *) 186;\n'), [
      ['helper-not-allowed', 5, 1, 11, retval('get_retval (helper bpf_get_retval)')],
    ]);
    assert.deepEqual(refused('6.12', 'lsm/file_open', FILE_OPEN, '\tgr();', 'static long (*gr)(void) = (void *) BPF_FUNC_get_retval;\n'), [
      ['helper-not-allowed', 5, 1, 3, retval('gr (helper bpf_get_retval)')],
    ]);
    assert.deepEqual(refused('6.12', 'lsm/file_open', FILE_OPEN, '\tbpf_override_return(0, 0);'), [
      [
        'helper-not-allowed',
        4,
        1,
        20,
        'lsm/ programs may not call bpf_override_return on kernel 6.12: the verifier refuses it ("program of this type cannot use ' +
          'helper bpf_override_return#58"). No LSM program may call it (lsm/, lsm.s/ or lsm_cgroup/): it belongs to other program types.',
      ],
    ]);
  });

  it('a kfunc the kernel lacks: how it fails depends on how it is declared, and a guard lets it load', () => {
    const lacks = (how: string, advice: string) =>
      `Kernel 6.1.20 has no kfunc bpf_get_file_xattr: ${how} (kernels 6.12.117, 7.2.13, 7.3.4 have it). Pick a kernel that has it, or ` +
      `${advice}guard the call with \`if (bpf_ksym_exists(bpf_get_file_xattr))\`.`;
    const call = '\tbpf_get_file_xattr(0, 0, 0);';
    assert.deepEqual(refused('6.1', 'lsm/file_open', FILE_OPEN, call, `${XATTR};\n`), [
      ['kfunc-not-allowed', 5, 1, 19, lacks('libbpf cannot resolve the __ksym and the program does not load', 'declare it __weak and ')],
    ]);
    assert.deepEqual(refused('6.1', 'lsm/file_open', FILE_OPEN, call, `${XATTR} __weak;\n`), [
      [
        'kfunc-not-allowed',
        5,
        1,
        19,
        lacks(
          'the __weak __ksym stays unresolved and the verifier refuses the call ("invalid kernel function call not eliminated in verifier pass")',
          '',
        ),
      ],
    ]);
    assert.deepEqual(refused('6.1', 'lsm/file_open', FILE_OPEN, call), [
      [
        'kfunc-not-allowed',
        4,
        1,
        19,
        lacks('the program does not load (libbpf refuses a strong __ksym it cannot resolve, the verifier an unguarded __weak one)', ''),
      ],
    ]);
    const guarded = `\tif (!bpf_ksym_exists(bpf_get_file_xattr))\n\t\treturn 0;\n${call}`;
    assert.deepEqual(refused('6.1', 'lsm/file_open', FILE_OPEN, guarded, `${XATTR} __weak;\n`), []);
  });

  it('a sleepable kfunc in a program that may not sleep', () => {
    const sleepable =
      'bpf_get_file_xattr is a sleepable kfunc (KF_SLEEPABLE), and a non-sleepable lsm/ program may not call it on kernel 6.12: ' +
      'the verifier refuses it ("program must be sleepable to call sleepable kfunc bpf_get_file_xattr").';
    const call = '\tbpf_get_file_xattr(0, 0, 0);';
    assert.deepEqual(refused('6.12', 'lsm/file_open', FILE_OPEN, call), [
      ['kfunc-not-allowed', 4, 1, 19, `${sleepable} Make the program sleepable: SEC("lsm.s/file_open").`],
    ]);
    assert.deepEqual(refused('6.12', 'lsm/task_kill', TASK_KILL, call), [
      ['kfunc-not-allowed', 4, 1, 19, `${sleepable} Use a sleepable program (lsm.s/) on a sleepable hook such as file_open.`],
    ]);
  });
});
