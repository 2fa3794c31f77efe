// Loads web-tree-sitter and the tree-sitter-c grammar (WASM) once per process. In the bundle the .wasm
// files sit next to the script (copied by esbuild.mjs); from the compiled tree they come from node_modules.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Language, Parser, type ParseOptions, type Tree } from 'web-tree-sitter';
import { blankAttributeRuns } from './attributeMacros';
import type { ParserWasm, WasmModule } from './parserWasm';

/**
 * Texts longer than this (UTF-16 code units) are not parsed or analysed. The language server's
 * documentStore.ts has the same limit; a unit test keeps the two equal.
 */
export const MAX_ANALYSED_LENGTH = 4 * 1024 * 1024;

/**
 * What one parse may cost, counted rather than timed, so that a file passes or fails the same way on a
 * busy machine as on an idle one. `steps` counts tree-sitter's progress callbacks (one per 100 parser
 * operations); `reads` counts the characters the lexer asks for, which grows when it rescans (an
 * unclosed comment rescanned from each `/*` is quadratic yet takes few parser operations).
 * Real BPF C takes 6,500 to 9,500 steps per MiB and reads each character 1.2 to 2 times, so 4 MiB
 * (MAX_ANALYSED_LENGTH) of it stays under two thirds of `steps` and a third of `reads`; an unclosed
 * comment near the top of 4 MiB makes four reads of it. Text built to be slow costs at most what the
 * budget allows: 1 to 8 s of CPU on a busy 2-core machine (measured), where the clock-based limit
 * this replaces stopped at 2 s or not, depending on the load.
 */
export const PARSE_BUDGET = { steps: 60_000, reads: 32 * 1024 * 1024 };

/**
 * Characters handed to the lexer at a time. Small, so that rescans inside one piece (which are not
 * counted) stay short, and large enough that reading costs nothing measurable.
 */
const READ_PIECE = 512;

/** 4194304 -> `4,194,304`. */
const n = (x: number) => x.toLocaleString('en-US');

export type ParseOutcome = { tree: Tree } | { tree: null; reason: 'too-large' | 'too-complex'; message: string };

function findFile(name: string, packageDir: string): string {
  const candidates = [
    path.join(__dirname, name),
    path.join(__dirname, '..', name),
    path.resolve(__dirname, '..', '..', '..', 'node_modules', packageDir, name),
    path.resolve(__dirname, '..', '..', '..', '..', 'node_modules', packageDir, name),
  ];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`cannot find ${name}; looked in:\n  ${candidates.join('\n  ')}`);
  return found;
}

let loading: Promise<Language> | undefined;
let compiledAhead: ParserWasm | undefined;

/** The modules an entry compiled ahead (parserWasm.ts), for the first loadCLanguage() to instantiate. */
export function useCompiledParserWasm(compiled: ParserWasm): void {
  compiledAhead = compiled;
}

/**
 * The C language, loaded once. `memory`: the WASM memory for the parser's runtime (the analysis worker
 * bounds it); the first call's is kept, as Parser.init() keeps the first module it makes in a thread.
 */
export function loadCLanguage(memory?: object): Promise<Language> {
  loading ??= (async () => {
    // A module that could not be compiled ahead is compiled from its file below, which says what is wrong.
    const [runtimeModule, grammarModule] = compiledAhead
      ? await Promise.all([compiledAhead.runtime.catch(() => undefined), compiledAhead.grammar.catch(() => undefined)])
      : [];
    const runtime = findFile('web-tree-sitter.wasm', 'web-tree-sitter');
    await Parser.init({
      locateFile: () => runtime,
      ...(memory ? { wasmMemory: memory } : {}),
      // emscripten's hook, given the module compiled ahead; thrown errors reject Parser.init().
      ...(runtimeModule
        ? {
            instantiateWasm: (imports: object, done: (instance: object, module: WasmModule) => void) =>
              done(new WebAssembly.Instance(runtimeModule, imports), runtimeModule),
          }
        : {}),
    });
    if (grammarModule) return Language.loadSync(grammarModule);
    // Bytes, not a path: given a path it reads with a dynamic import(), which a script run from a code
    // cache (codeCache.ts) cannot make.
    return Language.load(fs.readFileSync(findFile('tree-sitter-c.wasm', 'tree-sitter-c')));
  })();
  return loading;
}

declare const WebAssembly: { Instance: new (module: WasmModule, imports: object) => object };

/** A new parser for C. Each document (or caller) keeps its own; call `delete()` when done. */
export async function createCParser(): Promise<Parser> {
  const language = await loadCLanguage();
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

/**
 * The parser sees every line end as \n, with the same length so that every offset stays valid:
 * tree-sitter-c ends comments and preprocessor lines at \n only (a file with lone-\r line ends would be
 * one long line to it), and its recovery from broken code depends on what stands before a \n.
 * A lone \r becomes \n, and \r\n becomes \n followed by a space (indentation, which changes nothing),
 * except after a backslash, where \r\n is a line continuation the grammar knows.
 */
export function lineEndsForParser(text: string): string {
  if (!text.includes('\r')) return text;
  return text.replace(/\r(?!\n)/g, '\n').replace(/(?<!\\)\r\n/g, '\n ');
}

/** Trees parsed from text with blanked attribute runs (attributeMacros.ts). */
const blankedTrees = new WeakSet<Tree>();

/**
 * Parses `text` (incrementally when `oldTree` was edited to match) within MAX_ANALYSED_LENGTH and
 * PARSE_BUDGET, or says why not. Same text and old tree, same outcome, however loaded the machine.
 */
export function parseCBounded(parser: Parser, text: string, oldTree?: Tree | null): ParseOutcome {
  if (text.length > MAX_ANALYSED_LENGTH) {
    return { tree: null, reason: 'too-large', message: tooLargeMessage(text.length) };
  }
  const lineEnded = lineEndsForParser(text);
  const input = blankAttributeRuns(lineEnded);
  // Blanked runs can appear or vanish outside the edited range (closing a SEC() string blanks the
  // macros after it): a tree that had or would have them is not reused.
  const blanked = input !== lineEnded;
  if (oldTree && (blanked || blankedTrees.has(oldTree))) oldTree = null;
  let steps = 0;
  let reads = 0;
  let parsing = true;
  let overBudget = false;
  // While parsing, small counted pieces; afterwards (node.text) the rest of the text in one slice.
  const read = (index: number): string => {
    if (!parsing) return input.slice(index);
    if (overBudget) return '';
    const piece = input.slice(index, index + READ_PIECE);
    reads += piece.length;
    if (reads > PARSE_BUDGET.reads) overBudget = true;
    return piece;
  };
  // The callback's declared type says void; web-tree-sitter cancels the parse when it returns true.
  const progressCallback = (() => {
    if (++steps > PARSE_BUDGET.steps) overBudget = true;
    return overBudget;
  }) as unknown as ParseOptions['progressCallback'];
  const tree = parser.parse(read, oldTree ?? null, { progressCallback });
  parsing = false;
  if (tree && !overBudget) {
    if (blanked) blankedTrees.add(tree);
    return { tree };
  }
  // Over the read budget the lexer saw an early end of text: that tree is not the file's.
  tree?.delete();
  // A cancelled parse is kept to be resumed by the next parse() call, whatever text that one is given.
  parser.reset();
  return {
    tree: null,
    reason: 'too-complex',
    message:
      `parsing stopped: the file needs more than the parser's work limit (${n(PARSE_BUDGET.steps * 100)} parser ` +
      `operations, ${n(PARSE_BUDGET.reads)} characters read); the file was not analysed`,
  };
}

/** Parses `text` within the bounds of parseCBounded; null when it was too large or too costly. */
export function parseC(parser: Parser, text: string, oldTree?: Tree | null): Tree | null {
  return parseCBounded(parser, text, oldTree).tree;
}

/** `too large for BPF LSM analysis (5,000,000 characters; the limit is 4,194,304 characters)`. */
export function tooLargeMessage(size: number, unit: 'characters' | 'bytes' = 'characters'): string {
  return `too large for BPF LSM analysis (${n(size)} ${unit}; the limit is ${n(MAX_ANALYSED_LENGTH)} characters)`;
}
