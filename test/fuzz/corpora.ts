// Hostile documents for the fuzzers, all derived from a seeded Rng: JavaScript built-in property names as
// hooks and identifiers, deep nesting, every line ending, invalid UTF-8 (as a server receives it: decoded
// with replacement characters, or lone surrogates from JSON escapes), NULs, huge lines, files near the
// server's size limit, malformed lsm_hook_defs.h headers, and the real programs of the repository that the
// mutators start from.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAX_ANALYSED_LENGTH } from '../../server/src/lsp/documentStore';
import { REPO_ROOT } from '../helpers/paths';
import type { Rng } from './rng';

/**
 * Names that plain-object lookups (`table[name]`, `name in table`) find on every object: a hook or an
 * identifier spelled so must be treated as any other unknown name.
 */
export const BUILTIN_NAMES = [
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__proto__',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
  'prototype',
  'length',
  'name',
  'then',
  'caller',
  'arguments',
  'call',
  'apply',
  'bind',
  'size',
  'get',
  'set',
  'has',
  'NaN',
  'Infinity',
  'undefined',
  'null',
];

/** The same names where a hook name must be lower case (`[a-z_][a-z0-9_]*`, as in lsm_hook_defs.h). */
export const BUILTIN_HOOK_NAMES = BUILTIN_NAMES.filter((n) => /^[a-z_][a-z0-9_]*$/.test(n));

/** Fragments the random "soup" documents and inserted edits are made of. */
export const PIECES = [
  '{',
  '}',
  '(',
  ')',
  ';',
  '\n',
  '    ',
  '"',
  '#define LSM(h) SEC("lsm/" #h)\n',
  'SEC("lsm/',
  'SEC("lsm.s/',
  'SEC("lsm_cgroup/',
  'file_open")',
  'BPF_PROG(',
  'BPF_KPROBE(',
  'struct file *file, ',
  'int ret',
  ', int ret)',
  'if (ret != 0)\n\treturn ret;\n',
  'return -EPERM;',
  'return 1;',
  'return EPERM;',
  'goto out;',
  'out: return ret;',
  '/*',
  '*/',
  '//',
  '\\',
  '\0',
  '\u00e9',
  '\u{1F600}',
  '\r\n',
  '\r',
  'char LICENSE[] SEC("license") = "GPL";\n',
  '#if X\n',
  '#endif\n',
  'bprm_check_security',
  'x',
  'constructor',
  '__proto__',
  'toString',
  '\ud800',
  '\ufffd',
  '\ufeff',
  '\u2028',
  'SEC("lsm/constructor")',
  '#else\n',
];

export interface SeedProgram {
  name: string;
  text: string;
}

const PROGRAM_DIRS = ['examples', 'test/fixtures/lint', 'test/vm/fixtures/verifier', 'bpf-templates/programs'];
const SEEDS_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'seeds');

/** Lines that read as C rather than prose. */
const C_LINE =
  /^\s*$|^\s*(#|\/\/|\/\*|\*|}|{)|[;{}]\s*(\/\/.*|\/\*.*)?$|^\s*(SEC|int|char|struct|return|if|else|for|while|static|const|u32|u64|__u\d+|BPF_\w+)\b/;

/** The C in a page of prose: runs of code-like lines that mention SEC or BPF_ (tutorials, blog posts). */
export function extractC(text: string): string {
  const runs: string[] = [];
  let run: string[] = [];
  const flush = () => {
    const code = run.join('\n').trim();
    if (run.filter((l) => l.trim()).length >= 3 && /\bSEC\s*\(|\bBPF_\w+\s*\(/.test(code)) runs.push(code);
    run = [];
  };
  for (const line of text.split(/\r?\n/)) {
    if (C_LINE.test(line)) run.push(line);
    else flush();
  }
  flush();
  return runs.join('\n\n');
}

let programs: SeedProgram[] | undefined;

/**
 * The real programs the mutators start from: examples, lint and verifier fixtures, templates, and the C
 * found in ../shared/seeds when that directory is there.
 */
export function seedPrograms(): SeedProgram[] {
  if (programs) return programs;
  programs = [];
  for (const dir of PROGRAM_DIRS) {
    const abs = path.join(REPO_ROOT, dir);
    if (!fs.existsSync(abs)) continue;
    for (const f of fs
      .readdirSync(abs)
      .filter((x) => x.endsWith('.bpf.c'))
      .sort()) {
      programs.push({ name: `${dir}/${f}`, text: fs.readFileSync(path.join(abs, f), 'utf8') });
    }
  }
  if (fs.existsSync(SEEDS_DIR)) {
    for (const f of fs.readdirSync(SEEDS_DIR).sort()) {
      const code = extractC(fs.readFileSync(path.join(SEEDS_DIR, f), 'utf8'));
      if (code) programs.push({ name: `seeds/${f}`, text: `${code}\n` });
    }
  }
  if (programs.length === 0) throw new Error(`no seed programs found under ${REPO_ROOT}`);
  return programs;
}

const HEADER_DIRS = [path.resolve(REPO_ROOT, '..', 'shared', 'kernel-hooks'), path.join(REPO_ROOT, 'test', 'fixtures', 'headers')];

let headers: string[] | undefined;

/** Real (and fixture) lsm_hook_defs.h headers the header mutators start from. */
export function seedHeaders(): string[] {
  if (headers) return headers;
  headers = [];
  for (const dir of HEADER_DIRS.filter((d) => fs.existsSync(d))) {
    for (const f of fs
      .readdirSync(dir)
      .filter((x) => x.endsWith('.h'))
      .sort())
      headers.push(fs.readFileSync(path.join(dir, f), 'utf8'));
  }
  return headers;
}

// ---- line endings ----------------------------------------------------------------------------------

export type LineEnding = 'lf' | 'crlf' | 'cr' | 'mixed' | 'lone-cr';

/** Rewrites every line break of `text` (which may already mix them) as `eol`. */
export function withLineEndings(text: string, eol: LineEnding, rng?: Rng): string {
  const lines = text.split(/\r\n|\r|\n/);
  switch (eol) {
    case 'lf':
      return lines.join('\n');
    case 'crlf':
      return lines.join('\r\n');
    case 'cr':
      return lines.join('\r');
    case 'mixed':
      return lines.map((l, i) => (i === lines.length - 1 ? l : l + rng!.pick(['\n', '\r\n', '\r', '\n\r']))).join('');
    case 'lone-cr':
      // LF endings, with a stray CR inside some lines (not at their end), as copy-pasting leaves them.
      return lines
        .map((l) => {
          if (l.length <= 2 || !rng!.chance(0.3)) return l;
          const at = 1 + rng!.int(l.length - 1);
          return `${l.slice(0, at)}\r${l.slice(at)}`;
        })
        .join('\n');
  }
}

// ---- program templates -------------------------------------------------------------------------------

function program(section: string, name: string, params: string, body: string): string {
  return `SEC("${section}")\nint BPF_PROG(${name}, ${params})\n{\n${body}\n}\n`;
}

const LICENSE = 'char LICENSE[] SEC("license") = "GPL";\n';
const PRELUDE = '#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\n#include <bpf/bpf_tracing.h>\n\n';

/** A program that uses `n` in one of the places the analysis looks names up. */
function builtinUse(rng: Rng, n: string): string {
  const prefix = rng.pick(['lsm', 'lsm.s', 'lsm_cgroup', '?lsm']);
  switch (rng.int(12)) {
    case 0:
      return program(`${prefix}/${n}`, 'prog', 'struct file *file, int ret', '    return 0;');
    case 1:
      return program('lsm/file_open', n, `struct ${n} *${n}, int ret`, `    if (ret != 0)\n        return ret;\n    return -${n};`);
    case 2:
      return program('lsm/file_open', 'prog', 'struct file *file, int ret', `    return ${rng.pick(['', '-'])}${n};`);
    case 3:
      return `#define ${n} ${rng.pick(['1', '-1', '"x"', n, '', '(-EPERM)'])}\n${program(`lsm/${rng.pick([n, 'file_open'])}`, 'prog', 'struct file *file, int ret', `    return ${n};`)}`;
    case 4:
      return `#define LSM(h) SEC("lsm/" #h)\nLSM(${n})\nint BPF_PROG(p_${n}, struct file *file, int ret)\n{\n    return ret;\n}\n`;
    case 5:
      return `#define ${n} "lsm/${rng.pick([n, 'file_open', 'bprm_check_security'])}"\nSEC(${n})\nint BPF_PROG(prog, struct file *file, int ret)\n{\n    return ret;\n}\n`;
    case 6:
      return `char ${n}[] SEC("license") = ${rng.pick(['"GPL"', `"${n}"`, n])};\n`;
    case 7:
      return `SEC("${prefix}/${n}")\nint ${n}(unsigned long long *${n})\n{\n    return ${n}[0];\n}\n`;
    case 8:
      return program(
        'lsm/file_open',
        'prog',
        'struct file *file, int ret',
        `    if (ret)\n        goto ${n};\n    return 0;\n${n}:\n    return ret;`,
      );
    case 9:
      return program(
        `${prefix}/${n}`,
        n,
        `struct file *${n}, int ${n}`,
        `    if (${n} != 0)\n        return ${n};\n    return ${n} ? ${n} : -${n};`,
      );
    case 10:
      return `SEC("${prefix}/${n}")\nint BPF_KPROBE(${n}, struct file *file)\n{\n    return 0;\n}\n`;
    default:
      return program(
        `lsm/${n}`,
        'prog',
        `${n} ${n}, int ret`,
        `    if (ret != 0) return ret;\n    if (${n}) return 1;\n    return ${rng.pick(['EPERM', '-EPERM', '4096', '-4096', n])};`,
      );
  }
}

/** Built-in property names as hooks, macros, parameters, labels, licences and returned constants. */
export function builtinNames(rng: Rng): string {
  let text = rng.chance(0.5) ? PRELUDE : '';
  if (rng.chance(0.7)) text += LICENSE;
  const count = 1 + rng.int(4);
  for (let i = 0; i < count; i++) text += `${builtinUse(rng, rng.pick(BUILTIN_NAMES))}\n`;
  return text;
}

// ---- deep nesting -------------------------------------------------------------------------------------

export const NESTING_FORMS = [
  'braces',
  'ifs',
  'else-ifs',
  'parens',
  'unary',
  'ternary',
  'preproc-if',
  'loops',
  'labels',
  'casts',
  'unclosed',
] as const;
export type NestingForm = (typeof NESTING_FORMS)[number];

/** `depth` levels of one kind of nesting, as a statement (or, for preproc-if, lines) in a function body. */
export function nested(form: NestingForm, depth: number): string {
  switch (form) {
    case 'braces':
      return `${'{'.repeat(depth)} ret = 0; ${'}'.repeat(depth)}`;
    case 'ifs':
      return `${'if (ret) '.repeat(depth)}return ret;`;
    case 'else-ifs':
      return `if (ret == 0) return 0;${' else if (ret == 1) return -1;'.repeat(depth)} else return ret;`;
    case 'parens':
      return `return ${'('.repeat(depth)}ret${')'.repeat(depth)};`;
    case 'unary':
      return `return ${'- '.repeat(depth)}ret;`;
    case 'ternary':
      return `return ${'ret ? ret : '.repeat(depth)}0;`;
    case 'preproc-if':
      return `${'#if X\n'.repeat(depth)}    return ret;\n${'#endif\n'.repeat(depth)}`;
    case 'loops':
      return `${'while (ret) '.repeat(depth)}return ret;`;
    case 'labels':
      return `${Array.from({ length: depth }, (_, i) => `l${i}: `).join('')}return ret;`;
    case 'casts':
      return `return ${'(int)'.repeat(depth)}ret;`;
    case 'unclosed':
      return `${'{ if (ret) ('.repeat(depth)}`;
  }
}

/** A program whose body (or the file around it) nests thousands deep: the checks walk such bodies. */
export function deepNesting(rng: Rng): string {
  const depth = rng.weighted([
    [2, 100],
    [2, 1000],
    [4, 5000],
    [2, 10000],
    [0.3, 30000],
  ] as const);
  const form = rng.pick(NESTING_FORMS);
  const inner = nested(form, depth + rng.int(100));
  if (rng.chance(0.2)) return `${LICENSE}${inner}\n`;
  return `${LICENSE}${program(`lsm/${rng.pick(['file_open', 'bprm_check_security', 'task_alloc'])}`, 'deep', 'struct file *file, int ret', `    ${inner}\n    return ret;`)}`;
}

// ---- bytes -----------------------------------------------------------------------------------------

/** Byte sequences that are not UTF-8: stray continuations, overlong forms, surrogates, truncations. */
const BAD_UTF8 = [
  [0xff],
  [0xfe],
  [0x80],
  [0xbf],
  [0xc0, 0x80],
  [0xc1, 0xbf],
  [0xe0, 0x80, 0x80],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0xc3],
];

/** Code points that are valid but awkward: lone surrogates (JSON escapes carry them), BOM, separators, bidi. */
const AWKWARD_CHARS = [
  '\ud800',
  '\udfff',
  '\udbff\udbff',
  '\ufeff',
  '\u2028',
  '\u2029',
  '\u202e',
  '\u200d',
  '\ufffd',
  '\u0085',
  '\u000b',
  '\u000c',
  '\u{10ffff}',
  '\u0301',
];

/** Inserts invalid UTF-8 into the bytes of `text`, decoded as the editor would send it; and awkward characters. */
export function invalidUtf8(rng: Rng, text: string): string {
  const bytes = [...Buffer.from(text, 'utf8')];
  const n = 1 + rng.int(12);
  for (let i = 0; i < n; i++) bytes.splice(rng.int(bytes.length + 1), 0, ...rng.pick(BAD_UTF8));
  let out = Buffer.from(bytes).toString('utf8');
  const m = rng.int(6);
  for (let i = 0; i < m; i++) {
    const at = rng.int(out.length + 1);
    out = out.slice(0, at) + rng.pick(AWKWARD_CHARS) + out.slice(at);
  }
  return rng.chance(0.2) ? `\ufeff${out}` : out;
}

/** NULs anywhere: between tokens, inside strings and the hook name, at the start and the end. */
export function nuls(rng: Rng, text: string): string {
  let out = text;
  const n = 1 + rng.int(20);
  for (let i = 0; i < n; i++) {
    const at = rng.pick([0, out.length, rng.int(out.length + 1), Math.max(0, out.indexOf('lsm/') + 4 + rng.int(6))]);
    out = out.slice(0, at) + '\0'.repeat(1 + rng.int(3)) + out.slice(at);
  }
  return out;
}

// ---- size ----------------------------------------------------------------------------------------

const HUGE_TOKENS = [
  'a',
  '(',
  ')',
  '{',
  '}',
  '"',
  '/*',
  '1+',
  'x,',
  ' ',
  '\\',
  '*',
  '-',
  'ret||',
  '#',
  ';',
  '\t',
  'é',
  '\u{1F600}',
  'SEC("lsm/file_open")',
  'if(ret)return ret;',
  'e',
  '9',
  '_',
  "'",
  '[',
  '<',
  '\\\n',
];

/** One line of 100 KB to 1 MB of one token, inside a program, a string, a comment, a hook name or alone. */
export function hugeLine(rng: Rng): string {
  const token = rng.pick(HUGE_TOKENS);
  const size = rng.weighted([
    [80, 100_000],
    [17, 300_000],
    [3, 1_000_000],
  ] as const);
  const run = token.repeat(Math.ceil(size / token.length));
  const place = rng.int(6);
  if (place === 0) return `${LICENSE}${run}\n`;
  if (place === 1)
    return `${LICENSE}${program('lsm/file_open', 'p', 'struct file *file, int ret', `    if (ret != 0) return ret;\n    return ${run};`)}`;
  if (place === 2)
    return `${LICENSE}${program('lsm/file_open', 'p', 'struct file *file, int ret', `    const char *s = "${run}";\n    return ret;`)}`;
  if (place === 3) return `${LICENSE}// ${run}\n${program('lsm/file_open', 'p', 'struct file *file, int ret', '    return ret;')}`;
  if (place === 4)
    return `${LICENSE}${program(`lsm/${run.replace(/["\\\n]/g, 'a')}`, 'p', 'struct file *file, int ret', '    return ret;')}`;
  return `${LICENSE}${program('lsm/file_open', 'p', `struct file *file, ${run}, int ret`, '    return ret;')}`;
}

/** The largest document the language server analyses. */
export const SERVER_SIZE_LIMIT = MAX_ANALYSED_LENGTH;

/**
 * A file of real programs repeated to just under, at, or just over a size limit: the server's, or the
 * 4 MiB the parser was once bounded by.
 */
export function nearLimit(rng: Rng, limit = rng.pick([SERVER_SIZE_LIMIT, 4 * 1024 * 1024])): string {
  const size = limit + rng.pick([-4096, -100, -1, 0, 1, 100]);
  const seeds = seedPrograms();
  const parts: string[] = [];
  let length = 0;
  while (length < size - 4096) {
    const p = rng.pick(seeds).text;
    parts.push(p);
    length += p.length;
  }
  const text = parts.join('');
  return text.length >= size ? text.slice(0, size) : text + `/*${'x'.repeat(Math.max(0, size - text.length - 4))}*/`;
}

/** Random pieces of BPF C and random characters (the first fuzzer's documents). */
export function soup(rng: Rng, length: number): string {
  let s = '';
  while (s.length < length) s += rng.int(4) === 0 ? String.fromCharCode(rng.int(0x3000)) : rng.pick(PIECES);
  return s;
}

// ---- lsm_hook_defs.h ------------------------------------------------------------------------------

/** A malformed lsm_hook_defs.h, and hook names a program can use against it. */
export interface HostileHeader {
  text: string;
  hooks: string[];
}

const HEADER_FORMS = [
  'builtin-hooks',
  'unclosed-entries',
  'directives-only',
  'deep-if',
  'orphan-directives',
  'continuations',
  'deep-parens',
  'odd-fields',
  'line-endings',
  'unterminated-comment',
  'huge-entry',
  'duplicates',
  'mutated-real',
] as const;

function entry(rng: Rng, name: string): string {
  const ret = rng.pick(['int', 'void', 'bool', 'unsigned long', 'int *']);
  const args = rng.pick(['struct file *file', 'void', 'const struct cred *cred, int mask', `struct ${name} *${name}`, '']);
  return `LSM_HOOK(${ret}, ${ret === 'void' ? 'LSM_RET_VOID' : '0'}, ${name}${args ? `, ${args}` : ''})\n`;
}

/** Headers that are built-in names, unclosed, quadratic to scan, deeply nested or otherwise broken. */
export function hostileHeader(rng: Rng): HostileHeader {
  const form = rng.pick(HEADER_FORMS);
  const names = Array.from({ length: 1 + rng.int(4) }, () => rng.pick(BUILTIN_HOOK_NAMES));
  const real = seedHeaders();
  const base = real.length > 0 ? rng.pick(real) : entry(rng, 'file_open');
  const many = rng.weighted([
    [90, 300],
    [9, 3000],
    [0.3, 50_000],
  ] as const);
  let text: string;
  switch (form) {
    case 'builtin-hooks':
      text = names.map((n) => entry(rng, n)).join('') + (rng.chance(0.5) ? base : '');
      break;
    case 'unclosed-entries':
      text = 'LSM_HOOK(int, 0, file_open, struct file *file\n'.repeat(many);
      break;
    case 'directives-only':
      text = `${'#if CONFIG_X\n#endif\n'.repeat(many / 2)}${entry(rng, names[0])}`;
      break;
    case 'deep-if':
      text = `${'#ifdef CONFIG_A\n'.repeat(many)}${entry(rng, names[0])}${'#endif\n'.repeat(rng.chance(0.5) ? many : 0)}`;
      break;
    case 'orphan-directives':
      text = `${'#endif\n#else\n#elif X\n'.repeat(many / 3)}${entry(rng, names[0])}`;
      break;
    case 'continuations':
      text = `#if CONFIG_A \\\n${'  && CONFIG_B \\\n'.repeat(many)}\n${entry(rng, names[0])}#endif\n`;
      break;
    case 'deep-parens':
      text = `LSM_HOOK(int, 0, ${names[0]}, int (${'('.repeat(many)}*f${')'.repeat(rng.chance(0.5) ? many : 0)})(void))\n`;
      break;
    case 'odd-fields':
      text =
        rng
          .pick([
            'LSM_HOOK()\n',
            'LSM_HOOK(,,,)\n',
            'LSM_HOOK(int,,x)\n',
            `LSM_HOOK(int, 0, ${names[0]},,)\n`,
            'LSM_HOOK(int, 0, 0, 0)\n',
            'LSM_HOOK\n(',
            ')LSM_HOOK(',
          ])
          .repeat(1 + rng.int(50)) + entry(rng, names[0]);
      break;
    case 'line-endings':
      text = withLineEndings(base + entry(rng, names[0]), rng.pick(['crlf', 'cr', 'mixed', 'lone-cr'] as const), rng);
      break;
    case 'unterminated-comment':
      text = `${entry(rng, names[0])}/* ${base}`;
      break;
    case 'huge-entry':
      text = `LSM_HOOK(int, 0, ${names[0]}, ${'struct file *file, '.repeat(many)}int x)\n`;
      break;
    case 'duplicates':
      text = entry(rng, names[0]).repeat(many);
      break;
    default: {
      // A real header with some entries renamed to built-in names and some bytes damaged.
      const lines = base.split('\n');
      for (let i = 0; i < 20; i++) {
        const at = rng.int(lines.length);
        lines[at] = lines[at].replace(/(LSM_HOOK\([^,]*,[^,]*,\s*)\w+/, `$1${rng.pick(names)}`);
        if (rng.chance(0.3)) lines[at] = lines[at].slice(0, rng.int(lines[at].length + 1));
      }
      text = lines.join('\n');
    }
  }
  return { text, hooks: [...names, 'file_open'] };
}

/** A program on each of `hooks` (checked against a header that declares them). */
export function programsOn(hooks: string[]): string {
  return (
    LICENSE +
    hooks
      .map((h, i) => program(`lsm/${h}`, `p${i}`, 'struct file *file, int ret', '    if (ret != 0)\n        return ret;\n    return -1;'))
      .join('\n')
  );
}
