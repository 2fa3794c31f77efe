// missing-ret-passthrough: an int-hook program that does not pass `int ret` on (the verdict of the program
// before it). The kernel runs a hook's BPF programs only until one returns non-zero, so `ret` is 0 whenever
// a program runs and no denial can be overridden (examples/verdict-chain, on every VM kernel): a hint that
// follows the kernel documentation's convention (`if (ret != 0) return ret;`), not a warning.
import type { Node } from 'web-tree-sitter';
import { isIntegerScalar } from '../../ctext/cDecl';
import { programArgs } from '../../hooks/hookFacts';
import type { Finding } from '../findings';
import type { FileModel } from '../programs';
import { bodyNodes, branch, children, labels, returnValue, unparen } from '../syntax';
import { programFlow } from '../valueFlow';
import { hasTypedArgs, takesRetSlot, type ProgramContext } from './context';
import { insertPassthroughEdit, rewriteArgsEdit } from './prototypeEdits';

/** Conditions that hold whenever `ret` is non-zero: `ret`, `ret != 0`, `0 != ret`, `ret < 0`, `... || ret`. */
function holdsWhenRetSet(cond: Node, ret: string): boolean {
  const isRet = (x: Node) => unparen(x).type === 'identifier' && unparen(x).text === ret;
  const isZero = (x: Node) => /^0[uUlL]*$/.test(unparen(x).text);
  // `a || b || c` nests as deep as the chain is long: an explicit stack, not recursion.
  const pending = [cond];
  while (pending.length > 0) {
    const n = unparen(pending.pop()!);
    if (n.type === 'identifier') {
      if (n.text === ret) return true;
      continue;
    }
    if (n.type !== 'binary_expression') continue;
    const op = n.childForFieldName('operator')?.type;
    const l = n.childForFieldName('left');
    const r = n.childForFieldName('right');
    if (!l || !r) continue;
    if (op === '||') pending.push(r, l);
    else if (op === '!=' && ((isRet(l) && isZero(r)) || (isZero(l) && isRet(r)))) return true;
    // A verdict is 0 or a negative errno, so "non-zero" and "negative" agree.
    else if (op === '<' && isRet(l) && isZero(r)) return true;
    else if (op === '>' && isZero(l) && isRet(r)) return true;
  }
  return false;
}

/** `ret`, or `ret ? ret : x` / `ret != 0 ? ret : x` (nested as deep as written). */
function givesBackRet(value: Node | null, ret: string): boolean {
  let v = value;
  while (v?.type === 'conditional_expression') {
    const cond = v.childForFieldName('condition');
    const then = v.childForFieldName('consequence');
    if (!cond || !then || !holdsWhenRetSet(cond, ret)) return false;
    v = unparen(then);
  }
  return v?.type === 'identifier' && v.text === ret;
}

/** Does any of `nodes` (in document order) start inside `stmt`? A binary search, no tree walk. */
function startsWithin(nodes: Node[], stmt: Node): boolean {
  let lo = 0;
  let hi = nodes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (nodes[mid].startIndex < stmt.startIndex) lo = mid + 1;
    else hi = mid;
  }
  return lo < nodes.length && nodes[lo].startIndex < stmt.endIndex;
}

/** A statement being walked: its parts, and how their results make its own. */
interface Frame {
  parts: Node[];
  next: number;
  /** any: guarded once a part is (the rest is not walked); all: guarded if every part is; none: never. */
  combine: 'any' | 'all' | 'none';
  guarded: boolean;
}

class PassthroughWalk {
  offending: Node | null = null;
  private labelled: Map<string, Node> | undefined;

  constructor(
    private readonly body: Node,
    private readonly ret: string,
  ) {}

  private label(name: string): Node | null {
    this.labelled ??= labels(this.body);
    return this.labelled.get(name) ?? null;
  }

  private containsExit(stmt: Node): boolean {
    return startsWithin(bodyNodes(this.body, 'return_statement'), stmt) || startsWithin(bodyNodes(this.body, 'goto_statement'), stmt);
  }

  /** Does this statement always leave the program returning `ret`? (Bounded depth: a guard is short.) */
  private exitsWithRet(stmt: Node | null, depth = 0): boolean {
    if (!stmt || depth > 8) return false;
    switch (stmt.type) {
      case 'return_statement':
        return givesBackRet(returnValue(stmt), this.ret);
      case 'goto_statement':
        return this.exitsWithRet(this.label(stmt.childForFieldName('label')?.text ?? ''), depth + 1);
      case 'labeled_statement':
        return this.exitsWithRet(children(stmt).find((c) => c.type !== 'statement_identifier') ?? null, depth + 1);
      case 'compound_statement':
        for (const s of children(stmt)) {
          if (this.exitsWithRet(s, depth + 1)) return true;
          if (this.containsExit(s)) return false;
        }
        return false;
      default:
        return false;
    }
  }

  /**
   * Walks a statement and what it holds, recording the first return that can run while `ret` is set;
   * returns whether every path past it is already guarded. Statements nest as deep as the source does
   * (thousands of `{` or `if`), so this keeps its own stack rather than recursing.
   */
  walk(root: Node): boolean {
    const stack: Frame[] = [];
    let finished = this.enter(root, stack);
    for (;;) {
      const top = stack[stack.length - 1];
      if (!top) return finished!;
      if (finished !== null) {
        if (top.combine === 'any' && finished) {
          top.guarded = true;
          top.next = top.parts.length;
        } else if (top.combine === 'all') {
          top.guarded &&= finished;
        }
      }
      if (top.next < top.parts.length) {
        finished = this.enter(top.parts[top.next++], stack);
      } else {
        stack.pop();
        finished = top.guarded;
      }
    }
  }

  /** Starts on one statement: its result when it has no parts to walk, else null (a frame is pushed). */
  private enter(stmt: Node, stack: Frame[]): boolean | null {
    const push = (parts: (Node | null | undefined)[], combine: Frame['combine'], guarded: boolean) => {
      stack.push({ parts: parts.filter((p): p is Node => !!p), next: 0, combine, guarded });
      return null;
    };
    switch (stmt.type) {
      case 'compound_statement':
        return push(children(stmt), 'any', false);
      case 'if_statement': {
        const cond = stmt.childForFieldName('condition');
        const cons = stmt.childForFieldName('consequence');
        const alt = branch(stmt.childForFieldName('alternative'));
        if (cond && holdsWhenRetSet(cond, this.ret) && this.exitsWithRet(cons)) return true;
        return push([cons, alt], 'all', !!cons && !!alt);
      }
      case 'return_statement':
        if (!givesBackRet(returnValue(stmt), this.ret)) this.offending ??= stmt;
        return false;
      case 'labeled_statement':
        return push([children(stmt).find((c) => c.type !== 'statement_identifier')], 'any', false);
      default:
        // Loops, switch, do: a guard inside them does not cover what follows; still look for returns.
        return push(
          children(stmt).filter((s) => /statement$|^else_clause$|^case_statement$/.test(s.type)),
          'none',
          false,
        );
    }
  }
}

/**
 * The first return that can give back something other than `ret` while `ret` is non-zero. The structural
 * walk (guards and returns only) finds a candidate; the value flow, when it can follow the body
 * (variables, `?:`, switch, inline helpers, what conditions say of `ret`), has the last word.
 */
function overridingReturn(body: Node, ret: string, model: FileModel): Node | null {
  // The walk is cheap and accepts no more than the flow does: a body it accepts needs no flow.
  const walk = new PassthroughWalk(body, ret);
  walk.walk(body);
  if (!walk.offending) return null;
  const flow = programFlow(body, ret, model.defines, model.text);
  if (!flow.complete) return walk.offending;
  let first: Node | null = null;
  for (const o of flow.outcomes) {
    if (o.ret === 'zero' || o.value.kind === 'ret' || (o.value.kind === 'unknown' && o.value.mayBeRet)) continue;
    if (!first || o.stmt.startIndex < first.startIndex) first = o.stmt;
  }
  return first;
}

export function checkPassthrough(ctx: ProgramContext): Finding[] {
  const { program, hook, model } = ctx;
  if (!hook || !takesRetSlot(ctx) || !hasTypedArgs(program)) return [];
  const retParam = program.params[hook.args.length];
  // A `ret` declared in a hook argument's place is signature-mismatch's to report.
  if (!retParam && program.params.some((p) => p.decl.name === 'ret')) return [];
  if (!retParam) {
    const edits = [rewriteArgsEdit(model, program, hook, true)];
    const guard = insertPassthroughEdit(model, program);
    if (guard) edits.push(guard);
    return [
      {
        code: 'missing-ret-passthrough',
        severity: 'hint',
        range: model.index.range(program.macroStart, program.paramsEnd + 1),
        message:
          `${program.name} does not take 'int ret', the verdict of the program before it on ${hook.name}. Nothing is ` +
          `overridden (the kernel stops at the first program that denies, so 'ret' is 0 whenever this one runs), but the ` +
          `kernel documentation declares BPF_PROG(${[program.name, ...programArgs(hook, 'int')].join(', ')}) and starts with ` +
          `'if (ret != 0) return ret;', which keeps the program right should that change.`,
        fixes: [{ title: "Add 'int ret' and return it when non-zero", edits, preferred: true }],
      },
    ];
  }
  // A non-integer in the ret slot is signature-mismatch's to report.
  if (!program.body || !isIntegerScalar(retParam.decl)) return [];
  const ret = retParam.decl.name || 'ret';
  const offending = overridingReturn(program.body, ret, model);
  if (!offending) return [];
  const guard = insertPassthroughEdit(model, program, ret);
  return [
    {
      code: 'missing-ret-passthrough',
      severity: 'hint',
      range: model.index.range(offending.startIndex, offending.endIndex),
      message:
        `This return does not pass '${ret}' on. Nothing is overridden (the kernel stops at the first program that ` +
        `denies, so '${ret}' is 0 whenever ${program.name} runs), but the kernel documentation's convention is to start ` +
        `with 'if (${ret} != 0) return ${ret};'.`,
      fixes: guard ? [{ title: `Insert 'if (${ret} != 0) return ${ret};'`, edits: [guard], preferred: true }] : undefined,
    },
  ];
}
