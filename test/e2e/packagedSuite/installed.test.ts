/// <reference types="mocha" />
// The extension as a user gets it: installed from the .vsix into the server's extensions folder (the
// extension under development here is an empty test driver). It must activate from that copy and lint
// a BPF LSM file, in a trusted workspace and in Restricted Mode alike.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { bpfDiagnostics, codeOf, EXTENSION_ID, open, sleep, waitFor, workspaceFile } from '../suite/helpers';

/** Set by packaged.ts: where the .vsix was installed, and whether the workspace is to be trusted. */
const EXTENSIONS_DIR = process.env.BPF_E2E_EXTENSIONS_DIR;
const TRUSTED = process.env.BPF_E2E_EXPECT_TRUSTED === '1';

suite(`BPF LSM Studio installed from its .vsix (${TRUSTED ? 'trusted workspace' : 'Restricted Mode'})`, () => {
  test('the extension is the installed copy, not the repository', () => {
    assert.ok(EXTENSIONS_DIR, 'BPF_E2E_EXTENSIONS_DIR is not set: run this suite through packaged.js');
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed`);
    assert.equal(fs.realpathSync(path.dirname(ext.extensionPath)), fs.realpathSync(EXTENSIONS_DIR));
    assert.equal(path.basename(ext.extensionPath), `${EXTENSION_ID}-${ext.packageJSON.version}`);
    assert.equal(vscode.workspace.isTrusted, TRUSTED);
  });

  test("the installed copy holds the language server and the parser's WASM", () => {
    // What the extension loads only once a C file is open: a .vsix without them installs fine.
    const dist = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist');
    const missing = [
      'extension.js',
      'server.js',
      'serverMain.js',
      'analysisWorker.js',
      'web-tree-sitter.wasm',
      'tree-sitter-c.wasm',
    ].filter((f) => !fs.existsSync(path.join(dist, f)));
    assert.deepEqual(missing, [], `missing from ${dist}`);
  });

  test('it activates and reports unknown-hook on SEC("lsm/target_exec")', async function () {
    this.timeout(60_000);
    const uri = workspaceFile('target-exec.bpf.c');
    const editor = await open(uri);
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    // Rejects with the reason when activation failed; a language server that never answers leaves it pending.
    await Promise.race([
      ext.activate(),
      sleep(20_000).then(() => {
        throw new Error('activation did not finish in 20 s');
      }),
    ]);
    const diagnostics = await waitFor(
      'diagnostics from the installed extension',
      () => bpfDiagnostics(uri),
      (d) => d.length > 0,
      20_000,
    );
    const unknownHook = diagnostics.find((d) => codeOf(d) === 'unknown-hook');
    assert.ok(unknownHook, `codes: ${diagnostics.map(codeOf).join(', ')}`);
    assert.equal(editor.document.getText(unknownHook.range), 'target_exec');
    assert.equal(unknownHook.severity, vscode.DiagnosticSeverity.Error);
  });
});
