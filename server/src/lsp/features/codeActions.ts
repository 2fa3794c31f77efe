// Quick fixes: the edits each diagnostic carries in `data` (see convert.ts), one code action per fix.
import {
  CodeActionKind,
  type ClientCapabilities,
  type CodeAction,
  type CodeActionParams,
  type Connection,
  type ServerCapabilities,
} from 'vscode-languageserver';
import type { DiagnosticData } from '../convert';
import { DIAGNOSTIC_SOURCE } from '../convert';
import type { Feature, Guard } from './feature';

export class CodeActionsFeature implements Feature {
  register(connection: Connection, capabilities: ServerCapabilities, client: ClientCapabilities, guard: Guard): void {
    // Quick fixes need code action literals; older clients would only get bare commands.
    if (!client.textDocument?.codeAction?.codeActionLiteralSupport) return;
    capabilities.codeActionProvider = { codeActionKinds: [CodeActionKind.QuickFix] };
    connection.onCodeAction((params) => guard('codeAction', () => codeActions(params), []));
  }
}

export function codeActions(params: CodeActionParams): CodeAction[] {
  if (params.context.only && !params.context.only.some((k) => CodeActionKind.QuickFix.startsWith(k))) return [];
  const actions: CodeAction[] = [];
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
  }
  return actions;
}
