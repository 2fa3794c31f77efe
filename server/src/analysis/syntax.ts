// Small helpers over tree-sitter C nodes used by the body checks.
import type { Node } from 'web-tree-sitter';

export function children(node: Node): Node[] {
  return node.namedChildren.filter((n): n is Node => !!n && n.type !== 'comment');
}

/** `((x))` -> `x`. */
export function unparen(node: Node): Node {
  let n = node;
  while (n.type === 'parenthesized_expression' && n.namedChildren[0]) n = n.namedChildren[0];
  return n;
}

/** The value of a return statement, or null for `return;`. */
export function returnValue(ret: Node): Node | null {
  const value = children(ret)[0];
  return value ? unparen(value) : null;
}

const BODY_KINDS = ['return_statement', 'if_statement', 'while_statement', 'for_statement', 'labeled_statement', 'goto_statement'];
const bodyIndexes = new WeakMap<Node, Map<string, Node[]>>();

/**
 * Statements of a function body by kind, in document order. Several checks need them, so one native
 * traversal per body serves all (cached for as long as the body node lives).
 */
export function bodyNodes(body: Node, kind: string): Node[] {
  let index = bodyIndexes.get(body);
  if (!index) {
    index = new Map(BODY_KINDS.map((k) => [k, []]));
    for (const n of body.descendantsOfType(BODY_KINDS)) if (n) index.get(n.type)!.push(n);
    bodyIndexes.set(body, index);
  }
  const nodes = index.get(kind);
  if (!nodes) throw new Error(`bodyNodes: ${kind} is not indexed`);
  return nodes;
}

/** Labels of a function body: `out: return ret;` -> out -> the labelled statement. */
export function labels(body: Node): Map<string, Node> {
  const map = new Map<string, Node>();
  for (const l of bodyNodes(body, 'labeled_statement')) {
    const name = l.childForFieldName('label')?.text;
    const stmt = children(l).find((c) => c.type !== 'statement_identifier');
    if (name && stmt) map.set(name, stmt);
  }
  return map;
}

/** The statement an if/else branch runs (the else_clause wrapper removed). */
export function branch(node: Node | null): Node | null {
  if (!node) return null;
  if (node.type === 'else_clause') return children(node)[0] ?? null;
  return node;
}
