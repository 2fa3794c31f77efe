// Analysis-core figures: whole-file analysis time and hook-table load time.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Edit, type Parser, type Tree } from 'web-tree-sitter';
import { analyzeTree, Analyzer } from '../server/src/analysis/analyze';
import { createCParser, parseC } from '../server/src/analysis/cParser';
import { TextIndex } from '../server/src/ctext/textIndex';
import { HookCatalog } from '../server/src/hooks/catalog';
import { unpackTables, type StoredTables } from '../server/src/hooks/tableFormat';
import { largeFile, smallProgram } from '../test/helpers/corpus';
import { report, time } from './stats';

export async function benchAnalysis(repoRoot: string): Promise<void> {
  console.log('\n== Analysis core ==');
  const tablesPath = path.join(repoRoot, 'server', 'data', 'hook-tables.json');
  const loadTables = () => new HookCatalog(unpackTables(JSON.parse(fs.readFileSync(tablesPath, 'utf8')) as StoredTables));
  const t0 = performance.now();
  const count = loadTables().releases.length;
  console.log(
    `${`load all ${count} hook tables, first time in the process`.padEnd(58)} ${(performance.now() - t0).toFixed(3)} ms  target <= 20 ms`,
  );
  report(`load all ${count} hook tables (read, parse, unpack)`, time(50, loadTables), 20);

  const catalog = HookCatalog.bundled();
  const { target } = catalog.target();
  const analyzer = await Analyzer.create();
  const small = smallProgram();
  const large = largeFile();
  const smallResult = analyzer.analyze(small, target, catalog);
  const largeResult = analyzer.analyze(large, target, catalog);
  if (smallResult.model.programs.length !== 1 || largeResult.model.programs.length !== 100) {
    throw new Error('benchmark corpus did not yield the expected programs');
  }
  const lines = (t: string) => t.split('\n').length;
  report(
    `${lines(small)}-line program: parse + analysis`,
    time(1000, () => analyzer.analyze(small, target, catalog)),
    2,
  );
  report(
    `${lines(large)}-line file, 100 programs: full parse + analysis`,
    time(100, () => analyzer.analyze(large, target, catalog)),
    20,
  );

  // What an editor pays per keystroke: the tree is kept, edited and reparsed incrementally.
  const parser = await createCParser();
  // The floor of the full figure above: tree-sitter's own parse, which no analysis change can lower.
  report(
    `${lines(large)}-line file: tree-sitter's parse alone (the floor of the full one)`,
    time(100, () => parseC(parser, large)!.delete()),
    20,
  );
  const tree = parseC(parser, large)!;
  report(
    `${lines(large)}-line file, 100 programs: analysis of the parsed tree`,
    time(100, () => analyzeTree(tree, large, target, catalog)),
    20,
  );
  let current = large;
  let currentTree = tree;
  const edit = () => {
    const { text, tree: next } = typeOneCharacter(parser, current, currentTree);
    analyzeTree(next, text, target, catalog);
    currentTree.delete();
    current = text;
    currentTree = next;
  };
  report(`${lines(large)}-line file, 100 programs: one-character edit, reparse + analysis`, time(200, edit), 20);
  currentTree.delete();
  parser.delete();
  analyzer.dispose();
}

/** Flips one digit inside a filler line in the middle of the file, as a keystroke would. */
function typeOneCharacter(parser: Parser, text: string, tree: Tree): { text: string; tree: Tree } {
  const at = text.indexOf('/* filler */', text.length / 2) - 3;
  const digit = text[at] === '1' ? '2' : '1';
  const next = text.slice(0, at) + digit + text.slice(at + 1);
  const index = new TextIndex(text);
  const p = index.position(at);
  const point = { row: p.line, column: p.character };
  const after = { row: p.line, column: p.character + 1 };
  tree.edit(
    new Edit({
      startIndex: at,
      oldEndIndex: at + 1,
      newEndIndex: at + 1,
      startPosition: point,
      oldEndPosition: after,
      newEndPosition: after,
    }),
  );
  const reparsed = parseC(parser, next, tree);
  if (!reparsed) throw new Error('reparse gave up');
  return { text: next, tree: reparsed };
}
