// Open documents and their parse trees. Content changes are applied one by one, each also applied to
// the document's tree with `tree.edit()`, so the next parse reuses the old tree (incremental parsing).
// Trees live in WASM memory: they are deleted when replaced and when the document closes.
import type { Parser, Tree } from 'web-tree-sitter';
import { Edit } from 'web-tree-sitter';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver';
import { parseC } from '../analysis/cParser';

/** Documents larger than this are not parsed: a clear message instead of a server that stalls. */
export const MAX_ANALYSED_LENGTH = 4 * 1024 * 1024;

export interface OpenDocument {
  doc: TextDocument;
  /** The tree of `treeVersion`, or of an older version edited to match the current text. */
  tree: Tree | null;
  /** Version the tree was parsed for; differs from doc.version until the next parse. */
  treeVersion: number;
}

/** Where `text`, inserted at `start`, ends (tree-sitter points: row, UTF-16 column). */
function endPoint(start: { row: number; column: number }, text: string): { row: number; column: number } {
  const lines = text.split('\n');
  if (lines.length === 1) return { row: start.row, column: start.column + text.length };
  return { row: start.row + lines.length - 1, column: lines[lines.length - 1].length };
}

export class DocumentStore {
  private readonly docs = new Map<string, OpenDocument>();

  constructor(private readonly parser: Parser) {}

  get(uri: string): OpenDocument | undefined {
    return this.docs.get(uri);
  }

  all(): OpenDocument[] {
    return [...this.docs.values()];
  }

  open(uri: string, languageId: string, version: number, text: string): OpenDocument {
    this.close(uri);
    const entry: OpenDocument = { doc: TextDocument.create(uri, languageId, version, text), tree: null, treeVersion: -1 };
    this.docs.set(uri, entry);
    return entry;
  }

  change(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): OpenDocument | undefined {
    const entry = this.docs.get(uri);
    if (!entry) return undefined;
    for (const change of changes) {
      if ('range' in change && entry.tree) {
        const doc = entry.doc;
        const startIndex = doc.offsetAt(change.range.start);
        const oldEndIndex = doc.offsetAt(change.range.end);
        // Positions clamped by offsetAt, so the tree edit describes exactly what update() will do.
        const start = doc.positionAt(startIndex);
        const oldEnd = doc.positionAt(oldEndIndex);
        const startPosition = { row: start.line, column: start.character };
        entry.tree.edit(new Edit({
          startIndex,
          oldEndIndex,
          newEndIndex: startIndex + change.text.length,
          startPosition,
          oldEndPosition: { row: oldEnd.line, column: oldEnd.character },
          newEndPosition: endPoint(startPosition, change.text),
        }));
      } else if (entry.tree) {
        // A whole-document replacement: nothing of the old tree can be reused.
        entry.tree.delete();
        entry.tree = null;
      }
      entry.doc = TextDocument.update(entry.doc, [change], version);
    }
    return entry;
  }

  /** The tree for the current text, reparsing incrementally when the text changed; null if parsing gave up. */
  tree(entry: OpenDocument): Tree | null {
    if (entry.tree && entry.treeVersion === entry.doc.version) return entry.tree;
    const next = parseC(this.parser, entry.doc.getText(), entry.tree);
    this.dropTree(entry);
    if (!next) return null;
    entry.tree = next;
    entry.treeVersion = entry.doc.version;
    return next;
  }

  close(uri: string): void {
    const entry = this.docs.get(uri);
    if (!entry) return;
    this.dropTree(entry);
    this.docs.delete(uri);
  }

  dispose(): void {
    for (const uri of [...this.docs.keys()]) this.close(uri);
  }

  private dropTree(entry: OpenDocument): void {
    entry.tree?.delete();
    entry.tree = null;
    entry.treeVersion = -1;
  }
}

/** BPF C documents: `*.bpf.c`, or C that uses SEC() or includes vmlinux.h / bpf/bpf_helpers.h. */
export function isBpfDocument(uri: string, text: string): boolean {
  if (/\.bpf\.c$/i.test(uri)) return true;
  return /\bSEC\s*\(|#\s*include\s*[<"](?:vmlinux\.h|bpf\/bpf_helpers\.h)[>"]/.test(text);
}
