// The language server's entry as shipped (dist/server.js; server.ts is the same entry for the unbundled
// build the tests run). Each thread's code is a bundle of its own, run through V8's code cache
// (codeCache.ts, as the linter's bin.ts does): the main thread runs dist/serverMain.js, the analysis
// worker dist/analysisWorker.js. This file stays small so that the worker, started first, starts as
// early as it can, and a start after the first compiles neither bundle.
import * as path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { compileParserWasm } from './analysis/parserWasm';
import { runCachedScript, userCodeCacheDir } from './codeCache';
import type * as ServerMain from './lsp/serverMain';
import type * as AnalysisWorker from './lsp/analysisWorker';
import { prestartWorker } from './lsp/workerStart';

const cacheDir = userCodeCacheDir();
if (isMainThread) {
  prestartWorker(__filename);
  const main = runCachedScript(path.join(__dirname, 'serverMain.js'), cacheDir);
  // Saved when the server exits, so that it holds what the session compiled (a no-op once the cache is used).
  process.on('exit', () => main.save());
  (main.exports as typeof ServerMain).startLanguageServer(__filename);
} else {
  // The parser's WASM compiles in the background while this thread loads its bundle.
  const wasm = compileParserWasm(path.join(__dirname, 'web-tree-sitter.wasm'), path.join(__dirname, 'tree-sitter-c.wasm'));
  const worker = runCachedScript(path.join(__dirname, 'analysisWorker.js'), cacheDir);
  const exports = worker.exports as typeof AnalysisWorker;
  exports.useCompiledParserWasm(wasm);
  exports.runAnalysisWorker(undefined, { afterFirstAnalysis: () => worker.save() });
}
