// What a BPF LSM program may call, derived from a kernel's own sources (no kernel code is copied):
//   helpers  the names of include/uapi/linux/bpf.h's __BPF_FUNC_MAPPER, and for each of the three section
//            kinds (lsm/, lsm.s/, lsm_cgroup/) the verdict of bpf_lsm_func_proto, followed through the
//            functions it delegates to (tracing_prog_func_proto, bpf_base_func_proto, cgroup_common_func_proto
//            ...) by a small interpreter of their `switch (func_id)` / `if` / `return` shapes, then the proto's
//            `.might_sleep` and `.allowed` (bpf_d_path_allowed: the sleepable hook set)
//   kfuncs   BTF_ID_FLAGS entries of the kfunc sets registered for BPF_PROG_TYPE_LSM, TRACING (the hook LSM
//            programs see) and UNSPEC (common), with KF_SLEEPABLE and whether a set's filter lets LSM through
//   nullable hook arguments marked `__nullable` on the strong bpf_lsm_<hook> definitions (bpf_lsm_proto.c)
//   messages the verifier's words for each refusal, from verifier.c / btf.c of the same release
// Whatever the interpreter cannot follow (an unknown call, a condition on something other than the program's
// kind, lockdown) gives "unknown": no claim, never a refusal. Capability checks (bpf_capable(),
// bpf_token_capable()) are taken as met, since programs load as root. Code under `#if` is taken as built
// (Debian's configs enable BPF, NET, CGROUPS, KEYS); `#else` branches are skipped.

import type { HelperVerdict, VerifierMessages } from '../server/src/hooks/callables';

/** The three section kinds of an LSM program. */
export const SECTION_KINDS = ['lsm', 'lsm.s', 'lsm_cgroup'] as const;
export type SectionKind = (typeof SECTION_KINDS)[number];

/**
 * yes: it loads; refused: get_func_proto gives NULL; sleeps: its proto may sleep and the program may not;
 * hook: only on hooks of the sleepable set (bpf_d_path_allowed); hook-sleeps: only there, and then it still
 * sleeps (refused in a non-sleepable program); unknown: no claim.
 */
export type { HelperVerdict };

export interface HelperRule {
  name: string;
  id: number;
  lsm: HelperVerdict;
  'lsm.s': HelperVerdict;
  lsm_cgroup: HelperVerdict;
}

export interface KfuncRule {
  name: string;
  sleepable: boolean;
}

export type { VerifierMessages };

export interface DerivedCallables {
  helpers: HelperRule[];
  /** Kfuncs an LSM program may call (the sets' filters let LSM through), sorted by name. */
  kfuncs: KfuncRule[];
  /** Kfuncs the kernel has only in sets registered for other program types ("not allowed" for LSM). */
  otherKfuncs: string[];
  /** Every kfunc name of any set (to tell "the kernel lacks it" from "not for LSM"). */
  allKfuncs: string[];
  /** hook -> argument names the kernel may pass as NULL. */
  nullable: Record<string, string[]>;
  messages: VerifierMessages;
  notes: string[];
}

// ---------------------------------------------------------------------------------------------- C text

/** Comments out, preprocessor lines out (`#else` .. `#endif` parts dropped), strings kept. */
export function stripC(text: string): string {
  const noComments = text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (m) => m.replace(/[^\n]/g, ' '));
  const lines = noComments.replace(/\\\n/g, '  ').split('\n');
  const out: string[] = [];
  // One entry per open #if: is the current branch kept?
  const stack: boolean[] = [];
  for (const line of lines) {
    const directive = /^\s*#\s*(\w+)/.exec(line)?.[1];
    if (directive === undefined) {
      out.push(stack.every(Boolean) ? line : '');
      continue;
    }
    if (directive.startsWith('if')) stack.push(true);
    else if (directive === 'else' || directive === 'elif') stack[stack.length - 1] = false;
    else if (directive === 'endif') stack.pop();
    out.push('');
  }
  return out.join('\n');
}

/** The index just after the bracket closing the one at `open` ( `{` or `(` ), or -1. */
export function matchBracket(text: string, open: number): number {
  const o = text[open];
  const c = o === '{' ? '}' : o === '(' ? ')' : ']';
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"' || ch === "'") {
      const end = text.indexOf(ch, i + 1);
      if (end < 0) return -1;
      i = end;
    } else if (ch === o) depth++;
    else if (ch === c && --depth === 0) return i + 1;
  }
  return -1;
}

/** Bodies of the functions defined in stripped C text, by name (the longest definition wins). */
export function functionBodies(text: string, signature: RegExp): Map<string, string> {
  const out = new Map<string, string>();
  const re = new RegExp(`\\b(\\w+)\\s*\\(${signature.source}\\)\\s*\\{`, 'g');
  for (const m of text.matchAll(re)) {
    const open = m.index + m[0].length - 1;
    const end = matchBracket(text, open);
    if (end < 0) continue;
    const body = text.slice(open + 1, end - 1);
    if ((out.get(m[1])?.length ?? -1) < body.length) out.set(m[1], body);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- helpers

/** Helper names and numbers from bpf.h's __BPF_FUNC_MAPPER (`FN(name)`, numbered in order) or ___BPF_FUNC_MAPPER (`FN(name, N, ...)`). */
export function parseHelperIds(bpfH: string): { name: string; id: number }[] {
  const flat = bpfH.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\\\n/g, ' ');
  const start = flat.search(/#\s*define\s+_{2,3}BPF_FUNC_MAPPER\s*\(/);
  if (start < 0) throw new Error('bpf.h: no __BPF_FUNC_MAPPER');
  const line = flat.slice(start, flat.indexOf('\n', start));
  const out: { name: string; id: number }[] = [];
  for (const e of line.matchAll(/\bFN\(\s*(\w+)\s*(?:,\s*(\d+))?/g)) {
    out.push({ name: e[1], id: e[2] === undefined ? out.length : Number(e[2]) });
  }
  if (out.length < 2) throw new Error('bpf.h: __BPF_FUNC_MAPPER lists no helpers');
  return out.filter((h) => h.name !== 'unspec');
}

type Tri = true | false | null;
type Value = { kind: 'null' } | { kind: 'proto'; name: string } | { kind: 'unknown' };
const UNKNOWN: Value = { kind: 'unknown' };

class Unknown extends Error {}

/** The program an interpretation is for. */
interface Prog {
  kind: SectionKind;
  funcId: string;
}

/** A tiny interpreter of the kernel's get_func_proto functions. */
export class ProtoInterpreter {
  private steps = 0;
  constructor(private readonly functions: Map<string, string>) {}

  /** The proto `fn(func_id, prog)` returns for this program. */
  call(fn: string, prog: Prog, depth = 0): Value {
    const body = this.functions.get(fn);
    if (body === undefined || depth > 12) return UNKNOWN;
    try {
      const r = this.block(tokenize(body), prog, new Map(), depth);
      return r.returned ? r.value : UNKNOWN;
    } catch (err) {
      if (err instanceof Unknown) return UNKNOWN;
      throw err;
    }
  }

  private tick(): void {
    if (++this.steps > 2_000_000) throw new Unknown();
  }

  /** Runs statements; `returned` when a return was reached, `broke` when a break was. */
  private block(toks: string[], prog: Prog, vars: Map<string, Value>, depth: number): Flow {
    let i = 0;
    while (i < toks.length) {
      this.tick();
      const [flow, next] = this.statement(toks, i, prog, vars, depth);
      if (flow) return flow;
      i = next;
    }
    return { returned: false, broke: false, value: UNKNOWN };
  }

  private statement(t: string[], i: number, prog: Prog, vars: Map<string, Value>, depth: number): [Flow | null, number] {
    const tok = t[i];
    if (tok === ';') return [null, i + 1];
    if (tok === '{') {
      const end = closeTok(t, i);
      const r = this.block(t.slice(i + 1, end - 1), prog, vars, depth);
      return [r.returned || r.broke ? r : null, end];
    }
    if (tok === 'return') {
      const end = t.indexOf(';', i);
      if (end < 0) throw new Unknown();
      return [{ returned: true, broke: false, value: this.expr(t.slice(i + 1, end), prog, vars, depth) }, end + 1];
    }
    if (tok === 'break') return [{ returned: false, broke: true, value: UNKNOWN }, i + 2];
    if (tok === 'if') {
      const condEnd = closeTok(t, i + 1);
      const cond = this.cond(t.slice(i + 2, condEnd - 1), prog, vars, depth);
      const thenEnd = this.statementEnd(t, condEnd);
      let elseEnd = thenEnd;
      if (t[thenEnd] === 'else') elseEnd = this.statementEnd(t, thenEnd + 1);
      if (cond === null) throw new Unknown();
      if (cond) {
        const [flow] = this.statement(t, condEnd, prog, vars, depth);
        return [flow, elseEnd];
      }
      if (t[thenEnd] === 'else') {
        const [flow] = this.statement(t, thenEnd + 1, prog, vars, depth);
        return [flow, elseEnd];
      }
      return [null, thenEnd];
    }
    if (tok === 'switch') {
      const subjEnd = closeTok(t, i + 1);
      const subject = t.slice(i + 2, subjEnd - 1).join(' ');
      const bodyEnd = closeTok(t, subjEnd);
      const body = t.slice(subjEnd + 1, bodyEnd - 1);
      const key = this.switchKey(subject, prog);
      const flow = this.switchBody(body, key, prog, vars, depth);
      return [flow && flow.returned ? flow : null, bodyEnd];
    }
    // A declaration or an assignment: `const struct bpf_func_proto *fn;`, `fn = f(func_id, prog);`
    const end = t.indexOf(';', i);
    if (end < 0) throw new Unknown();
    const stmt = t.slice(i, end);
    const eq = stmt.indexOf('=');
    if (eq > 0 && stmt[eq + 1] !== '=') {
      vars.set(stmt[eq - 1], this.expr(stmt.slice(eq + 1), prog, vars, depth));
    } else if (!/^(const|struct|enum|int|u32|bool)$/.test(stmt[0] ?? '')) {
      throw new Unknown();
    }
    return [null, end + 1];
  }

  /** The token index after the statement starting at i. */
  private statementEnd(t: string[], i: number): number {
    if (t[i] === '{') return closeTok(t, i);
    if (t[i] === 'if') {
      const thenEnd = this.statementEnd(t, closeTok(t, i + 1));
      return t[thenEnd] === 'else' ? this.statementEnd(t, thenEnd + 1) : thenEnd;
    }
    if (t[i] === 'switch') return closeTok(t, closeTok(t, i + 1));
    const end = t.indexOf(';', i);
    if (end < 0) throw new Unknown();
    return end + 1;
  }

  /** The label a switch subject takes for this program, or null when it depends on something else. */
  private switchKey(subject: string, prog: Prog): string | null {
    if (subject === 'func_id') return `BPF_FUNC_${prog.funcId}`;
    if (subject === 'prog -> expected_attach_type') return prog.kind === 'lsm_cgroup' ? 'BPF_LSM_CGROUP' : 'BPF_LSM_MAC';
    return null;
  }

  private switchBody(body: string[], key: string | null, prog: Prog, vars: Map<string, Value>, depth: number): Flow | null {
    // Label positions: `case X :` and `default :`.
    const labels: { name: string; after: number }[] = [];
    for (let i = 0; i < body.length; i++) {
      if (body[i] === '{' || body[i] === '(') {
        i = closeTok(body, i) - 1;
        continue;
      }
      if (body[i] === 'case' && body[i + 2] === ':') labels.push({ name: body[i + 1], after: i + 3 });
      else if (body[i] === 'default' && body[i + 1] === ':') labels.push({ name: 'default', after: i + 2 });
    }
    if (key === null) throw new Unknown();
    const hit = labels.find((l) => l.name === key) ?? labels.find((l) => l.name === 'default');
    if (!hit) return null;
    // Statements from the label on, skipping later labels (fall-through).
    let i = hit.after;
    while (i < body.length) {
      this.tick();
      if (body[i] === 'case' && body[i + 2] === ':') {
        i += 3;
        continue;
      }
      if (body[i] === 'default' && body[i + 1] === ':') {
        i += 2;
        continue;
      }
      const [flow, next] = this.statement(body, i, prog, vars, depth);
      if (flow) return flow.broke ? null : flow;
      i = next;
    }
    return null;
  }

  private expr(t: string[], prog: Prog, vars: Map<string, Value>, depth: number): Value {
    // cond ? a : b (the kernel's are never nested inside the branches)
    const q = topLevel(t, '?');
    if (q >= 0) {
      const colon = topLevel(t, ':', q + 1);
      if (colon < 0) throw new Unknown();
      const c = this.cond(t.slice(0, q), prog, vars, depth);
      if (c === null) throw new Unknown();
      return this.expr(c ? t.slice(q + 1, colon) : t.slice(colon + 1), prog, vars, depth);
    }
    if (t.length === 1 && t[0] === 'NULL') return { kind: 'null' };
    if (t.length === 2 && t[0] === '&') return { kind: 'proto', name: t[1] };
    if (t.length === 1 && vars.has(t[0])) return vars.get(t[0])!;
    if (t[1] === '(' && closeTok(t, 1) === t.length && /^\w+$/.test(t[0])) {
      const args = t.slice(2, -1).join(' ');
      if (args === 'func_id , prog' || args === 'func_id') return this.call(t[0], prog, depth + 1);
    }
    if (t[0] === '(' && closeTok(t, 0) === t.length) return this.expr(t.slice(1, -1), prog, vars, depth);
    throw new Unknown();
  }

  /** A condition on the program, true / false / null (cannot tell). */
  cond(t: string[], prog: Prog, vars: Map<string, Value>, depth: number): Tri {
    const or = topLevel(t, '||');
    if (or >= 0) return triOr(this.cond(t.slice(0, or), prog, vars, depth), this.cond(t.slice(or + 1), prog, vars, depth));
    const and = topLevel(t, '&&');
    if (and >= 0) return triAnd(this.cond(t.slice(0, and), prog, vars, depth), this.cond(t.slice(and + 1), prog, vars, depth));
    if (t[0] === '!') {
      const c = this.cond(t.slice(1), prog, vars, depth);
      return c === null ? null : !c;
    }
    if (t[0] === '(' && closeTok(t, 0) === t.length) return this.cond(t.slice(1, -1), prog, vars, depth);
    const s = t.join(' ');
    if (s === 'prog -> aux -> sleepable' || s === 'prog -> sleepable') return prog.kind === 'lsm.s';
    if (/^bpf_prog_has_trampoline \( prog \)$/.test(s)) return prog.kind !== 'lsm_cgroup';
    // Capabilities are met: programs load as root.
    if (/^(bpf_capable|perfmon_capable) \( \)$/.test(s) || /^(bpf_token_capable|capable) \(.*\)$/.test(s)) return true;
    let m = /^prog -> expected_attach_type (==|!=) (\w+)$/.exec(s);
    if (m) {
      const eat = prog.kind === 'lsm_cgroup' ? 'BPF_LSM_CGROUP' : 'BPF_LSM_MAC';
      return (m[2] === eat) === (m[1] === '==');
    }
    m = /^prog -> type (==|!=) (\w+)$/.exec(s);
    if (m) return (m[2] === 'BPF_PROG_TYPE_LSM') === (m[1] === '==');
    if (t.length === 1 && vars.has(t[0])) {
      const v = vars.get(t[0])!;
      return v.kind === 'unknown' ? null : v.kind === 'proto';
    }
    return null;
  }
}

interface Flow {
  returned: boolean;
  broke: boolean;
  value: Value;
}

function triOr(a: Tri, b: Tri): Tri {
  if (a === true || b === true) return true;
  return a === null || b === null ? null : false;
}

function triAnd(a: Tri, b: Tri): Tri {
  if (a === false || b === false) return false;
  return a === null || b === null ? null : true;
}

export function tokenize(text: string): string[] {
  return text.match(/->|&&|\|\||==|!=|<=|>=|"(?:[^"\\]|\\.)*"|\w+|\S/g) ?? [];
}

/** Index after the bracket token closing the one at i. */
function closeTok(t: string[], i: number): number {
  const o = t[i];
  const c = o === '{' ? '}' : o === '(' ? ')' : o === '[' ? ']' : null;
  if (!c) throw new Unknown();
  let depth = 0;
  for (let j = i; j < t.length; j++) {
    if (t[j] === o) depth++;
    else if (t[j] === c && --depth === 0) return j + 1;
  }
  throw new Unknown();
}

/** The first index of `op` outside brackets, from `from`. */
function topLevel(t: string[], op: string, from = 0): number {
  let depth = 0;
  for (let i = from; i < t.length; i++) {
    if (t[i] === '(' || t[i] === '[' || t[i] === '{') depth++;
    else if (t[i] === ')' || t[i] === ']' || t[i] === '}') depth--;
    else if (depth === 0 && t[i] === op) return i;
  }
  return -1;
}

/** What a proto's initializer says: `.might_sleep = true`, `.allowed = fn`. */
export interface ProtoFacts {
  mightSleep: boolean;
  allowed: string | null;
}

export function parseProtos(text: string): Map<string, ProtoFacts> {
  const out = new Map<string, ProtoFacts>();
  for (const m of text.matchAll(/\bstruct\s+bpf_func_proto\s+(\w+)\s*=\s*\{/g)) {
    const open = m.index + m[0].length - 1;
    const end = matchBracket(text, open);
    if (end < 0) continue;
    const init = text.slice(open, end);
    out.set(m[1], {
      mightSleep: /\.might_sleep\s*=\s*true/.test(init),
      allowed: /\.allowed\s*=\s*(\w+)/.exec(init)?.[1] ?? null,
    });
  }
  return out;
}

/** An `.allowed` callback: for LSM programs, the sleepable hook set (bpf_d_path_allowed), or null (cannot tell). */
export function allowedRule(body: string | undefined): 'hook' | null {
  if (!body) return null;
  const t = tokenize(body).join(' ');
  return /(^|if \( prog -> type == BPF_PROG_TYPE_LSM \) )return bpf_lsm_is_sleepable_hook \(/.test(t) ? 'hook' : null;
}

const PROTO_SIGNATURE = /\s*enum\s+bpf_func_id\s+func_id\s*(?:,\s*const\s+struct\s+bpf_prog\s+\*\s*prog\s*)?/;

export function helperRules(ids: { name: string; id: number }[], sources: string[]): { rules: HelperRule[]; notes: string[] } {
  const functions = new Map<string, string>();
  const protos = new Map<string, ProtoFacts>();
  const allowedBodies = new Map<string, string>();
  for (const src of sources) {
    for (const [k, v] of functionBodies(src, PROTO_SIGNATURE)) if ((functions.get(k)?.length ?? -1) < v.length) functions.set(k, v);
    for (const [k, v] of parseProtos(src)) protos.set(k, v);
    for (const [k, v] of functionBodies(src, /\s*const\s+struct\s+bpf_prog\s+\*\s*prog\s*/)) allowedBodies.set(k, v);
  }
  if (!functions.has('bpf_lsm_func_proto')) throw new Error('no bpf_lsm_func_proto in the sources');
  const interp = new ProtoInterpreter(functions);
  const unresolved = new Set<string>();
  const verdict = (funcId: string, kind: SectionKind): HelperVerdict => {
    const v = interp.call('bpf_lsm_func_proto', { kind, funcId });
    if (v.kind === 'unknown') return 'unknown';
    if (v.kind === 'null') return 'refused';
    const facts = protos.get(v.name);
    if (!facts) {
      unresolved.add(v.name);
      return 'unknown';
    }
    // The verifier asks `.allowed` before `.might_sleep`.
    const sleeps = facts.mightSleep && kind !== 'lsm.s';
    if (facts.allowed) {
      if (!allowedRule(allowedBodies.get(facts.allowed))) return 'unknown';
      return sleeps ? 'hook-sleeps' : 'hook';
    }
    return sleeps ? 'sleeps' : 'yes';
  };
  const rules = ids.map(({ name, id }) => ({
    name,
    id,
    lsm: verdict(name, 'lsm'),
    'lsm.s': verdict(name, 'lsm.s'),
    lsm_cgroup: verdict(name, 'lsm_cgroup'),
  }));
  const notes = unresolved.size > 0 ? [`protos not found (their helpers are unknown): ${[...unresolved].sort().join(', ')}`] : [];
  return { rules, notes };
}

// ---------------------------------------------------------------------------------------------- kfuncs

interface KfuncSet {
  entries: KfuncRule[];
}

/** Kfunc sets (BTF_SET8_START / BTF_KFUNCS_START ... END) of stripped text. */
export function parseKfuncSets(text: string): Map<string, KfuncSet> {
  const out = new Map<string, KfuncSet>();
  for (const m of text.matchAll(
    /\b(?:BTF_SET8_START|BTF_KFUNCS_START)\s*\(\s*(\w+)\s*\)([\s\S]*?)\b(?:BTF_SET8_END|BTF_KFUNCS_END)\s*\(\s*\1\s*\)/g,
  )) {
    const entries = [...m[2].matchAll(/\bBTF_ID_FLAGS\s*\(\s*func\s*,\s*(\w+)\s*(?:,([^)]*))?\)/g)].map((e) => ({
      name: e[1],
      sleepable: /\bKF_SLEEPABLE\b/.test(e[2] ?? ''),
    }));
    out.set(m[1], { entries });
  }
  return out;
}

/** `struct btf_kfunc_id_set X = { .set = &S, .filter = F }`. */
export function parseKfuncIdSets(text: string): Map<string, { set: string; filter: string | null }> {
  const out = new Map<string, { set: string; filter: string | null }>();
  for (const m of text.matchAll(/\bstruct\s+btf_kfunc_id_set\s+(\w+)\s*=\s*\{([^}]*)\}/g)) {
    const set = /\.set\s*=\s*&\s*(\w+)/.exec(m[2])?.[1];
    if (set) out.set(m[1], { set, filter: /\.filter\s*=\s*(\w+)/.exec(m[2])?.[1] ?? null });
  }
  return out;
}

/** `register_btf_kfunc_id_set(BPF_PROG_TYPE_X, &Y)`: [type, id set]. */
export function parseKfuncRegistrations(text: string): [string, string][] {
  return [...text.matchAll(/\bregister_btf_kfunc_id_set\s*\(\s*(BPF_PROG_TYPE_\w+)\s*,\s*&\s*(\w+)\s*\)/g)].map((m) => [m[1], m[2]]);
}

/** A set filter that lets LSM programs through: `if (... prog->type == BPF_PROG_TYPE_LSM) return 0;` or `prog->type != BPF_PROG_TYPE_LSM ? -EACCES : 0`. */
export function filterPassesLsm(body: string | undefined): boolean {
  if (!body) return false;
  const t = tokenize(body).join(' ');
  return /prog -> type == BPF_PROG_TYPE_LSM (\) )+return 0 ;/.test(t) || /return prog -> type != BPF_PROG_TYPE_LSM \? - \w+ : 0 ;/.test(t);
}

/** Program types whose kfunc sets an LSM program sees: its own hook (LSM and TRACING share one) and the common one. */
const LSM_VISIBLE_TYPES = new Set(['BPF_PROG_TYPE_LSM', 'BPF_PROG_TYPE_TRACING', 'BPF_PROG_TYPE_UNSPEC']);

export function kfuncRules(sources: string[]): { kfuncs: KfuncRule[]; otherKfuncs: string[]; allKfuncs: string[]; notes: string[] } {
  const sets = new Map<string, KfuncSet>();
  const idSets = new Map<string, { set: string; filter: string | null }>();
  const regs: [string, string][] = [];
  const filters = new Map<string, string>();
  for (const src of sources) {
    for (const [k, v] of parseKfuncSets(src)) sets.set(k, v);
    for (const [k, v] of parseKfuncIdSets(src)) idSets.set(k, v);
    regs.push(...parseKfuncRegistrations(src));
    for (const [k, v] of functionBodies(src, /\s*const\s+struct\s+bpf_prog\s+\*\s*prog\s*,\s*u32\s+kfunc_id\s*/)) filters.set(k, v);
  }
  const usable = new Map<string, KfuncRule>();
  // Sets an LSM program may not use for sure: registered (in the literal form) only for other program types.
  const otherSets = new Set<string>();
  const visibleSets = new Set<string>();
  const notes: string[] = [];
  for (const [type, idSetName] of regs) {
    const idSet = idSets.get(idSetName);
    const set = idSet ? sets.get(idSet.set) : undefined;
    if (!idSet || !set) {
      if (LSM_VISIBLE_TYPES.has(type)) notes.push(`${type} registration of ${idSetName} not followed`);
      continue;
    }
    if (!LSM_VISIBLE_TYPES.has(type)) {
      otherSets.add(idSet.set);
      continue;
    }
    visibleSets.add(idSet.set);
    if (idSet.filter && !filterPassesLsm(filters.get(idSet.filter))) continue;
    for (const e of set.entries) {
      const prev = usable.get(e.name);
      usable.set(e.name, { name: e.name, sleepable: (prev?.sleepable ?? false) || e.sleepable });
    }
  }
  const namesOf = (names: Iterable<string>) => new Set([...names].flatMap((n) => (sets.get(n)?.entries ?? []).map((e) => e.name)));
  const notOther = namesOf([...sets.keys()].filter((n) => !otherSets.has(n) || visibleSets.has(n)));
  const other = [...namesOf(otherSets)].filter((n) => !notOther.has(n) && !usable.has(n)).sort();
  const all = new Set([...sets.values()].flatMap((s) => s.entries.map((e) => e.name)));
  const byName = (a: KfuncRule, b: KfuncRule) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return { kfuncs: [...usable.values()].sort(byName), otherKfuncs: other, allKfuncs: [...all].sort(), notes };
}

// ---------------------------------------------------------------------------------------------- the rest

/** `bpf_lsm_<hook>(struct file *file__nullable, ...)` definitions -> hook -> [file]. */
export function parseNullableArgs(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of text.matchAll(/\bbpf_lsm_(\w+)\s*\(([^)]*)\)\s*\{/g)) {
    const names = [...m[2].matchAll(/(\w+)__nullable\b/g)].map((n) => n[1]);
    if (names.length > 0) out[m[1]] = names;
  }
  return out;
}

/**
 * The verifier's words for each refusal, from verifier.c and btf.c (stripped): the first of the forms the
 * releases have used that the source contains. A `%s` naming the context (7.2: "sleepable helper %s#%d in
 * %s") is filled in as non_sleepable_context_description() says for a program without locks held.
 */
export function parseVerifierMessages(verifier: string, btf: string): VerifierMessages {
  const first = (forms: RegExp[], texts: string[]): string | null => {
    for (const text of texts)
      for (const re of forms) {
        const m = new RegExp(`"(${re.source})(?:\\\\n)?"`).exec(text);
        if (m) return m[1];
      }
    return null;
  };
  const context = /return\s+"(non-sleepable prog)"\s*;/.exec(verifier)?.[1];
  const sleeps = first([/helper call might sleep in a non-sleepable prog/, /sleepable helper %s#%d in %s/], [verifier]);
  return {
    refused: first([/program of this type cannot use helper %s#%d/, /unknown func %s#%d/], [verifier]),
    sleeps: sleeps && sleeps.endsWith('in %s') ? (context ? sleeps.replace(/%s$/, context) : null) : sleeps,
    notAllowed: first([/helper call is not allowed in probe/], [verifier]),
    kfuncNotAllowed: first([/calling kernel function %s is not allowed/], [verifier]),
    sleepableKfunc: first(
      [/program must be sleepable to call sleepable kfunc %s/, /kernel function %s is sleepable but the program is not/],
      [verifier, btf],
    ),
  };
}

/** Files a derivation reads, relative to the tree; `*` parts are globs (tar --wildcards). */
export const CALLABLE_SOURCE_GLOBS = [
  'include/uapi/linux/bpf.h',
  'kernel/*.c',
  'fs/*.c',
  'net/*.c',
  'mm/*.c',
  'security/*.c',
  'crypto/*.c',
  'drivers/hid/*.c',
];

/** Derives a release's rules from its files (path -> text). */
export function deriveCallables(files: Map<string, string>): DerivedCallables {
  const need = (p: string) => {
    const t = files.get(p);
    if (t === undefined) throw new Error(`the sources lack ${p}`);
    return t;
  };
  const ids = parseHelperIds(need('include/uapi/linux/bpf.h'));
  const cFiles = [...files.entries()].filter(([p]) => p.endsWith('.c'));
  const stripped = cFiles.map(([, t]) => stripC(t));
  const helpers = helperRules(ids, stripped);
  const kfuncs = kfuncRules(stripped);
  const nullable: Record<string, string[]> = {};
  for (const [p, t] of cFiles) if (/^kernel\/bpf\/bpf_lsm/.test(p)) Object.assign(nullable, parseNullableArgs(stripC(t)));
  const messages = parseVerifierMessages(stripC(need('kernel/bpf/verifier.c')), stripC(files.get('kernel/bpf/btf.c') ?? ''));
  return {
    helpers: helpers.rules,
    kfuncs: kfuncs.kfuncs,
    otherKfuncs: kfuncs.otherKfuncs,
    allKfuncs: kfuncs.allKfuncs,
    nullable,
    messages,
    notes: [...helpers.notes, ...kfuncs.notes],
  };
}
