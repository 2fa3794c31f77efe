// Open, change and close: the documents' text (incremental sync) kept in the store and the analysis
// host, and diagnostics scheduled or cleared to match.
import { fileURLToPath } from 'node:url';
import { TextDocumentSyncKind, type Connection, type ServerCapabilities } from 'vscode-languageserver';
import type { ServerContext } from '../context';
import type { DiagnosticsFeature } from './diagnostics';
import type { Feature, Guard } from './feature';

export class DocumentSyncFeature implements Feature {
  constructor(
    private readonly ctx: ServerContext,
    private readonly diagnostics: DiagnosticsFeature,
  ) {}

  register(connection: Connection, capabilities: ServerCapabilities, _client: unknown, guard: Guard): void {
    capabilities.textDocumentSync = { openClose: true, change: TextDocumentSyncKind.Incremental };
    const { ctx, diagnostics } = this;
    // A header's text in the editor is what the documents including it see: each of its changes, its
    // opening and its closing (back to the disk's text) analyses them again.
    const headerChanged = (uri: string) => {
      let file: string;
      try {
        file = fileURLToPath(uri);
      } catch {
        return;
      }
      for (const dependent of ctx.dependentsOf([file])) if (dependent !== uri) diagnostics.schedule(dependent);
    };
    // Parameters are read inside guard(): a malformed notification must reach it too.
    connection.onDidOpenTextDocument((params) =>
      guard(
        'didOpen',
        () => {
          const d = params.textDocument;
          if (typeof d?.uri !== 'string' || typeof d.text !== 'string') throw new TypeError('didOpen without a document uri and text');
          // A second didOpen replaces the document: new text, new tree, no cached results.
          ctx.forget(d.uri);
          ctx.store.open(d.uri, d.languageId, d.version, d.text);
          diagnostics.schedule(d.uri, true);
          headerChanged(d.uri);
        },
        undefined,
      ),
    );
    connection.onDidChangeTextDocument((params) =>
      guard(
        'didChange',
        () => {
          const { textDocument, contentChanges } = params;
          const changes = Array.isArray(contentChanges) ? contentChanges : [];
          if (!ctx.store.change(textDocument.uri, textDocument.version, changes)) return;
          ctx.changed(textDocument.uri, textDocument.version, changes);
          diagnostics.schedule(textDocument.uri);
          headerChanged(textDocument.uri);
        },
        undefined,
      ),
    );
    connection.onDidCloseTextDocument((params) =>
      guard(
        'didClose',
        () => {
          const { textDocument } = params;
          ctx.store.close(textDocument.uri);
          ctx.forget(textDocument.uri);
          diagnostics.clear(textDocument.uri);
          headerChanged(textDocument.uri);
        },
        undefined,
      ),
    );
  }
}
