// wrong-macro: kprobe/uprobe macros read arguments from pt_regs, which an LSM program does not get.
import type { Finding } from '../findings';
import { hasTypedArgs, type ProgramContext } from './context';

export function checkMacro(ctx: ProgramContext): Finding[] {
  const { program, model } = ctx;
  if (!program.macro || hasTypedArgs(program)) return [];
  const range = model.index.range(program.macroStart, program.macroEnd);
  return [
    {
      code: 'wrong-macro',
      severity: 'error',
      range,
      message:
        `${program.macro} is for kprobe/uprobe programs: it reads arguments from pt_regs offsets, past an LSM ` +
        `hook's arguments, so the verifier rejects the program at load (invalid bpf_context access). Use BPF_PROG.`,
      fixes: [{ title: `Replace ${program.macro} with BPF_PROG`, edits: [{ range, newText: 'BPF_PROG' }], preferred: true }],
    },
  ];
}
