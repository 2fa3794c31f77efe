/// <reference types="mocha" />
// Policy tests from the installed extension: the .vsix carries the VM build scripts, the guest files and
// the prebuilt loader and action helper, and "Run Policy Tests" runs a test file on a 6.12 VM built and
// booted from them (in a trusted workspace; in Restricted Mode it refuses). packaged.ts points the VM
// cache at the repository's (BPF_LSM_VM_CACHE), sets bpfLsm.test.maxVms to 1, and checks after VS Code
// has gone that the extension's deactivate stopped the VM and that nothing was written into the install.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PolicyTestRunResult } from '../../../client/src/policyTests/policyTests';
import { api, EXTENSION_ID, workspaceFile } from '../suite/helpers';

const TRUSTED = process.env.BPF_E2E_EXPECT_TRUSTED === '1';
/** Set by packaged.ts: the test file to run (workspace-relative), and where to say which host ran it. */
const TEST_FILE = process.env.BPF_E2E_POLICY_TEST ?? '';
const HOST_FILE = process.env.BPF_E2E_HOST_FILE ?? '';

suite(`Policy tests from the installed extension (${TRUSTED ? 'trusted workspace' : 'Restricted Mode'})`, () => {
  suiteSetup(() => {
    assert.ok(TEST_FILE && HOST_FILE, 'BPF_E2E_POLICY_TEST or BPF_E2E_HOST_FILE is not set: run this suite through packaged.js');
    // The QEMU of this extension host's VM pool is named bpf-lsm-vm-lsmtest-PID-...: packaged.ts looks for it.
    fs.writeFileSync(HOST_FILE, JSON.stringify({ pid: process.pid }));
  });

  test('the installed copy holds the VM build files and the prebuilt loader and action helper', () => {
    const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    const missing = [
      'vm/setup.sh',
      'vm/scripts/lib.sh',
      'vm/scripts/build-initramfs.sh',
      'vm/guest/etc/inittab',
      'vm/loader/lsm-loader.c',
      'vm/helper/lsm-action.c',
      'dist/lsm-loader-x86_64',
      'dist/lsm-action-x86_64',
      'dist/bpf-lsm-test.js',
      'schemas/lsmtest.schema.json',
    ].filter((f) => !fs.existsSync(path.join(root, f)));
    assert.deepEqual(missing, [], `missing from ${root}`);
    assert.equal(fs.existsSync(path.join(root, '.git')), false, 'an installed copy is no development checkout');
  });

  if (TRUSTED) {
    test('Run Policy Tests runs a test file on a 6.12 VM made from the shipped scripts: both cases pass', async function () {
      this.timeout(8 * 60_000);
      const uri = workspaceFile(TEST_FILE);
      const t0 = Date.now();
      const result = await vscode.commands.executeCommand<PolicyTestRunResult | undefined>('bpfLsm.runPolicyTests', uri);
      const seconds = ((Date.now() - t0) / 1000).toFixed(1);
      assert.ok(result, 'the command returned no result (see the BPF LSM Studio output)');
      console.log(`installed extension: policy tests ${result.passed} passed, ${result.failed} failed in ${seconds} s`);
      assert.deepEqual(result.infrastructureErrors, []);
      assert.deepEqual(result.problems, []);
      assert.equal(result.cancelled, false);
      assert.equal(result.target, undefined);
      assert.deepEqual(
        result.runs.map((r) => ({
          file: path.basename(r.file),
          kernel: r.kernel,
          error: r.error,
          cases: r.cases.map((c) => [c.name, c.status, ...c.messages]),
        })),
        [
          {
            file: path.basename(TEST_FILE),
            kernel: '6.12',
            error: undefined,
            cases: [
              ['denies opening the secret file', 'passed'],
              ['other files still open', 'passed'],
            ],
          },
        ],
      );
      assert.match(result.runs[0].release ?? '', /^6\.12\./);
      assert.equal(result.passed, 2);
      assert.equal(result.failed, 0);
      // One VM (bpfLsm.test.maxVms 1), left idle for the next run: the extension's deactivate stops it.
      const vms = (await api()).policyTests.vmsRunning;
      assert.deepEqual(
        vms.map((v) => [v.kernel, v.busy]),
        [['6.12', false]],
      );
      assert.match(vms[0].name, new RegExp(`^lsmtest-${process.pid}-`));
    });
  } else {
    test('Run Policy Tests refuses to run in Restricted Mode, and no VM starts', async () => {
      const result = await vscode.commands.executeCommand<PolicyTestRunResult | undefined>(
        'bpfLsm.runPolicyTests',
        workspaceFile(TEST_FILE),
      );
      assert.equal(result, undefined);
      assert.deepEqual((await api()).policyTests.vmsRunning, []);
    });
  }
});
