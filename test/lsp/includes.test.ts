// The language server and local headers: a document's licence can sit in the header it includes, and
// editing that header (in the editor, or on disk) analyses the document again.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { LspTestClient } from './lspClient';

const MAIN = [
  '#include "vmlinux.h"',
  '#include <bpf/bpf_helpers.h>',
  '#include "shared.h"',
  '',
  'SEC("lsm/file_open")',
  'int BPF_PROG(check_open, struct file *file, int ret)',
  '{',
  '\treturn ret;',
  '}',
  '',
].join('\n');
const LICENSED = 'char LICENSE[] SEC("license") = "Dual BSD/GPL";\n';
const UNLICENSED = '#define NOTHING 0\n';

describe('language server: local headers', () => {
  let lsp: LspTestClient;
  let dir: string;
  let header: string;
  let mainUri: string;
  let headerUri: string;
  const licence = async (settle: Promise<{ diagnostics: { code?: unknown; severity?: number; range: { start: { line: number } } }[] }>) =>
    (await settle).diagnostics.filter((d) => d.code === 'license').map((d) => `${d.severity}@${d.range.start.line}`);

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-includes-'));
    header = path.join(dir, 'shared.h');
    fs.writeFileSync(header, LICENSED);
    mainUri = pathToFileURL(path.join(dir, 'main.bpf.c')).href;
    headerUri = pathToFileURL(header).href;
    lsp = await LspTestClient.start({ debounceMs: 0 }, { workspaceFolder: dir });
  });
  after(async () => {
    await lsp.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('takes the licence from the header beside the document, and asks the editor to watch headers', async () => {
    assert.deepEqual(await licence(lsp.openAndWait(mainUri, MAIN)), []);
    assert.ok(
      await lsp.registration(
        (r) => r.method === 'workspace/didChangeWatchedFiles' && JSON.stringify(r.registerOptions).includes('"**/*.{h,hh,hpp,inc}"'),
      ),
    );
  });

  it("follows the header's unsaved text in the editor, and its disk text again when it closes", async () => {
    // Opening the header analyses the document again (its text now comes from the editor).
    const reopened = lsp.nextDiagnostics(mainUri);
    await lsp.open(headerUri, LICENSED);
    assert.deepEqual(await licence(reopened), []);
    let next = lsp.nextDiagnostics(mainUri);
    await lsp.change(headerUri, [{ text: UNLICENSED }]);
    assert.deepEqual(await licence(next), ['1@4']);
    next = lsp.nextDiagnostics(mainUri);
    await lsp.change(headerUri, [{ text: LICENSED }]);
    assert.deepEqual(await licence(next), []);
    next = lsp.nextDiagnostics(mainUri);
    await lsp.change(headerUri, [{ text: UNLICENSED }]);
    assert.deepEqual(await licence(next), ['1@4']);
    next = lsp.nextDiagnostics(mainUri);
    await lsp.close(headerUri);
    assert.deepEqual(await licence(next), []);
  });

  it('matches an open header by its path, however the editor encodes its URI (VS Code escapes @)', async () => {
    const sub = path.join(dir, 'v@2');
    fs.mkdirSync(sub);
    fs.writeFileSync(path.join(sub, 'shared.h'), LICENSED);
    const encoded = (file: string) => pathToFileURL(file).href.replace(/@/g, '%40');
    const uri = encoded(path.join(sub, 'main.bpf.c'));
    const header = encoded(path.join(sub, 'shared.h'));
    assert.deepEqual(await licence(lsp.openAndWait(uri, MAIN)), []);
    const reopened = lsp.nextDiagnostics(uri);
    await lsp.open(header, LICENSED);
    await reopened;
    const next = lsp.nextDiagnostics(uri);
    await lsp.change(header, [{ text: UNLICENSED }]);
    assert.deepEqual(await licence(next), ['1@4']);
    await lsp.close(header);
    await lsp.close(uri);
  });

  it('looks in the includePaths of bpf-lsm.config.json, and in bpfLsm.includePaths over them', async () => {
    const uri = pathToFileURL(path.join(dir, 'other.bpf.c')).href;
    fs.mkdirSync(path.join(dir, 'inc'));
    fs.writeFileSync(path.join(dir, 'inc', 'common.h'), LICENSED);
    const text = MAIN.replace('"shared.h"', '"common.h"');
    assert.deepEqual(await licence(lsp.openAndWait(uri, text)), ['3@2']);
    const config = path.join(dir, 'bpf-lsm.config.json');
    fs.writeFileSync(config, JSON.stringify({ includePaths: ['inc'] }));
    let next = lsp.nextDiagnostics(uri);
    await lsp.changeWatchedFiles([{ uri: pathToFileURL(config).href, type: 1 }]);
    assert.deepEqual(await licence(next), []);
    next = lsp.nextDiagnostics(uri);
    await lsp.setSettings({ debounceMs: 0, includePaths: ['elsewhere'] });
    assert.deepEqual(await licence(next), ['3@2']);
    next = lsp.nextDiagnostics(uri);
    await lsp.setSettings({ debounceMs: 0, includePaths: ['inc'] });
    assert.deepEqual(await licence(next), []);
    await lsp.close(uri);
    fs.rmSync(config);
  });

  it("reads the -I of the document's compile_commands.json entry, again when the file changes", async () => {
    const file = path.join(dir, 'built.bpf.c');
    const uri = pathToFileURL(file).href;
    fs.mkdirSync(path.join(dir, 'gen'));
    fs.writeFileSync(path.join(dir, 'gen', 'generated.h'), LICENSED);
    const text = MAIN.replace('"shared.h"', '"generated.h"');
    assert.deepEqual(await licence(lsp.openAndWait(uri, text)), ['3@2']);
    const db = path.join(dir, 'compile_commands.json');
    fs.writeFileSync(db, JSON.stringify([{ directory: dir, file, arguments: ['clang', '-Igen', '-c', file] }]));
    const next = lsp.nextDiagnostics(uri);
    await lsp.changeWatchedFiles([{ uri: pathToFileURL(db).href, type: 1 }]);
    assert.deepEqual(await licence(next), []);
    await lsp.close(uri);
    fs.rmSync(db);
  });

  it('analyses the document again when the header changes on disk, or goes', async () => {
    fs.writeFileSync(header, UNLICENSED);
    let next = lsp.nextDiagnostics(mainUri);
    await lsp.changeWatchedFiles([{ uri: headerUri, type: 2 }]);
    assert.deepEqual(await licence(next), ['1@4']);
    fs.rmSync(header);
    next = lsp.nextDiagnostics(mainUri);
    await lsp.changeWatchedFiles([{ uri: headerUri, type: 3 }]);
    // Unreadable: the licence is not claimed missing; information at the include line.
    assert.deepEqual(await licence(next), ['3@2']);
    fs.writeFileSync(header, LICENSED);
    next = lsp.nextDiagnostics(mainUri);
    await lsp.changeWatchedFiles([{ uri: headerUri, type: 1 }]);
    assert.deepEqual(await licence(next), []);
  });
});
