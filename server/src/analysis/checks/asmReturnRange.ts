// return-out-of-range for programs that return through inline assembly (naked programs, as the kernel's
// verifier selftests write them): r0 at `exit`, when it is a known constant, against the hook's range.
// The finding points at the string that sets r0.
import { kernelRules } from '../../hooks/catalog';
import type { Finding } from '../findings';
import { asmBodyReturn } from '../inlineAsm';
import { isBoolHook, type ProgramContext } from './context';

const MAX_ERRNO = 4095;

export function checkAsmReturnRange(ctx: ProgramContext): Finding[] {
  const { program, hook, target, model } = ctx;
  // Without the hook its range is not known; a void hook's return is ignored (outside lsm_cgroup).
  if (!program.body || !hook) return [];
  const cgroup = program.kind === 'lsm_cgroup';
  const voidHook = hook.ret === 'void';
  if (voidHook && !cgroup) return [];
  const asm = asmBodyReturn(program.body);
  if (!asm) return [];
  const zeroOne = cgroup || isBoolHook(ctx);
  const [lo, hi] = cgroup && voidHook ? [1, 1] : zeroOne ? [0, 1] : [-MAX_ERRNO, 0];
  const v = asm.value;
  if (v >= lo && v <= hi) return [];
  const rejectedAtLoad = cgroup || kernelRules.checksReturnRange(target.version);
  const what =
    cgroup && voidHook
      ? `lsm_cgroup programs on '${program.hook}' (a void hook) must return 1`
      : zeroOne
        ? `${cgroup ? 'lsm_cgroup programs' : `'${program.hook}' (a bool hook)`} must return 0 or 1`
        : `LSM programs on '${program.hook}' must return 0 (allow) or a negative errno (deny)`;
  const consequence = rejectedAtLoad
    ? `kernel ${target.release} rejects the program at load`
    : `kernel ${target.release} loads it, but the kernel misreads the verdict; from 6.12 it is rejected at load`;
  return [
    {
      code: 'return-out-of-range',
      severity: rejectedAtLoad ? 'error' : 'warning',
      range: model.index.range(asm.node.startIndex, asm.node.endIndex),
      message: `r0 is ${v} at 'exit': ${what}; ${consequence}. Set r0 to a value in [${lo}, ${hi}] before 'exit'.`,
    },
  ];
}
