// Values through code: what each `return` of a program can give back, path by path. Follows local
// variables, conditional expressions (and GNU `?:`), `switch`, loops (a variable they assign is then
// unknown), `goto` to a label of the body, and calls to the file's own `static`/inline functions. It
// also keeps what the path knows of `ret` (the verdict of the program before): zero, non-zero or either,
// from the conditions it took. Work is bounded (statement depth, states, steps, call depth); past a
// bound the result says it is incomplete and callers stay quiet (or fall back to what they did before).
import type { Node, Tree } from 'web-tree-sitter';
import { binaryOp, evalConstant } from './constEval';
import { bodyNodes, children, unparen } from './syntax';

/** What an expression evaluates to on one path. */
export type Value =
  /** A known integer; `origin` is where it was written (a literal, an errno name, a ternary arm...). */
  | { kind: 'const'; value: number; origin: Node }
  /** The program's `ret` argument, unchanged. */
  | { kind: 'ret' }
  /** Anything; `mayBeRet` when it may carry `ret` on (a call given `ret`, a join with `ret`). */
  | { kind: 'unknown'; mayBeRet: boolean };

/** What a path knows of `ret`. */
export type RetFact = 'any' | 'zero' | 'nonzero';

export interface ReturnOutcome {
  /** The return statement of the analysed body. */
  stmt: Node;
  value: Value;
  ret: RetFact;
}

export interface FlowResult {
  /** False when a bound was hit or something was not understood: the outcomes are then partial. */
  complete: boolean;
  outcomes: ReturnOutcome[];
  /** A path reaches the end of the body without a return. */
  fallsOff: boolean;
}

interface State {
  env: ReadonlyMap<string, Value>;
  ret: RetFact;
  /** Truth of plain variables the path tested (`if (file)`), dropped when they are assigned. */
  truth: ReadonlyMap<string, boolean>;
}

interface Exits {
  normal: State[];
  breaks: State[];
  continues: State[];
}

const UNKNOWN: Value = { kind: 'unknown', mayBeRet: false };
const RET: Value = { kind: 'ret' };

/** Bounds: statement nesting, states kept at once, statement steps per analysis, nested calls, gotos per path. */
const MAX_NESTING = 64;
const MAX_STATES = 16;
const MAX_STEPS = 200_000;
const MAX_CALL_DEPTH = 3;
const MAX_GOTOS = 8;
const MAX_EXPRESSION_DEPTH = 200;

class Incomplete extends Error {}

/** The file's functions by name (top level and inside `#if` blocks), for calls to them. */
const functionIndexes = new WeakMap<Tree, Map<string, Node>>();

function fileFunctions(tree: Tree): Map<string, Node> {
  let map = functionIndexes.get(tree);
  if (map) return map;
  map = new Map();
  const stack: Node[] = [tree.rootNode];
  while (stack.length > 0) {
    const n = stack.pop()!;
    for (const c of n.namedChildren) {
      if (!c) continue;
      if (c.type === 'function_definition') {
        const decl = c.childForFieldName('declarator');
        const fn = decl?.type === 'function_declarator' ? decl : decl?.namedChildren.find((x) => x?.type === 'function_declarator');
        const name = fn?.childForFieldName('declarator');
        if (name?.type === 'identifier' && !map.has(name.text)) map.set(name.text, c);
      } else if (/^preproc_(if|ifdef|else|elif|elifdef)$/.test(c.type)) stack.push(c);
    }
  }
  functionIndexes.set(tree, map);
  return map;
}

/** Is this function one the compiler inlines or keeps private to the file (`static`, `__always_inline`)? */
function isFileLocal(fn: Node): boolean {
  const head = fn.text.slice(0, Math.max(0, (fn.childForFieldName('body')?.startIndex ?? fn.startIndex) - fn.startIndex));
  return /\b(static|inline|__always_inline|__inline|__inline__)\b/.test(head);
}

/** `int x`, `int (x)`: x, a plain integer; `int *p`, `int a[4]`: p and a, whose values are not followed. */
function declaredName(declarator: Node | null): { name: string; plain: boolean } | null {
  let d = declarator;
  let plain = true;
  for (let i = 0; d && d.type !== 'identifier' && i < 16; i++) {
    if (d.type === 'pointer_declarator' || d.type === 'array_declarator' || d.type === 'function_declarator') plain = false;
    d = d.childForFieldName('declarator') ?? d.namedChildren[0] ?? null;
  }
  return d?.type === 'identifier' ? { name: d.text, plain } : null;
}

function sameValue(a: Value, b: Value): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'const') return b.kind === 'const' && a.value === b.value && a.origin.startIndex === b.origin.startIndex;
  if (a.kind === 'unknown') return b.kind === 'unknown' && a.mayBeRet === b.mayBeRet;
  return true;
}

function mayBeRet(v: Value): boolean {
  return v.kind === 'ret' || (v.kind === 'unknown' && v.mayBeRet);
}

function join(a: Value, b: Value): Value {
  return sameValue(a, b) ? a : { kind: 'unknown', mayBeRet: mayBeRet(a) || mayBeRet(b) };
}

function assign(s: State, name: string, value: Value): State {
  const env = new Map(s.env);
  env.set(name, value);
  if (!s.truth.has(name)) return { ...s, env };
  const truth = new Map(s.truth);
  truth.delete(name);
  return { env, ret: s.ret, truth };
}

/** Many states become a few: those that know the same of `ret` are joined variable by variable. */
function widen(states: State[]): State[] {
  if (states.length <= MAX_STATES) return states;
  const groups = new Map<RetFact, State>();
  for (const s of states) {
    const g = groups.get(s.ret);
    if (!g) {
      groups.set(s.ret, s);
      continue;
    }
    const env = new Map<string, Value>();
    for (const [k, v] of g.env) {
      const w = s.env.get(k);
      env.set(k, w ? join(v, w) : UNKNOWN);
    }
    const truth = new Map<string, boolean>();
    for (const [k, v] of g.truth) if (s.truth.get(k) === v) truth.set(k, v);
    groups.set(s.ret, { env, ret: s.ret, truth });
  }
  return [...groups.values()];
}

/** What a comparison of `ret` with 0 says: `ret != 0`, `ret < 0`, `0 > ret` → non-zero when true. */
function retTest(op: string, retOnLeft: boolean): { t: RetFact; f: RetFact } | null {
  // A verdict is 0 or a negative errno: `ret < 0` and `ret != 0` agree, and so do `ret >= 0` and `ret == 0`.
  const o = retOnLeft ? op : (({ '<': '>', '>': '<', '<=': '>=', '>=': '<=' } as Record<string, string>)[op] ?? op);
  switch (o) {
    case '!=':
    case '<':
      return { t: 'nonzero', f: 'zero' };
    case '==':
    case '>=':
      return { t: 'zero', f: 'nonzero' };
    default:
      return null;
  }
}

interface Alt {
  value: Value;
  state: State;
}

/** One function body being run over abstract states. */
class BodyRun {
  readonly outcomes: ReturnOutcome[] = [];
  fallsOff = false;
  private labelled: Map<string, Node> | undefined;
  /**
   * Block scopes, innermost last: a name to the key its value is kept under (`err@120`: the declaration
   * at offset 120), so that a block's own `err` does not stand for the one outside it. Parameters keep
   * their name.
   */
  private scopes: Map<string, string>[];

  constructor(
    private readonly flow: FlowContext,
    private readonly body: Node,
    params: Iterable<string>,
    private readonly callDepth: number,
  ) {
    this.scopes = [new Map([...params].map((p) => [p, p]))];
  }

  /** The key of a local variable or parameter in scope; undefined for globals and names not declared. */
  private resolve(name: string): string | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const key = this.scopes[i].get(name);
      if (key !== undefined) return key;
    }
    return undefined;
  }

  private inScope<T>(run: () => T): T {
    this.scopes.push(new Map());
    try {
      return run();
    } finally {
      this.scopes.pop();
    }
  }

  run(start: State): void {
    const exits = this.stmt(this.body, [start], 0, 0);
    if (exits.normal.length > 0) this.fallsOff = true;
  }

  // ---- statements ----

  private stmt(node: Node, states: State[], depth: number, gotos: number): Exits {
    const none: Exits = { normal: [], breaks: [], continues: [] };
    if (states.length === 0) return none;
    if (depth > MAX_NESTING) throw new Incomplete();
    this.flow.steps += states.length;
    if (this.flow.steps > MAX_STEPS) throw new Incomplete();
    switch (node.type) {
      case 'compound_statement':
        return this.inScope(() => this.block(node, states, depth, gotos));
      case 'declaration':
        return { ...none, normal: this.declaration(node, states) };
      case 'expression_statement': {
        const e = node.namedChildren.find((c) => c && c.type !== 'comment');
        if (!e) return { ...none, normal: states };
        return { ...none, normal: widen(states.flatMap((s) => this.expr(e, s).map((a) => a.state))) };
      }
      case 'return_statement': {
        const v = children(node)[0];
        for (const s of states) {
          const alts = v ? this.expr(v, s) : [{ value: UNKNOWN, state: s }];
          for (const a of alts) this.outcomes.push({ stmt: node, value: a.value, ret: a.state.ret });
        }
        return none;
      }
      case 'if_statement': {
        const cond = node.childForFieldName('condition');
        const cons = node.childForFieldName('consequence');
        const altNode = node.childForFieldName('alternative');
        const alt = altNode?.type === 'else_clause' ? (children(altNode)[0] ?? null) : altNode;
        if (!cond || !cons) throw new Incomplete();
        const t: State[] = [];
        const f: State[] = [];
        for (const s of states) {
          const b = this.branches(cond, s);
          t.push(...b.t);
          f.push(...b.f);
        }
        const a = this.stmt(cons, widen(t), depth + 1, gotos);
        const b = alt ? this.stmt(alt, widen(f), depth + 1, gotos) : { ...none, normal: f };
        return {
          normal: widen([...a.normal, ...b.normal]),
          breaks: [...a.breaks, ...b.breaks],
          continues: [...a.continues, ...b.continues],
        };
      }
      case 'switch_statement':
        return { ...none, normal: this.switchStmt(node, states, depth, gotos) };
      case 'while_statement':
      case 'for_statement':
      case 'do_statement':
        return { ...none, normal: this.loop(node, states, depth, gotos) };
      case 'break_statement':
        return { ...none, breaks: states };
      case 'continue_statement':
        return { ...none, continues: states };
      case 'goto_statement': {
        const target = this.label(node.childForFieldName('label')?.text ?? '');
        // Only labels of the body's own statement list, as `out: return ret;` at the end is written.
        if (!target || gotos >= MAX_GOTOS || target.parent?.startIndex !== this.body.startIndex) throw new Incomplete();
        const siblings = children(this.body);
        const from = siblings.findIndex((c) => c.startIndex === target.startIndex);
        // The label's statements see the body's variables, not those of the block the goto is in.
        const saved = this.scopes;
        this.scopes = saved.slice(0, 2);
        try {
          let current = states;
          for (const c of siblings.slice(from)) {
            const e = this.stmt(c, current, depth + 1, gotos + 1);
            if (e.breaks.length > 0 || e.continues.length > 0) throw new Incomplete();
            current = widen(e.normal);
            if (current.length === 0) break;
          }
          if (current.length > 0) this.fallsOff = true;
        } finally {
          this.scopes = saved;
        }
        return none;
      }
      case 'labeled_statement': {
        const inner = children(node).find((c) => c.type !== 'statement_identifier');
        return inner ? this.stmt(inner, states, depth + 1, gotos) : { ...none, normal: states };
      }
      case 'preproc_call': // `#pragma unroll`
      case 'type_definition':
      case 'struct_specifier':
      case 'enum_specifier':
      case 'union_specifier':
        return { ...none, normal: states };
      default:
        // asm, #if inside the body, broken code: not understood.
        throw new Incomplete();
    }
  }

  private block(node: Node, states: State[], depth: number, gotos: number): Exits {
    let current = states;
    const out: Exits = { normal: [], breaks: [], continues: [] };
    for (const c of children(node)) {
      const e = this.stmt(c, current, depth + 1, gotos);
      out.breaks.push(...e.breaks);
      out.continues.push(...e.continues);
      current = widen(e.normal);
      if (current.length === 0) break;
    }
    out.normal = current;
    return out;
  }

  private label(name: string): Node | null {
    if (!this.labelled) {
      this.labelled = new Map();
      for (const l of bodyNodes(this.body, 'labeled_statement')) {
        const n = l.childForFieldName('label')?.text;
        if (n) this.labelled.set(n, l);
      }
    }
    return this.labelled.get(name) ?? null;
  }

  private declare(name: string, at: Node): string {
    const key = `${name}@${at.startIndex}`;
    this.scopes[this.scopes.length - 1].set(name, key);
    return key;
  }

  private declaration(node: Node, states: State[]): State[] {
    let current = states;
    for (const d of node.childrenForFieldName('declarator')) {
      if (!d) continue;
      const init = d.type === 'init_declarator';
      const declared = declaredName(init ? d.childForFieldName('declarator') : d);
      if (!declared) continue;
      const value = init ? d.childForFieldName('value') : null;
      // The initialiser is evaluated before the name is in scope (`int err = err;` reads the outer one).
      const alts =
        value && value.type !== 'initializer_list'
          ? current.flatMap((s) => this.expr(value, s))
          : current.map((s) => ({ value: UNKNOWN, state: s }));
      const key = this.declare(declared.name, d);
      current = widen(alts.map((a) => assign(a.state, key, declared.plain ? a.value : UNKNOWN)));
    }
    return current;
  }

  private switchStmt(node: Node, states: State[], depth: number, gotos: number): State[] {
    return this.inScope(() => this.switchCases(node, states, depth, gotos));
  }

  private switchCases(node: Node, states: State[], depth: number, gotos: number): State[] {
    const cond = node.childForFieldName('condition');
    const body = node.childForFieldName('body');
    if (!cond || !body) throw new Incomplete();
    const cases = children(body).filter((c) => c.type === 'case_statement');
    if (cases.length !== children(body).length) throw new Incomplete();
    const subject = unparen(cond);
    const caseValues = cases.map((c) => {
      const v = c.childForFieldName('value');
      return v ? evalConstant(v, this.flow.defines) : undefined;
    });
    if (caseValues.some((v) => v === null)) throw new Incomplete();
    const hasZeroCase = caseValues.includes(0);
    const out: State[] = [];
    let fall: State[] = [];
    for (const [i, c] of cases.entries()) {
      const cv = caseValues[i];
      const entering: State[] = [...fall];
      for (const s of states) {
        for (const a of this.expr(subject, s)) {
          const v = a.value;
          if (cv === undefined) {
            // default: none of the cases matched.
            if (v.kind === 'const' && caseValues.includes(v.value)) continue;
            entering.push(...this.noCaseMatched(v, a.state, hasZeroCase));
          } else if (v.kind === 'const') {
            if (v.value === cv) entering.push(a.state);
          } else if (v.kind === 'ret') {
            const fact: RetFact = cv === 0 ? 'zero' : 'nonzero';
            if (a.state.ret === 'any' || a.state.ret === fact) entering.push(this.withRet(a.state, fact));
          } else entering.push(a.state);
        }
      }
      let current = widen(entering);
      for (const st of children(c).filter((x) => x.startIndex >= (c.childForFieldName('value')?.endIndex ?? c.startIndex))) {
        const e = this.stmt(st, current, depth + 1, gotos);
        out.push(...e.breaks);
        if (e.continues.length > 0) throw new Incomplete();
        current = widen(e.normal);
        if (current.length === 0) break;
      }
      fall = current;
    }
    out.push(...fall);
    if (!caseValues.includes(undefined)) {
      // No default: a value no case names goes past the switch.
      for (const s of states) {
        for (const a of this.expr(subject, s)) {
          const v = a.value;
          if (v.kind === 'const' && caseValues.includes(v.value)) continue;
          out.push(...this.noCaseMatched(v, a.state, hasZeroCase));
        }
      }
    }
    return widen(out);
  }

  /** The path on which no case matched `v`: ret is then non-zero when a case is 0 (none when ret is known 0). */
  private noCaseMatched(v: Value, s: State, hasZeroCase: boolean): State[] {
    if (v.kind !== 'ret' || !hasZeroCase) return [s];
    return s.ret === 'zero' ? [] : [this.withRet(s, 'nonzero')];
  }

  private withRet(s: State, fact: RetFact): State {
    return { ...s, ret: fact };
  }

  /** A loop runs its body any number of times: what it assigns is unknown before, in and after it. */
  private loop(node: Node, states: State[], depth: number, gotos: number): State[] {
    return this.inScope(() => this.loopIn(node, states, depth, gotos));
  }

  private loopIn(node: Node, states: State[], depth: number, gotos: number): State[] {
    const assigned = new Set<string>();
    for (const a of node.descendantsOfType(['assignment_expression', 'update_expression'])) {
      const target = a?.type === 'assignment_expression' ? a.childForFieldName('left') : a?.childForFieldName('argument');
      if (target && unparen(target).type === 'identifier') assigned.add(unparen(target).text);
    }
    let entry = states;
    if (node.type === 'for_statement') {
      const init = node.childForFieldName('initializer');
      if (init)
        entry = init.type === 'declaration' ? this.declaration(init, entry) : entry.flatMap((s) => this.expr(init, s).map((a) => a.state));
    }
    // Keys as the loop sees them (its own `for (int i...)` included); variables declared in its body are
    // declared afresh on each round.
    const keys = [...assigned].map((name) => this.resolve(name)).filter((k): k is string => k !== undefined);
    const havoc = (s: State): State => {
      let r: State = s;
      for (const key of keys) r = assign(r, key, { kind: 'unknown', mayBeRet: mayBeRet(s.env.get(key) ?? UNKNOWN) });
      return r;
    };
    entry = entry.map(havoc);
    const cond = node.childForFieldName('condition');
    const body = node.childForFieldName('body');
    if (!body) throw new Incomplete();
    // A path enters the body when the condition may hold (a do body always runs once).
    const inBody: State[] = [];
    const skip: State[] = [];
    for (const s of entry) {
      if (node.type === 'do_statement' || !cond) inBody.push(s);
      else {
        const b = this.branches(cond, s);
        inBody.push(...b.t);
        skip.push(...b.f);
      }
    }
    const e = this.stmt(body, widen(inBody), depth + 1, gotos);
    const after: State[] = [...skip, ...e.breaks];
    // Around again or out: the condition decides, on what the body left (already unknown where it assigns).
    for (const s of [...e.normal, ...e.continues].map(havoc)) {
      if (!cond) {
        if (node.type === 'do_statement') after.push(s);
        continue;
      }
      after.push(...this.branches(cond, s).f);
    }
    return widen(after);
  }

  // ---- expressions ----

  /** Splits a state on a condition: the states where it holds, and where it does not. */
  private branches(cond: Node, s: State): { t: State[]; f: State[] } {
    if (++this.exprDepth > MAX_EXPRESSION_DEPTH) throw new Incomplete();
    try {
      return this.branchesAt(unparen(cond), s);
    } finally {
      this.exprDepth--;
    }
  }

  private branchesAt(c: Node, s: State): { t: State[]; f: State[] } {
    if (c.type === 'unary_expression' && c.child(0)?.type === '!') {
      const arg = c.childForFieldName('argument');
      if (arg) {
        const b = this.branches(arg, s);
        return { t: b.f, f: b.t };
      }
    }
    if (c.type === 'binary_expression') {
      const op = c.childForFieldName('operator')?.type ?? '';
      const l = c.childForFieldName('left');
      const r = c.childForFieldName('right');
      if (l && r && (op === '&&' || op === '||')) {
        const a = this.branches(l, s);
        if (op === '&&') {
          const t: State[] = [];
          const f: State[] = [...a.f];
          for (const x of a.t) {
            const b = this.branches(r, x);
            t.push(...b.t);
            f.push(...b.f);
          }
          return { t: widen(t), f: widen(f) };
        }
        const t: State[] = [...a.t];
        const f: State[] = [];
        for (const x of a.f) {
          const b = this.branches(r, x);
          t.push(...b.t);
          f.push(...b.f);
        }
        return { t: widen(t), f: widen(f) };
      }
      if (l && r) {
        const isZero = (n: Node) => {
          const v = evalConstant(unparen(n), this.flow.defines);
          return v === 0;
        };
        const retOnLeft = isZero(r);
        const side = retOnLeft ? l : isZero(l) ? r : null;
        if (side) {
          const t: State[] = [];
          const f: State[] = [];
          const exact = op === '==' || op === '!=';
          for (const a of this.expr(side, s)) {
            if (a.value.kind === 'const') {
              const x = retOnLeft ? binaryOp(op, a.value.value, 0) : binaryOp(op, 0, a.value.value);
              if (x !== 0) t.push(a.state);
              if (x !== 1) f.push(a.state);
            } else this.splitOnZero(side, a, retTest(op, retOnLeft), t, f, exact);
          }
          return { t, f };
        }
      }
    }
    const t: State[] = [];
    const f: State[] = [];
    for (const a of this.expr(c, s)) this.splitOnZero(c, a, { t: 'nonzero', f: 'zero' }, t, f);
    return { t, f };
  }

  /** Splits on whether `node` (valued `a`) is non-zero (`test` says which outcome means what). */
  private splitOnZero(node: Node, a: Alt, test: { t: RetFact; f: RetFact } | null, t: State[], f: State[], exact = true): void {
    const { value, state } = a;
    if (!test) {
      t.push(state);
      f.push(state);
      return;
    }
    if (value.kind === 'const') {
      const nonzero = value.value !== 0;
      (nonzero === (test.t === 'nonzero') ? t : f).push(state);
      return;
    }
    if (value.kind === 'ret') {
      for (const [fact, list] of [
        [test.t, t],
        [test.f, f],
      ] as const) {
        if (state.ret === 'any' || state.ret === fact) list.push(this.withRet(state, fact));
      }
      return;
    }
    const n = unparen(node);
    if (n.type === 'identifier' && exact) {
      const key = this.resolve(n.text) ?? n.text;
      const known = state.truth.get(key);
      const truthT = test.t === 'nonzero';
      for (const [holds, list] of [
        [truthT, t],
        [!truthT, f],
      ] as const) {
        if (known === undefined) {
          const truth = new Map(state.truth);
          truth.set(key, holds);
          list.push({ ...state, truth });
        } else if (known === holds) list.push(state);
      }
      return;
    }
    t.push(state);
    f.push(state);
  }

  private exprDepth = 0;

  /** Every value the expression may have on this path, each with the state after evaluating it. */
  expr(node: Node, s: State): Alt[] {
    if (++this.exprDepth > MAX_EXPRESSION_DEPTH) throw new Incomplete();
    try {
      return this.exprAt(unparen(node), s);
    } finally {
      this.exprDepth--;
    }
  }

  private exprAt(n: Node, s: State): Alt[] {
    switch (n.type) {
      case 'identifier': {
        const key = this.resolve(n.text);
        if (key === undefined) return [{ value: this.constant(n), state: s }];
        const v = s.env.get(key);
        // A variable whose address is taken may change behind the flow's back: only `ret`-ness survives.
        if (v !== undefined && !this.flow.addressTaken.has(n.text)) return [{ value: v, state: s }];
        return [{ value: v && mayBeRet(v) ? { kind: 'unknown', mayBeRet: true } : UNKNOWN, state: s }];
      }
      case 'number_literal':
      case 'true':
      case 'false':
        return [{ value: this.constant(n), state: s }];
      case 'cast_expression': {
        const v = n.childForFieldName('value');
        return v ? this.expr(v, s) : [{ value: UNKNOWN, state: s }];
      }
      case 'conditional_expression': {
        const cond = n.childForFieldName('condition');
        const cons = n.childForFieldName('consequence');
        const alt = n.childForFieldName('alternative');
        if (!cond || !alt) return [{ value: UNKNOWN, state: s }];
        const out: Alt[] = [];
        if (!cons) {
          // GNU `a ?: b`: a when a is non-zero.
          for (const a of this.expr(cond, s)) {
            const t: State[] = [];
            const f: State[] = [];
            this.splitOnZero(cond, a, { t: 'nonzero', f: 'zero' }, t, f);
            for (const st of t) out.push({ value: a.value, state: st });
            for (const st of f) out.push(...this.expr(alt, st));
          }
        } else {
          const b = this.branches(cond, s);
          for (const st of b.t) out.push(...this.expr(cons, st));
          for (const st of b.f) out.push(...this.expr(alt, st));
        }
        return this.bound(out);
      }
      case 'assignment_expression': {
        const left = n.childForFieldName('left');
        const right = n.childForFieldName('right');
        const op = n.childForFieldName('operator')?.type ?? '=';
        if (!left || !right) return [{ value: UNKNOWN, state: s }];
        const target = unparen(left);
        const alts = this.expr(right, s);
        const key = target.type === 'identifier' ? this.resolve(target.text) : undefined;
        if (key === undefined) return alts;
        return alts.map((a) => {
          let value = a.value;
          if (op !== '=') {
            const old = a.state.env.get(key) ?? UNKNOWN;
            const r = old.kind === 'const' && value.kind === 'const' ? binaryOp(op.slice(0, -1), old.value, value.value) : null;
            value = r === null || !Number.isSafeInteger(r) ? UNKNOWN : { kind: 'const', value: r, origin: n };
          }
          return { value, state: assign(a.state, key, value) };
        });
      }
      case 'update_expression': {
        const arg = n.childForFieldName('argument');
        const target = arg ? unparen(arg) : null;
        const key = target?.type === 'identifier' ? this.resolve(target.text) : undefined;
        if (key !== undefined) return [{ value: UNKNOWN, state: assign(s, key, UNKNOWN) }];
        return [{ value: UNKNOWN, state: s }];
      }
      case 'comma_expression': {
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        if (!l || !r) return [{ value: UNKNOWN, state: s }];
        return this.bound(this.expr(l, s).flatMap((a) => this.expr(r, a.state)));
      }
      case 'unary_expression': {
        const arg = n.childForFieldName('argument');
        const op = n.child(0)?.type ?? '';
        if (!arg) return [{ value: UNKNOWN, state: s }];
        return this.expr(arg, s).map((a) => {
          if (a.value.kind !== 'const') return { value: UNKNOWN, state: a.state };
          const v = a.value.value;
          const r = op === '-' ? -v : op === '+' ? v : op === '!' ? (v ? 0 : 1) : op === '~' ? ~v : null;
          return { value: r === null ? UNKNOWN : { kind: 'const', value: r, origin: n }, state: a.state };
        });
      }
      case 'binary_expression': {
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        const op = n.childForFieldName('operator')?.type ?? '';
        if (!l || !r) return [{ value: UNKNOWN, state: s }];
        if (op === '&&' || op === '||') {
          const b = this.branches(n, s);
          return [
            ...b.t.map((st) => ({ value: this.literal(1, n), state: st })),
            ...b.f.map((st) => ({ value: this.literal(0, n), state: st })),
          ];
        }
        const out: Alt[] = [];
        for (const a of this.expr(l, s)) {
          for (const b of this.expr(r, a.state)) {
            const x = a.value.kind === 'const' && b.value.kind === 'const' ? binaryOp(op, a.value.value, b.value.value) : null;
            out.push({ value: x === null || !Number.isSafeInteger(x) ? UNKNOWN : { kind: 'const', value: x, origin: n }, state: b.state });
          }
        }
        return this.bound(out);
      }
      case 'call_expression':
        return this.call(n, s);
      default:
        return [{ value: UNKNOWN, state: s }];
    }
  }

  private literal(value: number, origin: Node): Value {
    return { kind: 'const', value, origin };
  }

  private constant(n: Node): Value {
    const v = evalConstant(n, this.flow.defines);
    return v === null ? UNKNOWN : { kind: 'const', value: v, origin: n };
  }

  private bound(alts: Alt[]): Alt[] {
    if (alts.length > MAX_STATES * 4) throw new Incomplete();
    return alts;
  }

  /** A call: into the file's own static/inline function when it can be followed, else unknown. */
  private call(n: Node, s: State): Alt[] {
    const fnName = n.childForFieldName('function');
    const args = n.childForFieldName('arguments')?.namedChildren.filter((a): a is Node => !!a && a.type !== 'comment') ?? [];
    // Arguments are evaluated (their assignments count); each joined into one value for the callee.
    let states: Alt[] = [{ value: UNKNOWN, state: s }];
    const argValues: Value[] = [];
    for (const a of args) {
      const alts = this.bound(states.flatMap((x) => this.expr(a, x.state)));
      argValues.push(alts.map((x) => x.value).reduce(join));
      states = alts;
    }
    const after = widen(states.map((x) => x.state));
    const anyRet = argValues.some(mayBeRet);
    const opaque = after.map((st) => ({ value: { kind: 'unknown', mayBeRet: anyRet } as Value, state: st }));
    const fn = fnName?.type === 'identifier' ? this.flow.functions.get(fnName.text) : undefined;
    if (!fn || !isFileLocal(fn) || this.callDepth >= MAX_CALL_DEPTH || this.flow.calling.has(fnName!.text)) return opaque;
    const body = fn.childForFieldName('body');
    const params = functionParams(fn);
    if (!body || !params || params.length !== argValues.length) return opaque;
    const out: Alt[] = [];
    this.flow.calling.add(fnName!.text);
    try {
      for (const st of after) {
        const env = new Map<string, Value>(params.map((p, i) => [p, argValues[i]]));
        const callee = new BodyRun(this.flow, body, params, this.callDepth + 1);
        try {
          callee.run({ env, ret: st.ret, truth: new Map() });
        } catch (e) {
          if (!(e instanceof Incomplete)) throw e;
          out.push({ value: { kind: 'unknown', mayBeRet: anyRet }, state: st });
          continue;
        }
        if (callee.fallsOff) out.push({ value: UNKNOWN, state: st });
        for (const o of callee.outcomes) {
          out.push({ value: o.value, state: this.withRet(st, o.ret) });
        }
      }
    } finally {
      this.flow.calling.delete(fnName!.text);
    }
    return this.bound(out);
  }
}

/** Parameter names of a function definition, or null when one is unnamed or not plain. */
function functionParams(fn: Node): string[] | null {
  let decl = fn.childForFieldName('declarator');
  while (decl && decl.type !== 'function_declarator') decl = decl.childForFieldName('declarator');
  const list = decl?.childForFieldName('parameters');
  if (!list) return null;
  const names: string[] = [];
  for (const p of list.namedChildren) {
    if (!p || p.type === 'comment') continue;
    if (p.type !== 'parameter_declaration') return null;
    const d = p.childForFieldName('declarator');
    if (!d) {
      if (p.text.trim() === 'void') continue;
      return null;
    }
    let x: Node | null = d;
    while (x && x.type !== 'identifier') x = x.childForFieldName('declarator');
    if (!x) return null;
    names.push(x.text);
  }
  return names;
}

interface FlowContext {
  defines: Map<string, string>;
  functions: Map<string, Node>;
  addressTaken: Set<string>;
  calling: Set<string>;
  steps: number;
}

const flows = new WeakMap<Node, Map<string, FlowResult>>();

const ADDRESS_OF = /(?:^|[^&\w)\]\s])\s*&\s*([A-Za-z_]\w*)/g;

/**
 * What the returns of a program body give back. `retName` is the program's `ret` argument (null when
 * it has none). Cached per body, so the checks that ask share one run.
 */
export function programFlow(body: Node, retName: string | null, defines: Map<string, string>, text: string): FlowResult {
  let byRet = flows.get(body);
  if (!byRet) flows.set(body, (byRet = new Map()));
  const key = retName ?? '';
  const cached = byRet.get(key);
  if (cached) return cached;
  // `&name` where `&` takes an address (not `a & b`, not `&&`), read from the text: a name in a comment or
  // a string too only makes the flow know less.
  const addressTaken = new Set<string>();
  for (const m of text.slice(body.startIndex, body.endIndex).matchAll(ADDRESS_OF)) addressTaken.add(m[1]);
  const flow: FlowContext = { defines, functions: fileFunctions(body.tree), addressTaken, calling: new Set(), steps: 0 };
  const run = new BodyRun(flow, body, retName ? [retName] : [], 0);
  let result: FlowResult;
  try {
    run.run({ env: new Map(retName ? [[retName, RET]] : []), ret: 'any', truth: new Map() });
    result = { complete: true, outcomes: run.outcomes, fallsOff: run.fallsOff };
  } catch (e) {
    if (!(e instanceof Incomplete) && !(e instanceof RangeError)) throw e;
    result = { complete: false, outcomes: run.outcomes, fallsOff: run.fallsOff };
  }
  byRet.set(key, result);
  return result;
}

/** Could this outcome let the operation through: 0, or `ret` while it may be 0, or a value not known? */
export function mayAllow(o: ReturnOutcome): boolean {
  if (o.value.kind === 'const') return o.value.value === 0;
  if (o.value.kind === 'ret') return o.ret !== 'nonzero';
  return true;
}
