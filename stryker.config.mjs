// The mutation run (npm run mutate, see docs/mutation-testing.md): every small change Stryker makes to
// the server's code must make a unit or language-server test fail. The tests run in Stryker's mocha
// runner, in one process (test/mutation/register.ts: node:test on mocha, the language server in that
// process), so a mutant costs only the tests that cover it.
// @ts-check
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: [
    'server/src/**/*.ts',
    'common/**/*.ts',
    // Only a spawned server or CLI runs these (process entry points, stdio, worker threads), where no
    // mutant is switched on; the tests that spawn them show what they do.
    '!server/src/server.ts',
    '!server/src/serverBin.ts',
    '!server/src/analysis/parserWasm.ts',
    '!server/src/lsp/serverMain.ts',
    '!server/src/lsp/stdioConnection.ts',
    '!server/src/lsp/workerStart.ts',
    '!server/src/cli/bin.ts',
    '!server/src/cli/lintProcess.ts',
    '!common/repoRoot.ts',
  ],
  testRunner: 'mocha',
  mochaOptions: { config: 'test/mutation/mocharc.json' },
  // Run in the sandbox, after the mutants are in: the tests run the compiled tree (out/).
  buildCommand: 'npm run mutate:build',
  // test/mutation/fileTypeChecker.mjs: each mutated file type-checked alone, in about a third of the time
  // of Stryker's own checker (`--checkers typescript`), with the same verdicts (docs/mutation-testing.md).
  checkers: ['typescript-file'],
  // The server and common/ as one project with no emit: the whole tree (tests included) made Stryker's
  // checker six times slower; the project references (build mode) about 10 % slower.
  tsconfigFile: 'tsconfig.mutation.json',
  // Instrumented code changes inferred types; the checker has judged each mutant already.
  disableTypeChecks: '{server,common,test,engine,policy,vm,client,scripts,bench}/**/*.ts',
  coverageAnalysis: 'perTest',
  // A mutant in code that runs when a module loads would need every test run in a fresh process (the
  // mocha runner cannot reload modules): ~50 s each. They are counted as ignored, and listed.
  ignoreStatic: true,
  incremental: true,
  incrementalFile: '.cache/stryker/incremental.json',
  tempDirName: '.cache/stryker/tmp',
  ignorePatterns: ['.cache', 'dist', 'out', 'reports', '*.vsix'],
  // Two checker processes and two test runners (Stryker gives checkers half the tokens, rounded up): the
  // checkers finish early, and then the runners have both cores (docs/mutation-testing.md).
  concurrency: 4,
  // A timed-out mutant waits 1.5 times its tests' time plus this, then restarts its runner.
  timeoutMS: 5000,
  // progress-log (test/mutation/progressLog.mjs) writes each result as it comes: Stryker's reports appear
  // only at the end.
  plugins: ['@stryker-mutator/*', './test/mutation/progressLog.mjs', './test/mutation/fileTypeChecker.mjs'],
  reporters: ['clear-text', 'progress', 'html', 'json', 'progress-log'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 80, break: null },
};
