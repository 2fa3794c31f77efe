// Open documents and, when the store has a parser, their parse trees. Content changes are normalised
// first (see textChanges.ts), then applied one by one to the text and to the document's tree with
// `tree.edit()`, so the next parse reuses the old tree (incremental parsing). Trees live in WASM memory:
// they are deleted when replaced and when the document closes. Without a parser the store keeps text
// only: the protocol side of the server does, the analysis worker keeps the trees.
import type { Parser, Tree } from 'web-tree-sitter';
import { Edit } from 'web-tree-sitter';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { splitLines } from '../ctext/textIndex';
import { parseC } from '../analysis/cParser';
import { normaliseChange, type NormalisedChange } from './textChanges';

/** Documents larger than this are not parsed (a notice instead): the analysis' own limit, as in the linter. */
export { MAX_ANALYSED_LENGTH } from '../analysis/cParser';

export interface OpenDocument {
  doc: TextDocument;
  /**
   * Bumped on every open and every change, and unique across the store's documents: different text
   * never shares a generation, while versions can repeat (a second didOpen, a client resending one).
   */
  generation: number;
  /** The tree of `treeGeneration`, or of an older generation edited to match the current text. */
  tree: Tree | null;
  /** Generation the tree was parsed for; differs from `generation` until the next parse. */
  treeGeneration: number;
}

export class DocumentStore {
  private readonly docs = new Map<string, OpenDocument>();
  private lastGeneration = 0;

  /** `log` hears about content changes that were dropped because they were malformed. */
  constructor(
    private readonly parser: Parser | null = null,
    private readonly log: (message: string) => void = () => {},
  ) {}

  get(uri: string): OpenDocument | undefined {
    return this.docs.get(uri);
  }

  all(): OpenDocument[] {
    return [...this.docs.values()];
  }

  /** Opens the document, replacing it (and dropping its tree) when it is already open. */
  open(uri: string, languageId: string, version: number, text: string): OpenDocument {
    this.close(uri);
    const entry: OpenDocument = {
      doc: TextDocument.create(uri, languageId, version, text),
      generation: ++this.lastGeneration,
      tree: null,
      treeGeneration: -1,
    };
    this.docs.set(uri, entry);
    return entry;
  }

  /** Applies LSP content changes, each to the text the one before left. Unknown documents are ignored. */
  change(uri: string, version: number, changes: readonly unknown[]): OpenDocument | undefined {
    const entry = this.docs.get(uri);
    if (!entry) return undefined;
    for (const raw of changes) {
      const change = normaliseChange(entry.doc, raw);
      if (!change) {
        this.log(`ignored a malformed content change to ${uri}: ${JSON.stringify(raw)?.slice(0, 200)}`);
        continue;
      }
      this.editTree(entry, change);
      entry.doc = TextDocument.update(entry.doc, [change], version);
    }
    // The version moves on even when every change was dropped.
    entry.doc = TextDocument.update(entry.doc, [], version);
    entry.generation = ++this.lastGeneration;
    return entry;
  }

  /** The tree for the current text, reparsing incrementally when the text changed; null if parsing gave up. */
  tree(entry: OpenDocument): Tree | null {
    if (!this.parser) throw new Error('this document store keeps text only');
    if (entry.tree && entry.treeGeneration === entry.generation) return entry.tree;
    const next = parseC(this.parser, entry.doc.getText(), entry.tree);
    this.dropTree(entry);
    if (!next) return null;
    entry.tree = next;
    entry.treeGeneration = entry.generation;
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

  /** Tells the kept tree about a change before the text takes it, so both describe the same edit. */
  private editTree(entry: OpenDocument, change: NormalisedChange): void {
    if (!entry.tree) return;
    if (!('range' in change)) {
      // A whole-document replacement: nothing of the old tree can be reused.
      this.dropTree(entry);
      return;
    }
    const { start, end } = change.range;
    const startIndex = entry.doc.offsetAt(start);
    const startPosition = { row: start.line, column: start.character };
    entry.tree.edit(
      new Edit({
        startIndex,
        oldEndIndex: entry.doc.offsetAt(end),
        newEndIndex: startIndex + change.text.length,
        startPosition,
        oldEndPosition: { row: end.line, column: end.character },
        newEndPosition: pointAfter(startPosition, change.text),
      }),
    );
  }

  private dropTree(entry: OpenDocument): void {
    entry.tree?.delete();
    entry.tree = null;
    entry.treeGeneration = -1;
  }
}

/** Where `text`, inserted at `start`, ends (tree-sitter points: row, UTF-16 column). */
function pointAfter(start: { row: number; column: number }, text: string): { row: number; column: number } {
  // Every kind of line end: the parser sees a lone \r as one too (parseC), as LSP positions do.
  const lines = splitLines(text);
  if (lines.length === 1) return { row: start.row, column: start.column + text.length };
  return { row: start.row + lines.length - 1, column: lines[lines.length - 1].length };
}

/** BPF C documents: `*.bpf.c`, or C that uses SEC() or includes vmlinux.h / bpf/bpf_helpers.h. */
export function isBpfDocument(uri: string, text: string): boolean {
  if (/\.bpf\.c$/i.test(uri)) return true;
  return /\bSEC\s*\(|#\s*include\s*[<"](?:vmlinux\.h|bpf\/bpf_helpers\.h)[>"]/.test(text);
}
