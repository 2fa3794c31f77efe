// The mutation run's harness (npm run mutate): our node:test tests run on mocha, in Stryker's runner,
// through test/mutation/register.ts. If the shim loses a test, a hook, a skip or a failure, the
// mutation score means nothing; this runs a fixture using each of them and reads mocha's report.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { LEFT_OUT } from '../mutation/leftOut';
import { REPO_ROOT } from '../helpers/paths';

const MOCHA_CONFIG = path.join(REPO_ROOT, 'test', 'mutation', 'mocharc.json');

interface MochaReport {
  stats: { tests: number; passes: number; pending: number; failures: number };
  failures: { fullTitle: string; err: { message: string } }[];
  pending: { fullTitle: string }[];
}

const compiled = (...parts: string[]) => path.join(REPO_ROOT, 'out', 'test', 'mutation', ...parts);

function runFixture(env: Record<string, string> = {}, fixture = 'nodeTestApi.js', requires: string[] = []): MochaReport {
  const result = spawnSync(
    process.execPath,
    [
      path.join(REPO_ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js'),
      ...requires.flatMap((r) => ['--require', r]),
      '--require',
      compiled('register.js'),
      '--reporter',
      'json',
      compiled('fixtures', fixture),
    ],
    { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, ...env } },
  );
  assert.ok(result.stdout.trim().startsWith('{'), `mocha printed no report: ${result.stderr}`);
  return JSON.parse(result.stdout) as MochaReport;
}

describe('node:test on mocha, for the mutation run', () => {
  it('runs every test with its hooks and context, and skips what node:test skips', () => {
    const report = runFixture();
    assert.deepEqual(report.failures, []);
    assert.deepEqual(report.stats.passes, 3);
    assert.deepEqual(report.pending.map((p) => p.fullTitle).sort(), [
      'a skipped suite is never run',
      'a test skipped by its options',
      'a test that skips itself',
      `${LEFT_OUT[0].title} is left out of the mutation run`,
    ]);
  });

  it('leaves out the tests leftOut.ts names, each entry naming at least one test', () => {
    // mocha --dry-run registers every test of the mutation run without running one.
    const result = spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--config', MOCHA_CONFIG, '--dry-run', '--reporter', 'json'],
      { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    const report = JSON.parse(result.stdout) as MochaReport;
    const pending = report.pending.map((p) => p.fullTitle);
    for (const entry of LEFT_OUT) {
      assert.ok(
        pending.some((t) => t.startsWith(entry.title)),
        `leftOut.ts: '${entry.title}' names no test of the mutation run`,
      );
    }
    assert.ok(
      pending.includes(
        'language server over the protocol every quick fix of every fixture fixes its diagnostic and leaves the file parsing as before',
      ),
    );
    assert.ok(report.stats.tests > 600, `${report.stats.tests} tests`);
  });

  it('reports a failing test as failed', () => {
    const report = runFixture({ MUTATION_FIXTURE_FAIL: '1' });
    assert.deepEqual(
      report.failures.map((f) => [f.fullTitle, f.err.message.split('\n')[0]]),
      [['a suite with hooks fails when told to', 'failed on purpose']],
    );
    assert.equal(report.stats.passes, 2);
  });

  it("counts what runs while a test file loads as the test file's, not as a module's static set-up", () => {
    // Without it each mutant reached both there and in a test cost the run a fresh test process. A
    // product module's own set-up must stay static (no test id): it runs once per process.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mutation-load-'));
    try {
      const productModule = path.join(dir, 'productModule.js');
      fs.writeFileSync(productModule, 'globalThis.productModuleSetUpSaw = { id: globalThis.__stryker__.currentTestId };\n');
      const report = runFixture({ MUTATION_FIXTURE_PRODUCT_MODULE: productModule }, 'loadAttribution.js', [
        compiled('fixtures', 'strykerNamespace.js'),
      ]);
      assert.deepEqual(report.failures, []);
      assert.equal(report.stats.passes, 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("credits what a suite's before hook runs to the suite's first test", () => {
    // Else a mutant there is run with another suite's test, which never runs the hook: a false survivor.
    const report = runFixture({}, 'beforeHookAttribution.js', [compiled('fixtures', 'strykerNamespace.js')]);
    assert.deepEqual(report.failures, []);
    assert.equal(report.stats.passes, 4);
  });
});
