// Inline suppressions: `// bpf-lsm-disable-next-line CODE[, CODE...]` drops those findings on the next
// line, `// bpf-lsm-disable-line CODE` on its own line, `// bpf-lsm-disable-file CODE` (or `/* ... */`)
// in the whole file; `-- why` after the codes is a comment. Applied once, after every check ran
// (analyze.ts). A suppression that suppressed nothing, or names no check code (a typo), is itself a
// finding, `unused-suppression`, with the fix that removes it: stale suppressions hide the next real
// finding on that line.
import { distance } from 'fastest-levenshtein';
import type { TextIndex } from '../ctext/textIndex';
import { CHECK_CODES, isCheckCode } from './checks/registry';
import type { CheckCode, Finding, Fix, Range } from './findings';

/** A comment of the file: its text (with the comment markers) and where it is. */
export interface SourceComment {
  text: string;
  start: number;
  end: number;
}

type Scope = 'next-line' | 'line' | 'file';

interface Named {
  code: string;
  /** Offsets of the code in the file, and of what removing it takes (its separator with it). */
  start: number;
  end: number;
  removeStart: number;
  removeEnd: number;
}

interface Directive {
  scope: Scope;
  /** The 0-based line whose findings it suppresses (next-line and line). */
  line: number;
  codes: Named[];
  comment: SourceComment;
}

const DIRECTIVE_RE = /^(\/\/|\/\*)(\s*)bpf-lsm-disable-(next-line|line|file)\b/;
/** The codes a suppression can name (its own findings are never suppressed). */
const SUPPRESSIBLE = () => CHECK_CODES.filter((c) => c !== 'unused-suppression');

/** More codes than any real suppression names: the rest of such a comment is not read. */
const MAX_CODES = 32;

/** Reads a comment as a suppression directive; null when it is not one. */
export function parseDirective(comment: SourceComment, index: TextIndex): Directive | null {
  const m = DIRECTIVE_RE.exec(comment.text);
  if (!m) return null;
  const scope = m[3] as Scope;
  let body = comment.text.slice(m[0].length);
  if (m[1] === '/*') body = body.replace(/\*\/$/, '');
  const reason = body.indexOf('--');
  if (reason >= 0) body = body.slice(0, reason);
  const codes: Named[] = [];
  const bodyStart = comment.start + m[0].length;
  for (const c of body.matchAll(/[^\s,]+/g)) {
    if (codes.length >= MAX_CODES) break;
    const start = bodyStart + c.index;
    codes.push({ code: c[0], start, end: start + c[0].length, removeStart: start, removeEnd: start + c[0].length });
  }
  // Removing one code of several takes the separator before it (after it, for the first).
  for (let i = 0; i < codes.length && codes.length > 1; i++) {
    if (i > 0) codes[i].removeStart = codes[i - 1].end;
    else codes[i].removeEnd = codes[1].start;
  }
  const commentLine = index.position(comment.start).line;
  const endLine = index.position(comment.end).line;
  return { scope, line: scope === 'next-line' ? endLine + 1 : commentLine, codes, comment };
}

export interface SuppressionOutcome {
  /** The findings no suppression covers. */
  kept: Finding[];
  /** Suppressions that covered nothing, or name no check code. */
  unused: Finding[];
}

/**
 * Drops the suppressed findings and reports unused suppressions. `unchecked`: codes whose checks did not
 * run in full (disabled, or one that threw): a suppression of them cannot be judged unused.
 */
export function applySuppressions(
  text: string,
  index: TextIndex,
  comments: readonly SourceComment[],
  findings: readonly Finding[],
  unchecked: ReadonlySet<string>,
): SuppressionOutcome {
  const directives = comments.flatMap((c) => parseDirective(c, index) ?? []);
  if (directives.length === 0) return { kept: [...findings], unused: [] };
  // Indexed by line and code: a file may hold a great many directives, and as many findings.
  const byKey = new Map<string, Named[]>();
  for (const d of directives) {
    for (const named of d.codes) {
      const key = `${d.scope === 'file' ? 'file' : d.line} ${named.code}`;
      const list = byKey.get(key);
      if (list) list.push(named);
      else byKey.set(key, [named]);
    }
  }
  const used = new Set<Named>();
  const kept = findings.filter((f) => {
    const covering = [...(byKey.get(`${f.range.start.line} ${f.code}`) ?? []), ...(byKey.get(`file ${f.code}`) ?? [])];
    for (const named of covering) used.add(named);
    return covering.length === 0;
  });
  const unused: Finding[] = [];
  for (const d of directives) {
    if (d.codes.length === 0) {
      unused.push({
        code: 'unused-suppression',
        severity: 'warning',
        range: index.range(d.comment.start, d.comment.end),
        message: `This bpf-lsm-disable-${d.scope} names no check code, so it suppresses nothing. Name the codes: ${SUPPRESSIBLE().join(', ')}.`,
        fixes: [removal(text, index, d, d.codes)],
      });
      continue;
    }
    for (const named of d.codes) {
      if (used.has(named) || unchecked.has(named.code)) continue;
      const where = d.scope === 'file' ? 'in this file' : `on line ${d.line + 1}`;
      const range = index.range(named.start, named.end);
      const meant = isCheckCode(named.code) ? undefined : nearestCode(named.code);
      const message = isCheckCode(named.code)
        ? `This suppression of '${named.code}' suppressed nothing: there is no such finding ${where}. Remove it, so it does not hide the next one.`
        : meant
          ? `'${named.code}' is not a check code, so this suppression suppresses nothing: did you mean '${meant}'?`
          : `'${named.code}' is not a check code, so this suppression suppresses nothing. Known codes: ${SUPPRESSIBLE().join(', ')}.`;
      const remove = removal(text, index, d, [named]);
      unused.push({
        code: 'unused-suppression',
        severity: 'warning',
        range,
        message,
        fixes: meant
          ? [
              { title: `Change to '${meant}'`, edits: [{ range, newText: meant }], preferred: true },
              { ...remove, preferred: false },
            ]
          : [remove],
      });
    }
  }
  return { kept, unused };
}

/** The check code a misspelt one most likely meant, when one is close enough. */
function nearestCode(code: string): string | undefined {
  if (code.length > 64) return undefined;
  const max = Math.max(2, Math.floor(code.length / 4));
  let best: { code: string; d: number } | undefined;
  for (const candidate of SUPPRESSIBLE()) {
    const d = distance(code.toLowerCase(), candidate);
    if (d <= max && (!best || d < best.d)) best = { code: candidate, d };
  }
  return best?.code;
}

/** The edit that removes `codes` from the directive: the whole comment (and its line, when alone on it) if none is left. */
function removal(text: string, index: TextIndex, d: Directive, codes: readonly Named[]): Fix {
  const title = codes.length === 1 ? `Remove the unused suppression of '${codes[0].code}'` : 'Remove the unused suppression';
  if (codes.length < d.codes.length && codes.length === 1) {
    return { title, edits: [{ range: index.range(codes[0].removeStart, codes[0].removeEnd), newText: '' }], preferred: true };
  }
  let start = d.comment.start;
  let end = d.comment.end;
  const first = index.position(start).line;
  const last = index.position(end).line;
  const lineStart = index.offset({ line: first, character: 0 });
  const lineEnd = index.offset({ line: last, character: Number.MAX_SAFE_INTEGER });
  if (/^[ \t]*$/.test(text.slice(lineStart, start)) && /^[ \t]*$/.test(text.slice(end, lineEnd))) {
    // Alone on its lines: they go, with their line end.
    start = lineStart;
    end = last + 1 < index.lineCount ? index.offset({ line: last + 1, character: 0 }) : lineEnd;
  } else if (/^[ \t]*$/.test(text.slice(lineStart, start))) {
    // Code after it on the line: keep the line's indentation, drop the spaces after the comment.
    while (end < lineEnd && /[ \t]/.test(text[end])) end++;
  } else {
    // Code before it on the line: keep the code, drop the spaces before the comment.
    while (start > lineStart && /[ \t]/.test(text[start - 1])) start--;
  }
  return { title, edits: [{ range: index.range(start, end), newText: '' }], preferred: true };
}

/**
 * The edit that suppresses `code` on the line `line` (0-based): the code added to a
 * `bpf-lsm-disable-next-line` just above, or a new one above with the line's indentation. Null where a
 * comment line cannot go (the line continues a macro, or a comment runs into it).
 */
export function suppressionEdit(text: string, index: TextIndex, line: number, code: CheckCode): { range: Range; newText: string } | null {
  const lineStart = index.offset({ line, character: 0 });
  if (line > 0) {
    const prevStart = index.offset({ line: line - 1, character: 0 });
    const prev = text.slice(prevStart, lineStart).replace(/\r?\n$|\r$/, '');
    if (prev.endsWith('\\')) return null;
    const m = /^([ \t]*\/\/\s*bpf-lsm-disable-next-line\b[^\r\n]*?)(\s*--.*)?$/.exec(prev);
    if (m) {
      const at = index.position(prevStart + m[1].length);
      return { range: { start: at, end: at }, newText: `, ${code}` };
    }
  }
  const before = text.slice(0, lineStart);
  if (before.lastIndexOf('/*') > before.lastIndexOf('*/')) return null;
  const indent = /^[ \t]*/.exec(text.slice(lineStart))![0];
  const at = { line, character: 0 };
  return { range: { start: at, end: at }, newText: `${indent}// bpf-lsm-disable-next-line ${code}${index.eol}` };
}
