// One analysis per document text and settings (lsp/context.ts), over an analysis host whose worker the
// test plays: what is sent to the worker again and what is not, and what never reaches it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Connection } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { DEFAULT_SETTINGS } from '../../common/settings';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { AnalysisHost } from '../../server/src/lsp/analysisHost';
import { ServerContext } from '../../server/src/lsp/context';
import type { DocumentStore, OpenDocument } from '../../server/src/lsp/documentStore';
import { ANALYSED, ScriptedThread } from '../helpers/scriptedThread';

/** A context over a scripted worker; `open` makes the store's current entry of a document. */
function context() {
  const threads: ScriptedThread[] = [];
  const entries = new Map<string, OpenDocument>();
  const store = { get: (uri: string) => entries.get(uri), all: () => [...entries.values()] } as unknown as DocumentStore;
  const host = new AnalysisHost(
    'unused.js',
    () => undefined,
    (e) => entries.get(e.doc.uri) === e,
    () => {
      const t = new ScriptedThread();
      threads.push(t);
      return t;
    },
  );
  const catalog = HookCatalog.bundled();
  const { target } = catalog.target({});
  const ctx = new ServerContext({} as Connection, store, catalog, host, DEFAULT_SETTINGS, target);
  let generation = 0;
  const open = (name: string, text: string): OpenDocument => {
    // An untitled document: no headers are read for it.
    const entry = { doc: TextDocument.create(`untitled:${name}`, 'bpf-c', 1, text), generation: ++generation } as unknown as OpenDocument;
    entries.set(entry.doc.uri, entry);
    return entry;
  };
  /** The newest worker answers each request it has not answered yet. */
  const answer = (analysis: object) => threads[threads.length - 1].answerAll(analysis);
  return { ctx, threads, open, answer, settings: () => ctx.configure(DEFAULT_SETTINGS, target) };
}
const analyses = (threads: ScriptedThread[]) => threads.flatMap((t) => t.sent.filter((m) => m.type === 'analyse'));

describe('server context: one analysis per text and settings', () => {
  it('never sends a text that is not BPF, or is too large, to the worker', async () => {
    const { ctx, threads, open } = context();
    assert.deepEqual(await ctx.analysis(open('notes.txt', 'int main(void) { return 0; }')), { kind: 'not-bpf' });
    const huge = `SEC("lsm/file_open")\n${'x'.repeat(4 * 1024 * 1024)}`;
    assert.deepEqual(await ctx.analysis(open('huge.c', huge)), { kind: 'too-large', length: huge.length });
    assert.equal(threads.length, 0, 'no worker started');
  });

  it('asks again when the settings or the build flags change, not for the same text and settings', async () => {
    const { ctx, threads, open, answer, settings } = context();
    const entry = open('a.bpf.c', 'SEC("lsm/file_open")\n');
    const first = ctx.analysis(entry);
    threads[0].say({ type: 'ready' });
    answer(ANALYSED);
    assert.equal((await first).kind, 'analysed');
    assert.equal(await ctx.analysis(entry), await first, 'the same promise: asked once');
    assert.equal(analyses(threads).length, 0);
    // Settings changed, then the build's flags: a new generation each time, never one seen before: asked again.
    settings();
    ctx.buildFlagsChanged();
    const again = ctx.analysis(entry);
    assert.equal(analyses(threads).length, 1);
    answer(ANALYSED);
    await again;
  });

  it('a text the parser crashed on is not sent again until it changes, even when the settings change', async () => {
    const { ctx, threads, open, settings } = context();
    const entry = open('crash.bpf.c', 'SEC("lsm/file_open")\n');
    const crashed = ctx.analysis(entry);
    threads[0].say({ type: 'ready' });
    threads[0].say({ type: 'crashed', uri: 'untitled:crash.bpf.c', message: 'RuntimeError: unreachable' });
    const said = { kind: 'parser-crashed', message: 'RuntimeError: unreachable' };
    assert.deepEqual(await crashed, said);
    settings();
    assert.deepEqual(await ctx.analysis(entry), said);
    assert.equal(threads.length, 1, 'no worker started for it');
    // Changed text: tried again, on a new worker.
    const changed = open('crash.bpf.c', 'SEC("lsm/file_open")\nint x;\n');
    void ctx.analysis(changed);
    assert.equal(threads.length, 2);
    assert.deepEqual(
      analyses([threads[1]]).map((m) => m.uri),
      ['untitled:crash.bpf.c'],
    );
  });
});
