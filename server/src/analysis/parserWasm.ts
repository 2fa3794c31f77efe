// tree-sitter's two WASM modules (its runtime and the C grammar), compiled ahead: a program's entry starts
// compiling them before it loads its bundle, so that V8 decodes and validates them on its background
// threads while the main thread loads JavaScript, and cParser.ts only instantiates them. V8 still
// compiles each function when it first runs: compiling all of them up front (--no-wasm-lazy-compilation)
// made the first parse 30 ms faster but the language server's cold start 70 ms slower on two cores, and
// the linter no faster (bench/server.ts, bench/linter.ts).
import * as fs from 'node:fs';

/** A compiled WASM module (this project's TypeScript lib has no WebAssembly types). */
export type WasmModule = object;

// Only compile is used here.
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule> };

export interface ParserWasm {
  runtime: Promise<WasmModule>;
  grammar: Promise<WasmModule>;
}

/** Starts compiling both files; a file that cannot be read or compiled rejects its promise, nothing more. */
export function compileParserWasm(runtimeFile: string, grammarFile: string): ParserWasm {
  const compile = (file: string) => {
    // Read now, not asynchronously: the compile must start before the caller goes on to load its bundle.
    let compiled: Promise<WasmModule>;
    try {
      compiled = WebAssembly.compile(fs.readFileSync(file));
    } catch (e) {
      compiled = Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    // Awaited later by the loader, which reports the error; not an unhandled rejection meanwhile.
    compiled.catch(() => {});
    return compiled;
  };
  return { runtime: compile(runtimeFile), grammar: compile(grammarFile) };
}
