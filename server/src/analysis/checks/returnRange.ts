// return-out-of-range: verdicts the kernel does not accept (the ranges: verdictRange.ts), as constants or
// values that reach a return through the code.
import { formatParam } from '../../ctext/cDecl';
import { kernelRules } from '../../hooks/catalog';
import type { Finding, Fix } from '../findings';
import type { Node } from 'web-tree-sitter';
import { evalConstant } from '../constEval';
import { bodyNodes, returnValue, unparen } from '../syntax';
import { checkAsmReturnRange } from './asmReturnRange';
import { programFlow } from '../valueFlow';
import { takesRetSlot, type ProgramContext } from './context';
import { MAX_ERRNO, verdictRange } from './verdictRange';

export function checkReturnRange(ctx: ProgramContext): Finding[] {
  const { program, hook, target, model } = ctx;
  const cgroup = program.kind === 'lsm_cgroup';
  const range = verdictRange(ctx);
  if (!program.body || !range) return [];
  const { lo, hi, zeroOne, rejectedAtLoad, what } = range;
  const findings: Finding[] = [];
  // A `ret` declared where the hook passes one of its own arguments (a prototype that grew, such as the
  // bpf hook's `bool kernel` of 6.19): returning it returns that argument, which the verifier cannot bound.
  const retIndex = program.params.findIndex((p) => p.decl.name === 'ret');
  const misplaced =
    !cgroup && hook && hook.ret !== 'void' && retIndex >= 0 && retIndex < hook.args.length ? hook.args[retIndex] : undefined;
  const retParam = takesRetSlot(ctx) ? program.params[hook!.args.length]?.decl.name || null : null;
  const returns = bodyNodes(program.body, 'return_statement').map((ret) => {
    const value = returnValue(ret);
    return { ret, value, constant: value ? evalConstant(value, model.defines) : null };
  });
  // The flow is needed only when a return gives back something other than a constant or an untouched
  // `ret`: a variable, a conditional, a call.
  const name = retParam?.replace(/\W/g, '');
  const retAssigned =
    !!name &&
    new RegExp(`\\b${name}\\s*(?:(?:[-+*/%&|^]|<<|>>)?=(?!=)|\\+\\+|--)|(?:\\+\\+|--)\\s*${name}\\b`).test(
      model.text.slice(program.body.startIndex, program.body.endIndex),
    );
  const needsFlow = returns.some(
    ({ value, constant }) => !!value && constant === null && !(value.type === 'identifier' && value.text === retParam && !retAssigned),
  );
  const flow = needsFlow ? programFlow(program.body, retParam, model.defines, model.text) : null;
  for (const { ret, value, constant } of returns) {
    if (!value) continue;
    if (misplaced && value.type === 'identifier' && value.text === 'ret' && kernelRules.checksReturnRange(target.version)) {
      findings.push({
        code: 'return-out-of-range',
        severity: 'error',
        range: model.index.range(value.startIndex, value.endIndex),
        message:
          `Returns 'ret', but in ${target.release} '${program.hook}' passes '${formatParam(misplaced.type, misplaced.name)}' as ` +
          `argument ${retIndex + 1}, not the previous verdict: its value is not known to be in [-4095, 0], and kernel ` +
          `${target.release} rejects the program at load. The verdict is argument ${hook!.args.length + 1}.`,
      });
      continue;
    }
    // Values that reach this return on some path (through variables, branches, helpers); when the flow
    // could not be followed to the end, only what the return itself says.
    const reaching: { v: number; origin: Node }[] = [];
    if (flow?.complete) {
      for (const o of flow.outcomes) {
        if (o.stmt.startIndex !== ret.startIndex || o.value.kind !== 'const') continue;
        const { value: v, origin } = o.value;
        if (!reaching.some((r) => r.v === v && r.origin.startIndex === origin.startIndex)) reaching.push({ v, origin });
      }
    } else if (constant !== null) {
      reaching.push({ v: constant, origin: value });
    }
    for (const { v, origin } of reaching) {
      if (v >= lo && v <= hi) continue;
      const consequence = rejectedAtLoad
        ? `kernel ${target.release} rejects the program at load`
        : `kernel ${target.release} loads it, but the kernel misreads a positive verdict (on 6.1 the first matching ` +
          `call triggers a kernel WARNING and fails with EINVAL); from 6.12 it is rejected at load`;
      const range = model.index.range(value.startIndex, value.endIndex);
      const at = unparen(origin);
      const direct = at.startIndex === value.startIndex && at.endIndex === value.endIndex;
      // The fix edits where the value is written: the return itself, or the assignment or branch it came from.
      const fixes: Fix[] = [];
      if (!zeroOne && v > 0 && v <= MAX_ERRNO && (direct || /^(identifier|number_literal)$/.test(at.type))) {
        const fixNode = direct ? value : at;
        const fixRange = model.index.range(fixNode.startIndex, fixNode.endIndex);
        const negated = fixNode.type === 'identifier' ? `-${fixNode.text}` : v === 1 ? '-EPERM' : `-${fixNode.text}`;
        const where = direct ? '' : ` where the value is set (line ${fixRange.start.line + 1})`;
        fixes.push({ title: `Return ${negated} (deny)${where}`, edits: [{ range: fixRange, newText: negated }], preferred: true });
        if (direct && fixNode.type !== 'identifier') fixes.push({ title: 'Return 0 (allow)', edits: [{ range: fixRange, newText: '0' }] });
      }
      const hint = at.type === 'identifier' && v > 0 ? ` ${at.text} is ${v}: did you mean -${at.text}?` : '';
      findings.push({
        code: 'return-out-of-range',
        severity: rejectedAtLoad ? 'error' : 'warning',
        range,
        message: `Returns ${v}${direct ? '' : ` (from line ${model.index.range(at.startIndex, at.endIndex).start.line + 1})`}: ${what}; ${consequence}.${hint}`,
        fixes: fixes.length > 0 ? fixes : undefined,
        related: direct ? undefined : [{ range: model.index.range(at.startIndex, at.endIndex), message: originMessage(at, v) }],
      });
    }
  }
  return [...findings, ...checkAsmReturnRange(ctx)];
}

/** What the place a value came from is: `'err' is set to 1 here`, `'check' returns 1 here`... */
function originMessage(origin: Node, v: number): string {
  let n: Node | null = origin;
  for (let i = 0; n && i < 8; i++, n = n.parent) {
    switch (n.type) {
      case 'init_declarator':
      case 'assignment_expression': {
        const target = n.childForFieldName(n.type === 'init_declarator' ? 'declarator' : 'left');
        return `'${target?.text ?? '?'}' is set to ${v} here`;
      }
      case 'conditional_expression':
        return `${v} is chosen on this branch`;
      case 'return_statement': {
        let fn: Node | null = n;
        for (let j = 0; fn && fn.type !== 'function_definition' && j < 200; j++) fn = fn.parent;
        const name = fn?.childForFieldName('declarator')?.childForFieldName('declarator')?.text;
        return name ? `'${name}' returns ${v} here` : `${v} is returned here`;
      }
      default:
    }
  }
  return `${v} comes from here`;
}
