// Policy tests (policy/) end to end on real kernels: the bundled bpf-lsm-test CLI runs the examples'
// and every template's test files on every VM kernel (6.1, 6.12, 7.2, 7.3) and writes JUnit; the runner fails a wrong
// expectation with a message that says what it saw, survives a program that locks ssh out (the VM is
// reset and the next file passes), and checks what the kernels disagree on (verifier vs. WARNING).
// Every VM the tests start is stopped, whatever happens.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { listTemplates, renderProject, writeProject } from '../../common/templates';
import type { FileRun, PolicyTestFile } from '../../policy/src/model';
import { runPolicyTests } from '../../policy/src/runner';
import { loadPolicyTestFile } from '../../policy/src/testFile';
import { VmPool } from '../../policy/src/vmPool';
import { KERNEL_SERIES } from '../../vm/src/kernels';
import { killVmNow, startVm, stopVm } from '../../vm/src/manager';
import { REPO_ROOT } from '../helpers/paths';

const FIXTURES = path.join(REPO_ROOT, 'test', 'vm', 'fixtures', 'policy');
const TEST_CLI = path.join(REPO_ROOT, 'dist', 'bpf-lsm-test.js');

function load(file: string): PolicyTestFile {
  const r = loadPolicyTestFile(file);
  assert.deepEqual(r.problems, [], `${file} should be a valid test file`);
  return r.file!;
}

/** QEMU processes whose VM name carries this prefix (none may outlive a run). */
function qemusNamed(prefix: string): string[] {
  const r = spawnSync('pgrep', ['-af', `bpf-lsm-vm-${prefix}`], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.includes('qemu-system'));
}

function caseStatuses(run: FileRun | undefined): Record<string, string> {
  assert.ok(run, 'the file did not run');
  return Object.fromEntries(run.cases.map((c) => [c.name, c.status]));
}

describe('bpf-lsm-test on the test VMs (Linux 6.1 and 6.12, QEMU)', () => {
  let work: string;

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-test-'));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it('runs the examples and every template on every VM kernel: all pass, JUnit has a suite per file and kernel', () => {
    const templatesDir = path.join(REPO_ROOT, 'bpf-templates');
    for (const t of listTemplates(templatesDir))
      writeProject(work, `t_${t.id.replace(/-/g, '_')}`, renderProject(templatesDir, t.id, `t_${t.id.replace(/-/g, '_')}`));
    const junit = path.join(work, 'results.xml');
    const r = spawnSync(
      process.execPath,
      [TEST_CLI, '--kernel', 'all', '-j', '2', '--reporter', 'junit', '--output', junit, path.join(REPO_ROOT, 'examples'), work],
      { encoding: 'utf8', timeout: 15 * 60_000 },
    );
    const output = `${r.stdout}\n${r.stderr}`;
    assert.equal(r.status, 0, `bpf-lsm-test failed:\n${output}`);
    assert.match(r.stderr, /^ok {3}deny-open\.lsmtest\.yaml \[6\.1\] denies opening the secret file/m, 'a progress line per case');

    const xml = fs.readFileSync(junit, 'utf8');
    assert.equal(XMLValidator.validate(xml), true, 'the JUnit report is well-formed XML');
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    const suites = [doc.testsuites.testsuite].flat() as { name: string; tests: string; failures: string; errors: string }[];
    // examples/: deny-open and verdict-chain.
    const files = 2 + listTemplates(templatesDir).length;
    assert.equal(suites.length, files * KERNEL_SERIES.length, `one testsuite per file x kernel: ${suites.map((s) => s.name).join(', ')}`);
    for (const k of KERNEL_SERIES) {
      assert.ok(suites.some((s) => s.name.includes('deny-open.lsmtest.yaml') && s.name.includes(`[${k}]`)));
      // The kernel fact missing-ret-passthrough's message rests on: the first denial ends a hook's chain.
      assert.ok(suites.some((s) => s.name.includes('verdict-chain.lsmtest.yaml') && s.name.includes(`[${k}]`)));
    }
    for (const s of suites) {
      assert.ok(Number(s.tests) > 0, `${s.name} ran cases`);
      assert.equal(Number(s.failures) + Number(s.errors), 0, `${s.name} has no failures`);
    }
    assert.deepEqual(qemusNamed(`lsmtest-${r.pid}-`), [], 'the CLI stopped its VMs');
  });

  it('stops on Ctrl+C: the case in flight ends, nothing stays attached, no VM is left, exit 2', async () => {
    const child = spawn(process.execPath, [TEST_CLI, '--kernel', '6.12', path.join(REPO_ROOT, 'examples')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no case finished within 5 min:\n${out}\n${err}`)), 5 * 60_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/^ok /m.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const t0 = Date.now();
    child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 2, `exit status after Ctrl+C:\n${out}\n${err}`);
    assert.match(err, /stopping/);
    assert.ok(Date.now() - t0 < 60_000, 'it stopped within a minute');
    assert.deepEqual(qemusNamed(`lsmtest-${child.pid}-`), [], 'its VM is gone');
    assert.ok(!/^ok .*a longer name is not a match/m.test(out), 'the run did not go on to the last case');
  });

  describe('the runner on one pool of two VMs', () => {
    let pool: VmPool;
    const logs: string[] = [];
    const prefix = `lsmtest-${process.pid}-`;

    before(() => {
      pool = new VmPool({ maxVms: 2, lifetimeSeconds: 1800, log: (l) => logs.push(l) });
    });
    after(async () => {
      await pool.dispose();
      assert.deepEqual(qemusNamed(prefix), [], 'no test VM is left running');
    });

    it('fails wrong expectations with what it expected and what it saw, and passes the right one', async () => {
      const file = load(path.join(FIXTURES, 'wrong-expectation.lsmtest.yaml'));
      const summary = await runPolicyTests({ files: [file], kernels: ['6.12'], defaultKernels: [] }, {}, { pool });
      const run = summary.runs[0];
      assert.deepEqual(caseStatuses(run), {
        'expects EACCES where the program says EPERM': 'failed',
        'expects a denial of a file it allows': 'failed',
        'expects a trace line that never comes': 'failed',
        'this one is right': 'passed',
      });
      const message = (name: string) => run.cases.find((c) => c.name === name)!.messages.join('\n');
      assert.match(message('expects EACCES where the program says EPERM'), /EACCES[\s\S]*EPERM/);
      assert.match(message('expects a denial of a file it allows'), /EPERM[\s\S]*success/i);
      assert.match(message('expects a trace line that never comes'), /denied open of lsm-other/);
      assert.equal(summary.failed, 3);
      assert.equal(summary.passed, 1);
    });

    it('survives a program that denies every exec: its cases fail with the reason, the VM is reset, the next file passes', async () => {
      const lockout = load(path.join(FIXTURES, 'deny-exec.lsmtest.yaml'));
      const good = load(path.join(REPO_ROOT, 'examples', 'deny-open.lsmtest.yaml'));
      const t0 = Date.now();
      const summary = await runPolicyTests({ files: [lockout, good], kernels: ['6.12'], defaultKernels: [] }, {}, { pool, jobs: 1 });
      const locked = summary.runs.find((r) => r.file === lockout.file)!;
      for (const c of locked.cases) {
        assert.equal(c.status, 'error', `${c.name}: ${c.messages.join(' ')}`);
        assert.match(c.messages.join(' '), /stopped answering after attaching deny_exec/);
      }
      const after = summary.runs.find((r) => r.file === good.file)!;
      assert.ok(
        after.cases.every((c) => c.status === 'passed'),
        `the file after the lock-out: ${after.cases.map((c) => `${c.name}: ${c.status} ${c.messages.join(' ')}`).join('\n')}`,
      );
      assert.ok(Date.now() - t0 < 240_000, 'the lock-out did not stall the run');
      assert.ok(
        logs.some((l) => /reset/.test(l)),
        `the VM was reset: ${logs.join('\n')}`,
      );
    });

    it('checks what the kernels disagree on: 6.12 refuses a verdict of 1 at load, 6.1 loads it and WARNs', async () => {
      const file = load(path.join(FIXTURES, 'return-one.lsmtest.yaml'));
      const summary = await runPolicyTests({ files: [file], defaultKernels: [] }, {}, { pool, jobs: 2 });
      for (const k of ['6.1', '6.12']) {
        const run = summary.runs.find((r) => r.kernel === k);
        assert.ok(run, `ran on ${k}`);
        for (const c of run.cases) assert.equal(c.status, 'passed', `${k}: ${c.name}: ${c.messages.join(' ')}\n${c.output}`);
      }
    });
  });

  describe('on a real target over ssh (--target; here a VM reached through its ssh config)', () => {
    const name = `policy-target-${process.pid}`;
    let sshConfig: string;
    before(async () => {
      process.once('exit', () => killVmNow(name, { forget: true }));
      sshConfig = (await startVm({ name, kernel: '6.1', lifetimeSeconds: 900, bootTimeoutMs: 240_000 })).state.sshConfig;
    });
    after(async () => {
      await stopVm(name, { forget: true });
    });

    it('runs the files with the expectations of the kernel the target runs, setup and teardown there', () => {
      const r = spawnSync(
        process.execPath,
        [TEST_CLI, '--target', 'bpf-lsm-vm', '--ssh-config', sshConfig, '--reporter', 'tap', path.join(REPO_ROOT, 'examples')],
        { encoding: 'utf8', timeout: 5 * 60_000 },
      );
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /^ok \d+ - .*deny-open\.lsmtest\.yaml \[6\.1\] .*denies opening the secret file/m);
      assert.doesNotMatch(r.stdout, /^not ok/m);
      assert.match(r.stderr, /kernel 6\.1\./);
    });
  });
});
