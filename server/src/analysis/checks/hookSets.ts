// Checks from kernel/bpf/bpf_lsm.c and the BPF LSM feature history: disabled hooks, sleepable
// programs on non-sleepable hooks, and sections the kernel does not support.
import { kernelRules } from '../../hooks/catalog';
import type { Finding } from '../findings';
import type { ProgramContext } from './context';

export function checkDisabledHook(ctx: ProgramContext): Finding[] {
  const { program, target, model, catalog } = ctx;
  if (!ctx.hook || !target.sets.disabled.includes(program.hook)) return [];
  const table = catalog.releases.find((r) => r.release === target.release);
  const upstream = !table || catalog.disabledUpstream(table, program.hook);
  const where = upstream
    ? `in kernel ${target.release} (bpf_lsm_disabled_hooks)`
    : `in ${target.release} stable kernels that received the disabled-hook list (Debian's do), though ${target.release} itself loaded it`;
  return [
    {
      code: 'disabled-hook',
      severity: 'error',
      range: model.index.range(program.hookStart, program.hookEnd),
      message: `BPF LSM refuses to attach to '${program.hook}' ${where}: loading fails ("points to disabled hook"). Use another hook.`,
    },
  ];
}

export function checkSleepable(ctx: ProgramContext): Finding[] {
  const { program, target, model } = ctx;
  if (program.kind !== 'lsm.s' || !ctx.hook) return [];
  const hookRange = model.index.range(program.hookStart, program.hookEnd);
  const prefixStart = program.hookStart - 'lsm.s/'.length;
  // Only where `lsm.s/` is written right before the hook: a section macro's argument has other text there.
  const fixes =
    program.hookEditable && model.text.slice(prefixStart, program.hookStart) === 'lsm.s/'
      ? [
          {
            title: 'Make the program non-sleepable (lsm/)',
            edits: [{ range: model.index.range(prefixStart, program.hookStart), newText: 'lsm/' }],
            preferred: true,
          },
        ]
      : undefined;
  if (!kernelRules.hasSleepable(target.version)) {
    return [
      {
        code: 'not-sleepable',
        severity: 'error',
        range: hookRange,
        message: `Kernel ${target.release} has no sleepable LSM programs (they arrived in 5.11); use SEC("lsm/${program.hook}").`,
        fixes,
      },
    ];
  }
  if (target.sets.sleepable.includes(program.hook)) return [];
  return [
    {
      code: 'not-sleepable',
      severity: 'error',
      range: hookRange,
      message:
        `'${program.hook}' is not a sleepable hook in kernel ${target.release} (sleepable_lsm_hooks), so an lsm.s/ ` +
        `program on it is rejected at load. Use SEC("lsm/${program.hook}") and no sleepable helpers.`,
      fixes,
    },
  ];
}

export function checkSectionSupported(ctx: ProgramContext): Finding[] {
  const { program, target, model } = ctx;
  if (program.kind !== 'lsm_cgroup') return [];
  const range = model.index.range(program.hookStart, program.hookEnd);
  if (!kernelRules.hasLsmCgroup(target.version)) {
    return [
      {
        code: 'unsupported-section',
        severity: 'error',
        range,
        message: `Kernel ${target.release} has no lsm_cgroup programs (BPF_LSM_CGROUP arrived in 6.0).`,
      },
    ];
  }
  return [];
}
