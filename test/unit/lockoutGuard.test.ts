// The lock-out guard: a program that denies on every path (always-denies) is not attached to a real
// target unless the user allows it: the bpf-lsm-test CLI stops before connecting (exit 2) without
// --allow-lockout, the editor's question can say no; the tool's own test VMs need no permission.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../policy/src/cli';
import { isToolVmSshConfig, lockoutRisks, type LockoutRisk } from '../../policy/src/lockoutGuard';
import { runPolicyTests } from '../../policy/src/runner';
import { loadPolicyTestFile } from '../../policy/src/testFile';
import { cacheDir } from '../../vm/src/paths';
import { runMain } from '../helpers/cliMain';
import { REPO_ROOT } from '../helpers/paths';

const cli = (...args: string[]) => runMain(main, args);

const DENY_EXEC = path.join(REPO_ROOT, 'test', 'vm', 'fixtures', 'policy', 'deny-exec.bpf.c');
const DENY_OPEN = path.join(REPO_ROOT, 'examples', 'deny-open.bpf.c');
// Port 1 on loopback: nothing listens there, so a run that does connect fails at once, and differently.
const UNREACHABLE = 'root@127.0.0.1:1';

describe('lock-out guard', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lockout-'));
    fs.copyFileSync(DENY_EXEC, path.join(dir, 'deny-exec.bpf.c'));
    fs.writeFileSync(
      path.join(dir, 'deny-exec.lsmtest.yaml'),
      'program: deny-exec.bpf.c\ncases:\n  - name: exec is denied\n    exec: /bin/true\n    expect: denied\n',
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds the program that denies every exec, and nothing in one that allows other files', async () => {
    const risks = await lockoutRisks(DENY_EXEC);
    assert.equal(risks.length, 1, JSON.stringify(risks));
    assert.equal(risks[0].file, DENY_EXEC);
    assert.ok(risks[0].line >= 9 && risks[0].line <= 13, `finding on line ${risks[0].line}, not in deny_exec (lines 9-13)`);
    assert.match(risks[0].message, /deny_exec/);
    assert.match(risks[0].message, /exec/);
    assert.deepEqual(await lockoutRisks(DENY_OPEN), []);
  });

  it('says nothing about a file it cannot read (compiling it will)', async () => {
    assert.deepEqual(await lockoutRisks(path.join(dir, 'missing.bpf.c')), []);
    assert.deepEqual(await lockoutRisks(dir), []);
  });

  it("knows the tool's own VM ssh configs from any other", () => {
    assert.equal(isToolVmSshConfig(path.join(cacheDir(), 'instances', 'vm-612', 'ssh_config')), true);
    assert.equal(isToolVmSshConfig(cacheDir()), false);
    assert.equal(isToolVmSshConfig(path.join(cacheDir(), '..', 'elsewhere', 'ssh_config')), false);
    assert.equal(isToolVmSshConfig('/etc/ssh/ssh_config'), false);
    assert.equal(isToolVmSshConfig(undefined), false);
  });

  it('bpf-lsm-test --target stops before connecting (exit 2) and names the program and the flag', async () => {
    const r = await cli('--target', UNREACHABLE, dir);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /Not attached to root@127\.0\.0\.1:1: the analysis finds a program that denies on every path/);
    assert.match(r.err, /deny-exec\.bpf\.c:\d+: .*deny_exec/);
    assert.match(r.err, /--allow-lockout/);
    assert.doesNotMatch(r.err, /target root@127\.0\.0\.1:1:/, 'it tried to connect');
  });

  it('bpf-lsm-test --allow-lockout goes on to the target', async () => {
    const r = await cli('--target', UNREACHABLE, '--allow-lockout', dir);
    assert.equal(r.code, 2, r.err);
    assert.doesNotMatch(r.err, /Not attached/);
    assert.match(r.err, /target root@127\.0\.0\.1:1/);
  });

  it("asks the editor's question once with every risk, and a no attaches nothing", async () => {
    const loaded = loadPolicyTestFile(path.join(dir, 'deny-exec.lsmtest.yaml'));
    assert.ok(loaded.file, JSON.stringify(loaded.problems));
    const asked: { risks: LockoutRisk[]; where: string }[] = [];
    const summary = await runPolicyTests({
      files: [loaded.file],
      defaultKernels: [],
      target: { destination: UNREACHABLE },
      allowLockout: async (risks, where) => {
        asked.push({ risks, where });
        return false;
      },
    });
    assert.equal(asked.length, 1);
    assert.equal(asked[0].where, UNREACHABLE);
    assert.equal(asked[0].risks.length, 1);
    assert.equal(summary.runs.length, 1);
    assert.match(summary.runs[0].cases[0].messages.join(' '), /Not attached/);
    assert.equal(summary.infrastructureErrors.length, 1);
  });
});
