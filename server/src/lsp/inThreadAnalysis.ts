// The analysis worker run in the server's own thread, over a MessageChannel: the same messages, cloned
// the same way, but no thread of its own. Only for running the server inside a test process (the
// mutation run, test/lsp/inProcessServer.ts), where a mutant and the coverage it needs live in that
// process's globals, which a worker thread does not share. What only a thread gives (a parser trap or
// its memory ending with the thread) is shown by the tests that spawn the real server.
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { MessageChannel } from 'node:worker_threads';
import { runAnalysisWorker } from './analysisWorker';
import type { AnalysisThread } from './workerStart';

export function startInThreadAnalysis(): AnalysisThread {
  const { port1: server, port2: worker } = new MessageChannel();
  const events = new EventEmitter();
  server.on('message', (m: unknown) => events.emit('message', m));
  const thread: AnalysisThread = {
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    postMessage: (m: unknown) => server.postMessage(m),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one listener for the three events
    on(event: string, listener: (value: any) => void) {
      events.on(event, listener);
      return thread;
    },
    terminate() {
      server.close();
      events.emit('exit', 1);
      events.removeAllListeners();
      return Promise.resolve(1);
    },
  };
  runAnalysisWorker(worker, { ownParserMemory: false });
  return thread;
}
