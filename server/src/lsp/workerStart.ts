// Starting the analysis worker thread (analysisHost.ts drives it). The server's entry starts one before
// it loads anything else (prestartWorker), so that its start-up overlaps the main thread's; the host
// takes it over when the first document needs analysing, with what it said meanwhile.
import { Worker } from 'node:worker_threads';

/** The worker's JavaScript heap; past it the worker dies, not the server. */
const WORKER_HEAP_MB = 512;
/** A prestarted worker no document took over in this time (a workspace of plain C) is stopped. */
const PRESTART_IDLE_MS = 60_000;

/** What the analysis host uses of a worker thread (inThreadAnalysis.ts gives the same in one thread). */
export interface AnalysisThread {
  readonly stdout: NodeJS.ReadableStream;
  readonly stderr: NodeJS.ReadableStream;
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'exit', listener: (exitCode: number) => void): this;
  terminate(): Promise<number>;
}

export function startWorker(script: string): Worker {
  // stdout and stderr are read by the host: a worker's output would otherwise go to the server's
  // stdout, which is the protocol stream.
  return new Worker(script, { stdout: true, stderr: true, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
}

/** What a prestarted worker emitted before the host took it over, in order. */
export type WorkerEvent = { type: 'message'; value: unknown } | { type: 'error'; value: Error } | { type: 'exit'; value: number };

interface Prestarted {
  worker: Worker;
  script: string;
  /** performance.now() when it was started. */
  startedAt: number;
  events: WorkerEvent[];
  stopRecording: () => void;
  idle: NodeJS.Timeout;
}

// Kept on the process, not in this module: the shipped entry (serverBin.ts) and the main thread's bundle
// it loads each hold a copy of this module, and the worker one starts must be the one the other takes.
const PRESTARTED = Symbol.for('bpf-lsm-studio.prestarted-worker');
const slot = globalThis as { [PRESTARTED]?: Prestarted };

export function prestartWorker(script: string): void {
  const startedAt = performance.now();
  const worker = startWorker(script);
  const events: WorkerEvent[] = [];
  const onMessage = (value: unknown) => events.push({ type: 'message', value });
  const onError = (value: Error) => events.push({ type: 'error', value });
  const onExit = (value: number) => events.push({ type: 'exit', value });
  worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  const stopRecording = () => worker.off('message', onMessage).off('error', onError).off('exit', onExit);
  const idle = setTimeout(() => {
    if (slot[PRESTARTED]?.worker !== worker) return;
    slot[PRESTARTED] = undefined;
    stopRecording();
    void worker.terminate();
  }, PRESTART_IDLE_MS);
  idle.unref();
  slot[PRESTARTED] = { worker, script, startedAt, events, stopRecording, idle };
}

/**
 * The prestarted worker of `script`, once: its events so far are handed over (to be replayed after the
 * caller attached its listeners, in the same tick), and it records nothing more.
 */
export function takePrestartedWorker(script: string): { worker: Worker; startedAt: number; events: WorkerEvent[] } | undefined {
  const p = slot[PRESTARTED];
  if (!p || p.script !== script) return undefined;
  slot[PRESTARTED] = undefined;
  clearTimeout(p.idle);
  p.stopRecording();
  return { worker: p.worker, startedAt: p.startedAt, events: p.events };
}
