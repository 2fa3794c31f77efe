// The language server's side of the analysis worker (lsp/analysisHost.ts), driven message by message with
// a scripted thread: what it sends a new worker, whom it blames when one dies, when it gives up, when it
// releases one, and what it logs. hostileWorker.test.ts shows the same with real threads that trap.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { AnalysisHost } from '../../server/src/lsp/analysisHost';
import type { OpenDocument } from '../../server/src/lsp/documentStore';
import { ANALYSED, ScriptedThread } from '../helpers/scriptedThread';

const doc = (name: string): OpenDocument =>
  ({ doc: TextDocument.create(`file:///${name}`, 'bpf-c', 1, 'int x;') }) as unknown as OpenDocument;

function host(open: (e: OpenDocument) => boolean = () => true) {
  const threads: ScriptedThread[] = [];
  const log: string[] = [];
  const h = new AnalysisHost(
    'unused.js',
    (m) => log.push(m),
    open,
    () => {
      const t = new ScriptedThread();
      threads.push(t);
      return t;
    },
  );
  const { target } = HookCatalog.bundled().target({ kernel: '6.12' });
  h.configure(target, {});
  return { h, threads, log };
}

/** Lets the host's promise callbacks run. */
const settle = () => new Promise((r) => setImmediate(r));

describe('analysis host', () => {
  it('configures a new worker, sends a document once and then its changes, and answers each request', async () => {
    const { h, threads, log } = host();
    const a = doc('a.bpf.c');
    const first = h.analyse(a);
    const t = threads[0];
    t.say({ type: 'ready' });
    t.say({ type: 'result', id: t.lastId(), analysis: ANALYSED, memoryBytes: 1 });
    assert.deepEqual(await first, ANALYSED);
    h.change('file:///a.bpf.c', 2, [{ text: 'x' }]);
    h.change('file:///other.bpf.c', 2, [{ text: 'x' }]);
    const second = h.analyse(a);
    t.say({ type: 'result', id: t.lastId(), analysis: { kind: 'parse-gave-up' }, memoryBytes: 1 });
    assert.deepEqual(await second, { kind: 'parse-gave-up' });
    assert.deepEqual(t.lines(), [
      'configure',
      'open file:///a.bpf.c',
      'analyse file:///a.bpf.c',
      'change file:///a.bpf.c',
      'analyse file:///a.bpf.c',
    ]);
    t.stdout.write('hello\n\n');
    t.stderr.write('warning: x \n');
    t.say({ type: 'log', message: 'from the worker' });
    await settle();
    assert.deepEqual(log, ['analysis worker: hello', 'analysis worker: warning: x', 'from the worker']);
    assert.equal(threads.length, 1);
  });

  it('logs where a worker start-up went', () => {
    const { h, threads, log } = host();
    void h.analyse(doc('a.bpf.c'));
    const origin = performance.timeOrigin;
    threads[0].say({ type: 'ready', startup: { origin, loadedAt: performance.now(), tablesMs: 12.4, parserMs: 30.6, readyAt: 0 } });
    assert.equal(log.length, 1);
    assert.match(
      log[0],
      /^analysis worker ready \d+ ms after it was started \(its code loaded at \d+ ms, then hook tables 12 ms, C parser 31 ms more\)$/,
    );
  });

  it('blames the document a worker trapped on, and analyses the others on a new worker', async () => {
    const { h, threads, log } = host();
    const a = doc('a.bpf.c');
    const b = doc('b.bpf.c');
    const onA = h.analyse(a);
    const onB = h.analyse(b);
    threads[0].say({ type: 'ready' });
    threads[0].say({ type: 'crashed', uri: 'file:///a.bpf.c', message: 'RuntimeError: unreachable' });
    assert.deepEqual(await onA, { kind: 'parser-crashed', message: 'RuntimeError: unreachable' });
    assert.equal(threads[0].terminated, true);
    const t = threads[1];
    assert.deepEqual(t.lines(), ['configure', 'open file:///b.bpf.c', 'analyse file:///b.bpf.c']);
    t.say({ type: 'ready' });
    t.say({ type: 'result', id: t.lastId(), analysis: ANALYSED, memoryBytes: 1 });
    assert.deepEqual(await onB, ANALYSED);
    assert.deepEqual(log, ['the analysis worker stopped on file:///a.bpf.c: RuntimeError: unreachable']);
    // The old worker is gone: what it still says is not heard.
    threads[0].say({ type: 'log', message: 'late' });
    assert.equal(log.length, 1);
  });

  it('blames the oldest request when a working worker dies without saying where; a closed document is not retried', async () => {
    const open = new Set(['file:///a.bpf.c']);
    const { h, threads, log } = host((e) => open.has(e.doc.uri));
    const onA = h.analyse(doc('a.bpf.c'));
    const onC = h.analyse(doc('c.bpf.c'));
    threads[0].say({ type: 'ready' });
    threads[0].fail(new TypeError('boom'));
    assert.deepEqual(await onA, { kind: 'parser-crashed', message: 'TypeError: boom' });
    assert.deepEqual(await onC, { kind: 'failed', message: 'the document closed' });
    assert.deepEqual(log, ['the analysis worker stopped on file:///a.bpf.c: TypeError: boom']);
    assert.equal(threads.length, 1, 'nothing left to analyse: no new worker yet');
  });

  it('gives up after three workers in a row die before they are ready, and says why', async () => {
    const { h, threads, log } = host();
    const pending = h.analyse(doc('a.bpf.c'));
    threads[0].exit(1);
    threads[1].exit(1);
    assert.equal(threads.length, 3, 'a request waiting: a new worker each time');
    threads[2].exit(7);
    const unavailable = { kind: 'unavailable', message: 'the analysis worker could not start (the analysis worker exited with code 7)' };
    assert.deepEqual(await pending, unavailable);
    assert.deepEqual(await h.analyse(doc('b.bpf.c')), unavailable);
    assert.equal(threads.length, 3);
    assert.deepEqual(log, [
      'the analysis worker stopped: the analysis worker exited with code 1',
      'the analysis worker stopped: the analysis worker exited with code 1',
      'the analysis worker stopped: the analysis worker exited with code 7',
      'analysis unavailable: the analysis worker could not start (the analysis worker exited with code 7)',
    ]);
  });

  it('a worker that became ready resets the count of failed starts', async () => {
    const { h, threads } = host();
    const first = h.analyse(doc('a.bpf.c'));
    threads[0].exit(1);
    threads[1].exit(1);
    threads[2].say({ type: 'ready' });
    threads[2].say({ type: 'result', id: threads[2].lastId(), analysis: ANALYSED, memoryBytes: 1 });
    assert.deepEqual(await first, ANALYSED);
    const onB = h.analyse(doc('b.bpf.c'));
    const onC = h.analyse(doc('c.bpf.c'));
    threads[2].exit(1);
    assert.deepEqual(await onB, { kind: 'parser-crashed', message: 'the analysis worker exited with code 1' });
    threads[3].exit(1);
    assert.equal(threads.length, 5, 'one failed start after a good one is not the third in a row');
    threads[4].say({ type: 'ready' });
    threads[4].say({ type: 'result', id: threads[4].lastId(), analysis: ANALYSED, memoryBytes: 1 });
    assert.deepEqual(await onC, ANALYSED);
  });

  it('gives up at once when the worker cannot load the C parser', async () => {
    const { h, threads, log } = host();
    const pending = h.analyse(doc('a.bpf.c'));
    threads[0].say({ type: 'failed-to-start', message: 'no WASM' });
    assert.deepEqual(await pending, { kind: 'unavailable', message: 'the C parser could not be loaded (no WASM)' });
    assert.deepEqual(log, ['analysis unavailable: the C parser could not be loaded (no WASM)']);
    assert.equal(threads[0].terminated, true);
  });

  it('releases a worker once idle when its last document closes or it holds over 128 MB', async () => {
    const { h, threads, log } = host();
    const a = doc('a.bpf.c');
    const b = doc('b.bpf.c');
    const answer = (memoryBytes: number) => threads[threads.length - 1].answerAll(ANALYSED, memoryBytes);
    const both = [h.analyse(a), h.analyse(b)];
    threads[0].say({ type: 'ready' });
    answer(128 * 1048576);
    await Promise.all(both);
    h.release('file:///a.bpf.c');
    assert.equal(threads[0].terminated, false, '128 MB and a document left: kept');
    assert.deepEqual(threads[0].lines(), ['close file:///a.bpf.c']);
    h.release('file:///a.bpf.c');
    h.release('file:///never-sent.bpf.c');
    assert.deepEqual(threads[0].lines(), ['close file:///a.bpf.c'], 'what the worker does not have is not closed');
    // Over 128 MB: released when a document closes, even with one left.
    const c = doc('c.bpf.c');
    const onC = h.analyse(c);
    answer(128 * 1048576 + 1);
    await onC;
    assert.equal(threads[0].terminated, false, 'not released without a document closing');
    h.release('file:///c.bpf.c');
    assert.equal(threads[0].terminated, true);
    assert.deepEqual(log, ['analysis worker released (128 MB, 1 document(s) to reparse)']);
    // The next request starts a worker and sends the document whole; its last document closing releases it.
    const again = h.analyse(b);
    assert.deepEqual(threads[1].lines(), ['configure', 'open file:///b.bpf.c', 'analyse file:///b.bpf.c']);
    answer(1048576);
    await again;
    h.release('file:///b.bpf.c');
    assert.equal(threads[1].terminated, true);
    assert.equal(log[1], 'analysis worker released (1 MB, 0 document(s) to reparse)');
    void h.analyse(a);
    h.dispose();
    assert.equal(threads[2].terminated, true);
  });
});
