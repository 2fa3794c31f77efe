// helper-not-allowed and kfunc-not-allowed: calls in an LSM program's body that the chosen kernel's verifier
// refuses for this program (server/src/hooks/callables.ts says what each release allows, derived from its
// sources). Only what the data is sure of is reported; a helper or kfunc whose rule is unknown stays quiet.
import type { Node } from 'web-tree-sitter';
import {
  callableReleases,
  callableRulesFor,
  CALL_KINDS,
  lsmKfuncNames,
  type CallableRules,
  type CallKind,
  type HelperVerdict,
  type KfuncStatus,
} from '../../hooks/callables';
import { describeTableSource } from '../../hooks/tableSource';
import type { Finding } from '../findings';
import { bodyNodes, functionDefinitions } from '../syntax';
import type { ProgramContext } from './context';

type Call = { name: string; node: Node; callee: Node };
const callsOfBody = new WeakMap<Node, Call[]>();

/** Calls `name(...)` in a body, by callee name: one traversal per body, shared by the helper and kfunc checks. */
export function callsIn(body: Node): Call[] {
  const known = callsOfBody.get(body);
  if (known) return known;
  const out: Call[] = [];
  // The body index's traversal (syntax.ts) finds the calls with the statements the other checks need.
  for (const call of bodyNodes(body, 'call_expression')) {
    const callee = call?.childForFieldName('function');
    if (call && callee?.type === 'identifier') out.push({ name: callee.text, node: call, callee });
  }
  callsOfBody.set(body, out);
  return out;
}

/** The verifier's message with the helper filled in. */
export function fillMessage(template: string | null, name: string, id?: number): string | null {
  if (!template) return null;
  return template.replace('%s#%d', `${name}#${id ?? '?'}`).replace('%s', name);
}

/** Why a verdict refuses this program on this hook, or null when it loads (or cannot be told). */
export function helperRefusal(
  verdict: HelperVerdict,
  kind: CallKind,
  sleepableHook: boolean | null,
): 'refused' | 'sleeps' | 'notAllowed' | null {
  switch (verdict) {
    case 'refused':
      return 'refused';
    case 'sleeps':
      return kind === 'lsm.s' ? null : 'sleeps';
    case 'hook':
      return sleepableHook === false ? 'notAllowed' : null;
    case 'hook-sleeps':
      if (sleepableHook === false) return 'notAllowed';
      return sleepableHook && kind !== 'lsm.s' ? 'sleeps' : null;
    default:
      return null;
  }
}

const definedOfModel = new WeakMap<ProgramContext['model'], Set<string>>();

/** Functions the file defines itself (a call to one of those is not a helper call), found once per file. */
function definedFunctions(ctx: ProgramContext): Set<string> {
  const known = definedOfModel.get(ctx.model);
  if (known) return known;
  const root = ctx.program.body?.tree.rootNode;
  const names = new Set<string>();
  if (!root) return names;
  definedOfModel.set(ctx.model, names);
  for (const def of functionDefinitions(root)) {
    let d = def?.childForFieldName('declarator') ?? null;
    while (d && d.type !== 'function_declarator') d = d.childForFieldName('declarator');
    const id = d?.childForFieldName('declarator');
    if (id?.type === 'identifier') names.add(id.text);
  }
  return names;
}

const targetsOfCatalog = new WeakMap<ProgramContext['catalog'], Map<string, ProgramContext['target'] | null>>();

/** Is the hook in the sleepable set of the bundled table a data release maps to (null: cannot tell)? */
function sleepableOn(ctx: ProgramContext, release: string): boolean | null {
  let targets = targetsOfCatalog.get(ctx.catalog);
  if (!targets) targetsOfCatalog.set(ctx.catalog, (targets = new Map()));
  if (!targets.has(release)) {
    try {
      targets.set(release, ctx.catalog.target({ kernel: release }).target);
    } catch {
      targets.set(release, null);
    }
  }
  const target = targets.get(release);
  if (!target) return null;
  return target.hooks.has(ctx.program.hook) ? target.sets.sleepable.includes(ctx.program.hook) : null;
}

/** The data releases on which the same call in the same program loads (for "6.12.117 loads it"). */
function releasesThatLoad(name: string, ctx: ProgramContext): string[] {
  return callableReleases()
    .filter(({ release, rules }) => {
      const h = rules.helper(name, ctx.program.kind);
      if (!h || h.verdict === 'unknown') return false;
      const needsHook = h.verdict === 'hook' || h.verdict === 'hook-sleeps';
      const sleepable = needsHook ? sleepableOn(ctx, release) : null;
      return (!needsHook || sleepable !== null) && helperRefusal(h.verdict, ctx.program.kind, sleepable) === null;
    })
    .map((r) => r.release);
}

function advice(rules: CallableRules, name: string, ctx: ProgramContext, why: 'refused' | 'sleeps' | 'notAllowed'): string {
  const { program, target } = ctx;
  const sleepableHook = target.sets.sleepable.includes(program.hook);
  if (why === 'notAllowed') return 'Call it from a hook of the sleepable set, such as file_open.';
  if (why === 'sleeps') {
    return sleepableHook
      ? `Make the program sleepable: SEC("lsm.s/${program.hook}").`
      : `Use a sleepable program (lsm.s/) on a sleepable hook such as file_open; '${program.hook}' is not one.`;
  }
  const cgroupVerdict = rules.helper(name.slice(4), 'lsm_cgroup')?.verdict;
  const cgroup = cgroupVerdict === 'yes';
  const sleepable = rules.helper(name.slice(4), 'lsm.s')?.verdict === 'yes';
  if (program.kind !== 'lsm_cgroup' && cgroup) return `It is for lsm_cgroup/ programs: use SEC("lsm_cgroup/${program.hook}").`;
  if (program.kind !== 'lsm.s' && sleepable)
    return `Only sleepable programs may call it: SEC("lsm.s/${program.hook}") on a sleepable hook.`;
  if (program.kind !== 'lsm_cgroup' && cgroupVerdict === 'unknown') return 'lsm_cgroup/ programs may call it, on some hooks.';
  // bpf_override_return, the skb helpers: what a kprobe or a network program calls, not an LSM program.
  if (CALL_KINDS.every((kind) => rules.helper(name.slice(4), kind)?.verdict === 'refused'))
    return 'No LSM program may call it (lsm/, lsm.s/ or lsm_cgroup/): it belongs to other program types.';
  return `${program.kind}/ programs cannot use it.`;
}

/** Longest raw helper declaration read. */
const MAX_RAW_DECLARATION = 500;

/**
 * Helpers declared the raw way, by number: `static long (*get_retval)(void) = (void *) 186;` (what libbpf's
 * bpf_helper_defs.h does, under any name) or `= (void *) BPF_FUNC_get_retval;`. Local name -> number or
 * helper name. Linear in the text: each `;`-terminated statement is looked at once, if short.
 */
export function rawHelperPointers(text: string): Map<string, number | string> {
  const out = new Map<string, number | string>();
  let start = 0;
  for (let end = text.indexOf(';'); end >= 0; start = end + 1, end = text.indexOf(';', start)) {
    if (end - start > MAX_RAW_DECLARATION) continue;
    const stmt = text.slice(start, end);
    if (!stmt.includes('void')) continue;
    const m = /\(\s*\*\s*(?:const\s+)?(\w+)\s*\)\s*\([^()]*\)\s*=\s*\(\s*void\s*\*\s*\)\s*(\d+|BPF_FUNC_\w+)\s*$/.exec(stmt);
    if (m) out.set(m[1], /^\d+$/.test(m[2]) ? Number(m[2]) : m[2].slice('BPF_FUNC_'.length));
  }
  return out;
}

const rawOfModel = new WeakMap<ProgramContext['model'], Map<string, number | string>>();

/** The helper (without `bpf_`) a call names: `bpf_x(...)`, or a raw pointer declared with its number. */
function helperOfCall(name: string, ctx: ProgramContext, rules: CallableRules, own: Set<string>): string | null {
  let raw = rawOfModel.get(ctx.model);
  if (!raw) rawOfModel.set(ctx.model, (raw = rawHelperPointers(ctx.model.text)));
  const declared = raw.get(name);
  if (typeof declared === 'string') return declared;
  if (typeof declared === 'number') return rules.helperNames().find((h) => rules.helper(h, 'lsm')?.id === declared) ?? null;
  return name.startsWith('bpf_') && !own.has(name) ? name.slice(4) : null;
}

export function checkHelperCalls(ctx: ProgramContext): Finding[] {
  const { program, target, model } = ctx;
  if (!program.body || !ctx.hook) return [];
  const rules = callableRulesFor(target.version);
  if (!rules) return [];
  const own = definedFunctions(ctx);
  const sleepableHook = target.sets.sleepable.includes(program.hook);
  const findings: Finding[] = [];
  for (const call of callsIn(program.body)) {
    const helperName = helperOfCall(call.name, ctx, rules, own);
    const helper = helperName === null ? undefined : rules.helper(helperName, program.kind);
    if (!helper || helperName === null) continue;
    const why = helperRefusal(helper.verdict, program.kind, sleepableHook);
    if (!why) continue;
    const said = fillMessage(rules.messages[why], `bpf_${helperName}`, helper.id);
    const quoted = said ? `the verifier refuses it ("${said}")` : 'the verifier refuses it';
    const shown = call.name === `bpf_${helperName}` ? call.name : `${call.name} (helper bpf_${helperName})`;
    const what =
      why === 'refused'
        ? `${program.kind}/ programs may not call ${shown}`
        : why === 'sleeps'
          ? `${shown} may sleep, and a non-sleepable ${program.kind}/ program may not call it`
          : `${shown} is allowed only on hooks of the sleepable set, and '${program.hook}' is not one`;
    const loads = releasesThatLoad(helperName, ctx);
    const earlier =
      loads.length > 0 ? ` (kernel${loads.length > 1 ? 's' : ''} ${loads.join(', ')} load${loads.length > 1 ? '' : 's'} it)` : '';
    findings.push({
      code: 'helper-not-allowed',
      severity: 'error',
      range: model.index.range(call.callee.startIndex, call.callee.endIndex),
      message: `${what} on kernel ${target.release}: ${quoted}${earlier}. ${advice(rules, `bpf_${helperName}`, ctx, why)}`,
    });
  }
  return findings;
}

/** Longest declaration read; a longer one is not a kfunc declaration anyone writes. */
const MAX_DECLARATION = 1000;

/** `extern ... name(...) __ksym [__weak];` declarations of the file: name -> weak. Linear in the text. */
export function ksymDeclarations(text: string): Map<string, boolean> {
  const out = new Map<string, boolean>();
  let end = -1;
  for (const m of text.matchAll(/\bextern\b/g)) {
    // The next `;` is searched for again only once passed: linear however many `extern`s share it.
    if (end < m.index) end = text.indexOf(';', m.index);
    if (end < 0) break;
    if (end - m.index > MAX_DECLARATION) continue;
    const decl = text.slice(m.index, end);
    const close = decl.lastIndexOf(')');
    const attrs = decl
      .slice(close + 1)
      .trim()
      .split(/\s+/);
    if (close < 0 || !attrs.includes('__ksym') || !attrs.every((a) => /^__\w+$/.test(a))) continue;
    const open = decl.indexOf('(');
    // `extern void (*fp)(int)` is a pointer, not a function.
    const name = decl[open + 1] === '*' ? undefined : /(\w+)\s*\($/.exec(decl.slice(0, open + 1))?.[1];
    if (name) out.set(name, attrs.includes('__weak'));
  }
  return out;
}

/**
 * A kfunc's status for the target: from its BTF when it has one (a kernel's own functions win over the
 * release's data: a backport, a custom build), else from the release's data.
 */
export function kfuncStatus(rules: CallableRules, name: string, target: ProgramContext['target']): KfuncStatus {
  const status = rules.kfunc(name);
  if (!target.btfKfuncs || !lsmKfuncNames().has(name)) return status;
  const inBtf = target.btfKfuncs.includes(name);
  if (!inBtf) return 'absent';
  return status === 'absent' || status === 'other' ? 'unknown' : status;
}

const ksymsOfModel = new WeakMap<ProgramContext['model'], Map<string, boolean>>();

/** The file's kfunc declarations, read once per file however many programs it has. */
function fileKsyms(model: ProgramContext['model']): Map<string, boolean> {
  let found = ksymsOfModel.get(model);
  if (!found) ksymsOfModel.set(model, (found = ksymDeclarations(model.text)));
  return found;
}

export function checkKfuncCalls(ctx: ProgramContext): Finding[] {
  const { program, target, model } = ctx;
  if (!program.body) return [];
  const declared = fileKsyms(model);
  const rules = callableRulesFor(target.version);
  if (!rules) return [];
  // Kfuncs declared in the file, and LSM kfuncs called without a declaration of the file's own (vmlinux.h
  // of newer bpftool declares them `__weak __ksym`, bpf_experimental.h strong): unless the file defines it.
  const own = definedFunctions(ctx);
  const isKfunc = (name: string) => declared.has(name) || (lsmKfuncNames().has(name) && !own.has(name));
  const findings: Finding[] = [];
  // Most programs call no kfunc: then there is nothing to check, and no identifier walk to pay for.
  if (!callsIn(program.body).some((call) => isKfunc(call.name))) return findings;
  // Existence tests of the body, once: `bpf_ksym_exists(k)`, and with libbpf before 1.2 `if (k)` or
  // `&k != NULL`: any use of a declared kfunc's name other than calling it. The names tested, and where the
  // first test stands.
  const guards = program.body
    .descendantsOfType('identifier')
    .filter((id): id is Node => !!id && isKfunc(id.text))
    .filter((id) => !(id.parent?.type === 'call_expression' && id.parent.childForFieldName('function')?.id === id.id));
  const guardedNames = new Set(guards.map((g) => g.text));
  const firstGuard = guards.length > 0 ? guards[0].startIndex : Infinity;
  for (const call of callsIn(program.body)) {
    if (!isKfunc(call.name)) continue;
    // true: __weak; false: strong; null: declared elsewhere (a header), either.
    const weak = declared.get(call.name) ?? null;
    const status = kfuncStatus(rules, call.name, target);
    const range = model.index.range(call.callee.startIndex, call.callee.endIndex);
    // Guarded: a bpf_ksym_exists() test of it anywhere, or of any kfunc before the call (code after
    // `if (!bpf_ksym_exists(a)) return 0;` is dead where `a` is missing, and so are its other kfunc calls).
    const guarded = guardedNames.has(call.name) || firstGuard < call.node.startIndex;
    if (status === 'absent' && !(weak !== false && guarded)) {
      const where = target.btfKfuncs
        ? `Kernel ${target.release}'s BTF (${describeTableSource(target.source)}) has no function ${call.name}`
        : `Kernel ${target.release} has no kfunc ${call.name}`;
      const have = callableReleases()
        .filter((r) => ['usable', 'sleepable'].includes(r.rules.kfunc(call.name)))
        .map((r) => r.release);
      // A strong __ksym fails in libbpf; an unguarded __weak one is left unresolved and the verifier refuses
      // the call ("invalid kernel function call not eliminated in verifier pass", seen on 6.1).
      const how =
        weak === null
          ? 'the program does not load (libbpf refuses a strong __ksym it cannot resolve, the verifier an unguarded __weak one)'
          : weak
            ? 'the __weak __ksym stays unresolved and the verifier refuses the call ("invalid kernel function call not eliminated in verifier pass")'
            : 'libbpf cannot resolve the __ksym and the program does not load';
      findings.push({
        code: 'kfunc-not-allowed',
        severity: 'error',
        range,
        message:
          `${where}: ${how}` +
          `${have.length > 0 ? ` (kernels ${have.join(', ')} have it)` : ''}. Pick a kernel that has it, or ` +
          `${weak === false ? 'declare it __weak and ' : ''}guard the call with \`if (bpf_ksym_exists(${call.name}))\`.`,
      });
    } else if (status === 'sleepable' && program.kind !== 'lsm.s') {
      const said = fillMessage(rules.messages.sleepableKfunc, call.name);
      findings.push({
        code: 'kfunc-not-allowed',
        severity: 'error',
        range,
        message:
          `${call.name} is a sleepable kfunc (KF_SLEEPABLE), and a non-sleepable ${program.kind}/ program may not call it on kernel ` +
          `${target.release}: ${said ? `the verifier refuses it ("${said}")` : 'the verifier refuses it'}. ` +
          (target.sets.sleepable.includes(program.hook)
            ? `Make the program sleepable: SEC("lsm.s/${program.hook}").`
            : `Use a sleepable program (lsm.s/) on a sleepable hook such as file_open.`),
      });
    } else if (status === 'other') {
      findings.push({
        code: 'kfunc-not-allowed',
        severity: 'error',
        range,
        message:
          `Kernel ${target.release} does not register ${call.name} for LSM programs: the verifier refuses it` +
          `${rules.messages.kfuncNotAllowed ? ` ("${fillMessage(rules.messages.kfuncNotAllowed, call.name)}")` : ''}. ` +
          `It is for other program types; LSM programs cannot use it.`,
      });
    }
  }
  return findings;
}
