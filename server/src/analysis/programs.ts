// Finds the LSM programs of a BPF C file in its tree-sitter tree: each `SEC("lsm.../<hook>")` (or
// `__attribute__((section(...)))`, or a macro that expands to SEC) and the function it marks, and the
// file's licence. Works on trees with errors: half-written code still yields what can be found.
import type { Node, Tree } from 'web-tree-sitter';
import { parseParam, type CParam } from '../ctext/cDecl';
import type { Range } from './findings';
import { TextIndex } from '../ctext/textIndex';
import type { IncludeFacts } from './includes';
import { CONDITIONAL_BLOCKS, topLevel, unescapeC } from './syntax';

export type SectionKind = 'lsm' | 'lsm.s' | 'lsm_cgroup';

export interface ProgramParam {
  text: string;
  decl: CParam;
  start: number;
  end: number;
}

export interface LsmProgram {
  /** The whole section string: `lsm.s/file_open`. */
  section: string;
  kind: SectionKind;
  /** `?lsm/...`: libbpf does not auto-load it. */
  optional: boolean;
  hook: string;
  /** Offsets of the hook name in the file: inside the string, the macro argument, or the whole macro use (no argument alone is the hook). */
  hookStart: number;
  hookEnd: number;
  /** False when the section came through a macro, so edits to the hook text are not offered. */
  hookEditable: boolean;
  /** `BPF_PROG`, `BPF_KPROBE`...; null for a plain function with a raw context. */
  macro: string | null;
  macroStart: number;
  macroEnd: number;
  name: string;
  /** Parameters after the program name (macro forms) or of the plain function. */
  params: ProgramParam[];
  /** Offsets to replace when rewriting the argument list (after the name, up to the closing paren). */
  paramsStart: number;
  paramsEnd: number;
  /** A plain function taking the raw context (`unsigned long long *ctx`). */
  rawContext: boolean;
  /** The function body, when the program has one that parsed. */
  body: Node | null;
  /** The section marker (`SEC("lsm/file_open")`): where it starts and ends. */
  start: number;
  sectionEnd: number;
  /**
   * Declared through a function-like macro of the file (`LSM_PROG(file_open, name, args) {...}`): ranges
   * point at the macro's use, and edits outside the body (text the macro produces) are not offered.
   */
  viaMacro?: string;
}

export interface LicenseInfo {
  /** The licence string, or null when it is not a literal (a macro, say) and cannot be judged. */
  value: string | null;
  start: number;
  end: number;
}

export interface FileModel {
  text: string;
  index: TextIndex;
  programs: LsmProgram[];
  licenses: LicenseInfo[];
  /** Object-like `#define NAME value` of the file and of the local headers it includes (for constant evaluation). */
  defines: Map<string, string>;
  /** What the file's local `#include "..."` headers hold, or could not be read for (set by analyze.ts). */
  includes?: IncludeFacts;
}

/** Macros of the local headers a file includes, seen before the file's own (which override them). */
export interface InheritedMacros {
  defines: ReadonlyMap<string, string>;
  sectionMacros: ReadonlyMap<string, SectionMacro>;
}

const PROGRAM_MACROS = new Set([
  'BPF_PROG',
  'BPF_PROG2',
  'BPF_KPROBE',
  'BPF_KRETPROBE',
  'BPF_KSYSCALL',
  'BPF_KPROBE_SYSCALL',
  'BPF_UPROBE',
  'BPF_URETPROBE',
  'BPF_USDT',
]);

const SECTION_RE = /^(\?)?(lsm|lsm\.s|lsm_cgroup)\/(.*)$/;

interface Marker {
  section: string;
  /** Offset where the hook part of the section starts, or the range of a macro argument. */
  hookStart: number;
  hookEnd: number;
  hookEditable: boolean;
  start: number;
  end: number;
}

/** A function-like macro whose body puts its parameter into a section: `#define LSM(h) SEC("lsm/" #h)`. */
export interface SectionMacro {
  params: string[];
  /** Pieces of the section string: literal text, or the index of a stringised parameter. */
  pieces: (string | number)[];
}

/** Evaluates a string_literal or concatenated_string node; null when a part is not a literal. */
function stringValue(node: Node): { value: string; contentStart: number } | null {
  if (node.type === 'string_literal') {
    const raw = node.text;
    if (!raw.startsWith('"') || !raw.endsWith('"') || raw.length < 2) return null;
    return { value: unescapeC(raw.slice(1, -1)), contentStart: node.startIndex + 1 };
  }
  if (node.type === 'concatenated_string') {
    let value = '';
    for (const child of node.namedChildren) {
      if (!child) continue;
      const part = stringValue(child);
      if (!part) return null;
      value += part.value;
    }
    // Pieces of several literals: the hook text is not one contiguous span, so it is not edited in place.
    return { value, contentStart: -1 };
  }
  return null;
}

/** Real section macros have a few pieces and make short sections; past these, a macro is not read. */
const MAX_SECTION_PIECES = 64;
const MAX_SECTION_LENGTH = 1024;
/** `lsm/`, `?lsm.s/`...: a section that has reached the place of the hook name. */
const SECTION_PREFIX_ONLY = /^\??(lsm|lsm\.s|lsm_cgroup)\/$/;

/** Reads `#define NAME(a, b) ... SEC("lsm/" #a) ...` into a SectionMacro. */
function sectionMacro(def: Node): [string, SectionMacro] | null {
  const name = def.childForFieldName('name')?.text;
  const paramsNode = def.childForFieldName('parameters');
  if (!name || !paramsNode) return null;
  const params = paramsNode.namedChildren.filter((n): n is Node => !!n).map((n) => n.text);
  const macro = sectionMacroOf(params, def.childForFieldName('value')?.text ?? '');
  return macro && [name, macro];
}

/** The section a function-like macro's body makes of its parameters, or null when it makes none. */
export function sectionMacroOf(params: string[], value: string): SectionMacro | null {
  const m = /\bSEC\s*\(((?:\s*(?:"(?:[^"\\]|\\.)*"|#\s*[A-Za-z_]\w*))+)\s*\)/.exec(value);
  if (!m) return null;
  const pieces: (string | number)[] = [];
  for (const piece of m[1].matchAll(/"((?:[^"\\]|\\.)*)"|#\s*([A-Za-z_]\w*)/g)) {
    if (piece[1] !== undefined) pieces.push(unescapeC(piece[1]));
    else {
      const i = params.indexOf(piece[2]);
      if (i < 0) return null;
      pieces.push(i);
    }
    if (pieces.length > MAX_SECTION_PIECES) return null;
  }
  return { params, pieces };
}

/** Arguments of a macro use, from a call_expression or a macro_type_specifier. */
function macroArgs(node: Node): Node[] {
  if (node.type === 'call_expression') {
    return node.childForFieldName('arguments')?.namedChildren.filter((n): n is Node => !!n) ?? [];
  }
  const type = node.childForFieldName('type');
  return type ? [type] : [];
}

/** The marker a macro use produces, when every piece of its section can be resolved. */
function expandSectionMacro(use: Node, macro: SectionMacro): Marker | null {
  const args = macroArgs(use);
  if (args.length !== macro.params.length) return null;
  let section = '';
  /** The argument that stands where the hook name goes, when one does. */
  let hookArg: Node | undefined;
  for (const piece of macro.pieces) {
    if (typeof piece === 'string') {
      section += piece;
    } else {
      const arg = args[piece];
      if (!hookArg && SECTION_PREFIX_ONLY.test(section)) hookArg = arg;
      section += arg.text.trim();
    }
    if (section.length > MAX_SECTION_LENGTH) return null;
  }
  // Without one, findings about the hook point at the whole use, and no fix edits it.
  const hook = hookArg ?? use;
  return { section, hookStart: hook.startIndex, hookEnd: hook.endIndex, hookEditable: !!hookArg, start: use.startIndex, end: use.endIndex };
}

/** The names whose argument is the section itself: `SEC("...")` and `__attribute__((section("...")))`. */
const SECTION_CALLEES = new Set(['SEC', 'section']);

function calleeName(call: Node): string | null {
  const fn = call.childForFieldName('function');
  return fn?.type === 'identifier' ? fn.text : null;
}

/**
 * The marker of a `SEC("...")` or `section("...")` (`use`, with its argument `arg`); `SEC(NAME)` resolves
 * `#define NAME "..."`. tree-sitter reads `SEC(NAME)` before a function as a type (a macro_type_specifier
 * whose argument is a type), `SEC("...")` as a call.
 */
function directMarker(use: Node, arg: Node | null | undefined, defines: Map<string, string>): Marker | null {
  if (!arg) return null;
  let str = stringValue(arg);
  if (!str && /^[A-Za-z_]\w*$/.test(arg.text)) {
    const m = /^"((?:[^"\\]|\\.)*)"$/.exec(defines.get(arg.text) ?? '');
    if (m) str = { value: unescapeC(m[1]), contentStart: -1 };
  }
  if (!str) return null;
  const m = SECTION_RE.exec(str.value);
  const editable = str.contentStart >= 0 && !str.value.includes('\\');
  const prefixLength = m ? (m[1] ?? '').length + m[2].length + 1 : 0;
  const hookStart = editable ? str.contentStart + prefixLength : arg.startIndex;
  const hookEnd = editable ? hookStart + str.value.length - prefixLength : arg.endIndex;
  return { section: str.value, hookStart, hookEnd, hookEditable: editable, start: use.startIndex, end: use.endIndex };
}

/** Attribute macros nest their arguments shallowly (`__attribute__((section("x")))`); deeper is not an attribute. */
const MAX_ATTRIBUTE_DEPTH = 16;

/**
 * Between a marker and its function stand a return type, qualifiers, the rest of an attribute, and
 * attribute macros with arguments, strings included (the verifier selftests' `__description("...")
 * __failure __msg("...") __naked`): no statement or initialiser. A string is accepted only inside the
 * parentheses of a macro written here; `;`, `{`, `}` and `=` only inside strings or comments.
 */
export function isBetweenMarkerAndFunction(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '/' && (text[i + 1] === '*' || text[i + 1] === '/')) {
      if (text[i + 1] === '*') {
        const end = text.indexOf('*/', i + 2);
        if (end < 0) return false;
        i = end + 1;
      } else {
        // Any line end ends it (\r alone too: the parser sees every line end as \n, cParser.ts).
        let end = i;
        while (end < text.length && text[end] !== '\n' && text[end] !== '\r') end++;
        i = end;
      }
      continue;
    }
    if (c === '"' || c === "'") {
      if (depth === 0) return false;
      const end = endOfQuoted(text, i);
      if (end < 0) return false;
      i = end;
      continue;
    }
    if (c === '(') {
      if (++depth > MAX_ATTRIBUTE_DEPTH) return false;
    } else if (c === ')') {
      // At depth 0: the end of the attribute the marker sits in (`__attribute__((section("lsm/x")))`).
      if (depth > 0) depth--;
    } else if (c === ';' || c === '{' || c === '}' || c === '=') {
      return false;
    }
  }
  return depth === 0;
}

/** The index of the quote closing the string or character literal opened at `start`; -1 when it is not closed on its line. */
function endOfQuoted(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === quote) return i;
    else if (c === '\n' || c === '\r') return -1;
  }
  return -1;
}

function programParams(
  declarator: Node,
  macro: string | null,
): { params: ProgramParam[]; name: string; start: number; end: number } | null {
  const list = declarator.childForFieldName('parameters');
  if (!list) return null;
  const nodes = list.namedChildren.filter((n): n is Node => !!n && n.type !== 'comment');
  let name = declarator.childForFieldName('declarator')?.text ?? '';
  let rest = nodes;
  let start = list.startIndex + 1;
  if (macro) {
    const first = nodes[0];
    if (!first) return null;
    name = first.text;
    rest = nodes.slice(1);
    start = first.endIndex;
  }
  const params: ProgramParam[] = rest.map((n) => ({ text: n.text, decl: parseParam(n.text), start: n.startIndex, end: n.endIndex }));
  // Before the closing parenthesis; in broken code it may be missing, and the range never runs backwards.
  const close = list.lastChild;
  const end = Math.max(start, close && close.type === ')' && !close.isMissing ? close.startIndex : list.endIndex);
  return { params: macro === 'BPF_PROG2' ? pairProg2Params(params) : params, name, start, end };
}

/** BPF_PROG2(name, type1, name1, type2, name2...): the types and names paired up (one left over is dropped). */
function pairProg2Params(params: ProgramParam[]): ProgramParam[] {
  const paired: ProgramParam[] = [];
  for (let i = 0; i + 1 < params.length; i += 2) {
    const text = `${params[i].text} ${params[i + 1].text}`;
    paired.push({ text, decl: parseParam(text), start: params[i].start, end: params[i + 1].end });
  }
  return paired;
}

function isRawContext(params: ProgramParam[]): boolean {
  return (
    params.length === 1 && params[0].decl.pointer === 1 && /^(unsigned long long|__u64|u64|void|unsigned long)$/.test(params[0].decl.base)
  );
}

const COLLECTED = ['call_expression', 'macro_type_specifier', 'function_declarator', 'preproc_function_def', 'preproc_def'];

/**
 * The nodes the finder needs, in document order. Markers and prototypes sit outside function bodies, so
 * bodies are not searched (they hold most of a file's nodes). The common top-level shapes are read
 * directly; anything else (ERROR nodes, attributes, odd declarations) gets one native search.
 */
function collect(root: Node) {
  const lists = new Map<string, Node[]>(COLLECTED.map((k) => [k, []]));
  const push = (n: Node | null) => {
    if (n) lists.get(n.type)?.push(n);
  };
  const search = (n: Node, end?: Node) => {
    for (const d of n.descendantsOfType(COLLECTED, n.startPosition, end?.startPosition)) push(d);
  };
  for (const child of topLevel(root)) {
    if (child.type === 'function_definition') {
      const body = child.childForFieldName('body');
      const declarator = child.childForFieldName('declarator');
      const type = child.childForFieldName('type');
      // `int BPF_PROG(...)`: a plain type and a function declarator, nothing else before the body.
      if (body && declarator?.type === 'function_declarator' && child.namedChildCount === 3 && type?.type !== 'macro_type_specifier') {
        push(declarator);
      } else {
        search(child, body ?? undefined);
      }
    } else if (child.type === 'expression_statement' && child.namedChildCount === 1 && child.firstNamedChild?.type === 'call_expression') {
      // `SEC("lsm/file_open")` on its own line: a call with string arguments holds nothing else we need.
      const call = child.firstNamedChild;
      if (call.childForFieldName('arguments')?.namedChildren.every((a) => a?.type === 'string_literal' || a?.type === 'identifier'))
        push(call);
      else search(child);
    } else if (child.type === 'preproc_def' || child.type === 'preproc_function_def') {
      push(child);
    } else if (child.type !== 'comment' && child.type !== 'preproc_include') {
      search(child);
    }
  }
  const list = (type: string) => lists.get(type)!;
  return {
    calls: list('call_expression'),
    macroTypes: list('macro_type_specifier'),
    declarators: list('function_declarator'),
    functionDefs: list('preproc_function_def'),
    defines: list('preproc_def'),
  };
}

export function findPrograms(tree: Tree, text: string, inherited?: InheritedMacros): FileModel {
  const index = new TextIndex(text);
  const { calls, macroTypes, declarators, functionDefs, defines } = collect(tree.rootNode);

  const sectionMacros = new Map<string, SectionMacro>(inherited?.sectionMacros);
  for (const def of functionDefs) {
    const entry = sectionMacro(def);
    if (entry) sectionMacros.set(entry[0], entry[1]);
  }
  const defineValues = new Map<string, string>(inherited?.defines);
  for (const def of defines) {
    const name = def.childForFieldName('name')?.text;
    const value = def.childForFieldName('value')?.text.trim();
    if (name && value !== undefined) defineValues.set(name, value);
  }

  const markers: Marker[] = [];
  for (const call of calls) {
    const callee = calleeName(call);
    const macro = callee ? sectionMacros.get(callee) : undefined;
    const marker =
      callee !== null && SECTION_CALLEES.has(callee)
        ? directMarker(call, call.childForFieldName('arguments')?.namedChildren[0], defineValues)
        : macro
          ? expandSectionMacro(call, macro)
          : null;
    if (marker) markers.push(marker);
  }
  for (const use of macroTypes) {
    const name = use.childForFieldName('name')?.text ?? '';
    const macro = sectionMacros.get(name);
    const marker = SECTION_CALLEES.has(name)
      ? directMarker(use, use.childForFieldName('type'), defineValues)
      : macro && expandSectionMacro(use, macro);
    if (marker) markers.push(marker);
  }
  markers.sort((a, b) => a.start - b.start);

  const licenses: LicenseInfo[] = [];
  const programs: LsmProgram[] = [];
  let d = 0;
  for (let i = 0; i < markers.length; i++) {
    const marker = markers[i];
    if (marker.section === 'license') {
      licenses.push(licenseAfter(marker.start, marker.end, text));
      continue;
    }
    const m = SECTION_RE.exec(marker.section);
    if (!m) continue;
    while (d < declarators.length && declarators[d].startIndex < marker.end) d++;
    const declarator = declarators[d];
    const nextMarker = markers[i + 1];
    if (!declarator || (nextMarker && nextMarker.start < declarator.startIndex)) continue;
    if (!isBetweenMarkerAndFunction(text.slice(marker.end, declarator.startIndex))) continue;
    const callee = declarator.childForFieldName('declarator')?.text ?? '';
    const macro = PROGRAM_MACROS.has(callee) ? callee : null;
    const parsed = programParams(declarator, macro);
    if (!parsed) continue;
    const calleeNode = declarator.childForFieldName('declarator')!;
    const definition = declarator.parent?.type === 'function_definition' ? declarator.parent : null;
    programs.push({
      section: marker.section,
      kind: m[2] as SectionKind,
      optional: m[1] === '?',
      hook: m[3],
      hookStart: marker.hookStart,
      hookEnd: marker.hookEnd,
      hookEditable: marker.hookEditable,
      macro,
      macroStart: calleeNode.startIndex,
      macroEnd: calleeNode.endIndex,
      name: parsed.name,
      params: parsed.params,
      paramsStart: parsed.start,
      paramsEnd: parsed.end,
      rawContext: !macro && isRawContext(parsed.params),
      body: definition?.childForFieldName('body') ?? null,
      start: marker.start,
      sectionEnd: marker.end,
    });
  }
  programs.push(...macroDeclaredPrograms(tree.rootNode, text, calls, functionDefs));
  programs.sort((a, b) => a.start - b.start);
  return { text, index, programs, licenses, defines: defineValues };
}

/** The string assigned after a `SEC("license")` marker: `char LICENSE[] SEC("license") = "GPL";`. */
export function licenseAfter(markerStart: number, markerEnd: number, text: string): LicenseInfo {
  const after = text.slice(markerEnd, markerEnd + 400);
  const m = /^[\s\w)]*=\s*((?:"(?:[^"\\\r\n]|\\.)*"\s*)+)/.exec(after);
  if (!m) return { value: null, start: markerStart, end: markerEnd };
  const literalStart = markerEnd + m[0].length - m[1].length;
  const value = [...m[1].matchAll(/"((?:[^"\\\r\n]|\\.)*)"/g)].map((p) => unescapeC(p[1])).join('');
  return { value, start: literalStart, end: literalStart + m[1].trimEnd().length };
}

export function rangeOf(model: FileModel, start: number, end: number): Range {
  return model.index.range(start, end);
}

/**
 * A function-like macro that declares a whole program:
 * `#define LSM_PROG(hook, name, args...) SEC("lsm/" #hook) int BPF_PROG(name, args)`.
 */
interface ProgramMacro {
  params: string[];
  /** The last parameter takes the rest of the arguments (`args...`, `...`). */
  variadic: boolean;
  /** The section's pieces: literal text, or the index of a stringised parameter. */
  section: (string | number)[];
  macro: string;
  /** BPF_PROG's arguments: literal text, or the index of a parameter (the variadic one spreads). */
  args: (string | number)[];
}

/** Past these, a macro or its use is not read: real ones are one line with a handful of arguments. */
const MAX_MACRO_TEXT = 4096;
const MAX_MACRO_ARGS = 64;

/** Splits `a, f(b, c), "d,e"` at its top-level commas: each piece's text and offset. */
function splitTopLevel(text: string, offset: number): { text: string; start: number; end: number }[] | null {
  const out: { text: string; start: number; end: number }[] = [];
  let depth = 0;
  let from = 0;
  const push = (to: number) => {
    const raw = text.slice(from, to);
    const lead = raw.length - raw.trimStart().length;
    out.push({ text: raw.trim(), start: offset + from + lead, end: offset + from + lead + raw.trim().length });
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      push(i);
      from = i + 1;
      if (out.length > MAX_MACRO_ARGS) return null;
    }
    if (depth < 0) return null;
  }
  push(text.length);
  return depth === 0 ? out : null;
}

/** Reads a `#define` whose value is `SEC(...) int BPF_PROG(...)` into a ProgramMacro. */
function programMacro(def: Node): [string, ProgramMacro] | null {
  if (def.text.length > MAX_MACRO_TEXT) return null;
  const text = def.text.replace(/\\\r?\n/g, ' ');
  const m = /^#\s*define\s+([A-Za-z_]\w*)\(([^)]*)\)\s*([\s\S]*?)\s*$/.exec(text);
  if (!m) return null;
  const value = /^SEC\s*\(((?:\s*(?:"(?:[^"\\]|\\.)*"|#\s*[A-Za-z_]\w*))+)\s*\)\s*(?:[A-Za-z_]\w*\s+)*?(BPF_PROG2?)\s*\(([^()]*)\)$/.exec(
    m[3],
  );
  if (!value) return null;
  let variadic = false;
  const params = m[2].split(',').map((p, i, all) => {
    const name = p.trim();
    if (i === all.length - 1 && name.endsWith('...')) {
      variadic = true;
      return name === '...' ? '__VA_ARGS__' : name.slice(0, -3).trim();
    }
    return name;
  });
  if (params.some((p) => !/^[A-Za-z_]\w*$/.test(p))) return null;
  const section: (string | number)[] = [];
  for (const piece of value[1].matchAll(/"((?:[^"\\]|\\.)*)"|#\s*([A-Za-z_]\w*)/g)) {
    if (piece[1] !== undefined) section.push(unescapeC(piece[1]));
    else {
      const i = params.indexOf(piece[2]);
      if (i < 0) return null;
      section.push(i);
    }
  }
  const args = value[3].split(',').map((a) => {
    const name = a.trim().replace(/^##\s*/, '');
    const i = params.indexOf(name);
    return i >= 0 ? i : a.trim();
  });
  return [m[1], { params, variadic, section, macro: value[2], args }];
}

/** Programs declared by uses of the file's program macros: `LSM_PROG(file_open, name, ...) { ... }`. */
function macroDeclaredPrograms(root: Node, text: string, calls: Node[], functionDefs: Node[]): LsmProgram[] {
  const macros = new Map<string, ProgramMacro>();
  for (const def of functionDefs) {
    // Only a define whose text holds SEC and a program macro is read further (files have many defines).
    if (!/\bSEC\b[\s\S]*\bBPF_PROG/.test(text.slice(def.startIndex, Math.min(def.endIndex, def.startIndex + MAX_MACRO_TEXT)))) continue;
    const entry = programMacro(def);
    if (entry) macros.set(entry[0], entry[1]);
  }
  if (macros.size === 0) return [];
  // The name a node's text starts with, read from the text (cheaper than asking the tree of every node).
  const leading = (n: Node) => /^[A-Za-z_]\w*/.exec(text.slice(n.startIndex, n.startIndex + 128))?.[0] ?? '';
  const programs: LsmProgram[] = [];
  for (const call of calls) {
    if (!macros.has(leading(call))) continue;
    const name = calleeName(call);
    const macro = name ? macros.get(name) : undefined;
    const list = call.childForFieldName('arguments');
    // The use parses as a call statement followed by a block at the top level.
    const stmt = call.parent?.type === 'expression_statement' ? call.parent : null;
    const body = stmt?.nextNamedSibling;
    if (!macro || !list || !stmt || body?.type !== 'compound_statement' || list.text.length > MAX_MACRO_TEXT) continue;
    const program = expandProgramMacro(name!, macro, call.childForFieldName('function')!, list, body);
    if (program) programs.push(program);
  }
  // A use with one argument parses as a function whose return type is the macro: `LSM_OPEN(name) {`.
  const stack: Node[] = [root];
  while (stack.length > 0) {
    for (const c of stack.pop()!.namedChildren) {
      if (!c) continue;
      if (CONDITIONAL_BLOCKS.has(c.type)) stack.push(c);
      if (c.type !== 'function_definition' || !macros.has(leading(c))) continue;
      const type = c.childForFieldName('type');
      const declarator = c.childForFieldName('declarator');
      const body = c.childForFieldName('body');
      const macro = type?.type === 'type_identifier' ? macros.get(type.text) : undefined;
      if (!macro || declarator?.type !== 'parenthesized_declarator' || body?.type !== 'compound_statement') continue;
      const program = expandProgramMacro(type!.text, macro, type!, declarator, body);
      if (program) programs.push(program);
    }
  }
  return programs;
}

function expandProgramMacro(name: string, macro: ProgramMacro, callee: Node, list: Node, body: Node): LsmProgram | null {
  const args = splitTopLevel(list.text.slice(1, -1), list.startIndex + 1);
  if (!args || !list.text.endsWith(')')) return null;
  const fixed = macro.variadic ? macro.params.length - 1 : macro.params.length;
  if (macro.variadic ? args.length < fixed : args.length !== fixed) return null;
  const argOf = (i: number) => (i < fixed ? [args[i]] : args.slice(fixed));
  let section = '';
  let hookArg: { start: number; end: number; text: string } | null = null;
  for (const piece of macro.section) {
    if (typeof piece === 'string') section += piece;
    else {
      const arg = argOf(piece)
        .map((a) => a.text)
        .join(', ');
      if (!hookArg && SECTION_PREFIX_ONLY.test(section) && piece < fixed) hookArg = args[piece];
      section += arg;
    }
  }
  const m = SECTION_RE.exec(section);
  if (!m) return null;
  // BPF_PROG's arguments, each with where its text is written (the use, or the macro's own text).
  const items: { text: string; start: number; end: number }[] = [];
  for (const a of macro.args) {
    if (typeof a === 'number') items.push(...argOf(a));
    else items.push({ text: a, start: callee.startIndex, end: list.endIndex });
  }
  const [first, ...rest] = items.filter((i) => i.text !== '');
  if (!first || !/^[A-Za-z_]\w*$/.test(first.text)) return null;
  const written: ProgramParam[] = rest.map((p) => ({ text: p.text, decl: parseParam(p.text), start: p.start, end: p.end }));
  const params = macro.macro === 'BPF_PROG2' ? pairProg2Params(written) : written;
  const identifierHook = !!hookArg && /^[A-Za-z_]\w*$/.test(hookArg.text);
  return {
    section,
    kind: m[2] as SectionKind,
    optional: m[1] === '?',
    hook: m[3],
    hookStart: hookArg?.start ?? callee.startIndex,
    hookEnd: hookArg?.end ?? list.endIndex,
    hookEditable: identifierHook,
    macro: macro.macro,
    macroStart: callee.startIndex,
    macroEnd: callee.endIndex,
    name: first.text,
    params,
    paramsStart: list.startIndex + 1,
    paramsEnd: list.endIndex - 1,
    rawContext: false,
    body,
    start: callee.startIndex,
    sectionEnd: list.endIndex,
    viaMacro: name,
  };
}
