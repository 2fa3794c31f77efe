// The GitHub Actions template for policy tests (bpf-templates/github/policy-tests.yml) is a valid workflow
// by SchemaStore's github-workflow schema, and its matrix agrees with its commands and with our VMs.
// The schema comes with @action-validator/core, whose validateWorkflow checks a workflow against it
// (no npm package ships SchemaStore's github-workflow.json as a file; @schemastore/github-workflow
// has only TypeScript types).
import { validateWorkflow, type ValidationError } from '@action-validator/core';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseDocument, stringify } from 'yaml';
import { KERNEL_SERIES } from '../../vm/src/kernels';
import { REPO_ROOT } from '../helpers/paths';

const TEMPLATE = path.join(REPO_ROOT, 'bpf-templates', 'github', 'policy-tests.yml');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}
interface Job {
  'runs-on'?: string;
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string>;
  strategy?: { 'fail-fast'?: boolean; matrix?: Record<string, unknown[]> };
  steps: Step[];
}
interface Workflow {
  jobs: Record<string, Job>;
}

function readTemplate(): { text: string; workflow: Workflow } {
  const text = fs.readFileSync(TEMPLATE, 'utf8');
  const doc = parseDocument(text);
  assert.deepEqual(doc.errors, [], 'the template is not valid YAML');
  return { text, workflow: doc.toJS() as Workflow };
}

/** The schema's complaints as "path: title (detail)" lines, for readable assertion messages. */
function problems(yamlText: string): string[] {
  const flatten = (errors: ValidationError[]): string[] =>
    errors.flatMap((e) => [
      `${'path' in e ? e.path : ''}: ${e.title}${e.detail ? ` (${e.detail})` : ''}`,
      ...('states' in e && e.states ? e.states.flatMap((s) => flatten(s.errors)) : []),
    ]);
  return flatten(validateWorkflow(yamlText).errors);
}

/** The job that runs bpf-lsm-test, and the step that does. */
function testJob(workflow: Workflow): { id: string; job: Job; step: Step } {
  for (const [id, job] of Object.entries(workflow.jobs)) {
    const step = job.steps.find((s) => s.run?.includes('bpf-lsm-test '));
    if (step) return { id, job, step };
  }
  assert.fail('no job runs bpf-lsm-test');
}

describe('GitHub Actions template for policy tests', () => {
  it('is a valid workflow', () => {
    assert.deepEqual(problems(readTemplate().text), []);
  });

  it('the validation rejects a broken copy of it', () => {
    const { workflow } = readTemplate();
    const { id } = testJob(workflow);

    const noRunner = structuredClone(workflow);
    delete noRunner.jobs[id]['runs-on'];
    const found = problems(stringify(noRunner));
    assert.ok(
      found.some((p) => p.startsWith(`/jobs/${id}/runs-on:`)),
      `removing runs-on should be reported, got:\n${found.join('\n')}`,
    );

    const badPermission = structuredClone(workflow);
    const report = Object.values(badPermission.jobs).find((j) => j.permissions?.checks)!;
    report.permissions!.checks = 'writ';
    assert.notDeepEqual(problems(stringify(badPermission)), []);
  });

  it('shards the matrix as its command line says', () => {
    const { job, step } = testJob(readTemplate().workflow);
    assert.equal(job.strategy?.['fail-fast'], false);
    const shards = job.strategy?.matrix?.shard;
    assert.ok(Array.isArray(shards) && shards.length > 0, 'the matrix has a shard list');
    const shard = /--shard \$\{\{ matrix\.shard \}\}\/(\d+)\b/.exec(step.run!);
    assert.ok(shard, `--shard \${{ matrix.shard }}/N in: ${step.run}`);
    const count = Number(shard[1]);
    assert.equal(count, shards.length, '--shard K/N: N is the number of shards in the matrix');
    assert.deepEqual(
      shards,
      Array.from({ length: count }, (_, i) => i + 1),
      'the shards are 1..N',
    );
  });

  it('runs every kernel of the matrix on a VM we can boot', () => {
    const { job, step } = testJob(readTemplate().workflow);
    const kernels = job.strategy?.matrix?.kernel;
    assert.ok(Array.isArray(kernels) && kernels.length > 0, 'the matrix has a kernel list');
    for (const k of kernels) {
      // An unquoted 6.10 would be the number 6.1: kernels must be strings.
      assert.equal(typeof k, 'string', `kernel ${String(k)} must be quoted`);
      assert.ok((KERNEL_SERIES as readonly string[]).includes(k as string), `no test VM boots kernel ${String(k)}`);
    }
    assert.match(step.run!, /--kernel \$\{\{ matrix\.kernel \}\}/);
  });

  it('writes a JUnit file per job, uploads it and publishes all of them', () => {
    const { workflow } = readTemplate();
    const { id, job, step } = testJob(workflow);
    const output = /--reporter junit --output (.+)$/m.exec(step.run!);
    assert.ok(output, `--reporter junit --output FILE in: ${step.run}`);
    for (const v of ['matrix.kernel', 'matrix.shard']) assert.ok(output[1].includes(v), `the JUnit file name has ${v}`);

    const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    assert.equal(upload?.uses, 'actions/upload-artifact@v4');
    assert.equal(upload?.if, 'always()');
    for (const v of ['matrix.kernel', 'matrix.shard'])
      assert.ok(String(upload?.with?.name).includes(v), `artifact names are unique per job (${v})`);
    const cacheKey = job.steps.find((s) => s.uses?.startsWith('actions/cache'))?.with?.key;
    assert.ok(String(cacheKey).includes('matrix.kernel'), 'the VM cache is keyed on the kernel');

    const [reportId, report] = Object.entries(workflow.jobs).find(([, j]) =>
      j.steps.some((s) => s.uses?.startsWith('mikepenz/action-junit-report@')),
    )!;
    assert.notEqual(reportId, id);
    assert.deepEqual([report.needs].flat(), [id]);
    assert.equal(report.if, 'always()');
    assert.equal(report.permissions?.checks, 'write');
  });
});
