// The extension: starts the BPF LSM language server for C documents and offers restart / output commands.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { SETTINGS_SECTION } from '../../common/settings';

let client: LanguageClient | undefined;

function createClient(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): LanguageClient {
  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6011'] } },
  };
  const clientOptions: LanguageClientOptions = {
    // The server decides which C files are BPF (SEC(), vmlinux.h, *.bpf.c) and stays quiet on the rest.
    documentSelector: [
      { scheme: 'file', language: 'c' },
      { scheme: 'untitled', language: 'c' },
    ],
    synchronize: { configurationSection: SETTINGS_SECTION },
    initializationOptions: { settings: vscode.workspace.getConfiguration(SETTINGS_SECTION) },
    outputChannel: log,
  };
  return new LanguageClient('bpfLsm', 'BPF LSM Studio', serverOptions, clientOptions);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel('BPF LSM Studio', { log: true });
  context.subscriptions.push(log);
  context.subscriptions.push(
    vscode.commands.registerCommand('bpfLsm.showOutput', () => log.show()),
    vscode.commands.registerCommand('bpfLsm.restartServer', async () => {
      log.info('restarting the language server');
      await client?.restart();
    }),
  );
  try {
    client = createClient(context, log);
    await client.start();
    log.info('language server started');
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
