// What every check sees: the file model, the program at hand, and the kernel it is checked against.
import type { HookCatalog, KernelTarget } from '../../hooks/catalog';
import type { HookDef } from '../../hooks/types';
import type { Finding } from '../findings';
import type { FileModel, LsmProgram } from '../programs';

export interface ProgramContext {
  model: FileModel;
  program: LsmProgram;
  target: KernelTarget;
  catalog: HookCatalog;
  /** The hook in the target's table, or undefined when the target lacks it. */
  hook: HookDef | undefined;
}

export type ProgramCheck = (ctx: ProgramContext) => Finding[];

/** Is the hook's verdict a boolean (bool_lsm_hooks) rather than 0 / -errno? */
export function isBoolHook(ctx: ProgramContext): boolean {
  return ctx.target.sets.bool.includes(ctx.program.hook);
}

/** Does the program follow the int-hook convention: a trailing `int ret` and a 0 / -errno verdict? */
export function takesRetSlot(ctx: ProgramContext): boolean {
  return !!ctx.hook && ctx.hook.ret !== 'void' && !isBoolHook(ctx) && ctx.program.kind !== 'lsm_cgroup';
}

/** BPF_PROG forms, whose arguments map one to one onto the hook's. */
export function hasTypedArgs(program: LsmProgram): boolean {
  return program.macro === 'BPF_PROG' || program.macro === 'BPF_PROG2';
}
