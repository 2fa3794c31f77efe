// The extension's entry point: one log, then each feature registers itself.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { activateLanguageClient } from './languageClient';
import { registerTemplatesCommand } from './templatesCommand';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel('BPF LSM Studio', { log: true });
  context.subscriptions.push(log, vscode.commands.registerCommand('bpfLsm.showOutput', () => log.show()));
  registerTemplatesCommand(context, log);
  try {
    client = await activateLanguageClient(context, log);
  } catch (err) {
    const e = err as Error;
    log.error(e.stack ?? e.message);
    void vscode.window.showErrorMessage(`BPF LSM Studio could not start its language server: ${e.message}`, 'Show Output')
      .then((choice) => choice && log.show());
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
