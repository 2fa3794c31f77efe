// Mutates real programs: token deletion, duplication and swap, splicing two programs, identifiers replaced
// by hostile names, line endings changed, nesting inserted, hostile characters inserted. The mutants keep
// most of a real program's shape, so they reach deeper into the checks than random text does.
import { BUILTIN_NAMES, nested, NESTING_FORMS, PIECES, withLineEndings, type LineEnding } from './corpora';
import type { Rng } from './rng';

export interface Token {
  text: string;
  start: number;
}

const TOKEN = /[A-Za-z_]\w*|\d\w*|"(?:[^"\\\n]|\\.)*"?|\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$)|\s+|[^]/gu;

/** C-ish tokens, whitespace and comments included, so that joining them gives the text back. */
export function tokenize(text: string): Token[] {
  return [...text.matchAll(TOKEN)].map((m) => ({ text: m[0], start: m.index }));
}

const isIdentifier = (t: string) => /^[A-Za-z_]\w*$/.test(t);
const isSignificant = (t: string) => !/^\s/.test(t);

type Mutator = (rng: Rng, text: string, donors: readonly string[]) => string;

function significantIndexes(tokens: Token[]): number[] {
  return tokens.flatMap((t, i) => (isSignificant(t.text) ? [i] : []));
}

const deleteTokens: Mutator = (rng, text) => {
  const tokens = tokenize(text);
  const sig = significantIndexes(tokens);
  if (sig.length === 0) return text;
  const from = rng.pick(sig);
  const count = rng.chance(0.8) ? 1 : 1 + rng.int(20);
  tokens.splice(from, count);
  return tokens.map((t) => t.text).join('');
};

const duplicateTokens: Mutator = (rng, text) => {
  const tokens = tokenize(text);
  if (tokens.length === 0) return text;
  const from = rng.int(tokens.length);
  const span = tokens.slice(from, from + 1 + rng.int(rng.chance(0.8) ? 3 : 40));
  const times = rng.chance(0.9) ? 1 : 1 + rng.int(200);
  tokens.splice(rng.int(tokens.length + 1), 0, ...Array.from({ length: times }, () => span).flat());
  return tokens.map((t) => t.text).join('');
};

const swapTokens: Mutator = (rng, text) => {
  const tokens = tokenize(text);
  const sig = significantIndexes(tokens);
  if (sig.length < 2) return text;
  const a = rng.pick(sig);
  const b = rng.chance(0.5) ? sig[Math.min(sig.length - 1, sig.indexOf(a) + 1)] : rng.pick(sig);
  [tokens[a], tokens[b]] = [tokens[b], tokens[a]];
  return tokens.map((t) => t.text).join('');
};

/** The head of one program (at a token boundary) joined to the tail of another. */
const splice: Mutator = (rng, text, donors) => {
  const other = donors.length > 0 ? rng.pick(donors) : text;
  const a = tokenize(text);
  const b = tokenize(other);
  return [...a.slice(0, rng.int(a.length + 1)), ...b.slice(rng.int(b.length + 1))].map((t) => t.text).join('');
};

/** One identifier (every use of it, or a single use) renamed to a built-in property name or something odd. */
const hostileIdentifier: Mutator = (rng, text) => {
  const tokens = tokenize(text);
  const ids = tokens.filter((t) => isIdentifier(t.text));
  if (ids.length === 0) return text;
  const victim = rng.pick(ids).text;
  const name = rng.chance(0.85)
    ? rng.pick(BUILTIN_NAMES)
    : rng.pick(['_', 'a'.repeat(1 + rng.int(5000)), 'EPERM', 'ret', 'file_open', 'int', 'SEC', 'BPF_PROG']);
  const everywhere = rng.chance(0.6);
  let done = false;
  return tokens
    .map((t) => {
      if (t.text !== victim || (!everywhere && done)) return t.text;
      done = true;
      return name;
    })
    .join('');
};

/** The hook name inside a SEC("lsm.../hook") string replaced by a built-in name. */
const hostileHook: Mutator = (rng, text) => {
  const sections = [...text.matchAll(/SEC\("(\??lsm(?:\.s|_cgroup)?\/)([^"]*)"\)/g)];
  if (sections.length === 0) return text;
  const m = rng.pick(sections);
  const at = m.index + 5 + m[1].length;
  return text.slice(0, at) + rng.pick(BUILTIN_NAMES) + text.slice(at + m[2].length);
};

const lineEndings: Mutator = (rng, text) => withLineEndings(text, rng.pick(['crlf', 'cr', 'mixed', 'lone-cr'] as LineEnding[]), rng);

/** Nesting of some depth inserted at a statement boundary (after a `;`, `{` or `}`). */
const insertNesting: Mutator = (rng, text) => {
  const spots = [...text.matchAll(/[;{}]/g)].map((m) => m.index + 1);
  const at = spots.length > 0 ? rng.pick(spots) : rng.int(text.length + 1);
  const form = rng.pick([...NESTING_FORMS]);
  const depth = rng.weighted([
    [5, 20],
    [3, 300],
    [2, 6000],
  ] as const);
  return `${text.slice(0, at)}\n${nested(form, depth)}\n${text.slice(at)}`;
};

const insertPiece: Mutator = (rng, text) => {
  const at = rng.int(text.length + 1);
  return text.slice(0, at) + rng.pick(PIECES) + text.slice(at);
};

const deleteLines: Mutator = (rng, text) => {
  const lines = text.split('\n');
  lines.splice(rng.int(lines.length), 1 + (rng.chance(0.8) ? 0 : rng.int(10)));
  return lines.join('\n');
};

const duplicateLines: Mutator = (rng, text) => {
  const lines = text.split('\n');
  const from = rng.int(lines.length);
  const span = lines.slice(from, from + 1 + rng.int(8));
  lines.splice(rng.int(lines.length + 1), 0, ...span);
  return lines.join('\n');
};

/** A character replaced by a neighbouring ASCII one or a hostile one (NUL, CR, a lone surrogate...). */
const flipChar: Mutator = (rng, text) => {
  if (text.length === 0) return text;
  const at = rng.int(text.length);
  const c = rng.chance(0.7)
    ? String.fromCharCode(32 + rng.int(95))
    : rng.pick(['\0', '\r', '\ud800', '\ufffd', '\u2028', '\t', '\\', '"', '\n']);
  return text.slice(0, at) + c + text.slice(at + 1);
};

export const MUTATORS: Record<string, Mutator> = {
  deleteTokens,
  duplicateTokens,
  swapTokens,
  splice,
  hostileIdentifier,
  hostileHook,
  lineEndings,
  insertNesting,
  insertPiece,
  deleteLines,
  duplicateLines,
  flipChar,
};

const WEIGHTS: [number, string][] = [
  [6, 'deleteTokens'],
  [4, 'duplicateTokens'],
  [4, 'swapTokens'],
  [3, 'splice'],
  [5, 'hostileIdentifier'],
  [3, 'hostileHook'],
  [1, 'lineEndings'],
  [1, 'insertNesting'],
  [4, 'insertPiece'],
  [2, 'deleteLines'],
  [2, 'duplicateLines'],
  [3, 'flipChar'],
];

/** `text` after 1 to 8 mutations; returns the names of the mutations applied with it. */
export function mutate(rng: Rng, text: string, donors: readonly string[]): { text: string; ops: string[] } {
  const ops: string[] = [];
  const n = 1 + (rng.chance(0.5) ? 0 : rng.int(8));
  let out = text;
  for (let i = 0; i < n; i++) {
    const op = rng.weighted(WEIGHTS);
    ops.push(op);
    out = MUTATORS[op](rng, out, donors);
  }
  return { text: out, ops };
}
