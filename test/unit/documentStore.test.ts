// Incremental parsing: the parser is handed the kept, edited tree, and what it makes equals a fresh parse.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Parser, Range, Tree } from 'web-tree-sitter';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { createCParser, parseC } from '../../server/src/analysis/cParser';
import { DocumentStore, isBpfDocument } from '../../server/src/lsp/documentStore';
import { fixture } from '../helpers/paths';

let parser: Parser;
let fresh: Parser;
before(async () => {
  parser = await createCParser();
  fresh = await createCParser();
});
after(() => {
  parser.delete();
  fresh.delete();
});

/**
 * Every node's kind and exact span (and with `points`, its start and end rows and columns): two trees
 * with this equal are the same parse of the same text.
 */
function shape(tree: Tree, points = false): string {
  const out: string[] = [];
  const cursor = tree.walk();
  let descend = true;
  for (;;) {
    if (descend) {
      const at = points
        ? `(${cursor.startPosition.row}:${cursor.startPosition.column}-${cursor.endPosition.row}:${cursor.endPosition.column})`
        : '';
      out.push(`${cursor.nodeType}@${cursor.startIndex}-${cursor.endIndex}${at}`);
    }
    if (descend && cursor.gotoFirstChild()) continue;
    if (cursor.gotoNextSibling()) {
      descend = true;
      continue;
    }
    if (!cursor.gotoParent()) break;
    descend = false;
  }
  cursor.delete();
  return out.join(' ');
}

/**
 * Nodes of an edited (not yet reparsed) tree that start at or after `from` but whose start point is not
 * where their start index lies in `text` (LF line ends only): the edit's end point was wrong.
 */
function misplaced(tree: Tree, text: string, from: number): string[] {
  const out: string[] = [];
  const cursor = tree.walk();
  let descend = true;
  for (;;) {
    if (descend && cursor.startIndex >= from) {
      const before = text.slice(0, cursor.startIndex);
      const row = before.split('\n').length - 1;
      const column = before.length - (before.lastIndexOf('\n') + 1);
      const at = cursor.startPosition;
      if (at.row !== row || at.column !== column)
        out.push(`${cursor.nodeType}@${cursor.startIndex} at ${at.row}:${at.column}, text ${row}:${column}`);
    }
    if (descend && cursor.gotoFirstChild()) continue;
    if (cursor.gotoNextSibling()) {
      descend = true;
      continue;
    }
    if (!cursor.gotoParent()) break;
    descend = false;
  }
  cursor.delete();
  return out;
}

/** Wraps `parser.parse` to record the old tree each call is given and what the parse changed against it. */
function spyOnParse(parser: Parser): { old: Tree | null; changed: Range[] | null }[] {
  const calls: { old: Tree | null; changed: Range[] | null }[] = [];
  const parse = parser.parse.bind(parser);
  parser.parse = (input, oldTree, options) => {
    const tree = parse(input, oldTree, options);
    calls.push({ old: oldTree ?? null, changed: oldTree && tree ? oldTree.getChangedRanges(tree) : null });
    return tree;
  };
  return calls;
}

function freshShape(text: string, points = false): string {
  const tree = parseC(fresh, text)!;
  const s = shape(tree, points);
  tree.delete();
  return s;
}

describe('DocumentStore', () => {
  it('keeps the tree equal to a fresh parse through random edits (ASCII, UTF-16 pairs, newlines)', () => {
    const store = new DocumentStore(parser);
    const uri = 'file:///t.bpf.c';
    let entry = store.open(uri, 'c', 1, fixture('lint', 'signature.bpf.c'));
    store.tree(entry);
    let seed = 11;
    const rand = (n: number) => Math.floor(((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * n);
    const pieces = ['{', '}', 'x', '\n', 'SEC("lsm/file_open")\n', 'int ret', '\u00e9\u{1F600}', '/* c */', ''];
    let reused = 0;
    for (let version = 2; version < 300; version++) {
      const doc = entry.doc;
      const a = rand(doc.getText().length + 1);
      const b = Math.min(doc.getText().length, a + rand(30));
      const change = { range: { start: doc.positionAt(a), end: doc.positionAt(b) }, text: pieces[rand(pieces.length)] };
      // update() changes the document it is given: apply to a copy.
      const expected = TextDocument.update(TextDocument.create(uri, 'c', doc.version, doc.getText()), [change], version).getText();
      const before = entry.tree;
      entry = store.change(uri, version, [change])!;
      if (before && entry.tree === before) {
        reused++;
        // The reparse mends wrong points on its own; the edited tree shows them.
        assert.deepEqual(misplaced(before, expected, a + change.text.length), [], `version ${version}`);
      }
      if (version % 3 === 0) {
        const tree = store.tree(entry)!;
        assert.equal(entry.doc.getText(), expected);
        assert.equal(shape(tree), freshShape(expected), `version ${version}`);
      }
    }
    assert.ok(reused > 250, 'edits were applied to the kept tree');
    store.dispose();
  });

  it('keeps the tree equal to a fresh parse through edits that make and unmake attribute runs after SEC()', () => {
    const store = new DocumentStore(parser);
    const uri = 'file:///selftest.bpf.c';
    let entry = store.open(uri, 'c', 1, fixture('lint', 'attribute-macros-asm.bpf.c'));
    store.tree(entry);
    let seed = 5;
    const rand = (n: number) => Math.floor(((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * n);
    // Quotes and parentheses open and close SEC() strings and macro groups far from the edit.
    const pieces = ['"', '(', ')', '__msg("a; {b}") ', 'SEC("lsm/file_open")\n__success __log_level(2)\n', '__x ', ';', ''];
    for (let version = 2; version < 120; version++) {
      const doc = entry.doc;
      const a = rand(doc.getText().length + 1);
      const b = Math.min(doc.getText().length, a + rand(4));
      const change = { range: { start: doc.positionAt(a), end: doc.positionAt(b) }, text: pieces[rand(pieces.length)] };
      entry = store.change(uri, version, [change])!;
      if (version % 2 === 0) assert.equal(shape(store.tree(entry)!), freshShape(entry.doc.getText()), `version ${version}`);
    }
    store.dispose();
  });

  it('keeps the tree equal to a fresh parse, points included, through reversed and out-of-range ranges and lone CRs', () => {
    const store = new DocumentStore(parser);
    const uri = 'file:///hostile.bpf.c';
    let text = fixture('lint', 'signature.bpf.c');
    let entry = store.open(uri, 'c', 1, text);
    store.tree(entry);
    let seed = 7;
    const rand = (n: number) => Math.floor(((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * n);
    const pieces = ['{', '}', 'x', '\n', '\r', '\r\n', 'SEC("lsm/file_open")\r', 'int ret', '\u{1F600}', ''];
    let reused = 0;
    for (let version = 2; version < 200; version++) {
      const doc = TextDocument.create(uri, 'c', 0, text);
      const a = rand(text.length + 1);
      const b = Math.min(text.length, a + rand(30));
      const start = doc.positionAt(a);
      const end = doc.positionAt(b);
      // What clients send: the end before the start, a column past the line, a line past the document.
      if (rand(5) === 0) start.character += 40;
      if (rand(9) === 0) end.line += 1000;
      const change =
        rand(2) === 0
          ? { range: { start: end, end: start }, text: pieces[rand(pieces.length)] }
          : { range: { start, end }, text: pieces[rand(pieces.length)] };
      const [from, to] = [doc.offsetAt(change.range.start), doc.offsetAt(change.range.end)].sort((x, y) => x - y);
      text = text.slice(0, from) + change.text + text.slice(to);
      const before = entry.tree;
      entry = store.change(uri, version, [change])!;
      if (before && entry.tree === before) reused++;
      if (version % 3 === 0) {
        const tree = store.tree(entry)!;
        assert.equal(entry.doc.getText(), text, `version ${version}`);
        assert.equal(shape(tree, true), freshShape(text, true), `version ${version}`);
      }
    }
    assert.ok(text.includes('\r'), 'the text has carriage returns');
    assert.ok(reused > 150, 'edits were applied to the kept tree');
    store.dispose();
  });

  it('hands the parser the kept tree, edited, and the reparse changes only the edited lines', async () => {
    const spied = await createCParser();
    const calls = spyOnParse(spied);
    const store = new DocumentStore(spied);
    const uri = 'file:///incremental.bpf.c';
    const entry = store.open(uri, 'c', 1, 'int a(void) { return 0; }\nint b(void) { return 1; }\n');
    const first = store.tree(entry);
    // A multi-line insert in b: `int x;` and a line break before its `return`.
    store.change(uri, 2, [{ range: { start: { line: 1, character: 14 }, end: { line: 1, character: 20 } }, text: 'int x;\n  return' }]);
    assert.equal(entry.doc.getText(), 'int a(void) { return 0; }\nint b(void) { int x;\n  return 1; }\n');
    assert.equal(entry.tree, first, 'the tree is kept across the change');
    // Edited, not yet reparsed: b's `1` moved to the next line, after `  return `.
    assert.deepEqual(first!.rootNode.descendantForIndex(56)!.startPosition, { row: 2, column: 9 });
    const second = store.tree(entry)!;
    assert.equal(calls.length, 2);
    assert.equal(calls[0].old, null);
    assert.equal(calls[1].old, first, 'the parser was given the kept, edited tree');
    // From b's new `int x;` to the end of its moved `return 1;`; a() is not among the changes.
    assert.deepEqual(calls[1].changed, [
      { startIndex: 40, endIndex: 58, startPosition: { row: 1, column: 14 }, endPosition: { row: 2, column: 11 } },
    ]);
    assert.equal(shape(second, true), freshShape(entry.doc.getText(), true));
    store.dispose();
    spied.delete();
  });

  it('parses a whole-document replacement afresh: the old tree is deleted at the change, the parser gets none', async () => {
    const spied = await createCParser();
    const calls = spyOnParse(spied);
    const store = new DocumentStore(spied);
    const uri = 'file:///replaced.bpf.c';
    const entry = store.open(uri, 'c', 1, 'int a(void) { return 0; }\n');
    const old = store.tree(entry)!;
    let deleted = 0;
    const remove = old.delete.bind(old);
    old.delete = () => {
      deleted++;
      remove();
    };
    store.change(uri, 2, [{ text: 'int a(void) { return 0; }\nint b;\n' }]);
    assert.equal(entry.tree, null);
    assert.equal(deleted, 1, "the replaced text's tree is freed at once");
    const tree = store.tree(entry)!;
    assert.equal(calls.length, 2);
    assert.equal(calls[1].old, null, 'nothing of the old tree is reused');
    assert.equal(shape(tree, true), freshShape('int a(void) { return 0; }\nint b;\n', true));
    store.dispose();
    spied.delete();
  });

  it('takes a change without a range as the whole text, rangeLength or not, and drops changes without text', () => {
    const store = new DocumentStore(parser);
    const uri = 'file:///whole.bpf.c';
    const entry = store.open(uri, 'c', 1, 'int a;\n');
    store.tree(entry);
    const first = entry.generation;
    store.change(uri, 2, [
      { text: 'int b(void) { return 0; }\n', rangeLength: 3 },
      { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } },
    ]);
    assert.equal(entry.doc.getText(), 'int b(void) { return 0; }\n');
    assert.equal(shape(store.tree(entry)!, true), freshShape('int b(void) { return 0; }\n', true));
    // The same version with other text is another generation: nothing cached for the first text applies.
    store.change(uri, 2, [{ range: { start: { line: 0, character: 4 }, end: { line: 0, character: 5 } }, text: 'c' }]);
    assert.ok(entry.generation > first);
    assert.equal(shape(store.tree(entry)!, true), freshShape('int c(void) { return 0; }\n', true));
    store.dispose();
  });

  it('a kept tree that missed an edit does not pass that comparison (so it can fail)', () => {
    const tree = parseC(parser, 'int a(void) { return 1; }\n')!;
    const changed = 'int abc(void) { return 22222; }\n';
    const stale = parseC(parser, changed, tree)!;
    assert.notEqual(shape(stale), freshShape(changed));
    tree.delete();
    stale.delete();
  });

  it('recognises BPF documents and leaves plain C alone', () => {
    assert.ok(isBpfDocument('file:///x/prog.bpf.c', ''));
    assert.ok(isBpfDocument('file:///x/prog.c', 'SEC("lsm/file_open")'));
    assert.ok(isBpfDocument('file:///x/prog.c', '#include "vmlinux.h"\n'));
    assert.ok(isBpfDocument('file:///x/prog.c', '#include <bpf/bpf_helpers.h>\n'));
    assert.ok(!isBpfDocument('file:///x/main.c', '#include <stdio.h>\nint main(void) { return 0; }\n'));
  });
});
