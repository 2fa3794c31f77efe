// Content changes as clients send them, made exact (lsp/textChanges.ts): each shape a client may send and
// the edit it becomes, written out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { normaliseChange } from '../../server/src/lsp/textChanges';

const doc = TextDocument.create('file:///a.bpf.c', 'bpf-c', 1, 'ab\ncd\n');
const at = (line: number, character: number) => ({ line, character });

describe('content changes made exact', () => {
  it('a change without a range (or with a null one, or only a rangeLength) replaces the whole text', () => {
    assert.deepEqual(normaliseChange(doc, { text: 'x' }), { text: 'x' });
    assert.deepEqual(normaliseChange(doc, { text: 'x', range: null }), { text: 'x' });
    assert.deepEqual(normaliseChange(doc, { text: 'x', rangeLength: 3 }), { text: 'x' });
  });

  it('a range is sorted and clamped to the document, fractions dropped', () => {
    assert.deepEqual(normaliseChange(doc, { text: 'x', range: { start: at(1, 1), end: at(0, 1) } }), {
      text: 'x',
      range: { start: at(0, 1), end: at(1, 1) },
    });
    assert.deepEqual(normaliseChange(doc, { text: '', range: { start: at(0, 9), end: at(7, 0) } }), {
      text: '',
      range: { start: at(0, 2), end: at(2, 0) },
    });
    assert.deepEqual(normaliseChange(doc, { text: 'y', range: { start: at(1.7, 0.5), end: at(1, 1.2) } }), {
      text: 'y',
      range: { start: at(1, 0), end: at(1, 1) },
    });
  });

  it('refuses a change with no text, or a range it cannot read', () => {
    for (const raw of [
      null,
      5,
      'text',
      {},
      { text: 3 },
      { text: 'x', range: 'all' },
      { text: 'x', range: 7 },
      { text: 'x', range: {} },
      { text: 'x', range: { start: null, end: at(0, 0) } },
      { text: 'x', range: { start: at(0, 0), end: null } },
      { text: 'x', range: { start: 4, end: at(0, 0) } },
      { text: 'x', range: { start: at(0, 0), end: { line: '1', character: 0 } } },
      { text: 'x', range: { start: at(0, 0), end: { line: 1, character: '0' } } },
      { text: 'x', range: { start: at(Infinity, 0), end: at(0, 0) } },
      { text: 'x', range: { start: at(0, NaN), end: at(0, 0) } },
    ]) {
      assert.equal(normaliseChange(doc, raw), null, JSON.stringify(raw));
    }
  });
});
