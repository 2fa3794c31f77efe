// The analysis host and its worker thread, without the protocol: a parser crash is blamed on its
// document while the others are analysed on a fresh worker, and a worker that cannot start is reported
// as such instead of leaving analyses waiting.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { AnalysisHost } from '../../server/src/lsp/analysisHost';
import { DocumentStore } from '../../server/src/lsp/documentStore';
import { fixture } from '../helpers/paths';
import { FAILURE_LOG } from './lspClient';

/** The compiled server entry next to this compiled test: in a worker thread it is the analysis worker. */
const SERVER_ENTRY = path.join(__dirname, '..', '..', 'server', 'src', 'server.js');

function hostFor(script: string) {
  const store = new DocumentStore();
  const logs: string[] = [];
  const host = new AnalysisHost(
    script,
    (m) => logs.push(m),
    (entry) => store.get(entry.doc.uri) === entry,
  );
  host.configure(HookCatalog.bundled().target({}).target, {});
  return { store, host, logs };
}

describe('analysis worker', () => {
  const hosts: AnalysisHost[] = [];
  after(() => {
    for (const h of hosts) h.dispose();
  });

  it('blames a parser crash on its document and analyses the others on a fresh worker', async () => {
    const { store, host, logs } = hostFor(SERVER_ENTRY);
    hosts.push(host);
    const poison = store.open('file:///poison.bpf.c', 'c', 1, `SEC("lsm/file_open")\nint x = ${'(a)*'.repeat(5000)}a;\n`);
    const good = store.open('file:///good.bpf.c', 'c', 1, fixture('lint', 'seed-target-exec.bpf.c'));
    // Both asked at once: the good one waits behind the poison in the worker's queue.
    const [crashed, analysed] = await Promise.all([host.analyse(poison), host.analyse(good)]);
    assert.equal(crashed.kind, 'parser-crashed');
    assert.match((crashed as { message: string }).message, /^RuntimeError: /);
    assert.equal(analysed.kind, 'analysed');
    assert.deepEqual(analysed.kind === 'analysed' && analysed.findings.map((f) => f.code), ['unknown-hook', 'wrong-macro']);
    assert.ok(logs.some((l) => l.startsWith('the analysis worker stopped on file:///poison.bpf.c: RuntimeError: ')));
    // The LSP tests' client fails a test on this line unless the test provoked it.
    assert.ok(logs.some((l) => l.startsWith('the analysis worker stopped') && FAILURE_LOG.test(l)));
  });

  it('says analysis is unavailable when the worker cannot start, after three tries', async () => {
    const { store, host, logs } = hostFor(path.join(__dirname, 'no-such-worker.js'));
    hosts.push(host);
    const entry = store.open('file:///any.bpf.c', 'c', 1, fixture('lint', 'seed-target-exec.bpf.c'));
    const result = await host.analyse(entry);
    assert.equal(result.kind, 'unavailable');
    assert.match((result as { message: string }).message, /^the analysis worker could not start \(.*Cannot find module/);
    assert.equal(logs.filter((l) => l.startsWith('the analysis worker stopped')).length, 3);
    assert.ok(logs.some((l) => l.startsWith('analysis unavailable: ') && FAILURE_LOG.test(l)));
    // Later requests get the same answer at once, without starting workers again.
    assert.equal((await host.analyse(entry)).kind, 'unavailable');
    assert.equal(logs.filter((l) => l.startsWith('the analysis worker stopped')).length, 3);
  });
});
