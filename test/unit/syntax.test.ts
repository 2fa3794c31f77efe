// The small tree helpers every body check stands on (analysis/syntax.ts), each on a small C body with what
// it returns written out as text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node } from 'web-tree-sitter';
import {
  bodyNodes,
  branch,
  children,
  labels,
  returnValue,
  statementsWithNext,
  topLevel,
  unescapeC,
  unparen,
} from '../../server/src/analysis/syntax';
import { suiteParser } from '../helpers/parsedC';

describe('syntax helpers', () => {
  const { parse } = suiteParser();

  /** The body of the first function in `text`. */
  const body = (text: string): Node => {
    const tree = parse(text);
    return tree.rootNode.descendantsOfType('function_definition')[0]!.childForFieldName('body')!;
  };

  it('children: named, comments left out', () => {
    const b = body('int f(void) { /* a */ x = 1; // b\n return x; }');
    assert.deepEqual(
      children(b).map((n) => n.type),
      ['expression_statement', 'return_statement'],
    );
  });

  it('unparen and returnValue: the value inside any parentheses, null for a bare return', () => {
    const b = body('int f(void) { return ((ret)); return; return (a) + b; }');
    assert.deepEqual(
      bodyNodes(b, 'return_statement').map((r) => returnValue(r)?.text ?? null),
      ['ret', null, '(a) + b'],
    );
    assert.equal(unparen(b).text, b.text, 'not parenthesised: itself');
  });

  it('bodyNodes: each indexed kind in document order, nested ones too; another kind is an error', () => {
    const b = body('int f(void) { if (a) { while (b) g(); } for (;;) h(1); out: goto out; return k(); }');
    assert.deepEqual(
      ['if_statement', 'while_statement', 'for_statement', 'labeled_statement', 'goto_statement', 'return_statement'].map(
        (k) => bodyNodes(b, k).length,
      ),
      [1, 1, 1, 1, 1, 1],
    );
    assert.deepEqual(
      bodyNodes(b, 'call_expression').map((c) => c.text),
      ['g()', 'h(1)', 'k()'],
    );
    assert.equal(bodyNodes(b, 'call_expression'), bodyNodes(b, 'call_expression'), 'indexed once per body');
    assert.throws(() => bodyNodes(b, 'switch_statement'), /^Error: bodyNodes: switch_statement is not indexed$/);
  });

  it('labels: each label to the statement it labels', () => {
    const b = body('int f(void) { goto out; deny: /* why */ return -1; out: return 0; }');
    assert.deepEqual(
      [...labels(b)].map(([name, stmt]) => [name, stmt.text]),
      [
        ['deny', 'return -1;'],
        ['out', 'return 0;'],
      ],
    );
  });

  it('branch: the statement an if or else runs', () => {
    const b = body('int f(void) { if (a) return 1; else { return 2; } }');
    const ifs = bodyNodes(b, 'if_statement')[0];
    assert.equal(branch(ifs.childForFieldName('consequence'))?.text, 'return 1;');
    assert.equal(branch(ifs.childForFieldName('alternative'))?.text, '{ return 2; }');
    assert.equal(branch(null), null);
  });

  it('statementsWithNext: the next named statement beside each, comments passed over, null at the end of its block', () => {
    const b = body(
      ['int f(void) {', '  if (a) return 1; /* c */', '  x = 2;', '  while (b) { if (c) break; return 3; }', '  return 4;', '}'].join('\n'),
    );
    assert.deepEqual(
      statementsWithNext(b, ['if_statement', 'return_statement']).map(({ stmt, next }) => [stmt.text.split('\n')[0], next?.text ?? null]),
      // A statement is given once its block has been read past it: an inner one can come first.
      [
        ['return 1;', null],
        ['if (a) return 1;', 'x = 2;'],
        ['if (c) break;', 'return 3;'],
        ['return 3;', null],
        ['return 4;', null],
      ],
    );
    assert.deepEqual(statementsWithNext(body('int f(void) { x = 1; }'), ['return_statement']), []);
    assert.deepEqual(statementsWithNext(body('int f(void) { }'), ['return_statement']), []);
  });

  it('topLevel: the nodes in #if blocks in their place', () => {
    const tree = parse('int a;\n#if X\nint b;\n#else\nint c;\n#endif\nint d;\n');
    assert.deepEqual(
      [...topLevel(tree.rootNode)].map((n) => n.text),
      ['int a;', 'X', 'int b;', 'int c;', 'int d;'],
    );
  });

  it('unescapeC: the escapes a section name or asm uses; any other escaped character stands for itself', () => {
    assert.equal(unescapeC('a\\nb\\tc\\\\d\\"e\\qf'), 'a\nb\tc\\d"eqf');
  });
});
