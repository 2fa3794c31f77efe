// Quick fixes: the edits each diagnostic carries in `data` (see convert.ts), one code action per fix; and
// for every finding, one that suppresses it (`// bpf-lsm-disable-next-line CODE` above its line).
import {
  CodeActionKind,
  type ClientCapabilities,
  type CodeAction,
  type CodeActionParams,
  type Connection,
  type ServerCapabilities,
} from 'vscode-languageserver';
import { isCheckCode } from '../../analysis/checks/registry';
import { suppressionEdit } from '../../analysis/suppressions';
import { TextIndex } from '../../ctext/textIndex';
import type { DiagnosticData } from '../convert';
import { DIAGNOSTIC_SOURCE } from '../convert';
import type { Feature, Guard } from './feature';

/** The current text of an open document, for edits that depend on it. */
export type DocumentText = (uri: string) => string | undefined;

export class CodeActionsFeature implements Feature {
  constructor(private readonly documentText: DocumentText = () => undefined) {}

  register(connection: Connection, capabilities: ServerCapabilities, client: ClientCapabilities, guard: Guard): void {
    // Quick fixes need code action literals; older clients would only get bare commands.
    if (!client.textDocument?.codeAction?.codeActionLiteralSupport) return;
    capabilities.codeActionProvider = { codeActionKinds: [CodeActionKind.QuickFix] };
    connection.onCodeAction((params) => guard('codeAction', () => codeActions(params, this.documentText), []));
  }
}

export function codeActions(params: CodeActionParams, documentText: DocumentText = () => undefined): CodeAction[] {
  if (params.context.only && !params.context.only.some((k) => CodeActionKind.QuickFix.startsWith(k))) return [];
  const actions: CodeAction[] = [];
  const uri = params.textDocument.uri;
  const text = documentText(uri);
  let index: TextIndex | undefined;
  for (const diagnostic of params.context.diagnostics) {
    if (diagnostic.source !== DIAGNOSTIC_SOURCE) continue;
    const data = diagnostic.data as DiagnosticData | undefined;
    for (const fix of data?.fixes ?? []) {
      actions.push({
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        isPreferred: fix.preferred,
        edit: { changes: { [params.textDocument.uri]: fix.edits } },
      });
    }
    // Any finding but an unused suppression (which is removed, not suppressed) can be suppressed in place.
    const code = diagnostic.code;
    if (text === undefined || !isCheckCode(code) || code === 'unused-suppression') continue;
    index ??= new TextIndex(text);
    const line = diagnostic.range?.start?.line;
    if (typeof line !== 'number' || line < 0 || line >= index.lineCount) continue;
    const suppress = suppressionEdit(text, index, line, code);
    if (!suppress) continue;
    actions.push({
      title: `Suppress '${code}' on this line (// bpf-lsm-disable-next-line)`,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      edit: { changes: { [uri]: [suppress] } },
    });
  }
  return actions;
}
