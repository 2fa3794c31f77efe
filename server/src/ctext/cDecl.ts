// Splits a C parameter declaration (`const struct cred *mgr`, `char __user *optval`) into the parts
// that matter when comparing a BPF program's arguments with a hook's prototype.

/** Words that qualify a type without changing what it is (for our comparison). */
const QUALIFIERS = new Set([
  'const',
  'volatile',
  'restrict',
  '__restrict',
  '__restrict__',
  '__user',
  '__rcu',
  '__iomem',
  '__kernel',
  '__force',
  '__percpu',
  '__nocast',
  '__must_check',
  '__maybe_unused',
  '__attribute_const__',
  '__counted_by',
  'register',
  '__nullable',
  '__ref',
  '__arg_ctx',
  '__arg_nonnull',
  '__arg_trusted',
]);

/** Words that, ending a declaration, are part of the type rather than a parameter name. */
const TYPE_WORDS = new Set(['void', 'char', 'short', 'int', 'long', 'float', 'double', 'signed', 'unsigned', '_Bool', 'bool']);

const TAG_WORDS = new Set(['struct', 'union', 'enum']);

export interface CParam {
  /** The type without qualifiers or pointers: `struct cred`, `unsigned long`, `u32`. */
  base: string;
  /** Number of `*` (and array brackets) after the base type. */
  pointer: number;
  /** The declared name, or '' when there is none. */
  name: string;
  /** The type written back in normal form, qualifiers kept: `const struct cred *`. */
  type: string;
}

/** Parses one parameter declaration. Function-pointer parameters keep their text as the base. */
export function parseParam(text: string): CParam {
  const clean = text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (clean.includes('(')) return { base: clean, pointer: 0, name: '', type: clean };
  const tokens = clean.match(/[A-Za-z_][A-Za-z0-9_]*|\*|\[[^\]]*\]/g) ?? [];
  let pointer = 0;
  const words: string[] = [];
  for (const token of tokens) {
    if (token === '*' || token.startsWith('[')) pointer++;
    else words.push(token);
  }
  let name = '';
  const last = words[words.length - 1];
  const beforeLast = words[words.length - 2];
  const lastIsName =
    words.length >= 2 &&
    last !== undefined &&
    !TYPE_WORDS.has(last) &&
    !QUALIFIERS.has(last) &&
    !(beforeLast !== undefined && TAG_WORDS.has(beforeLast));
  if (lastIsName) name = words.pop()!;
  // A name written between `*` and an array suffix (`char *argv[]`) was counted above; nothing to undo.
  const baseWords = words.filter((w) => !QUALIFIERS.has(w));
  // `unsigned` alone is `unsigned int` (BTF and headers spell it both ways).
  const base = baseWords.join(' ') === 'unsigned' ? 'unsigned int' : baseWords.join(' ');
  const stars = '*'.repeat(pointer);
  const type = stars ? `${words.join(' ')} ${stars}` : words.join(' ');
  return { base, pointer, name, type };
}

/** Is this an integer scalar (what the trailing `ret` slot holds)? Typedefs like `u32`, `__s32` count. */
export function isIntegerScalar(p: CParam): boolean {
  if (p.pointer > 0) return false;
  const words = p.base.split(' ');
  if (words.every((w) => ['int', 'long', 'short', 'signed', 'unsigned', 'char', 'bool', '_Bool'].includes(w))) {
    return true;
  }
  return /^(__)?[su](8|16|32|64)$|^u?int(8|16|32|64)_t$|^s?size_t$|^ssize_t$/.test(p.base);
}

/** Tag of a struct/union/enum base (`struct cred` -> `cred`), or null for scalars and typedef names. */
export function tagName(p: CParam): { kind: string; name: string } | null {
  const m = /^(struct|union|enum) ([A-Za-z_][A-Za-z0-9_]*)$/.exec(p.base);
  return m ? { kind: m[1], name: m[2] } : null;
}

/** Renders a parameter for display and for generated code: `const struct cred *mgr`. */
export function formatParam(type: string, name: string): string {
  if (!name) return type;
  return type.endsWith('*') ? `${type}${name}` : `${type} ${name}`;
}
