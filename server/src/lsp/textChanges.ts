// LSP content changes as clients really send them, made exact before anything applies them. The text
// library sorts a reversed range and clamps positions on its own, but the parse tree must get the very
// same edit, and the library rejects a change with `rangeLength` and no range. So every change becomes
// either a whole-text replacement or a range that is sorted and inside the document.
import type { Range, TextDocument } from 'vscode-languageserver-textdocument';

export type NormalisedChange = { range: Range; text: string } | { text: string };

/** The change as an exact edit of `doc`'s text; null when it has no text or an unusable range. */
export function normaliseChange(doc: TextDocument, raw: unknown): NormalisedChange | null {
  if (!raw || typeof raw !== 'object') return null;
  const { text, range } = raw as { text?: unknown; range?: unknown };
  if (typeof text !== 'string') return null;
  // LSP: a change without a range replaces the whole document (a `rangeLength` alone means nothing).
  if (range === undefined || range === null) return { text };
  // Not an object (a string, a number): it has no start or end, and offsetOf refuses what it reads.
  const { start, end } = range as { start?: unknown; end?: unknown };
  const a = offsetOf(doc, start);
  const b = offsetOf(doc, end);
  if (a === null || b === null) return null;
  return { range: { start: doc.positionAt(Math.min(a, b)), end: doc.positionAt(Math.max(a, b)) }, text };
}

/** Clamped like the text library does: a line past the end is the end, a column past the line is its end. */
function offsetOf(doc: TextDocument, position: unknown): number | null {
  if (!position || typeof position !== 'object') return null;
  const { line, character } = position as { line?: unknown; character?: unknown };
  if (typeof line !== 'number' || !Number.isFinite(line) || typeof character !== 'number' || !Number.isFinite(character)) return null;
  return doc.offsetAt({ line: Math.trunc(line), character: Math.trunc(character) });
}
