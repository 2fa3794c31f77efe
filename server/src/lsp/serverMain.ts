// The language server's main thread (server.ts loads it only there): the connection and the server.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { BpfLspServer } from './lspServer';
import { createStdioConnection } from './stdioConnection';

/** `script`: the server's entry, which the analysis worker thread runs too. */
export function startLanguageServer(script: string): void {
  // VS Code talks over IPC; other editors and the tests over stdio, whose framing is checked.
  const connection = process.argv.includes('--stdio') ? createStdioConnection() : createConnection(ProposedFeatures.all);
  new BpfLspServer(connection, script).register();
  connection.listen();
}
