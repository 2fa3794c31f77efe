// Runs inside the VS Code extension host: a suite's extensionTestsPath module calls runMochaSuite from
// its exported run(), as @vscode/test-electron and the smoke-test driver both expect. Output goes to
// the extension host's console, which the launchers print; the marker lines let them time the start
// and print the closing 'N passed, N failed' line.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import Mocha from 'mocha';
import { OUTPUT_TAG, RESULT_MARKER, STARTED_MARKER, TAG_ENV } from './hostProtocol';

/** Tags each line under runVsCode (see hostProtocol); prints plainly elsewhere. */
function print(...args: unknown[]): void {
  const text = util.format(...args);
  console.log(
    process.env[TAG_ENV]
      ? text
          .split('\n')
          .map((l) => OUTPUT_TAG + l)
          .join('\n')
      : text,
  );
}

export interface MochaSuiteOptions {
  /** Test files, relative to testsRoot; default: every *.test.js below it. */
  pattern?: RegExp;
  /** Per-test timeout; the extension host is slower than plain Node. */
  timeoutMs?: number;
}

/** Runs the compiled tests below testsRoot with the TDD interface (suite/test); rejects if any fail. */
export async function runMochaSuite(testsRoot: string, opts: MochaSuiteOptions = {}): Promise<void> {
  const pattern = opts.pattern ?? /\.test\.js$/;
  const files = (fs.readdirSync(testsRoot, { recursive: true }) as string[]).filter((f) => pattern.test(f)).sort();
  if (files.length === 0) throw new Error(`no test files matching ${pattern} under ${testsRoot}`);

  // BPF_E2E_GREP reaches the extension host through the server's (or test-electron's) environment.
  const grep = process.env.BPF_E2E_GREP;
  const mocha = new Mocha({ ui: 'tdd', color: false, reporter: 'spec', timeout: opts.timeoutMs ?? 20000, ...(grep ? { grep } : {}) });
  for (const f of files) mocha.addFile(path.join(testsRoot, f));
  // Mocha's reporters print through Base.consoleLog, which holds console.log as it was at load time.
  Mocha.reporters.Base.consoleLog = print;

  await runAndReport(mocha, files.length, testsRoot);
}

async function runAndReport(mocha: Mocha, fileCount: number, testsRoot: string): Promise<void> {
  print(`${STARTED_MARKER}: ${fileCount} file(s) in ${testsRoot}`);
  const stats = await new Promise<Mocha.Stats>((resolve, reject) => {
    try {
      const runner = mocha.run(() => resolve(runner.stats ?? ({ passes: 0, failures: 1, pending: 0 } as Mocha.Stats)));
    } catch (e) {
      // A test file that throws while loading: mocha.run requires them synchronously.
      print(`[bpf-e2e] could not load the tests: ${e instanceof Error ? e.stack : String(e)}`);
      reject(e);
    }
  });
  print(`${RESULT_MARKER}: passes=${stats.passes} failures=${stats.failures} pending=${stats.pending}`);
  if (stats.failures > 0) throw new Error(`${stats.failures} test(s) failed`);
  if (stats.passes === 0) throw new Error('no test ran');
}
