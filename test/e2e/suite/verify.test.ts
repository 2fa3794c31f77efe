/// <reference types="mocha" />
// Verify on Target in a real VS Code against the local test VM (6.12): the branchless conditional denial,
// which the static checks accept, is refused by 6.12's verifier, and the refusal shows in Problems as a
// `verifier-rejected` diagnostic at its return line with the verifier's own message; the program that
// verifies gets a CodeLens with the kernel's figures; the log opens read-only with the verifier-log
// grammar. The launcher starts the VM and points bpfLsm.target.* at it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { VerifyOutcome } from '../../../client/src/verify/verifyController';
import { bpfDiagnostics, codeOf, screenshot, waitFor } from './helpers';

const FIXTURE = path.join(__dirname, '..', '..', '..', '..', 'test', 'vm', 'fixtures', 'verifier-editor', 'branchless-deny.bpf.c');
const MESSAGE = 'At program exit the register R0 has unknown scalar value should have been in [-4095, 0]';
const RETURN_ONE = path.join(path.dirname(FIXTURE), 'return-one.bpf.c');

suite('BPF LSM Studio in VS Code: verify on the test VM', function () {
  const destination = vscode.workspace.getConfiguration('bpfLsm.target').get<string>('destination');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-verify-'));

  suiteSetup(function () {
    if (!destination) {
      console.log('verify suite skipped: no bpfLsm.target.destination (start the test VM: npm run test:e2e does)');
      this.skip();
    }
  });

  suiteTeardown(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("shows 6.12's refusal of the branchless denial at its return line, which the static checks accept", async function () {
    this.timeout(180_000);
    const file = path.join(dir, 'branchless-deny.bpf.c');
    fs.copyFileSync(FIXTURE, file);
    const uri = vscode.Uri.file(file);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));

    const outcome = await vscode.commands.executeCommand<VerifyOutcome>('bpfLsm.verify', uri);
    assert.ok(outcome, 'Verify on Target returned nothing (see the BPF LSM Studio output)');
    assert.ok(outcome.shown);
    assert.deepEqual(
      outcome.results.map((r) => [r.program, r.kernel, r.verdict, r.line]),
      [
        ['deny_read_open', '6.12', 'rejected', 17],
        ['allow_all', '6.12', 'verified', null],
      ],
    );
    const diagnostics = vscode.languages.getDiagnostics(uri).filter((d) => codeOf(d) === 'verifier-rejected');
    assert.equal(diagnostics.length, 1, JSON.stringify(vscode.languages.getDiagnostics(uri)));
    const [d] = diagnostics;
    assert.equal(d.range.start.line, 16, 'line 17: the return statement');
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.ok(d.message.startsWith(`deny_read_open: ${MESSAGE} (refused by 6.12)`), d.message);
    assert.match(d.message, /branchless/);
    assert.deepEqual(
      d.relatedInformation?.map((r) => r.location.range.start.line + 1),
      [15, 16],
    );
    assert.deepEqual(bpfDiagnostics(uri), [], 'the static checks accept the program');

    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    const titles = lenses.map((l) => l.command?.title ?? '');
    assert.ok(titles.includes('6.12 refused (line 17)'), titles.join(' | '));
    assert.ok(
      titles.some((t) => /^6\.12 verified: 2 insns, 0 states, [\d.]+ ms$/.test(t)),
      titles.join(' | '),
    );
    await screenshot('verify-rejected');

    const editor = await vscode.commands.executeCommand<vscode.TextEditor>(
      'bpfLsm.showVerifierLog',
      uri.toString(),
      'deny_read_open',
      '6.12',
    );
    assert.equal(editor.document.languageId, 'bpf-verifier-log');
    assert.match(editor.document.getText(), new RegExp(`^# deny_read_open on 6\\.12: rejected: ${MESSAGE.replace(/[[\]]/g, '\\$&')}`));
    assert.equal(editor.document.lineAt(editor.selection.start.line).text, '9: (95) exit', 'opens on the failing instruction');
    const links = await vscode.commands.executeCommand<vscode.DocumentLink[]>('vscode.executeLinkProvider', editor.document.uri);
    assert.ok(
      links.some((l) => l.target?.fsPath === file && l.target.fragment === 'L17'),
      links.map((l) => l.target?.toString()).join(' '),
    );
    await screenshot('verify-log');
  });

  test('names the static finding and the verifier in one diagnostic where they agree on a line', async function () {
    this.timeout(180_000);
    const file = path.join(dir, 'return-one.bpf.c');
    fs.copyFileSync(RETURN_ONE, file);
    const uri = vscode.Uri.file(file);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    await waitFor(
      'the static return-out-of-range finding',
      () => vscode.languages.getDiagnostics(uri).filter((d) => codeOf(d) === 'return-out-of-range'),
      (ds) => ds.length === 1,
      60_000,
    );
    const outcome = await vscode.commands.executeCommand<VerifyOutcome>('bpfLsm.verify', uri);
    assert.deepEqual(
      outcome?.results.map((r) => [r.program, r.kernel, r.verdict, r.line]),
      // clang hoists `r0 = 1` to the program's first line, where the verifier's log puts it.
      [['return_one', '6.12', 'rejected', 10]],
    );
    const both = await waitFor(
      'one diagnostic naming both',
      () => vscode.languages.getDiagnostics(uri).filter((d) => codeOf(d) === 'return-out-of-range'),
      (ds) => ds.length === 1 && /The kernel's verifier agrees/.test(ds[0].message),
      30_000,
    );
    assert.equal(both[0].range.start.line, 13, 'line 14: return 1;');
    assert.match(both[0].message, /^Returns 1: LSM programs on 'file_open' must return 0 \(allow\) or a negative errno \(deny\)/);
    assert.match(
      both[0].message,
      /The kernel's verifier agrees \(refused by 6\.12\): At program exit the register R0 has smin=1 smax=1 should have been in \[-4095, 0\]/,
    );
    assert.equal(both[0].source, 'bpf-lsm', 'still the static finding, with its quick fixes');
    assert.deepEqual(
      vscode.languages.getDiagnostics(uri).filter((d) => codeOf(d) === 'verifier-rejected'),
      [],
      'no second diagnostic for the same reason',
    );
    const fixes = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, both[0].range);
    assert.ok(
      fixes.some((a) => a.title === 'Return -EPERM (deny)'),
      `the static finding's quick fixes stay: ${fixes.map((a) => a.title).join(' | ')}`,
    );
  });

  test('shows per-line instruction counts from the level-2 log as inlay hints, toggled', async function () {
    this.timeout(180_000);
    const uri = vscode.Uri.file(path.join(dir, 'branchless-deny.bpf.c'));
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const hints = () =>
      vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', uri, new vscode.Range(0, 0, doc.lineCount, 0));
    const on = await vscode.commands.executeCommand<boolean>('bpfLsm.toggleInstructionCounts');
    assert.equal(on, true);
    const shown = (await hints()).map((h) => [
      h.position.line + 1,
      typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join(''),
    ]);
    // 6.12 walks the opening (6 instructions), the passthrough test (1) and the branchless return (3), and allow_all's 2.
    assert.deepEqual(shown, [
      [15, '6 insns'],
      [16, '1 insn'],
      [17, '3 insns'],
      [21, '2 insns'],
    ]);
    await screenshot('verify-instruction-counts');
    assert.equal(await vscode.commands.executeCommand<boolean>('bpfLsm.toggleInstructionCounts'), false);
    assert.deepEqual(await hints(), []);
  });

  test('verifies on save with bpfLsm.verifyOnSave: the refusal follows the line it moved to', async function () {
    this.timeout(180_000);
    const uri = vscode.Uri.file(path.join(dir, 'branchless-deny.bpf.c'));
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const config = vscode.workspace.getConfiguration('bpfLsm');
    await config.update('verifyOnSave', true, vscode.ConfigurationTarget.Global);
    try {
      await editor.edit((e) => e.insert(new vscode.Position(13, 0), '// one more line above the programs\n'));
      assert.ok(await editor.document.save());
      const moved = await waitFor(
        'the refusal on line 18',
        () => vscode.languages.getDiagnostics(uri).filter((d) => codeOf(d) === 'verifier-rejected'),
        (ds) => ds.length === 1 && ds[0].range.start.line === 17,
        120_000,
      );
      assert.ok(moved[0].message.startsWith(`deny_read_open: ${MESSAGE}`), moved[0].message);
    } finally {
      await config.update('verifyOnSave', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
