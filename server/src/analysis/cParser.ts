// Loads web-tree-sitter and the tree-sitter-c grammar (WASM) once per process. In the bundle the .wasm
// files sit next to the script (copied by esbuild.mjs); from the compiled tree they come from node_modules.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Language, Parser, type ParseOptions, type Tree } from 'web-tree-sitter';

/** Parsing a huge or pathological document must not stall the caller for long. */
const PARSE_TIMEOUT_MICROS = 2_000_000;

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

/** The C language, loaded once. */
export function loadCLanguage(): Promise<Language> {
  loading ??= (async () => {
    const runtime = findFile('web-tree-sitter.wasm', 'web-tree-sitter');
    await Parser.init({ locateFile: () => runtime });
    return Language.load(findFile('tree-sitter-c.wasm', 'tree-sitter-c'));
  })();
  return loading;
}

/** A new parser for C. Each document (or caller) keeps its own; call `delete()` when done. */
export async function createCParser(): Promise<Parser> {
  const language = await loadCLanguage();
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

/**
 * Parses `text` (incrementally when `oldTree` was edited to match), giving up after a time bound so a
 * pathological document cannot stall the caller. Returns null when the parse was given up.
 */
export function parseC(parser: Parser, text: string, oldTree?: Tree | null): Tree | null {
  const deadline = performance.now() + PARSE_TIMEOUT_MICROS / 1000;
  // The callback's declared type says void; web-tree-sitter cancels the parse when it returns true.
  const progressCallback = (() => performance.now() > deadline) as unknown as ParseOptions['progressCallback'];
  return parser.parse(text, oldTree ?? null, { progressCallback });
}
