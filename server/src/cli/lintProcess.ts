// bpf-lsm-lint as a process (the bundle dist/lint.js, run by bin.ts): the process's flags, its exit status
// and its streams around main(), which the tests run in-process (lint.ts).
import { setFlagsFromString } from 'node:v8';
import { analysedFiles, main, reason, type Output } from './lint';
import { escapeForTerminal } from './terminalText';

/** The last word on anything unexpected: one line, exit status 2, never a stack trace. */
function internalError(e: unknown): void {
  process.stderr.write(`${escapeForTerminal(`bpf-lsm-lint: internal error: ${reason(e)}`)}\n`);
  process.exitCode = 2;
}

/**
 * Runs bpf-lsm-lint on process.argv; true when files were analysed. Tree-sitter's WASM is compiled by V8's baseline compiler alone: its
 * optimising compiler spent 150 to 200 ms on the grammar's lexer for nothing a linter run needs, and the
 * process waited for it before exiting (parsing 500 small files is as fast either way: bench/linter.ts).
 */
export function runCli(): Promise<boolean> {
  setFlagsFromString('--liftoff-only');
  process.on('uncaughtException', (e) => {
    internalError(e);
    process.exit(2);
  });
  // process.stdout and stderr are made when first written to: a clean file writes nothing, and making
  // a pipe's stream costs a few ms.
  let piped = false;
  const stdout: Output = {
    write(text) {
      // A reader that stops early (`| head`) closes the pipe: stop writing, quietly.
      if (!piped) process.stdout.on('error', (e: NodeJS.ErrnoException) => process.exit(e.code === 'EPIPE' ? (process.exitCode ?? 0) : 2));
      piped = true;
      return process.stdout.write(text);
    },
  };
  const stderr: Output = { write: (text) => process.stderr.write(text) };
  return main(process.argv.slice(2), stdout, stderr).then(
    (code) => {
      process.exitCode = code;
      return analysedFiles();
    },
    (e: unknown) => {
      internalError(e);
      return false;
    },
  );
}

// bin.ts hands over the parser's WASM, compiled while this bundle loaded.
export { useCompiledParserWasm } from '../analysis/cParser';

if (require.main === module) void runCli();
