// misleading-indentation: an unbraced `if` body followed by a statement indented as if it were part
// of the body. It runs every time; when it is a `return -EPERM`, the program denies everything.
import type { Node } from 'web-tree-sitter';
import type { Finding } from '../findings';
import type { FileModel } from '../programs';
import { evalConstant } from '../constEval';
import { bodyNodes, returnValue, statementsWithNext } from '../syntax';
import type { ProgramContext } from './context';

const BODY_FIELDS = new Map([
  ['if_statement', 'consequence'],
  ['while_statement', 'body'],
  ['for_statement', 'body'],
]);

export function checkMisleadingIndentation(ctx: ProgramContext): Finding[] {
  const { program, model } = ctx;
  if (!program.body) return [];
  const findings: Finding[] = [];
  for (const { stmt, next } of statementsWithNext(program.body, [...BODY_FIELDS.keys()])) {
    const body = stmt.childForFieldName(BODY_FIELDS.get(stmt.type)!);
    if (!body || body.type === 'compound_statement') continue;
    if (stmt.type === 'if_statement' && stmt.childForFieldName('alternative')) continue;
    if (!next) continue;
    const bodyPos = model.index.position(body.startIndex);
    const nextPos = model.index.position(next.startIndex);
    const headPos = model.index.position(stmt.startIndex);
    if (bodyPos.line === headPos.line || nextPos.line === bodyPos.line) continue;
    if (nextPos.character !== bodyPos.character || nextPos.character <= headPos.character) continue;
    if (model.index.indentAt(next.startIndex) !== model.index.indentAt(body.startIndex)) continue;
    const keyword = stmt.type.replace('_statement', '');
    const denies = next.type === 'return_statement' && isDeny(returnValue(next), ctx);
    const effect = !denies
      ? ''
      : canLeaveBefore(ctx, next)
        ? ` It returns ${returnValue(next)!.text} whenever it is reached.`
        : ` It returns ${returnValue(next)!.text} every time, so the program denies every ${program.hook} call.`;
    const indent = model.index.indentAt(stmt.startIndex);
    findings.push({
      code: 'misleading-indentation',
      severity: 'warning',
      range: model.index.range(next.startIndex, next.endIndex),
      message:
        `This statement is indented as if it belonged to the unbraced '${keyword}' on line ${headPos.line + 1}, ` +
        `but only the first statement does: it runs unconditionally.${effect} Add braces.`,
      fixes: [
        {
          title: `Put both statements in braces under the '${keyword}'`,
          edits: [
            {
              range: model.index.range(body.startIndex, next.endIndex),
              newText: bracedBlock(model, body, next, model.index.indentAt(body.startIndex), indent),
            },
          ],
          preferred: true,
        },
      ],
    });
  }
  return findings;
}

/**
 * Can the program return before `stmt`? A return of `ret` does not count: `ret` is 0 whenever a program
 * runs (the kernel stops at the first that denies), so the usual `if (ret != 0) return ret;` never does.
 */
function canLeaveBefore(ctx: ProgramContext, stmt: Node): boolean {
  const body = ctx.program.body!;
  const ret = ctx.program.params[ctx.hook?.args.length ?? -1]?.decl.name;
  const before = (n: Node) => n.startIndex < stmt.startIndex;
  if (bodyNodes(body, 'goto_statement').some(before)) return true;
  return bodyNodes(body, 'return_statement').some((r) => before(r) && !(ret && returnValue(r)?.text === ret));
}

function isDeny(value: Node | null, ctx: ProgramContext): boolean {
  if (!value) return false;
  const v = evalConstant(value, ctx.model.defines);
  return v !== null && v !== 0;
}

/** `{ first; <comments between> second; }` laid out in the file's indentation and line ends. */
function bracedBlock(model: FileModel, first: Node, second: Node, inner: string, outer: string): string {
  const {
    text,
    index: { eol },
  } = model;
  const between = text.slice(first.endIndex, second.startIndex).trim();
  const middle = between ? `${eol}${inner}${between}` : '';
  const textOf = (n: Node) => text.slice(n.startIndex, n.endIndex);
  return `{${eol}${inner}${textOf(first)}${middle}${eol}${inner}${textOf(second)}${eol}${outer}}`;
}
