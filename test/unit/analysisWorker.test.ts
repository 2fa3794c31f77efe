// The analysis worker's side (lsp/analysisWorker.ts) run in this thread over a MessageChannel, as the
// mutation run and the in-process server run it: what it answers to each message, in order, including
// what it is sent before its parser is ready. hostileWorker.test.ts shows a real thread that traps.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { runAnalysisWorker } from '../../server/src/lsp/analysisWorker';
import type { FromWorker, ToWorker } from '../../server/src/lsp/workerProtocol';

const PROGRAM = 'SEC("lsm/file_open")\nint BPF_PROG(p, struct file *file, int ret) { return 0; }\nchar L[] SEC("license") = "GPL";\n';

/** A worker in this thread: send it messages, and take what it says, one message at a time (its warm-up log aside, unless asked for). */
function worker({ warmUpLog = false } = {}) {
  const { port1: server, port2 } = new MessageChannel();
  const inbox: FromWorker[] = [];
  const waiters: ((m: FromWorker) => void)[] = [];
  server.on('message', (m: FromWorker) => {
    // Whether it warms up depends on whether a request reached it before its parser was ready.
    if (!warmUpLog && m.type === 'log' && m.message.startsWith('analysis worker warmed up')) return;
    const w = waiters.shift();
    if (w) w(m);
    else inbox.push(m);
  });
  runAnalysisWorker(port2 as unknown as MessagePort, { ownParserMemory: false });
  return {
    send: (m: ToWorker) => server.postMessage(m),
    next: () => new Promise<FromWorker>((resolve) => (inbox.length > 0 ? resolve(inbox.shift()!) : waiters.push(resolve))),
    close: () => server.close(),
  };
}

describe('analysis worker (in this thread)', () => {
  const { target } = HookCatalog.bundled().target({ kernel: '6.12' });

  it('answers each request in order (those sent while its parser loads kept for when it is ready)', async () => {
    const w = worker();
    try {
      w.send({ type: 'analyse', id: 1, uri: 'file:///a.bpf.c' });
      w.send({ type: 'configure', target, options: {} });
      w.send({ type: 'analyse', id: 2, uri: 'file:///a.bpf.c' });
      w.send({ type: 'open', uri: 'file:///a.bpf.c', languageId: 'bpf-c', version: 1, text: PROGRAM });
      w.send({
        type: 'change',
        uri: 'file:///a.bpf.c',
        version: 2,
        changes: [{ range: { start: { line: 1, character: 53 }, end: { line: 1, character: 54 } }, text: '1' }],
      });
      w.send({ type: 'analyse', id: 3, uri: 'file:///a.bpf.c' });
      w.send({ type: 'close', uri: 'file:///a.bpf.c' });
      w.send({ type: 'analyse', id: 4, uri: 'file:///a.bpf.c' });
      const ready = await w.next();
      assert.equal(ready.type, 'ready');
      const notGiven = { kind: 'failed', message: 'the analysis worker was not given this document' };
      const first = await w.next();
      assert.deepEqual(first.type === 'result' && [first.id, first.analysis], [1, notGiven], 'no target yet');
      const second = await w.next();
      assert.deepEqual(second.type === 'result' && [second.id, second.analysis], [2, notGiven], 'not opened yet');
      const third = await w.next();
      assert.ok(third.type === 'result' && third.analysis.kind === 'analysed');
      assert.equal(third.id, 3);
      assert.ok(third.memoryBytes > 0);
      // The change made the program return 1 (its text in the worker was changed too): the findings say so.
      assert.deepEqual(
        third.analysis.findings.map((f) => f.code),
        ['missing-ret-passthrough', 'return-out-of-range'],
      );
      assert.deepEqual(
        third.analysis.programs.map((p) => [p.name, p.hook, p.kind, PROGRAM.slice(p.hookStart, p.hookEnd)]),
        [['p', 'file_open', 'lsm', 'file_open']],
      );
      const fourth = await w.next();
      assert.deepEqual(fourth.type === 'result' && [fourth.id, fourth.analysis], [4, notGiven], 'closed');
    } finally {
      w.close();
    }
  });

  it('warms up when nothing waits to be analysed, and says so', async () => {
    const w = worker({ warmUpLog: true });
    try {
      assert.equal((await w.next()).type, 'ready');
      const log = await w.next();
      assert.match(log.type === 'log' ? log.message : '', /^analysis worker warmed up in \d+ ms$/);
    } finally {
      w.close();
    }
  });

  it('an analysis that throws is logged and answered as failed; the worker goes on', async () => {
    const w = worker();
    try {
      // A target with no hook table (a malformed configure): the analysis cannot run.
      w.send({ type: 'configure', target: {} as never, options: {} });
      w.send({ type: 'open', uri: 'file:///b.bpf.c', languageId: 'bpf-c', version: 1, text: PROGRAM });
      w.send({ type: 'analyse', id: 1, uri: 'file:///b.bpf.c' });
      assert.equal((await w.next()).type, 'ready');
      const log = await w.next();
      assert.match(
        log.type === 'log' ? log.message : '',
        /^analysis of file:\/\/\/b\.bpf\.c failed: TypeError: Cannot read properties of undefined/,
      );
      const result = await w.next();
      assert.ok(result.type === 'result' && result.analysis.kind === 'failed');
      assert.match(result.analysis.message, /^TypeError: /);
      w.send({ type: 'configure', target, options: {} });
      w.send({ type: 'analyse', id: 2, uri: 'file:///b.bpf.c' });
      const again = await w.next();
      assert.ok(again.type === 'result' && again.analysis.kind === 'analysed');
    } finally {
      w.close();
    }
  });
});
