/// <reference types="mocha" />
// Run on Target in a real VS Code against the local test VM: compile, attach, the probe is denied, the
// trace panel streams the program's lines, detach, the file opens again. The launcher starts the VM and
// points bpfLsm.target.* at it; without a target (a desktop run without the VM) this suite says so.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunResult } from '../../../client/src/targetController';
import { api, screenshot, waitFor } from './helpers';

suite('BPF LSM Studio in VS Code: run on the test VM', function () {
  const destination = vscode.workspace.getConfiguration('bpfLsm.target').get<string>('destination');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-target-'));
  const secret = `e2e-secret-${randomBytes(4).toString('hex')}`;

  suiteSetup(function () {
    if (!destination) {
      console.log('run-on-target suite skipped: no bpfLsm.target.destination (start the test VM: npm run test:e2e does)');
      this.skip();
    }
  });

  suiteTeardown(async () => {
    if (destination) await vscode.commands.executeCommand('bpfLsm.detach');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('compiles, attaches, denies the probe with EPERM and streams the trace panel', async () => {
    const { target } = await api();
    const template = fs.readFileSync(
      path.join(__dirname, '..', '..', '..', '..', 'bpf-templates', 'programs', 'deny-file-open.bpf.c'),
      'utf8',
    );
    const file = path.join(dir, 'guard.bpf.c');
    fs.writeFileSync(file, template.replace(/\{\{name\}\}/g, 'e2e_guard').replace(/"lsm-secret"/g, JSON.stringify(secret)));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    // The files first, while nothing is attached: writing the secret would be denied too.
    const made = await vscode.commands.executeCommand<{ exitCode: number }>(
      'bpfLsm.runProbe',
      `mkdir -p /tmp/e2e && echo s > /tmp/e2e/${secret} && echo o > /tmp/e2e/${secret}-other`,
    );
    assert.equal(made.exitCode, 0);
    const probe = `cat /tmp/e2e/${secret}`;
    await vscode.workspace.getConfiguration('bpfLsm.target').update('probeCommand', probe, vscode.ConfigurationTarget.Global);

    const result = await vscode.commands.executeCommand<RunResult>('bpfLsm.runOnTarget');
    assert.ok(result, 'Run on Target returned nothing (see the BPF LSM Studio output)');
    assert.deepEqual(result.attached, [{ name: 'e2e_guard_file_open', section: 'lsm/file_open' }]);
    assert.ok(result.bpfActive);
    assert.ok(result.probe?.denied, `probe not denied: ${result.probe?.output}`);
    assert.match(result.probe!.output, /Operation not permitted/);
    const other = await vscode.commands.executeCommand<{ denied: boolean; exitCode: number }>(
      'bpfLsm.runProbe',
      `cat /tmp/e2e/${secret}-other`,
    );
    assert.equal(other.exitCode, 0);

    const lines = await waitFor(
      'the trace panel to show the program',
      () => target.panel.visibleLines(),
      (l) => l.some((x) => x.includes(`e2e_guard: denied open of ${secret.slice(0, 8)}`)),
    );
    assert.ok(lines.some((l) => /bpf_trace_printk: e2e_guard: denied open of/.test(l)));
    await screenshot('trace-panel-streaming');

    assert.equal(await vscode.commands.executeCommand('bpfLsm.detach'), 1);
    const after = await vscode.commands.executeCommand<{ denied: boolean; exitCode: number }>('bpfLsm.runProbe', `cat /tmp/e2e/${secret}`);
    assert.equal(after.exitCode, 0, 'the file opens again once detached');
  });

  test("a verifier rejection lands in Problems on the program's line", async () => {
    const file = path.join(dir, 'rejected.bpf.c');
    const template = fs.readFileSync(
      path.join(__dirname, '..', '..', '..', '..', 'bpf-templates', 'programs', 'deny-file-open.bpf.c'),
      'utf8',
    );
    fs.writeFileSync(
      file,
      template
        .replace(/\{\{name\}\}/g, 'e2e_bad')
        .replace(/"lsm-secret"/g, JSON.stringify(secret))
        .replace('return -EPERM;', 'return 1;'),
    );
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('bpfLsm.runOnTarget');
    const verifier = await waitFor(
      'a verifier diagnostic',
      () => vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source === 'verifier'),
      (d) => d.length > 0,
    );
    assert.match(verifier[0].message, /The kernel refused e2e_bad_file_open/);
    assert.match(doc.lineAt(verifier[0].range.start.line).text, /BPF_PROG\(e2e_bad_file_open/);
  });
});
