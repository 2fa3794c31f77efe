// The verdicts a program may return, as return-out-of-range holds its returns to them (C and inline asm
// alike): int hooks take 0 or a negative errno ([-4095, 0]); bool hooks and lsm_cgroup programs 0 or 1,
// lsm_cgroup programs on void hooks exactly 1. lsm_cgroup's range is enforced since lsm_cgroup exists
// (6.0); the LSM range only from 6.12, before which the kernel loads the program and misreads the verdict.
import { kernelRules } from '../../hooks/catalog';
import { isBoolHook, type ProgramContext } from './context';

export const MAX_ERRNO = 4095;

export interface VerdictRange {
  lo: number;
  hi: number;
  /** 0 or 1 rather than 0 / -errno. */
  zeroOne: boolean;
  rejectedAtLoad: boolean;
  /** What the kernel requires: `LSM programs on 'file_open' must return 0 (allow) or a negative errno (deny)`. */
  what: string;
}

/** The range a program's verdicts must keep to; null when there is none to hold to (a void hook, a missing one). */
export function verdictRange(ctx: ProgramContext): VerdictRange | null {
  const { program, hook, target } = ctx;
  const cgroup = program.kind === 'lsm_cgroup';
  const voidHook = hook?.ret === 'void';
  // A hook the kernel lacks has no range (hook-not-in-kernel says so); lsm_cgroup's [0, 1] stands.
  if ((voidHook && !cgroup) || (!hook && !cgroup)) return null;
  const zeroOne = cgroup || (!!hook && isBoolHook(ctx));
  const [lo, hi] = cgroup && voidHook ? [1, 1] : zeroOne ? [0, 1] : [-MAX_ERRNO, 0];
  const what =
    cgroup && voidHook
      ? `lsm_cgroup programs on '${program.hook}' (a void hook) must return 1`
      : zeroOne
        ? `${cgroup ? 'lsm_cgroup programs' : `'${program.hook}' (a bool hook)`} must return 0 or 1`
        : `LSM programs on '${program.hook}' must return 0 (allow) or a negative errno (deny)`;
  return { lo, hi, zeroOne, rejectedAtLoad: cgroup || kernelRules.checksReturnRange(target.version), what };
}
