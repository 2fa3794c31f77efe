/// <reference types="mocha" />
// The extension in a real VS Code: activation, diagnostics with codes and ranges, a quick fix through
// the code-action API, hook completion, a snippet, and the template command.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, bpfDiagnostics, codeOf, EXTENSION_ID, open, screenshot, waitFor, workspaceFile } from './helpers';

suite('BPF LSM Studio in VS Code: the editor', () => {
  suiteSetup(async () => {
    await api();
  });

  test('activates and registers its commands under one category', async () => {
    assert.ok(vscode.extensions.getExtension(EXTENSION_ID)?.isActive);
    const commands = await vscode.commands.getCommands(true);
    for (const c of [
      'bpfLsm.runOnTarget',
      'bpfLsm.newProgramFromTemplate',
      'bpfLsm.detach',
      'bpfLsm.targetStatus',
      'bpfLsm.restartServer',
    ]) {
      assert.ok(commands.includes(c), `${c} missing`);
    }
  });

  test('LSM diagnostics appear with their codes and exact ranges', async () => {
    const uri = workspaceFile('target-exec.bpf.c');
    const editor = await open(uri);
    const diagnostics = await waitFor(
      'diagnostics',
      () => bpfDiagnostics(uri),
      (d) => d.length >= 2,
    );
    const found = diagnostics.map((d) => [codeOf(d), editor.document.getText(d.range), d.severity]);
    assert.deepEqual(found, [
      ['unknown-hook', 'target_exec', vscode.DiagnosticSeverity.Error],
      ['wrong-macro', 'BPF_KPROBE', vscode.DiagnosticSeverity.Error],
    ]);
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    await screenshot('diagnostics-shown');
  });

  test('a quick fix applied through the code-action API fixes the file', async () => {
    const uri = workspaceFile('target-exec.bpf.c');
    const editor = await open(uri);
    const wrongMacro = bpfDiagnostics(uri).find((d) => codeOf(d) === 'wrong-macro')!;
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      wrongMacro.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    const fix = actions.find((a) => a.title === 'Replace BPF_KPROBE with BPF_PROG');
    assert.ok(fix?.edit, `offered: ${actions.map((a) => a.title).join('; ')}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.match(editor.document.getText(), /int BPF_PROG\(lsm_target_exec_hook/);
    const after = await waitFor(
      'the fixed diagnostics',
      () => bpfDiagnostics(uri).map(codeOf),
      (codes) => !codes.includes('wrong-macro'),
    );
    // BPF_PROG now reads the hook's arguments, so the linter can check them: the unknown hook remains.
    assert.ok(after.includes('unknown-hook'));
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  test('completion offers hook names inside SEC("lsm/', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'c', content: '#include "vmlinux.h"\nSEC("lsm/file_o' });
    await vscode.window.showTextDocument(doc);
    const list = await vscode.commands.executeCommand<vscode.CompletionList>(
      'vscode.executeCompletionItemProvider',
      doc.uri,
      new vscode.Position(1, 15),
      '/',
    );
    const item = list.items.find((i) => (typeof i.label === 'string' ? i.label : i.label.label) === 'file_open');
    assert.ok(
      item,
      `items: ${list.items
        .slice(0, 10)
        .map((i) => (typeof i.label === 'string' ? i.label : i.label.label))
        .join(', ')}`,
    );
    assert.equal(item.detail, 'int file_open(struct file *file)');
  });

  test('a snippet inserts a program that lints clean', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'c', content: '' });
    const editor = await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('editor.action.insertSnippet', { langId: 'c', name: 'BPF LSM: includes and licence' });
    await vscode.commands.executeCommand('editor.action.insertSnippet', {
      langId: 'c',
      name: 'BPF LSM: deny opening a file by name (file_open)',
    });
    const text = editor.document.getText();
    assert.match(text, /char LICENSE\[\] SEC\("license"\) = "GPL";/);
    assert.match(text, /SEC\("lsm\/file_open"\)\nint BPF_PROG\(deny_open, struct file \*file, int ret\)/);
    // The server does look at this document: a positive verdict is flagged, and clears once undone.
    const at = text.indexOf('return -EPERM;') + 'return '.length;
    await editor.edit((e) => e.delete(new vscode.Range(doc.positionAt(at), doc.positionAt(at + 1))));
    await waitFor(
      'return-out-of-range on the edited snippet',
      () => bpfDiagnostics(doc.uri).map(codeOf),
      (c) => c.includes('return-out-of-range'),
    );
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), text);
    await waitFor(
      'the snippet to lint clean again',
      () => bpfDiagnostics(doc.uri).map((d) => d.message),
      (m) => m.length === 0,
    );
  });

  test('the template command creates a ready project', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-template-'));
    try {
      const dir = await vscode.commands.executeCommand<string>('bpfLsm.newProgramFromTemplate', {
        template: 'block-connect',
        name: 'e2e_guard',
        folder: parent,
      });
      assert.equal(dir, path.join(parent, 'e2e_guard'));
      assert.deepEqual(fs.readdirSync(dir).sort(), ['.clangd', 'Makefile', 'README.md', 'e2e_guard.bpf.c', 'e2e_guard.lsmtest.yaml']);
      assert.equal(path.basename(vscode.window.activeTextEditor!.document.fileName), 'e2e_guard.bpf.c');
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });

  test('plain C files get nothing from us, even text flagged in a .bpf.c file', async () => {
    const uri = workspaceFile('plain.c');
    await open(uri);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-plain-'));
    try {
      const same = vscode.Uri.file(path.join(dir, 'same-text.bpf.c'));
      fs.writeFileSync(same.fsPath, fs.readFileSync(uri.fsPath));
      await open(same);
      const codes = await waitFor(
        'diagnostics on the .bpf.c copy',
        () => bpfDiagnostics(same).map(codeOf),
        (c) => c.length >= 2,
      );
      assert.deepEqual(codes.sort(), ['license', 'unknown-hook']);
      assert.deepEqual(bpfDiagnostics(uri), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
