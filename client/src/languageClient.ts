// Starts the BPF LSM language server (dist/server.js) and offers a restart command.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { SETTINGS_SECTION } from '../../common/settings';
import { registerCommand } from './commands';

export async function activateLanguageClient(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  middleware: LanguageClientOptions['middleware'] = {},
): Promise<LanguageClient> {
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
    // Settings are pulled by the server (workspace/configuration) when it is told they changed; these
    // are only the first ones, so the first diagnostics need no round trip.
    initializationOptions: { settings: vscode.workspace.getConfiguration(SETTINGS_SECTION) },
    outputChannel: log,
    middleware,
  };
  const client = new LanguageClient('bpfLsm', 'BPF LSM Studio', serverOptions, clientOptions);
  context.subscriptions.push(client);
  registerCommand(
    context,
    log,
    'bpfLsm.restartServer',
    async () => {
      log.info('restarting the language server');
      await client.restart();
    },
    'Restarting the language server failed',
  );
  await client.start();
  log.info('language server started');
  return client;
}
