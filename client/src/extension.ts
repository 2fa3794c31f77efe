// The extension's entry point: one log, then each feature registers itself.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { failureReporter, registerCommand } from './commands';
import { activateLanguageClient } from './languageClient';
import { registerTargetCommands } from './targetCommands';
import { TargetController } from './targetController';
import { registerTemplatesCommand } from './templatesCommand';

let client: LanguageClient | undefined;

let controller: TargetController | undefined;

/** What the extension offers other extensions and its end-to-end tests. */
export interface BpfLsmApi {
  target: TargetController;
}

export async function activate(context: vscode.ExtensionContext): Promise<BpfLsmApi> {
  const log = vscode.window.createOutputChannel('BPF LSM Studio', { log: true });
  context.subscriptions.push(log);
  registerCommand(context, log, 'bpfLsm.showOutput', () => log.show());
  registerTemplatesCommand(context, log);
  controller = new TargetController(context, log, () => client);
  context.subscriptions.push(controller);
  registerTargetCommands(context, controller, log);
  try {
    client = await activateLanguageClient(context, log);
  } catch (err) {
    failureReporter(log)(err, 'BPF LSM Studio could not start its language server');
  }
  return { target: controller };
}

export async function deactivate(): Promise<void> {
  // Session-held programs are detached and the trace reader stopped before the window goes.
  await controller?.shutdown();
  await client?.stop();
  client = undefined;
}
