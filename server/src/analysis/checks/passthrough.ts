// missing-ret-passthrough: an int-hook program must give back a non-zero `ret` (the verdict of the
// program before it on the hook); returning anything else then overrides a denial.
import type { Node } from 'web-tree-sitter';
import { isIntegerScalar } from '../../hooks/cDecl';
import { programArgs } from '../../hooks/hookFacts';
import type { Finding } from '../findings';
import { branch, children, labels, returnValue, unparen } from '../syntax';
import { hasTypedArgs, takesRetSlot, type ProgramContext } from './context';
import { insertPassthroughEdit, rewriteArgsEdit } from './prototypeEdits';

/** Conditions that hold whenever `ret` is non-zero: `ret`, `ret != 0`, `0 != ret`, `ret < 0`, `... || ret`. */
function holdsWhenRetSet(cond: Node, ret: string): boolean {
  const n = unparen(cond);
  if (n.type === 'identifier') return n.text === ret;
  if (n.type !== 'binary_expression') return false;
  const op = n.childForFieldName('operator')?.type;
  const l = n.childForFieldName('left');
  const r = n.childForFieldName('right');
  if (!l || !r) return false;
  const isRet = (x: Node) => unparen(x).type === 'identifier' && unparen(x).text === ret;
  const isZero = (x: Node) => /^0[uUlL]*$/.test(unparen(x).text);
  if (op === '||') return holdsWhenRetSet(l, ret) || holdsWhenRetSet(r, ret);
  if (op === '!=') return (isRet(l) && isZero(r)) || (isZero(l) && isRet(r));
  // A verdict is 0 or a negative errno, so "non-zero" and "negative" agree.
  if (op === '<') return isRet(l) && isZero(r);
  if (op === '>') return isZero(l) && isRet(r);
  return false;
}

/** `ret`, or `ret ? ret : x` / `ret != 0 ? ret : x`. */
function givesBackRet(value: Node | null, ret: string): boolean {
  if (!value) return false;
  if (value.type === 'identifier') return value.text === ret;
  if (value.type === 'conditional_expression') {
    const cond = value.childForFieldName('condition');
    const then = value.childForFieldName('consequence');
    return !!cond && !!then && holdsWhenRetSet(cond, ret) && givesBackRet(unparen(then), ret);
  }
  return false;
}

class PassthroughWalk {
  offending: Node | null = null;
  private labelled: Map<string, Node> | undefined;

  constructor(private readonly body: Node, private readonly ret: string) {}

  private label(name: string): Node | null {
    this.labelled ??= labels(this.body);
    return this.labelled.get(name) ?? null;
  }

  /** Does this statement always leave the program returning `ret`? */
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
          if (s.descendantsOfType(['return_statement', 'goto_statement']).length > 0) return false;
        }
        return false;
      default:
        return false;
    }
  }

  /** Walks one statement; returns whether every path past it is already guarded. */
  walk(stmt: Node, guarded: boolean): boolean {
    if (guarded) return true;
    switch (stmt.type) {
      case 'compound_statement': {
        let g = false;
        for (const s of children(stmt)) g = this.walk(s, g);
        return g;
      }
      case 'if_statement': {
        const cond = stmt.childForFieldName('condition');
        const cons = stmt.childForFieldName('consequence');
        const alt = branch(stmt.childForFieldName('alternative'));
        if (cond && holdsWhenRetSet(cond, this.ret) && this.exitsWithRet(cons)) {
          if (alt) this.walk(alt, true);
          return true;
        }
        const a = cons ? this.walk(cons, false) : false;
        const b = alt ? this.walk(alt, false) : false;
        return a && b;
      }
      case 'return_statement':
        if (!givesBackRet(returnValue(stmt), this.ret)) this.offending ??= stmt;
        return false;
      case 'labeled_statement': {
        const inner = children(stmt).find((c) => c.type !== 'statement_identifier');
        return inner ? this.walk(inner, false) : false;
      }
      default:
        // Loops, switch, do: a guard inside them does not cover what follows; still look for returns.
        for (const s of children(stmt)) {
          if (/statement$|^else_clause$|^case_statement$/.test(s.type)) this.walk(s, false);
        }
        return false;
    }
  }
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
    return [{
      code: 'missing-ret-passthrough',
      severity: 'warning',
      range: model.index.range(program.macroStart, program.paramsEnd + 1),
      message: `${program.name} does not take 'int ret', the verdict of the program before it on ${hook.name}, so it ` +
        `cannot pass a denial on. Declare BPF_PROG(${[program.name, ...programArgs(hook, 'int')].join(', ')}) and start with ` +
        `'if (ret != 0) return ret;'.`,
      fixes: [{ title: "Add 'int ret' and return it when non-zero", edits, preferred: true }],
    }];
  }
  // A non-integer in the ret slot is signature-mismatch's to report.
  if (!program.body || !isIntegerScalar(retParam.decl)) return [];
  const ret = retParam.decl.name || 'ret';
  const walk = new PassthroughWalk(program.body, ret);
  walk.walk(program.body, false);
  if (!walk.offending) return [];
  const guard = insertPassthroughEdit(model, program, ret);
  return [{
    code: 'missing-ret-passthrough',
    severity: 'warning',
    range: model.index.range(walk.offending.startIndex, walk.offending.endIndex),
    message: `This return can run while '${ret}' is non-zero, replacing an earlier program's denial. ` +
      `Start ${program.name} with 'if (${ret} != 0) return ${ret};'.`,
    fixes: guard ? [{ title: `Insert 'if (${ret} != 0) return ${ret};'`, edits: [guard], preferred: true }] : undefined,
  }];
}
