// return-out-of-range for programs that return through inline assembly (naked programs, as the kernel's
// verifier selftests write them): r0 at `exit`, when it is a known constant, against the hook's range.
// The finding points at the string that sets r0.
import type { Finding } from '../findings';
import { asmBodyReturn } from '../inlineAsm';
import type { ProgramContext } from './context';
import { verdictRange } from './verdictRange';

export function checkAsmReturnRange(ctx: ProgramContext): Finding[] {
  const { program, target, model } = ctx;
  const range = program.body ? verdictRange(ctx) : null;
  const asm = range && program.body ? asmBodyReturn(program.body) : null;
  if (!range || !asm) return [];
  const { lo, hi, rejectedAtLoad, what } = range;
  const v = asm.value;
  if (v >= lo && v <= hi) return [];
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
