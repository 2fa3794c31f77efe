// Applies LSP-style text edits to a string, as an editor would (all edits against the original text).
import { TextIndex } from '../../server/src/ctext/textIndex';
import type { TextEdit } from '../../server/src/analysis/findings';

export function applyEdits(text: string, edits: TextEdit[]): string {
  const index = new TextIndex(text);
  const spans = edits
    .map((e) => ({ start: index.offset(e.range.start), end: index.offset(e.range.end), text: e.newText }))
    .sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const s of spans) out = out.slice(0, s.start) + s.text + out.slice(s.end);
  return out;
}
