// Attribute macros between a section marker and its function, as the kernel's verifier selftests write
// them: `SEC("lsm/mmap_file") __description("...") __failure __msg("...") int BPF_PROG(...)`. tree-sitter
// cannot tell such a run from a broken declaration and may lose the function that follows. The parser is
// given the text with the run blanked (same length, so every offset stays valid); the finder still reads
// the original text (programs.ts, isBetweenMarkerAndFunction).

const MARKER = /\bSEC\s*\(\s*"(?:[^"\\\r\n]|\\.)*"\s*\)/g;
/** An attribute's arguments are short; past this a group is not read as one. */
const MAX_GROUP_LENGTH = 4096;
const MAX_GROUP_DEPTH = 16;
/** Attribute runs are a handful of macros; past this the rest is left alone. */
const MAX_RUN_MACROS = 32;

/**
 * The balanced group opened at `open`: its end (exclusive), or -1 when it is unclosed, too long or holds
 * a statement; and how far it was read (`reach`), so that no text is read twice.
 */
function readGroup(text: string, open: number): { end: number; reach: number } {
  let depth = 0;
  const limit = Math.min(text.length, open + MAX_GROUP_LENGTH);
  const fail = (at: number) => ({ end: -1, reach: at });
  for (let i = open; i < limit; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      for (i++; i < limit && text[i] !== c; i++) {
        if (text[i] === '\\') i++;
        else if (text[i] === '\n') return fail(i);
      }
      // Unclosed before the limit: the outer loop ends there too.
    } else if (c === '(') {
      if (++depth > MAX_GROUP_DEPTH) return fail(i);
    } else if (c === ')') {
      if (--depth === 0) return { end: i + 1, reach: i + 1 };
    } else if (c === ';' || c === '{' || c === '}') {
      return fail(i);
    }
  }
  return fail(limit);
}

/** Past whitespace and comments from `i`. */
function skipSpace(text: string, i: number): number {
  for (;;) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) return text.length;
      i = end + 2;
    } else if (text.startsWith('//', i)) {
      const end = text.indexOf('\n', i);
      if (end < 0) return text.length;
      i = end;
    } else {
      return i;
    }
  }
}

const WORD = /[A-Za-z_]\w*/y;

function wordAt(text: string, i: number): string | null {
  WORD.lastIndex = i;
  return WORD.exec(text)?.[0] ?? null;
}

/**
 * The ranges of `__name` and `__name(...)` macros right after each `SEC("...")`, up to the return type
 * (a word followed by the function's name and its parenthesis stays). Only runs that hold a macro with
 * arguments (`__msg("...")`, `__log_level(2)`) are returned: those are the ones tree-sitter loses
 * functions to; a bare `__success __naked` it reads as a declaration's specifiers.
 */
export function attributeRuns(text: string): [number, number][] {
  const runs: [number, number][] = [];
  if (!text.includes('SEC')) return runs;
  // Markers inside text a previous run already read are skipped: hostile text is read once, not once per marker.
  let reach = 0;
  for (const m of text.matchAll(MARKER)) {
    if (m.index < reach) continue;
    const macros: [number, number][] = [];
    let hasArgs = false;
    let i = skipSpace(text, m.index + m[0].length);
    reach = Math.max(reach, i);
    while (macros.length < MAX_RUN_MACROS) {
      const word = wordAt(text, i);
      if (!word || !word.startsWith('__') || word === '__attribute__') break;
      const after = skipSpace(text, i + word.length);
      reach = Math.max(reach, after);
      if (text[after] === '(') {
        const group = readGroup(text, after);
        reach = Math.max(reach, group.reach);
        if (group.end < 0) break;
        hasArgs = true;
        macros.push([i, group.end]);
        i = skipSpace(text, group.end);
        continue;
      }
      // `__u64 name(`: the return type, not an attribute (`__failure __msg(` is two attributes).
      const next = wordAt(text, after);
      if (next && !next.startsWith('__')) {
        const afterNext = skipSpace(text, after + next.length);
        reach = Math.max(reach, afterNext);
        if (text[afterNext] === '(') break;
      }
      macros.push([i, i + word.length]);
      i = after;
    }
    reach = Math.max(reach, i);
    if (hasArgs) runs.push(...macros);
  }
  return runs;
}

/** The text with the attribute runs blanked (line ends kept), for the parser only. */
export function blankAttributeRuns(text: string): string {
  const runs = attributeRuns(text);
  if (runs.length === 0) return text;
  let out = '';
  let at = 0;
  for (const [start, end] of runs) {
    out += text.slice(at, start) + text.slice(start, end).replace(/[^\n]/g, ' ');
    at = end;
  }
  return out + text.slice(at);
}
