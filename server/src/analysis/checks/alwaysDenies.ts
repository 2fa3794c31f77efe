// always-denies: a program none of whose paths lets the operation through (returns 0, or passes a zero
// `ret` on), such as an unbraced `if` that makes `return -EPERM` unconditional. On hooks every machine
// needs (exec, opening files, mapping memory, creating tasks) that program locks everyone out, ssh
// included: lockouts() lets Run on Target, the policy runner and the CLI ask before attaching one.
import type { Node } from 'web-tree-sitter';
import type { KernelTarget } from '../../hooks/catalog';
import type { HookDef } from '../../hooks/types';
import type { Finding } from '../findings';
import type { FileModel, LsmProgram } from '../programs';
import { evalConstant } from '../constEval';
import { bodyNodes, returnValue } from '../syntax';
import { programFlow, type ReturnOutcome } from '../valueFlow';
import { hasTypedArgs, type ProgramContext } from './context';

/** Hooks whose every call denied leaves a machine unusable, and what that denial stops. */
const LOCKOUT_HOOKS: ReadonlyMap<string, string> = new Map([
  ...['bprm_check_security', 'bprm_creds_for_exec', 'bprm_creds_from_file'].map((h) => [h, 'exec'] as const),
  ...['file_open', 'file_permission', 'inode_permission', 'inode_getattr'].map((h) => [h, 'file access'] as const),
  ...['mmap_file', 'mmap_addr', 'file_mprotect'].map((h) => [h, 'memory mapping'] as const),
  ...['task_alloc', 'cred_prepare'].map((h) => [h, 'new task'] as const),
  ...['task_fix_setuid', 'task_fix_setgid'].map((h) => [h, 'change of user'] as const),
]);

const WHAT_STOPS: Readonly<Record<string, string>> = {
  exec: 'no program can start',
  'file access': 'no process can open or read a file',
  'memory mapping': 'no program can map its libraries',
  'new task': 'no process or thread can be created',
  'change of user': 'no login can switch to its user',
};

/** Does this outcome surely deny: a negative errno, or `ret` on a path where it is non-zero? */
function denies(o: ReturnOutcome, cgroup: boolean): boolean {
  if (o.value.kind === 'const') return cgroup ? o.value.value === 0 : o.value.value < 0;
  return !cgroup && o.value.kind === 'ret' && o.ret === 'nonzero';
}

export interface AlwaysDenies {
  program: LsmProgram;
  /** Returns that deny, in document order (at most a few, for related information). */
  returns: ReturnOutcome[];
  /** `exec`, `file access`...: what every call denied stops, when it locks a machine out. */
  lockout: string | null;
}

const found = new WeakMap<LsmProgram, AlwaysDenies | null>();

/** Whether `program` denies on every path; null when some path may allow or the flow is not known. */
export function alwaysDenies(model: FileModel, program: LsmProgram, target: KernelTarget, hook: HookDef | undefined): AlwaysDenies | null {
  // The check and lockouts() ask the same of each program in one analysis.
  if (found.has(program)) return found.get(program)!;
  const result = decide(model, program, target, hook);
  found.set(program, result);
  return result;
}

function decide(model: FileModel, program: LsmProgram, target: KernelTarget, hook: HookDef | undefined): AlwaysDenies | null {
  if (!program.body || !hook || hook.ret === 'void' || target.sets.bool.includes(program.hook)) return null;
  const cgroup = program.kind === 'lsm_cgroup';
  const ret = !cgroup && hasTypedArgs(program) ? program.params[hook.args.length]?.decl.name || null : null;
  // A plainly reachable `return 0;` (1 in lsm_cgroup) allows: no need to follow the flow.
  const allow = cgroup ? 1 : 0;
  if (
    bodyNodes(program.body, 'return_statement').some((r) => {
      const v = returnValue(r);
      return !!v && evalConstant(v, model.defines) === allow && plainlyReachable(r, program.body!);
    })
  )
    return null;
  const flow = programFlow(program.body, ret, model.defines, model.text);
  if (!flow.complete || flow.fallsOff || flow.outcomes.length === 0) return null;
  if (!flow.outcomes.every((o) => denies(o, cgroup))) return null;
  const returns = [...flow.outcomes].sort((a, b) => a.stmt.startIndex - b.stmt.startIndex);
  const distinct = returns.filter((o, i) => i === 0 || o.stmt.startIndex !== returns[i - 1].stmt.startIndex);
  return { program, returns: distinct, lockout: LOCKOUT_HOOKS.get(program.hook) ?? null };
}

const EXITS = new Set(['return_statement', 'goto_statement', 'break_statement', 'continue_statement']);
const MAX_CLIMB = 32;

/**
 * No statement before it in any block around it leaves unconditionally (`return -EPERM; return 0;` is
 * not plainly reachable). Conditions are not read: `if (0) return 0;` counts as reachable, which only
 * makes the check quieter.
 */
function plainlyReachable(stmt: Node, body: Node): boolean {
  let n: Node = stmt;
  for (let i = 0; !(n.startIndex === body.startIndex && n.endIndex === body.endIndex); i++) {
    const parent = n.parent;
    if (!parent || i > MAX_CLIMB) return false;
    // One call for the siblings, not one per sibling.
    for (const s of parent.namedChildren) {
      if (!s || s.startIndex >= n.startIndex) break;
      if (EXITS.has(s.type)) return false;
    }
    n = parent;
  }
  return true;
}

const MAX_RELATED = 5;

export function checkAlwaysDenies(ctx: ProgramContext): Finding[] {
  const { model, program, target, hook } = ctx;
  const found = alwaysDenies(model, program, target, hook);
  if (!found) return [];
  const allow = program.kind === 'lsm_cgroup' ? 'returns 1' : "returns 0 or passes a zero 'ret' on";
  const lockout = found.lockout
    ? ` Denying every ${found.lockout} locks you out of the machine, including ssh (${WHAT_STOPS[found.lockout]}): ` +
      `do not attach it to a machine you cannot reset from outside.`
    : '';
  return [
    {
      code: 'always-denies',
      severity: 'warning',
      range: model.index.range(program.macroStart, Math.max(program.macroEnd, program.paramsStart)),
      message:
        `${program.name} denies every call of '${program.hook}': no path ${allow}.${lockout} ` +
        `If it should allow some calls, check its conditions (an unbraced 'if' governs only the statement after it).`,
      related: found.returns.slice(0, MAX_RELATED).map((o) => ({
        range: model.index.range(o.stmt.startIndex, o.stmt.endIndex),
        message: o.value.kind === 'const' ? `denies here (${o.value.value})` : "passes the earlier program's denial on here",
      })),
    },
  ];
}

export interface Lockout {
  /** The program's name and hook. */
  program: string;
  hook: string;
  /** What every call denied stops: `exec`, `file access`, `memory mapping`, `new task`, `change of user`. */
  denies: string;
}

/**
 * The programs of a file that deny every call of a hook a machine cannot do without. Reads the program
 * bodies, so the tree must still be alive: analyzeTree computes them into `AnalysisResult.lockouts`,
 * which is what the rest of the tool asks (hasLockout).
 */
export function lockouts(model: FileModel, target: KernelTarget): Lockout[] {
  const out: Lockout[] = [];
  for (const program of model.programs) {
    const found = alwaysDenies(model, program, target, target.hooks.get(program.hook));
    if (found?.lockout) out.push({ program: program.name, hook: program.hook, denies: found.lockout });
  }
  return out;
}

/** Does this analysis result hold a program that would lock a machine out? (Run on Target, policy runner, CLI.) */
export function hasLockout(result: { lockouts: readonly Lockout[] }): boolean {
  return result.lockouts.length > 0;
}
