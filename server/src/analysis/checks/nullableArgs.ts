// unchecked-nullable-arg: a hook argument the kernel may pass as NULL (a `__nullable` parameter of the
// strong bpf_lsm_<hook> definition, such as mmap_file's file from 7.2: anonymous mappings have none),
// used (`file->f_mode`, `&file->f_path`, `BPF_CORE_READ(file, f_mode)`) with no test of it before. The
// verifier types such an argument trusted_ptr_or_null: it refuses a load through it ("invalid mem access
// 'trusted_ptr_or_null_'") and any address computed from it ("pointer arithmetic on trusted_ptr_or_null_
// prohibited, null-check it first"), which BPF_CORE_READ and `&file->x` do before their probe read (both
// seen on the 7.2 and 7.3 VMs). Only sure cases: a test of the argument before the use (`if (!file)`,
// `file &&`, `file ?`), passing it to a function (which may test it) or assigning to it keeps the check
// quiet. Kernels without the marking load the program: quiet there.
import type { Node } from 'web-tree-sitter';
import { callableReleases, callableRulesFor } from '../../hooks/callables';
import type { Finding } from '../findings';
import { hasTypedArgs, type ProgramContext } from './context';

/** The verifier's words (seen on 7.2's and 7.3's verifier): a load through the pointer, an address from it. */
const LOAD_MESSAGE = "invalid mem access 'trusted_ptr_or_null_'";
const ARITHMETIC_MESSAGE = 'pointer arithmetic on trusted_ptr_or_null_ prohibited, null-check it first';
/** libbpf's read macros, which compute the field's address from their pointer argument. */
const READ_MACROS =
  /^(BPF_CORE_READ|BPF_CORE_READ_INTO|BPF_CORE_READ_STR_INTO|BPF_CORE_READ_BITFIELD_PROBED|BPF_PROBE_READ|BPF_PROBE_READ_INTO|BPF_PROBE_READ_STR_INTO)$/;

/**
 * Compile-time forms that never run the access: sizeof, typeof, CO-RE field queries and the builtins
 * they expand to, offsetof, constant tests. (CO-RE type and enum queries take a type, so an argument in
 * them sits in a typeof, which counts already.) Not every `__builtin_`: `__builtin_expect(file->f_mode, 0)`,
 * `__builtin_memcpy(..., &file->x, ...)` and `__builtin_preserve_access_index` run it. (`__alignof__(file->x)`
 * needs no case: tree-sitter-c reads its operand as a type name, never the argument.)
 */
const COMPILE_TIME =
  /^(__builtin_(preserve_field_info|preserve_type_info|preserve_enum_value|btf_type_id|offsetof|constant_p|types_compatible_p|object_size)|bpf_core_field_\w+|typeof|__typeof__)$/;

/** Inside a compile-time form, at any depth: `sizeof(({ file->f_mode; }))` runs nothing either. */
function atCompileTime(node: Node): boolean {
  for (let up = node.parent; up; up = up.parent) {
    if (up.type === 'sizeof_expression') return true;
    if (up.type === 'call_expression' && COMPILE_TIME.test(up.childForFieldName('function')?.text ?? '')) return true;
  }
  return false;
}

/** `(((x)))` around an occurrence -> the outermost parentheses (the occurrence itself when there are none). */
function outermostParens(id: Node): Node {
  let x = id;
  while (x.parent?.type === 'parenthesized_expression') x = x.parent;
  return x;
}

/**
 * How an occurrence of the argument uses it (a load through it, an address from it), and the expression
 * that does (`x->field`, or the read macro's call); null when neither.
 */
function useOf(id: Node): { use: 'load' | 'address'; node: Node } | null {
  if (atCompileTime(id)) return null;
  const x = outermostParens(id);
  const parent = x.parent;
  // The field of `a->b` is a field_identifier: an identifier under a field_expression is its argument.
  if (parent?.type === 'field_expression') {
    if (parent.childForFieldName('operator')?.text !== '->') return null;
    return { use: isLoad(parent) ? 'load' : 'address', node: parent };
  }
  const call = parent?.type === 'argument_list' ? parent.parent : null;
  const callee = call?.childForFieldName('function');
  return call && callee?.type === 'identifier' && READ_MACROS.test(callee.text) ? { use: 'address', node: call } : null;
}

/** Is this occurrence of the argument a test of it (a condition, `!x`, `x == ...`, `x && ...`)? */
function isTest(id: Node): boolean {
  let x = id;
  while (x.parent?.type === 'parenthesized_expression') {
    // The parentheses of `if (...)`, `while (...)`, `do ... while (...)`.
    if (['if_statement', 'while_statement', 'do_statement'].includes(x.parent.parent?.type ?? '')) return true;
    x = x.parent;
  }
  const parent = x.parent;
  if (!parent) return false;
  switch (parent.type) {
    case 'unary_expression':
      return parent.childForFieldName('operator')?.text === '!';
    case 'binary_expression':
      return ['==', '!=', '&&', '||'].includes(parent.childForFieldName('operator')?.text ?? '');
    case 'conditional_expression':
      return parent.childForFieldName('condition')?.id === x.id;
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
    // A call it is passed to may test it (an inline `if (!f) return 0;` the verifier sees): as good as a test.
    const passed = (u: Node) => u.parent?.type === 'argument_list' && useOf(u) === null && !atCompileTime(u);
    const firstTest = uses.filter((u) => isTest(u) || passed(u)).reduce((min, u) => Math.min(min, u.startIndex), Infinity);
    const load = uses.find((u) => u.startIndex < firstTest && useOf(u) !== null);
    if (!load) continue;
    // The finding covers `file->x`, or the whole read macro call whose argument it is.
    const { use, node } = useOf(load)!;
    const loads = callableReleases()
      .filter((r) => r.rules.nullable(program.hook)?.includes(argName) === false)
      .map((r) => r.release);
    const hasRet = program.params.some((p) => p.decl.name === 'ret') && hook.ret !== 'void';
    findings.push({
      code: 'unchecked-nullable-arg',
      severity: 'error',
      range: model.index.range(node.startIndex, node.endIndex),
      message:
        `${program.name}: '${param}' of '${program.hook}' may be NULL, and kernel ${target.release} marks it so (${argName}__nullable): the ` +
        `verifier refuses ${use === 'load' ? 'this load' : 'an address computed from it'} without a NULL check ` +
        `("${use === 'load' ? LOAD_MESSAGE : ARITHMETIC_MESSAGE}")` +
        `${loads.length > 0 ? `; kernel${loads.length > 1 ? 's' : ''} ${loads.join(', ')} load${loads.length > 1 ? '' : 's'} it` : ''}. ` +
        `Check it first: \`if (!${param}) return ${hasRet ? 'ret' : '0'};\`.`,
    });
  }
  return findings;
}
