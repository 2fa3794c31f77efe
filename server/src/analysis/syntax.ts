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

const BODY_KINDS = [
  'return_statement',
  'if_statement',
  'while_statement',
  'for_statement',
  'labeled_statement',
  'goto_statement',
  'call_expression',
];
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

/** Top-level nodes that hold no function definition (C has none inside a function body either). */
const NO_DEFINITIONS = new Set([
  'comment',
  'declaration',
  'preproc_include',
  'preproc_def',
  'preproc_function_def',
  'preproc_call',
  'type_definition',
]);
/** Preprocessor conditionals, whose branches hold top-level code. */
export const CONDITIONAL_BLOCKS = new Set(['preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif', 'preproc_elifdef']);

/**
 * The file's function definitions, in document order: those at the top level and in #if blocks, read
 * directly, and those in anything else (ERROR nodes, odd shapes) found by a native search. A function
 * body (most of a file's nodes) is searched only when it holds a parse error: in a file being typed the
 * parser may put the next function inside an unclosed body.
 */
export function functionDefinitions(root: Node): Node[] {
  const found: Node[] = [];
  for (const child of topLevel(root)) {
    if (NO_DEFINITIONS.has(child.type)) continue;
    if (child.type === 'function_definition') {
      found.push(child);
      const body = child.childForFieldName('body');
      if (body?.hasError) for (const d of body.descendantsOfType('function_definition')) if (d) found.push(d);
    } else for (const d of child.descendantsOfType('function_definition')) if (d) found.push(d);
  }
  return found;
}

/** The file's top-level nodes in document order, those in #if blocks (however deep) in their place. */
export function* topLevel(root: Node): Generator<Node> {
  // An explicit stack, not recursion: #if blocks can nest deeper than the JavaScript stack allows.
  const stack: { children: (Node | null)[]; next: number }[] = [{ children: root.namedChildren, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next >= top.children.length) {
      stack.pop();
      continue;
    }
    const child = top.children[top.next++];
    if (!child) continue;
    if (CONDITIONAL_BLOCKS.has(child.type)) stack.push({ children: child.namedChildren, next: 0 });
    else yield child;
  }
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

/** Does a node of `sorted` (by start, ascending) start in [start, end)? */
function startsIn(sorted: number[], start: number, end: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < start) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo] < end;
}

/**
 * The body's statements of `kinds` (indexed kinds of bodyNodes), each with the named node that follows
 * it among its parent's children (`nextNamedSibling`, comments passed over: they are not statements),
 * or null. `nextNamedSibling`
 * looks for the parent from the root on every call, which is quadratic in code nested thousands deep;
 * here one cursor walk serves all, entering only nodes that hold such a statement.
 */
export function statementsWithNext(body: Node, kinds: string[]): { stmt: Node; next: Node | null }[] {
  const starts = kinds.flatMap((k) => bodyNodes(body, k).map((n) => n.startIndex)).sort((a, b) => a - b);
  const wanted = new Set(kinds);
  const out: { stmt: Node; next: Node | null }[] = [];
  if (starts.length === 0) return out;
  const cursor = body.walk();
  try {
    if (!cursor.gotoFirstChild()) return out;
    // Per depth below the body: a statement still waiting for its next named sibling.
    const waiting: (Node | null)[] = [null, null];
    let depth = 1;
    for (;;) {
      if (cursor.nodeIsNamed && cursor.nodeType !== 'comment') {
        const before = waiting[depth];
        const isWanted = wanted.has(cursor.nodeType);
        if (before || isWanted) {
          const node = cursor.currentNode;
          if (before) out.push({ stmt: before, next: node });
          waiting[depth] = isWanted ? node : null;
        }
      }
      if (startsIn(starts, cursor.startIndex, cursor.endIndex) && cursor.gotoFirstChild()) {
        waiting[++depth] = null;
        continue;
      }
      while (!cursor.gotoNextSibling()) {
        const last = waiting[depth];
        if (last) out.push({ stmt: last, next: null });
        waiting[depth] = null;
        if (--depth === 0 || !cursor.gotoParent()) return out;
      }
    }
  } finally {
    cursor.delete();
  }
}

const ESCAPES = new Map([
  ['n', '\n'],
  ['t', '\t'],
  ['\\', '\\'],
  ['"', '"'],
]);

/** The text a C string literal's contents stand for (the escapes section names and asm use). */
export function unescapeC(s: string): string {
  return s.replace(/\\(.)/g, (_m, c: string) => ESCAPES.get(c) ?? c);
}
