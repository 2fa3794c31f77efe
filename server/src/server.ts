// Entry point of the language server (bundled to dist/server.js): connect, register, listen. The same
// script is the analysis worker when it runs in a worker thread (see lsp/analysisHost.ts).
import { isMainThread } from 'node:worker_threads';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { runAnalysisWorker } from './lsp/analysisWorker';
import { BpfLspServer } from './lsp/lspServer';
import { createStdioConnection } from './lsp/stdioConnection';

if (isMainThread) {
  // VS Code talks over IPC; other editors and the tests over stdio, whose framing is checked.
  const connection = process.argv.includes('--stdio') ? createStdioConnection() : createConnection(ProposedFeatures.all);
  new BpfLspServer(connection, __filename).register();
  connection.listen();
} else {
  runAnalysisWorker();
}
