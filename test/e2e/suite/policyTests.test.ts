/// <reference types="mocha" />
// Policy tests in the Testing view of a real VS Code: the controller finds the workspace's *.lsmtest.yaml
// files (file -> case -> kernel items, the case's range on its line), follows new, deleted and edited
// files, and its run profile runs them on a test VM of its own pool: one case passes, the deliberately
// wrong one fails with "expected ... got ...". The results are read back from the extension's API, and
// the pool's VM is stopped at the end.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { PolicyTests } from '../../../client/src/policyTests/policyTests';
import { api, screenshot, waitFor, workspaceFile } from './helpers';

const PASSING = 'policy/deny-open.lsmtest.yaml';
const WRONG = 'policy/deny-open-wrong.lsmtest.yaml';

function children(item: vscode.TestItem): vscode.TestItem[] {
  return [...item.children].map(([, child]) => child);
}

/** The 0-based line of the first line of a file that contains `text`. */
function lineOf(uri: vscode.Uri, text: string): number {
  return fs
    .readFileSync(uri.fsPath, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(text));
}

suite('BPF LSM Studio in VS Code: policy tests in the Testing view', function () {
  let tests: PolicyTests;

  suiteSetup(async () => {
    tests = (await api()).policyTests;
  });

  suiteTeardown(async function () {
    this.timeout(90_000);
    if (!tests) return;
    await tests.stopVms();
    assert.deepEqual(tests.vmsRunning, [], 'the policy tests left a VM running');
  });

  const fileItem = (name: string) =>
    waitFor(
      `the Testing view to list ${name}`,
      () => tests.items.get(workspaceFile(name).toString()),
      (item) => item !== undefined && item.children.size > 0,
    ) as Promise<vscode.TestItem>;

  test('finds the test files: file, case on its line, a kernel item per kernel', async () => {
    const uri = workspaceFile(PASSING);
    const file = await fileItem(PASSING);
    assert.equal(file.error, undefined);
    const [c] = children(file);
    assert.equal(c.label, 'denies opening the secret file');
    assert.equal(c.description, 'open /tmp/lsm-secret O_RDONLY');
    assert.equal(c.range?.start.line, lineOf(uri, '- name: denies opening the secret file'));
    assert.deepEqual(
      children(c).map((k) => k.label),
      ['6.12'],
    );
    assert.ok(tests.items.get(workspaceFile(WRONG).toString()));
  });

  test('follows a new, malformed and deleted file, and unsaved edits', async () => {
    const broken = workspaceFile('policy/e2e-broken.lsmtest.yaml');
    fs.writeFileSync(broken.fsPath, 'program: deny-open.bpf.c\ncases:\n  - name: no action\n    expect: { errnoo: EPERM }\n');
    try {
      const item = await waitFor(
        'the new malformed file to show its error',
        () => tests.items.get(broken.toString()),
        (i) => i?.error !== undefined,
      );
      assert.match(String(item!.error), /e2e-broken\.lsmtest\.yaml:\d+:\d+: /);
    } finally {
      fs.rmSync(broken.fsPath, { force: true });
    }
    await waitFor(
      'the deleted file to go',
      () => tests.items.get(broken.toString()),
      (i) => i === undefined,
    );

    // An edit that is not saved yet: the case appears, and goes again when the edit is reverted.
    const uri = workspaceFile(PASSING);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(uri, doc.positionAt(doc.getText().length), '  - name: added while typing\n    run: "true"\n    expect: allowed\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const file = await waitFor(
      'the unsaved case to appear',
      () => tests.items.get(uri.toString())!,
      (i) => i.children.get('added while typing') !== undefined,
    );
    assert.equal(file.children.get('added while typing')!.range?.start.line, doc.lineCount - 4);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await waitFor(
      'the reverted file to have its one case again',
      () => tests.items.get(uri.toString())!.children.size,
      (n) => n === 1,
    );
  });

  test('runs the files from the run profile on a 6.12 VM: a pass, and a failure that says expected ... got ...', async function () {
    this.timeout(6 * 60_000);
    const passing = await fileItem(PASSING);
    const wrong = await fileItem(WRONG);
    const profile = tests.profiles.default;
    const cancel = new vscode.CancellationTokenSource();
    const t0 = Date.now();
    await profile.runHandler(new vscode.TestRunRequest([passing, wrong], undefined, profile), cancel.token);
    const seconds = ((Date.now() - t0) / 1000).toFixed(1);
    const result = tests.lastRun;
    assert.ok(result, 'the run left no result (see the BPF LSM Studio output)');
    console.log(`policy tests: ${result.passed} passed, ${result.failed} failed on the test VM in ${seconds} s`);
    assert.deepEqual(result.infrastructureErrors, []);
    assert.equal(result.cancelled, false);
    const runs = result.runs
      .map((r) => ({
        file: vscode.workspace.asRelativePath(r.file),
        kernel: r.kernel,
        error: r.error,
        cases: r.cases.map((c) => [c.name, c.status]),
      }))
      .sort((a, b) => a.file.localeCompare(b.file));
    assert.deepEqual(runs, [
      { file: WRONG, kernel: '6.12', error: undefined, cases: [['other files are denied too (wrong on purpose)', 'failed']] },
      { file: PASSING, kernel: '6.12', error: undefined, cases: [['denies opening the secret file', 'passed']] },
    ]);
    const failure = result.runs.find((r) => r.file === workspaceFile(WRONG).fsPath)!.cases[0];
    assert.equal(failure.messages.length, 1);
    assert.match(failure.messages[0], /^expected errno EPERM\b.*, got success/);
    assert.match(failure.output, /open \/tmp\/lsm-other/);
    assert.equal(result.passed, 1);
    assert.equal(result.failed, 1);
    // The kernel item now says which kernel build ran it.
    const kernelItem = passing.children.get('denies opening the secret file')!.children.get('6.12')!;
    assert.match(String(kernelItem.description), /^6\.12\./);
    // The VM stays for the next run (bpfLsm.test.maxVms is 1 in this suite).
    assert.deepEqual(
      tests.vmsRunning.map((v) => [v.kernel, v.busy]),
      [['6.12', false]],
    );
    const wrongKernel = wrong.children.get('other files are denied too (wrong on purpose)')!.children.get('6.12')!;
    await vscode.commands.executeCommand('vscode.revealTestInExplorer', wrongKernel);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(workspaceFile(WRONG)));
    await screenshot('policy-tests-results');
  });

  test("a program that does not compile: the case errors and clang's message is in Problems", async function () {
    this.timeout(3 * 60_000);
    const program = workspaceFile('policy/e2e-broken.bpf.c');
    const testFile = workspaceFile('policy/e2e-broken-program.lsmtest.yaml');
    const source = fs.readFileSync(workspaceFile('policy/deny-open.bpf.c').fsPath, 'utf8');
    const badLine = source.split('\n').findIndex((l) => l.includes('if (ret != 0)'));
    fs.writeFileSync(program.fsPath, source.replace('if (ret != 0)', 'if (ret != 0) undeclared_e2e_name +'));
    fs.writeFileSync(
      testFile.fsPath,
      'program: e2e-broken.bpf.c\nkernels: ["6.12"]\ncases:\n  - name: never runs\n    open: /tmp/lsm-secret\n    expect: denied\n',
    );
    try {
      const item = await fileItem('policy/e2e-broken-program.lsmtest.yaml');
      await tests.profiles.default.runHandler(new vscode.TestRunRequest([item]), new vscode.CancellationTokenSource().token);
      const run = tests.lastRun!.runs[0];
      assert.equal(run.cases[0].status, 'error');
      assert.match(run.error ?? '', /e2e-broken\.bpf\.c does not compile/);
      const problems = vscode.languages.getDiagnostics(program).filter((d) => d.source === 'clang (policy test)');
      assert.ok(
        problems.some((d) => d.range.start.line === badLine && /undeclared_e2e_name/.test(d.message)),
        JSON.stringify(problems),
      );
    } finally {
      fs.rmSync(program.fsPath, { force: true });
      fs.rmSync(testFile.fsPath, { force: true });
    }
    await waitFor(
      "clang's messages to go with the test file",
      () => vscode.languages.getDiagnostics(program).filter((d) => d.source === 'clang (policy test)').length,
      (n) => n === 0,
    );
  });

  test('Run Policy Tests runs the active test file on the warm VM and returns its results', async function () {
    this.timeout(3 * 60_000);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(workspaceFile(PASSING)));
    const t0 = Date.now();
    const result = await vscode.commands.executeCommand<PolicyTests['lastRun']>('bpfLsm.runPolicyTests');
    assert.ok(result, 'the command returned nothing (see the BPF LSM Studio output)');
    console.log(`policy tests: the active file again on the warm VM in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.deepEqual(
      result.runs.map((r) => [vscode.workspace.asRelativePath(r.file), r.kernel, r.cases.map((c) => c.status)]),
      [[PASSING, '6.12', ['passed']]],
    );
    assert.equal(tests.lastRun, result);
  });
});
