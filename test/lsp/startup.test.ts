// Start-up and typing as a user has them (the default debounceMs): the analysis worker started with the
// server is the one that analyses the first document (not a second one started on demand), and an edit
// to a small program is diagnosed well before the 150 ms the fixed debounce used to wait. The shipped
// server's code cache: written by the first start, taken by the next, harmless when corrupt.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { smallProgram } from '../helpers/corpus';
import { LspTestClient } from './lspClient';

/** The bundled server with the default settings, started with one variable set in its environment. */
async function startWith(name: string, value: string): Promise<LspTestClient> {
  const saved = process.env[name];
  process.env[name] = value;
  try {
    return await LspTestClient.start({});
  } finally {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  }
}

describe('language server start-up and typing with the default settings', () => {
  let lsp: LspTestClient;
  before(async () => {
    lsp = await startWith('BPF_LSM_LOG', 'debug');
  });
  after(() => lsp.stop());

  it('analyses the first document on the worker started with the server', async () => {
    const { diagnostics } = await lsp.openAndWait('file:///work/startup.bpf.c', smallProgram());
    assert.deepEqual(diagnostics, []);
    const ready = lsp.logs.filter((l) => l.startsWith('analysis worker ready '));
    assert.equal(ready.length, 1, ready.join('\n'));
    assert.match(
      ready[0],
      /^analysis worker ready \d+ ms after it was started with the server \(its code loaded at \d+ ms, then hook tables \d+ ms, C parser \d+ ms more\)$/,
    );
  });

  it('waits in proportion to the analyses of the document after an edit, not the whole debounce setting', async () => {
    const uri = 'file:///work/startup.bpf.c';
    const text = smallProgram();
    const line = text.split('\n').findIndex((l) => l.includes('return -EPERM;'));
    for (let i = 0; i < 6; i++) {
      const change =
        i % 2 === 0
          ? { range: { start: { line, character: 11 }, end: { line, character: 11 } }, text: 'x' }
          : { range: { start: { line, character: 11 }, end: { line, character: 12 } }, text: '' };
      const version = await lsp.change(uri, [change]);
      assert.equal((await lsp.nextDiagnostics(uri, version)).version, version);
    }
    const delays = lsp.logs.flatMap((l) => /^debounce file:\/\/\/work\/startup\.bpf\.c: (\d+) ms$/.exec(l)?.[1] ?? []).map(Number);
    assert.equal(delays.length, 6);
    // The fixed debounce waited the setting (150 ms) after every edit. A 30-line program's analyses take a
    // few ms (the first, on code not yet warm, longer): by the sixth edit their median sets the delay.
    const last = delays[5];
    assert.ok(last >= 5 && last < 150, `delays ${delays.join(', ')} ms`);
  });
});

describe('the analysis worker while it waits for the first document', () => {
  it('warms up (parser and checks run once) and then analyses the first document as usual', async () => {
    const lsp = await startWith('BPF_LSM_LOG', 'debug');
    try {
      // The worker is taken over (and its log read) when the first document needs it: open one late.
      await new Promise((r) => setTimeout(r, 1500));
      const { diagnostics } = await lsp.openAndWait('file:///work/late.bpf.c', smallProgram());
      assert.deepEqual(diagnostics, []);
      const warm = lsp.logs.findIndex((l) => /^analysis worker warmed up in \d+ ms$/.test(l));
      const analysed = lsp.logs.findIndex((l) => l.startsWith('analysed file:///work/late.bpf.c in '));
      assert.ok(warm >= 0 && analysed > warm, lsp.logs.join('\n'));
    } finally {
      await lsp.stop();
    }
  });
});

describe('the shipped language server with its code cache (serverBin.ts)', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-server-cache-'));
  const cache = path.join(home, 'bpf-lsm-studio', 'code-cache');
  after(() => fs.rmSync(home, { recursive: true, force: true }));
  const program = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'lint', 'seed-target-exec.bpf.c'), 'utf8');

  /** One start of the bundled server with this cache home: the codes of the first document's diagnostics. */
  const startOnce = async (): Promise<string[]> => {
    const lsp = await startWith('XDG_CACHE_HOME', home);
    try {
      const { diagnostics } = await lsp.openAndWait('file:///work/cached.bpf.c', program);
      return diagnostics.map((d) => String(d.code));
    } finally {
      await lsp.stop();
    }
  };
  const files = () => (fs.existsSync(cache) ? fs.readdirSync(cache).sort() : []);
  const expected = ['unknown-hook', 'wrong-macro'];

  it("writes each thread's cache on the first start and takes them on the next, with the same diagnostics", async () => {
    assert.deepEqual(await startOnce(), expected);
    const written = files();
    assert.equal(written.length, 2, written.join(', '));
    assert.match(written[0], /^analysisWorker-[0-9a-f]{24}\.v8cache$/);
    assert.match(written[1], /^serverMain-[0-9a-f]{24}\.v8cache$/);
    const inodes = written.map((f) => fs.statSync(path.join(cache, f)).ino);
    assert.deepEqual(await startOnce(), expected);
    // Taken, so not written again (a rejected cache is replaced by a new file).
    assert.deepEqual(
      files().map((f) => fs.statSync(path.join(cache, f)).ino),
      inodes,
    );
  });

  it('starts and analyses the same with corrupt cache files, and replaces them', async () => {
    for (const f of files()) fs.writeFileSync(path.join(cache, f), Buffer.alloc(4096, 0xa5));
    assert.deepEqual(await startOnce(), expected);
    for (const f of files()) assert.notEqual(fs.readFileSync(path.join(cache, f))[0], 0xa5, `${f} replaced by a good one`);
  });
});
