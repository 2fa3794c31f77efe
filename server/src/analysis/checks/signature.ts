// signature-mismatch: BPF_PROG arguments against the hook's prototype in the target release.
// BPF LSM passes the hook's arguments, then (for hooks that return int) the previous verdict `ret`.
import { formatParam, isIntegerScalar, parseParam } from '../../ctext/cDecl';
import { prototypeOf } from '../../hooks/hookFacts';
import type { Finding } from '../findings';
import { argumentProblem } from './argumentMatch';
import { hasTypedArgs, type ProgramContext } from './context';
import { rewriteArgsEdit } from './prototypeEdits';

export function checkSignature(ctx: ProgramContext): Finding[] {
  const { program, hook, target, model } = ctx;
  if (!hook || !hasTypedArgs(program)) return [];
  const retSlot = hook.ret === 'void' ? -1 : hook.args.length;
  const maxArgs = hook.args.length + (retSlot >= 0 ? 1 : 0);
  const prototype = prototypeOf(hook);
  const fix = {
    title: `Rewrite the arguments to ${hook.name}'s prototype (${target.release})`,
    edits: [rewriteArgsEdit(model, program, hook, retSlot >= 0)],
    preferred: true,
  };
  const findings: Finding[] = [];
  const report = (start: number, end: number, message: string) =>
    findings.push({ code: 'signature-mismatch', severity: 'error', range: model.index.range(start, end), message, fixes: [fix] });

  program.params.forEach((param, i) => {
    const position = `argument ${i + 1}`;
    if (i >= maxArgs) {
      if (i === maxArgs) {
        const last = program.params[program.params.length - 1];
        const extra =
          retSlot >= 0
            ? `${hook.args.length} argument(s) and the trailing int ret`
            : `${hook.args.length} argument(s) and no ret (it returns void)`;
        report(param.start, last.end, `Too many arguments: ${hook.name} passes ${extra} in ${target.release}; ${prototype}.`);
      }
      return;
    }
    if (i === retSlot) {
      if (!isIntegerScalar(param.decl)) {
        report(
          param.start,
          param.end,
          `${position} is where BPF LSM passes the previous verdict (int ret) for ${hook.name}, but it is declared ` +
            `'${param.text}': it would read the verdict as ${param.decl.pointer ? 'a pointer' : 'this type'}. ${prototype}.`,
        );
      }
      return;
    }
    const theirs = hook.args[i];
    if (param.decl.name === 'ret') {
      report(
        param.start,
        param.end,
        `'ret' is ${position}, but in ${target.release} ${hook.name} passes '${formatParam(theirs.type, theirs.name)}' there; ` +
          `${retSlot >= 0 ? `the previous verdict is argument ${retSlot + 1}` : 'no verdict is passed (the hook returns void)'}. ${prototype}.`,
      );
      return;
    }
    const problem = argumentProblem(param.decl, parseParam(formatParam(theirs.type, theirs.name)));
    if (problem) {
      report(
        param.start,
        param.end,
        `${position} '${param.text}' is ${problem}: ${hook.name} passes '${formatParam(theirs.type, theirs.name)}' in ${target.release}.`,
      );
    }
  });
  return findings;
}
