// How broken a C text's syntax is, as tree-sitter parses it: tests compare a text before and after an edit.
import type { Parser } from 'web-tree-sitter';
import { parseC } from '../../server/src/analysis/cParser';

/** ERROR nodes in the tree, plus one when the root says it has an error (a MISSING node has no ERROR). */
export function errorNodeCount(parser: Parser, text: string): number {
  const tree = parseC(parser, text)!;
  const count = tree.rootNode.descendantsOfType('ERROR').length + (tree.rootNode.hasError ? 1 : 0);
  tree.delete();
  return count;
}
