// `bpf-lsm-lint --format sarif`, as a code-scanning upload takes it: valid against the official SARIF
// 2.1.0 schema (test/fixtures/sarif/sarif-schema-2.1.0.json, from oasis-tcs/sarif-spec
// sarif-2.1/schema/), with the check registry as its rules and paths relative to the working directory.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import Ajv from 'ajv';
import { CHECK_CODES } from '../../server/src/analysis/checks/registry';
import { CLI, FIXTURES, REPO_ROOT } from '../helpers/paths';

/**
 * The schema is draft-04, which ajv 8 reads as draft-07 once its root `id` is `$id` (the only draft-04
 * keyword it uses). Its formats are checked here as SARIF means them.
 */
function sarifValidator() {
  const schema = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'sarif', 'sarif-schema-2.1.0.json'), 'utf8')) as Record<string, unknown>;
  const { id, $schema: _draft, ...rest } = schema;
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat('uri', { type: 'string', validate: (s: string) => URL.canParse(s) });
  ajv.addFormat('uri-reference', { type: 'string', validate: (s: string) => URL.canParse(s, 'file:///base/') && !/\s/.test(s) });
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !Number.isNaN(Date.parse(s)) });
  return ajv.compile({ $id: id as string, ...rest });
}

function lint(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, '--format', 'sarif', ...args], { encoding: 'utf8', cwd });
  return { status: r.status, log: JSON.parse(r.stdout) as SarifLog, stderr: r.stderr };
}

interface SarifLog {
  version: string;
  runs: {
    tool: {
      driver: { name: string; rules: { id: string; shortDescription: { text: string }; defaultConfiguration: { level: string } }[] };
    };
    originalUriBaseIds: Record<string, { uri: string }>;
    invocations: { executionSuccessful: boolean }[];
    results: {
      ruleId: string;
      ruleIndex: number;
      level: string;
      message: { text: string };
      locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region: Record<string, number> } }[];
      fixes?: {
        description: { text: string };
        artifactChanges: { replacements: { deletedRegion: Record<string, number>; insertedContent: { text: string } }[] }[];
      }[];
    }[];
  }[];
}

describe('bpf-lsm-lint --format sarif', () => {
  const validate = sarifValidator();

  it('the validator refuses what SARIF does not allow (so its verdicts mean something)', () => {
    assert.equal(
      validate({
        version: '2.1.0',
        runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, level: 'information' }] }],
      }),
      false,
    );
    assert.equal(validate({ version: '2.0.0', runs: [] }), false);
    assert.equal(
      validate({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, level: 'note' }] }] }),
      true,
    );
  });

  it('writes a valid log: rules from the registry, results with levels, regions and fixes, the same exit status', () => {
    const r = lint(
      REPO_ROOT,
      'test/fixtures/lint/seed-target-exec.bpf.c',
      'test/fixtures/lint/license-bad.bpf.c',
      'test/fixtures/lint/passthrough-missing.bpf.c',
    );
    assert.equal(r.status, 1);
    assert.equal(validate(r.log), true, JSON.stringify(validate.errors));
    const [run] = r.log.runs;
    assert.equal(run.tool.driver.name, 'bpf-lsm-lint');
    assert.deepEqual(
      run.tool.driver.rules.map((rule) => rule.id),
      CHECK_CODES,
    );
    const passthroughRule = run.tool.driver.rules.find((rule) => rule.id === 'missing-ret-passthrough')!;
    assert.deepEqual(passthroughRule.defaultConfiguration, { level: 'note' });
    assert.equal(
      passthroughRule.shortDescription.text,
      "a program that does not pass int ret on (if (ret != 0) return ret;), the kernel documentation's convention (a hint: a hook's programs run only until one denies, so nothing is overridden)",
    );
    assert.deepEqual(run.originalUriBaseIds, { '%SRCROOT%': { uri: `${pathToFileURL(REPO_ROOT).href}/` } });
    assert.deepEqual(run.invocations, [{ executionSuccessful: true }]);

    const first = run.results[0];
    assert.equal(first.ruleId, 'unknown-hook');
    assert.equal(run.tool.driver.rules[first.ruleIndex].id, 'unknown-hook');
    assert.equal(first.level, 'error');
    assert.deepEqual(first.locations[0].physicalLocation, {
      artifactLocation: { uri: 'test/fixtures/lint/seed-target-exec.bpf.c', uriBaseId: '%SRCROOT%' },
      region: { startLine: 5, startColumn: 10, endLine: 5, endColumn: 21 },
    });
    const licence = run.results.find((x) => x.ruleId === 'license')!;
    assert.deepEqual(licence.fixes?.[0].description, { text: 'Use "GPL"' });
    assert.deepEqual(licence.fixes?.[0].artifactChanges[0].replacements, [
      { deletedRegion: { startLine: 6, startColumn: 33, endLine: 6, endColumn: 46 }, insertedContent: { text: '"GPL"' } },
    ]);
    assert.deepEqual([...new Set(run.results.filter((x) => x.ruleId === 'missing-ret-passthrough').map((x) => x.level))], ['note']);
  });

  it('gives files outside the working directory as absolute file URIs, and information as a note', () => {
    const cwd = path.join(FIXTURES, 'lint');
    const outside = path.join(FIXTURES, 'includes', 'local', 'missing-header.bpf.c');
    const r = lint(cwd, outside);
    assert.equal(r.status, 0);
    assert.equal(validate(r.log), true, JSON.stringify(validate.errors));
    const [result] = r.log.runs[0].results;
    assert.equal(result.level, 'note');
    assert.deepEqual(result.locations[0].physicalLocation.artifactLocation, { uri: pathToFileURL(outside).href });
  });

  it('an empty run is valid too, and a file that cannot be read marks the run unsuccessful (exit 2)', () => {
    const r = lint(REPO_ROOT, 'test/fixtures/lint/seed-connect-braced.bpf.c', 'no-such-file.bpf.c');
    assert.equal(r.status, 2);
    assert.equal(validate(r.log), true, JSON.stringify(validate.errors));
    assert.deepEqual(r.log.runs[0].results, []);
    assert.deepEqual(r.log.runs[0].invocations, [
      {
        executionSuccessful: false,
        toolExecutionNotifications: [
          {
            level: 'error',
            message: { text: 'no such file' },
            locations: [{ physicalLocation: { artifactLocation: { uri: 'no-such-file.bpf.c', uriBaseId: '%SRCROOT%' } } }],
          },
        ],
      },
    ]);
  });
});
