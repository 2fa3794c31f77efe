// Local headers (`#include "shared.h"`): what the analysis of a file takes from them. Many projects keep
// `char LICENSE[] SEC("license")`, their errno #defines and their section macros in a shared header. The
// analysis stays a pure function of texts: the caller (the linter, the language server) finds and reads
// the headers (includeReader.ts) and passes their texts in; this module scans them, without a parse tree,
// for licences, object-like #defines and section macros. Angle includes (<vmlinux.h>) are never read.
import { licenseAfter, sectionMacroOf, type InheritedMacros, type SectionMacro } from './programs';

/** Bounds on what is read through includes, whichever caller reads them. */
export const INCLUDE_LIMITS = {
  /** One header: real ones are a few KB; a generated vmlinux.h (never read) is several MB. */
  headerBytes: 1024 * 1024,
  /** All headers of one file together. */
  totalBytes: 4 * 1024 * 1024,
  /** Headers read for one file. */
  files: 64,
  /** `a.h` includes `b.h` includes ...: deeper than this is not followed. */
  depth: 16,
  /** `#include` lines taken from one file. */
  directives: 256,
  /** An include name longer than this is no real file name. */
  nameLength: 1024,
} as const;

/** One `#include "name"` line of a file: the name as written and the span of the directive. */
export interface IncludeDirective {
  name: string;
  start: number;
  end: number;
}

/** A header that was read: its text, and the include of the analysed file it was reached through. */
export interface ReadHeader {
  /** For messages: the path as the user knows it (relative to the analysed file's directory when inside it). */
  path: string;
  text: string;
  /** The name in the analysed file's own `#include "..."` it was reached through. */
  via: string;
}

/** A header that could not be read, and why (one phrase: `no such file in ...`, `is a binary file`). */
export interface UnreadHeader {
  name: string;
  reason: string;
  via: string;
}

/** What a caller found for a file's local includes. */
export interface ResolvedIncludes {
  headers: ReadHeader[];
  unread: UnreadHeader[];
}

export interface IncludedLicense {
  /** The licence string, null when it is not a literal. */
  value: string | null;
  header: string;
  via: string;
}

/** What the checks learn from the local headers of a file. */
export interface IncludeFacts {
  /** The file's own `#include "..."` lines. */
  directives: IncludeDirective[];
  licenses: IncludedLicense[];
  /** Headers whose content is unknown: what they might hold cannot be claimed missing. */
  unread: UnreadHeader[];
}

/** Headers that only declare kernel types or libbpf's API: they hold no licence and need not be found. */
const LIBRARY_HEADERS = new Set([
  'vmlinux.h',
  'bpf_helpers.h',
  'bpf_helper_defs.h',
  'bpf_tracing.h',
  'bpf_core_read.h',
  'bpf_endian.h',
  'bpf_tracing_net.h',
]);

/** A header that is not read (vmlinux.h: megabytes of types), and not missed when it cannot be found. */
export function isLibraryHeader(name: string): boolean {
  return LIBRARY_HEADERS.has(name.slice(name.lastIndexOf('/') + 1));
}

/**
 * The text with comments replaced by spaces (line ends kept), so that offsets still match and a
 * commented-out `#include` or `SEC("license")` is not taken. String and character literals are kept.
 */
export function blankComments(text: string): string {
  let out = '';
  let i = 0;
  let copied = 0;
  const n = text.length;
  // Only quotes and slashes start something; the text between them is skipped by a native search.
  const next = /["'/]/g;
  while (i < n) {
    next.lastIndex = i;
    const found = next.exec(text);
    if (!found) break;
    i = found.index;
    const c = text[i];
    if (c === '"' || c === "'") {
      i++;
      while (i < n && text[i] !== c && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '/' && text[i + 1] === '/') {
      const end = lineCommentEnd(text, i);
      out += text.slice(copied, i) + text.slice(i, end).replace(/[^\r\n]/g, ' ');
      copied = i = end;
    } else if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      const end = close < 0 ? n : close + 2;
      out += text.slice(copied, i) + text.slice(i, end).replace(/[^\r\n]/g, ' ');
      copied = i = end;
    } else {
      i++;
    }
  }
  return out + text.slice(copied);
}

/** A `//` comment runs to the line end, or past it when the line ends in a backslash. */
function lineCommentEnd(text: string, from: number): number {
  const re = /\r\n|\r|\n/g;
  re.lastIndex = from;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (text[m.index - 1] !== '\\') return m.index;
  }
  return text.length;
}

/** Preprocessor lines of a comment-blanked text, continuations joined: their text and start offset. */
function* directiveLines(blanked: string): Generator<{ text: string; start: number; end: number }> {
  const re = /^[ \t]*#(?:[^\r\n\\]|\\(?:\r\n|\r|\n)?)*/gm;
  for (let m = re.exec(blanked); m; m = re.exec(blanked)) {
    // Every match holds its '#': never empty, so the search always moves on.
    yield { text: m[0].replace(/\\(?:\r\n|\r|\n)/g, ' '), start: m.index, end: m.index + m[0].length };
  }
}

const INCLUDE_RE = /^\s*#\s*include\s*"([^"]*)"/;

/** The `#include "..."` lines of a text (at most INCLUDE_LIMITS.directives), angle includes left out. */
export function localIncludes(text: string): IncludeDirective[] {
  // This runs on every change in the editor. Most files have no such line and are not scanned; the rest
  // have them near the top, and only the text up to the end of the last one is (offsets are the same).
  const candidate = /#\s*include\s*"/g;
  let last = -1;
  for (let m = candidate.exec(text); m; m = candidate.exec(text)) last = m.index;
  if (last < 0) return [];
  const lineEnd = /[\r\n]/g;
  lineEnd.lastIndex = last;
  const blanked = blankComments(text.slice(0, lineEnd.exec(text)?.index ?? text.length));
  const found: IncludeDirective[] = [];
  for (const line of directiveLines(blanked)) {
    const m = INCLUDE_RE.exec(line.text);
    // The directive up to its closing quote: a comment after it is not part of it.
    if (m)
      found.push({
        name: m[1],
        start: line.start + m[0].length - m[0].trimStart().length,
        end: Math.min(line.end, line.start + m[0].length),
      });
    if (found.length >= INCLUDE_LIMITS.directives) break;
  }
  return found;
}

const DEFINE_RE = /^\s*#\s*define\s+([A-Za-z_]\w*)(\(([^)]*)\))?(.*)$/s;
const LICENSE_MARKER = /\b(?:SEC|section)\s*\(\s*"license"\s*\)/g;

/** What one header defines: its object-like #defines, its section macros and its licences. */
export function headerFacts(text: string): {
  defines: Map<string, string>;
  sectionMacros: Map<string, SectionMacro>;
  licenses: (string | null)[];
} {
  const blanked = blankComments(text);
  const defines = new Map<string, string>();
  const sectionMacros = new Map<string, SectionMacro>();
  for (const line of directiveLines(blanked)) {
    const m = DEFINE_RE.exec(line.text);
    if (!m) continue;
    const [, name, withParams, params, value] = m;
    if (withParams === undefined) {
      defines.set(name, value.trim());
    } else {
      const macro = sectionMacroOf(
        params
          .split(',')
          .map((p) => p.trim())
          .filter((p) => p !== ''),
        value,
      );
      if (macro) sectionMacros.set(name, macro);
    }
  }
  const licenses: (string | null)[] = [];
  for (const m of blanked.matchAll(LICENSE_MARKER)) {
    // Inside a #define (`#define LICENSE SEC("license")`) it is a macro body, not a licence.
    const lineStart = blanked.lastIndexOf('\n', m.index) + 1;
    if (/^\s*#/.test(blanked.slice(lineStart, m.index))) continue;
    licenses.push(licenseAfter(m.index, m.index + m[0].length, blanked).value);
  }
  return { defines, sectionMacros, licenses };
}

/**
 * The facts of a file's local headers, and the macros its model inherits from them. Without `resolved`
 * (the caller read no headers) every local include is unread: nothing is claimed missing because of it.
 */
export function includeFacts(text: string, resolved: ResolvedIncludes | undefined): { facts: IncludeFacts; inherited: InheritedMacros } {
  const directives = localIncludes(text);
  const unread: UnreadHeader[] = resolved
    ? [...resolved.unread]
    : directives.filter((d) => !isLibraryHeader(d.name)).map((d) => ({ name: d.name, reason: 'headers were not read', via: d.name }));
  const defines = new Map<string, string>();
  const sectionMacros = new Map<string, SectionMacro>();
  const licenses: IncludedLicense[] = [];
  let bytes = 0;
  for (const header of resolved?.headers ?? []) {
    // The caller bounds what it reads; this bounds what it is given.
    bytes += header.text.length;
    if (bytes > INCLUDE_LIMITS.totalBytes) {
      unread.push({ name: header.path, reason: 'over the limit on header text per file', via: header.via });
      continue;
    }
    const facts = headerFacts(header.text);
    for (const [name, value] of facts.defines) defines.set(name, value);
    for (const [name, macro] of facts.sectionMacros) sectionMacros.set(name, macro);
    for (const value of facts.licenses) licenses.push({ value, header: header.path, via: header.via });
  }
  return { facts: { directives, licenses, unread }, inherited: { defines, sectionMacros } };
}
