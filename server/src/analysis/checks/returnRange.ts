// return-out-of-range: constant verdicts the kernel does not accept. Int hooks take 0 or a negative
// errno ([-4095, 0]); bool hooks and lsm_cgroup programs take 0 or 1, and lsm_cgroup programs on void
// hooks exactly 1. From 6.12 the verifier rejects the program at load (lsm_cgroup: always); before, it
// loads and the kernel misreads the verdict at run time.
import { formatParam } from '../../ctext/cDecl';
import { kernelRules } from '../../hooks/catalog';
import type { Finding, Fix } from '../findings';
import { evalConstant } from '../constEval';
import { bodyNodes, returnValue } from '../syntax';
import { checkAsmReturnRange } from './asmReturnRange';
import { isBoolHook, type ProgramContext } from './context';

const MAX_ERRNO = 4095;

export function checkReturnRange(ctx: ProgramContext): Finding[] {
  const { program, hook, target, model } = ctx;
  const cgroup = program.kind === 'lsm_cgroup';
  const voidHook = hook?.ret === 'void';
  if (!program.body || (voidHook && !cgroup)) return [];
  const zeroOne = cgroup || (!!hook && isBoolHook(ctx));
  const [lo, hi] = cgroup && voidHook ? [1, 1] : zeroOne ? [0, 1] : [-MAX_ERRNO, 0];
  // lsm_cgroup's [0, 1] is enforced since lsm_cgroup exists (6.0); the LSM range only from 6.12.
  const rejectedAtLoad = cgroup || kernelRules.checksReturnRange(target.version);
  const findings: Finding[] = [];
  // A `ret` declared where the hook passes one of its own arguments (a prototype that grew, such as the
  // bpf hook's `bool kernel` of 6.19): returning it returns that argument, which the verifier cannot bound.
  const retIndex = program.params.findIndex((p) => p.decl.name === 'ret');
  const misplaced =
    !cgroup && hook && hook.ret !== 'void' && retIndex >= 0 && retIndex < hook.args.length ? hook.args[retIndex] : undefined;
  for (const ret of bodyNodes(program.body, 'return_statement')) {
    const value = returnValue(ret);
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
    const v = evalConstant(value, model.defines);
    if (v === null || (v >= lo && v <= hi)) continue;
    const what =
      cgroup && voidHook
        ? `lsm_cgroup programs on '${program.hook}' (a void hook) must return 1`
        : zeroOne
          ? `${cgroup ? 'lsm_cgroup programs' : `'${program.hook}' (a bool hook)`} must return 0 or 1`
          : `LSM programs on '${program.hook}' must return 0 (allow) or a negative errno (deny)`;
    const consequence = rejectedAtLoad
      ? `kernel ${target.release} rejects the program at load`
      : `kernel ${target.release} loads it, but the kernel misreads a positive verdict (on 6.1 the first matching ` +
        `call triggers a kernel WARNING and fails with EINVAL); from 6.12 it is rejected at load`;
    const fixes: Fix[] = [];
    const range = model.index.range(value.startIndex, value.endIndex);
    if (!zeroOne && v > 0 && v <= MAX_ERRNO) {
      const negated = value.type === 'identifier' ? `-${value.text}` : v === 1 ? '-EPERM' : `-${value.text}`;
      fixes.push({ title: `Return ${negated} (deny)`, edits: [{ range, newText: negated }], preferred: true });
      if (value.type !== 'identifier') fixes.push({ title: 'Return 0 (allow)', edits: [{ range, newText: '0' }] });
    }
    const hint = value.type === 'identifier' && v > 0 ? ` ${value.text} is ${v}: did you mean -${value.text}?` : '';
    findings.push({
      code: 'return-out-of-range',
      severity: rejectedAtLoad ? 'error' : 'warning',
      range,
      message: `Returns ${v}: ${what}; ${consequence}.${hint}`,
      fixes: fixes.length > 0 ? fixes : undefined,
    });
  }
  return [...findings, ...checkAsmReturnRange(ctx)];
}
