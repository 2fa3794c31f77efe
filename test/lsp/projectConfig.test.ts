// The language server and the project's settings: unknown check codes in the VS Code settings are said
// once and dropped, and bpf-lsm.config.json at the workspace root is read, watched and ranked below
// explicit settings.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CHECK_CODES } from '../../server/src/analysis/checks/registry';
import { fixture } from '../helpers/paths';
import { LspTestClient } from './lspClient';

describe('language server: unknown check codes in the settings', () => {
  let lsp: LspTestClient;
  before(async () => {
    lsp = await LspTestClient.start({
      debounceMs: 0,
      disabledChecks: ['no-such-check', 'license'],
      severity: { bogus: 'warning', 'unknown-hook': 'warning' },
    });
  });
  after(async () => {
    await lsp.stop();
  });

  it('says each unknown code once, naming the known ones, and applies the known ones', async () => {
    const uri = 'file:///work/codes.bpf.c';
    const { diagnostics } = await lsp.openAndWait(uri, fixture('lint', 'seed-target-exec.bpf.c'));
    assert.ok(!diagnostics.some((d) => d.code === 'license'));
    assert.deepEqual(
      diagnostics.filter((d) => d.code === 'unknown-hook').map((d) => d.severity),
      [2],
    );
    // Settings applied again (a change elsewhere): still said once.
    await lsp.setSettings({
      debounceMs: 1,
      disabledChecks: ['no-such-check', 'license'],
      severity: { bogus: 'warning', 'unknown-hook': 'warning' },
    });
    const known = CHECK_CODES.join(', ');
    assert.deepEqual(
      lsp.messages.filter((m) => /unknown check code/.test(m.message)).map((m) => [m.type, m.message]),
      [
        [1, `bpfLsm.disabledChecks: unknown check code(s) no-such-check; known: ${known}. They are ignored.`],
        [1, `bpfLsm.severity: unknown check code(s) bogus; known: ${known}. They are ignored.`],
      ],
    );
  });
});

describe('language server: bpf-lsm.config.json in the workspace root', () => {
  let lsp: LspTestClient;
  let dir: string;
  let configFile: string;
  const uri = 'file:///work/config-history.bpf.c';
  const codes = async (settle: Promise<{ diagnostics: { code?: unknown; severity?: number }[] }>) =>
    (await settle).diagnostics.map((d) => `${d.code}:${d.severity}`);
  const writeConfig = async (text: string) => {
    fs.writeFileSync(configFile, text);
    const next = lsp.nextDiagnostics(uri);
    await lsp.changeWatchedFiles([{ uri: pathToFileURL(configFile).href, type: 2 }]);
    return next;
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-config-'));
    configFile = path.join(dir, 'bpf-lsm.config.json');
    fs.writeFileSync(configFile, JSON.stringify({ kernel: '5.15', disabledChecks: ['unsupported-section'] }));
    lsp = await LspTestClient.start({ debounceMs: 0 }, { workspaceFolder: dir });
  });
  after(async () => {
    await lsp.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('applies the kernel and the disabled checks the file gives, and asks the editor to watch it', async () => {
    const first = lsp.nextDiagnostics(uri);
    await lsp.open(uri, fixture('lint', 'kernel-history.bpf.c'));
    assert.deepEqual(await codes(first), ['hook-not-in-kernel:1', 'unknown-hook:1']);
    assert.ok(
      await lsp.registration(
        (r) =>
          r.method === 'workspace/didChangeWatchedFiles' &&
          JSON.stringify(r.registerOptions) === JSON.stringify({ watchers: [{ globPattern: '**/bpf-lsm.config.json' }] }),
      ),
    );
  });

  it('ranks explicit settings above the file, and the file above the defaults', async () => {
    let next = lsp.nextDiagnostics(uri);
    await lsp.setSettings({ debounceMs: 0, kernel: '6.12' });
    assert.deepEqual(await codes(next), ['unknown-hook:1']);
    next = lsp.nextDiagnostics(uri);
    await lsp.setSettings({ debounceMs: 0 });
    assert.deepEqual(await codes(next), ['hook-not-in-kernel:1', 'unknown-hook:1']);
  });

  it('re-reads the file when it changes', async () => {
    assert.deepEqual(await codes(writeConfig(JSON.stringify({ kernel: '6.12', severity: { 'unknown-hook': 'hint' } }))), [
      'unknown-hook:4',
    ]);
  });

  it('says once that a malformed file is ignored, naming it, and goes back to the defaults', async () => {
    assert.deepEqual(await codes(writeConfig('{ "kernel": 6.12 }')), ['unknown-hook:1']);
    await writeConfig('{ "kernel": 6.12 }');
    const about = lsp.messages.filter((m) => m.message.includes(configFile));
    assert.deepEqual(
      about.map((m) => [m.type, m.message]),
      [[1, `${configFile}: "kernel" must be a non-empty string. The file is ignored until it is fixed.`]],
    );
    assert.deepEqual(await codes(writeConfig(JSON.stringify({ disabledChecks: ['nope'] }))), ['unknown-hook:1']);
    assert.ok(
      lsp.messages.some((m) => m.message.startsWith(`${configFile}: "disabledChecks": unknown check code(s) nope; known: unknown-hook,`)),
    );
  });
});
