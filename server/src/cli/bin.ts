// bpf-lsm-lint's entry point (dist/cli.js): runs the linter's bundle (dist/lint.js, from lintProcess.ts and lint.ts) through
// V8's code cache (codeCache.ts), which takes the compiling of the bundle off every start after the first.
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { compileParserWasm } from '../analysis/parserWasm';
import { runCachedScript, userCodeCacheDir, type CachedScript } from '../codeCache';
import type * as lint from './lintProcess';

// As runCli sets it, but before the bundle is compiled: V8 takes a code cache only under the same flags.
setFlagsFromString('--liftoff-only');
// The parser's WASM compiles in the background while this thread loads the bundle.
const wasm = compileParserWasm(path.join(__dirname, 'web-tree-sitter.wasm'), path.join(__dirname, 'tree-sitter-c.wasm'));
let script: CachedScript | undefined;
try {
  script = runCachedScript(path.join(__dirname, 'lint.js'), userCodeCacheDir());
} catch (e) {
  // The bundle missing or broken (a partial install): one line, as lint.ts says its own internal errors.
  process.stderr.write(`bpf-lsm-lint: internal error: ${(e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ')}\n`);
  process.exitCode = 2;
}
if (script) {
  const loaded = script;
  (loaded.exports as typeof lint).useCompiledParserWasm(wasm);
  void (loaded.exports as typeof lint).runCli().then((analysed) => {
    // Saved after a run that linted, so that it holds the analysis as compiled, not only --help's path.
    if (analysed) loaded.save();
  });
}
