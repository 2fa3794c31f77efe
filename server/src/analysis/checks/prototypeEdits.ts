// Edits shared by several checks: rewriting a BPF_PROG argument list to the hook's prototype, and
// inserting the `if (ret != 0) return ret;` passthrough as the program's first statement.
import { formatParam, parseParam } from '../../ctext/cDecl';
import type { HookDef } from '../../hooks/types';
import type { TextEdit } from '../findings';
import type { FileModel, LsmProgram } from '../programs';
import { argumentProblem } from './argumentMatch';

/** The hook's prototype as BPF_PROG arguments, keeping the user's own parameters where they fit. */
export function prototypeArgs(program: LsmProgram, hook: HookDef, withRet: boolean): string[] {
  const args = hook.args.map((arg, i) => {
    const mine = program.params[i];
    if (mine && mine.decl.name !== 'ret' && !argumentProblem(mine.decl, parseParam(formatParam(arg.type, arg.name)))) {
      return mine.text.replace(/\s+/g, ' ');
    }
    return formatParam(arg.type, arg.name || `arg${i}`);
  });
  if (withRet) args.push('int ret');
  return args;
}

export function rewriteArgsEdit(model: FileModel, program: LsmProgram, hook: HookDef, withRet: boolean): TextEdit {
  const args = prototypeArgs(program, hook, withRet);
  const newText = program.macro ? args.map((a) => `, ${a}`).join('') : args.join(', ');
  return { range: model.index.range(program.paramsStart, program.paramsEnd), newText };
}

/** Inserts the passthrough before the body's first statement, in the file's own indentation. */
export function insertPassthroughEdit(model: FileModel, program: LsmProgram, retName = 'ret'): TextEdit | null {
  const body = program.body;
  if (!body) return null;
  const guard = `if (${retName} != 0)`;
  const statement = `return ${retName};`;
  const first = body.namedChildren.find((n) => n && n.type !== 'comment');
  const bodyIndent = model.index.indentAt(body.startIndex);
  if (!first || model.index.position(first.startIndex).line === model.index.position(body.startIndex).line) {
    // `{ return 0; }` on one line, or an empty body: keep it on one line.
    const at = model.index.position(body.startIndex + 1);
    return { range: { start: at, end: at }, newText: ` ${guard} ${statement}` };
  }
  const indent = model.index.indentAt(first.startIndex);
  const unit = indent.startsWith('\t') ? '\t' : indent.length > bodyIndent.length ? indent.slice(bodyIndent.length) : '    ';
  const lineStart = { line: model.index.position(first.startIndex).line, character: 0 };
  const eol = model.index.eol;
  return { range: { start: lineStart, end: lineStart }, newText: `${indent}${guard}${eol}${indent}${unit}${statement}${eol}${eol}` };
}
