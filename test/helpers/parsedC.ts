// The C parser for one suite: started before its tests, deleted after them with every tree it made.
import { after, before } from 'node:test';
import type { Parser, Tree } from 'web-tree-sitter';
import { createCParser, parseC } from '../../server/src/analysis/cParser';

/** Call inside a describe: `parse(text)` gives a tree that lives until the suite ends. */
export function suiteParser(): { parse: (text: string) => Tree } {
  let parser: Parser;
  const trees: Tree[] = [];
  before(async () => {
    parser = await createCParser();
  });
  after(() => {
    for (const t of trees) t.delete();
    parser.delete();
  });
  return {
    parse: (text) => {
      const tree = parseC(parser, text)!;
      trees.push(tree);
      return tree;
    },
  };
}
