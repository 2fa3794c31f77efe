// mocha --require for the mutation run: `node:test` is answered by nodeTestOnMocha.ts (why: there), and
// the language server tests start their servers in this process (test/lsp/inProcessServer.ts).
import Module from 'node:module';
import * as path from 'node:path';
import * as nodeTestOnMocha from './nodeTestOnMocha';

process.env.LSP_IN_PROCESS = '1';
process.env.BPF_LSM_TIME_LIMIT_SCALE = '10';
// A silent server fails the test in 3 s (test/lsp/lspClient.ts), before Stryker's timeout (5 s and more).
process.env.LSP_TEST_REPLY_MS = '3000';

/**
 * Whose code runs while the test files load. Stryker counts a hit outside any test as "static" (module
 * set-up, run once per process), and a mutant hit both there and in a test costs a fresh test process:
 * 704 of them made a full run take hours. Our test files call the product while they load (fixture
 * tables at their top level, describe bodies); those hits are the test files', so they go under this
 * id, which Stryker drops (it names no test): a mutant reached only so counts as not covered, one a test
 * reaches too runs with that test, in the same process. A product module's own set-up stays static.
 */
export const LOADING_TEST_FILES = 'test files loading (not a test)';
const TEST_CODE = `${path.sep}out${path.sep}test${path.sep}`;

interface Instrumentation {
  currentTestId?: string;
}
type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
const loader = Module as unknown as {
  _load: Load;
  _resolveFilename: (request: string, parent: unknown, isMain: boolean) => string;
};
const load = loader._load;

loader._load = function (request: string, parent: unknown, isMain: boolean) {
  if (request === 'node:test' || request === 'test') return nodeTestOnMocha;
  const ns = (globalThis as { __stryker__?: Instrumentation }).__stryker__;
  // Only while loading: once a test has run, Stryker's runner keeps a test's id there.
  if (!ns || (ns.currentTestId !== undefined && ns.currentTestId !== LOADING_TEST_FILES)) {
    return load.call(this, request, parent, isMain);
  }
  let file: string;
  try {
    file = loader._resolveFilename(request, parent, isMain);
  } catch {
    return load.call(this, request, parent, isMain);
  }
  const outer = ns.currentTestId;
  ns.currentTestId = file.includes(TEST_CODE) ? LOADING_TEST_FILES : undefined;
  try {
    return load.call(this, request, parent, isMain);
  } finally {
    ns.currentTestId = outer;
  }
};
