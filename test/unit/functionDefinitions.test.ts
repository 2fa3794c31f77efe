// The file's own function definitions (syntax.functionDefinitions), which the helper check takes as not
// helpers: found at the top level and in #if blocks nested as deep as written, never a prototype, and in
// a file being typed also in parse errors and broken bodies.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Parser } from 'web-tree-sitter';
import { createCParser, parseC } from '../../server/src/analysis/cParser';
import { functionDefinitions } from '../../server/src/analysis/syntax';

describe('functionDefinitions', () => {
  let parser: Parser;
  before(async () => {
    parser = await createCParser();
  });
  after(() => parser.delete());

  const names = (text: string) => {
    const tree = parseC(parser, text)!;
    try {
      return functionDefinitions(tree.rootNode).map((d) => d.childForFieldName('declarator')?.childForFieldName('declarator')?.text);
    } finally {
      tree.delete();
    }
  };

  it('finds top-level definitions and those in #if blocks, in document order, and no prototypes', () => {
    const text = [
      'static int proto(int x);',
      'static int top(int x) { return x; }',
      '#ifdef A',
      'static int in_ifdef(void) { return 0; }',
      '#if B',
      'static int nested(void) { return 1; }',
      '#else',
      'static int in_else(void) { return 2; }',
      '#endif',
      '#endif',
      'SEC("lsm/file_open")',
      'int BPF_PROG(prog, struct file *file, int ret) { return top(ret); }',
    ].join('\n');
    assert.deepEqual(names(text), ['top', 'in_ifdef', 'nested', 'in_else', 'BPF_PROG']);
  });

  it('finds the definitions a file being typed leaves in a parse error or in a broken body', () => {
    // The unclosed function becomes an ERROR node holding the next one.
    assert.deepEqual(names('static int typing(void) {\n  if (x) {\n\nstatic int next_one(void) { return 0; }\n'), ['next_one']);
    // A declarator not yet typed: the next function is parsed inside the first one's body.
    assert.deepEqual(names('static int (void) {\nstatic int inner(void) { return 0; }\n').slice(1), ['inner']);
  });

  it('goes through #if blocks nested deeper than the JavaScript stack', () => {
    const depth = 20_000;
    const text = '#if X\n'.repeat(depth) + 'static int deep(void) { return 0; }\n' + '#endif\n'.repeat(depth);
    assert.deepEqual(names(text), ['deep']);
  });
});
