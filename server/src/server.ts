// Entry point of the language server as the unbundled build runs it (the tests' out/ folder): connect,
// register, listen. The same script is the analysis worker when it runs in a worker thread (see
// lsp/analysisHost.ts). The shipped entry, dist/server.js, is serverBin.ts: the same two parts, each a
// bundle of its own run from V8's code cache.
//
// Start-up is on the user's path (the first diagnostics wait for it), so each thread loads only its own
// part, and the main thread starts the worker before loading anything else: the worker's start-up (its
// thread, the C parser's WASM, the hook tables) then runs on another core while the main thread loads
// the protocol side and answers `initialize`.
import { isMainThread } from 'node:worker_threads';
import { prestartWorker } from './lsp/workerStart';

if (isMainThread) {
  prestartWorker(__filename);
  // Required here, not imported above: the bundle then evaluates these modules only in this thread.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startLanguageServer } = require('./lsp/serverMain') as typeof import('./lsp/serverMain');
  startLanguageServer(__filename);
} else {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runAnalysisWorker } = require('./lsp/analysisWorker') as typeof import('./lsp/analysisWorker');
  runAnalysisWorker();
}
