// unchecked-nullable-arg: a hook argument the kernel may pass as NULL (a `__nullable` parameter of the
// strong bpf_lsm_<hook> definition, such as mmap_file's file from 7.2: anonymous mappings have none),
// dereferenced (`file->f_mode`) with no test of it before. The verifier types such an argument
// trusted_ptr_or_null and refuses a direct load through it; a probe read (BPF_CORE_READ,
// bpf_probe_read_kernel) is fine, and so is taking an address (`&file->f_path`, left to the verifier).
// Only sure cases: any test of the argument before the load (`if (!file)`, `file &&`, `file ?`), or an
// assignment to it, keeps the check quiet. Kernels without the marking load the program: quiet there.
import type { Node } from 'web-tree-sitter';
import { callableReleases, callableRulesFor } from '../../hooks/callables';
import type { Finding } from '../findings';
import { hasTypedArgs, type ProgramContext } from './context';

/** The verifier's words for a load through a maybe-NULL trusted pointer (seen on 7.2's and 7.3's verifier). */
const VERIFIER_MESSAGE = "invalid mem access 'trusted_ptr_or_null_'";

/** Is this occurrence of the argument a test of it (a condition, `!x`, `x == ...`, `x && ...`)? */
function isTest(id: Node): boolean {
  const parent = id.parent;
  if (!parent) return false;
  switch (parent.type) {
    case 'unary_expression':
      return parent.childForFieldName('operator')?.text === '!';
    case 'binary_expression':
      return ['==', '!=', '&&', '||'].includes(parent.childForFieldName('operator')?.text ?? '');
    case 'conditional_expression':
      return parent.childForFieldName('condition')?.id === id.id;
    case 'parenthesized_expression':
      return ['if_statement', 'while_statement', 'do_statement'].includes(parent.parent?.type ?? '');
    default:
      return false;
  }
}

/** `x->field` loads, outside `&...` (an address, not a load). */
function isLoad(field: Node): boolean {
  let up = field.parent;
  while (up && (up.type === 'field_expression' || up.type === 'parenthesized_expression')) up = up.parent;
  return !(up?.type === 'pointer_expression' && up.childForFieldName('operator')?.text === '&');
}

export function checkNullableArgs(ctx: ProgramContext): Finding[] {
  const { program, hook, target, model } = ctx;
  if (!program.body || !hook || !hasTypedArgs(program)) return [];
  const rules = callableRulesFor(target.version);
  const nullable = rules?.nullable(program.hook);
  if (!nullable || nullable.length === 0) return [];
  const findings: Finding[] = [];
  for (const argName of nullable) {
    const index = hook.args.findIndex((a) => a.name === argName);
    const param = index >= 0 ? program.params[index]?.decl.name : undefined;
    if (!param) continue;
    const uses = program.body.descendantsOfType('identifier').filter((n): n is Node => !!n && n.text === param);
    const assigned = uses.some((u) => u.parent?.type === 'assignment_expression' && u.parent.childForFieldName('left')?.id === u.id);
    const addressTaken = uses.some((u) => u.parent?.type === 'pointer_expression' && u.parent.childForFieldName('operator')?.text === '&');
    if (assigned || addressTaken) continue;
    const firstTest = uses.filter(isTest).reduce((min, u) => Math.min(min, u.startIndex), Infinity);
    const load = uses.find(
      (u) =>
        u.parent?.type === 'field_expression' &&
        u.parent.childForFieldName('argument')?.id === u.id &&
        u.parent.childForFieldName('operator')?.text === '->' &&
        isLoad(u.parent) &&
        u.startIndex < firstTest,
    );
    if (!load) continue;
    const loads = callableReleases()
      .filter((r) => r.rules.nullable(program.hook)?.includes(argName) === false)
      .map((r) => r.release);
    const hasRet = program.params.some((p) => p.decl.name === 'ret') && hook.ret !== 'void';
    findings.push({
      code: 'unchecked-nullable-arg',
      severity: 'error',
      range: model.index.range(load.parent!.startIndex, load.parent!.endIndex),
      message:
        `'${param}' of '${program.hook}' may be NULL, and kernel ${target.release} marks it so (${argName}__nullable): the ` +
        `verifier refuses this load without a NULL check ("${VERIFIER_MESSAGE}")` +
        `${loads.length > 0 ? `; kernel${loads.length > 1 ? 's' : ''} ${loads.join(', ')} load${loads.length > 1 ? '' : 's'} it` : ''}. ` +
        `Check it first: \`if (!${param}) return ${hasRet ? 'ret' : '0'};\`.`,
    });
  }
  return findings;
}
