// The trace panel under load. A guest command prints trace_pipe-formatted lines as fast as it can
// (`syntheticTraceCommand`), read over the same ssh path as trace_pipe (TargetSession.startTrace: a
// dedicated connection on a terminal), split by the engine and ingested by the panel's model
// (TraceBuffer, with the panel's filter and its view budget) whose view writes go to a file, as VS Code's
// output channels write theirs. Meanwhile: peak heap, and the round trip of a message from another thread
// through this event loop (how a command reaches the extension host) and a timer's lateness.
// Without a VM, the same model is fed the generator's output from memory: the ceiling of the ingest, and
// the panel as it was before (a write to the view per line) for comparison.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { TraceBuffer, type TraceSink } from '../engine/src/traceBuffer';
import type { TargetSession } from '../engine/src/targetSession';
import { splitTraceChunk, syntheticTraceCommand } from '../engine/src/traceStream';
import { killVmNow, startVm, stopVm } from '../vm/src/manager';
import { summarise } from './stats';

const TARGET_LINES_PER_S = 20_000;
const TARGET_ROUND_TRIP_MS = 50;
const MAX_LINES = 5000; // bpfLsm.target.traceMaxLines' default
const FILTER = 'synth_b'; // a quarter of the synthetic lines
const STREAM_SECONDS = 10;
const NAME = `bench-trace-${process.pid}`;
const MiB = 1024 * 1024;

/** A view that writes like a file-backed output channel: each write goes to its file at once. */
class FileSink implements TraceSink {
  private readonly fd: number;
  lines = 0;
  bytes = 0;
  constructor(file: string) {
    this.fd = fs.openSync(file, 'w');
  }
  append(text: string): void {
    this.write(text);
  }
  replace(text: string): void {
    fs.ftruncateSync(this.fd, 0);
    this.write(text);
  }
  close(): void {
    fs.closeSync(this.fd);
  }
  private write(text: string): void {
    fs.writeSync(this.fd, text);
    this.bytes += text.length;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.lines++;
  }
}

// Pings the main thread every 20 ms and times the answer: the main loop's responsiveness to a message.
const PINGER = `
const { parentPort } = require('node:worker_threads');
const times = [];
let sent = 0;
parentPort.on('message', (m) => {
  if (m === 'stop') { parentPort.postMessage({ times }); process.exit(0); }
  times.push(performance.now() - sent);
});
setInterval(() => { sent = performance.now(); parentPort.postMessage('ping'); }, 20);
`;

interface Responsiveness {
  stop(): Promise<{ roundTrips: number[]; timerP99: number; timerMax: number }>;
}

function watchResponsiveness(): Responsiveness {
  const worker = new Worker(PINGER, { eval: true });
  worker.on('message', (m) => {
    if (m === 'ping') worker.postMessage('pong');
  });
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  return {
    stop: () =>
      new Promise((resolve) => {
        delay.disable();
        worker.on('message', (m: { times?: number[] }) => {
          if (m.times) resolve({ roundTrips: m.times, timerP99: delay.percentile(99) / 1e6, timerMax: delay.max / 1e6 });
        });
        worker.postMessage('stop');
      }),
  };
}

function watchHeap(): { stop(): { peakHeap: number; peakRss: number } } {
  let peakHeap = 0;
  let peakRss = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  };
  const timer = setInterval(sample, 50);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return { peakHeap, peakRss };
    },
  };
}

const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
const row = (label: string, value: string) => console.log(`${label.padEnd(58)} ${value}`);

/** The generator's output, as the ssh client hands it over: 64 KiB chunks with \r\n line ends. */
function syntheticChunks(lines: number): string[] {
  const text = Array.from(
    { length: lines },
    (_, i) =>
      `${'cat'.padStart(16)}-${String(200 + (i % 50)).padEnd(7)} [${String(i % 2).padStart(3, '0')}] ...11 ${String(15 + Math.floor(i / 1e6)).padStart(5)}.${String(i % 1e6).padStart(6, '0')}: bpf_trace_printk: ${i % 4 ? 'synth_a' : 'synth_b'}: synthetic open ${i}\r\n`,
  ).join('');
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += 65536) chunks.push(text.slice(i, i + 65536));
  return chunks;
}

/** Lines per second through the splitter and `ingest`, from memory, yielding to the loop between chunks. */
async function ingestFromMemory(chunks: string[], ingest: (batch: string[]) => void, seconds: number): Promise<number> {
  let lines = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    let partial = '';
    for (const chunk of chunks) {
      const split = splitTraceChunk(partial, chunk);
      partial = split.partial;
      ingest(split.lines);
      lines += split.lines.length;
      await new Promise((r) => setImmediate(r));
    }
  }
  return lines / ((performance.now() - t0) / 1000);
}

async function benchFromMemory(dir: string): Promise<void> {
  const chunks = syntheticChunks(200_000);
  const sink = new FileSink(path.join(dir, 'view-memory.log'));
  const buffer = new TraceBuffer({ maxLines: MAX_LINES, sink });
  buffer.setFilter(FILTER);
  const watch = watchResponsiveness();
  const rate = await ingestFromMemory(chunks, (batch) => buffer.push(batch), 2);
  const r = await watch.stop();
  buffer.dispose();
  sink.close();
  row(
    'trace ingest ceiling, from memory (split + ring + filter)',
    `${rate.toFixed(0)} lines/s  target >= ${TARGET_LINES_PER_S}: ${verdict(rate >= TARGET_LINES_PER_S)}`,
  );
  row(
    '  message round trip meanwhile',
    `p95 ${summarise(r.roundTrips).p95.toFixed(1)} ms  max ${summarise(r.roundTrips).max.toFixed(1)} ms`,
  );

  // The panel before issue 16: a callback, an array splice and a write to the view for every line.
  const old = new FileSink(path.join(dir, 'view-per-line.log'));
  const kept: string[] = [];
  const before = await ingestFromMemory(
    chunks,
    (batch) => {
      for (const l of batch) {
        kept.push(l);
        if (kept.length > MAX_LINES) kept.splice(0, kept.length - MAX_LINES);
        if (l.includes(FILTER)) old.append(l + '\n');
      }
    },
    2,
  );
  old.close();
  row('  the panel before (a view write per line), for comparison', `${before.toFixed(0)} lines/s`);
}

/** One synthetic stream through the engine into a filtered TraceBuffer, measured for STREAM_SECONDS. */
async function streamOnce(target: TargetSession, file: string, label: string, command: string[]): Promise<void> {
  const sink = new FileSink(file);
  const buffer = new TraceBuffer({ maxLines: MAX_LINES, sink });
  buffer.setFilter(FILTER);
  try {
    const trace = await target.startTrace({ lines: (batch) => buffer.push(batch), status: () => undefined }, { command });
    if (!trace) throw new Error('the VM has no tracefs');
    await Promise.race([trace.firstLineSeen, new Promise((r) => setTimeout(r, 30_000))]);
    await new Promise((r) => setTimeout(r, 1000)); // warm-up
    const heap = watchHeap();
    const watch = watchResponsiveness();
    const received0 = buffer.received;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, STREAM_SECONDS * 1000));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const received = buffer.received - received0;
    const r = await watch.stop();
    const m = heap.stop();
    await target.stopTrace();
    buffer.flush();
    const rate = received / seconds;
    const rt = summarise(r.roundTrips);
    row(
      label,
      `${rate.toFixed(0)} lines/s (${received} lines in ${seconds.toFixed(1)} s)  target >= ${TARGET_LINES_PER_S}: ${verdict(rate >= TARGET_LINES_PER_S)}`,
    );
    row(
      '  kept / written to the view / skipped in the view',
      `${buffer.kept} (traceMaxLines ${MAX_LINES}) / ${sink.lines} lines / ${buffer.skippedTotal}`,
    );
    row(
      '  this process meanwhile: CPU, peak heap, peak rss',
      `${(((cpu.user + cpu.system) / 1e6 / seconds) * 100).toFixed(0)} % of a core, ${(m.peakHeap / MiB).toFixed(1)} MiB, ${(m.peakRss / MiB).toFixed(1)} MiB`,
    );
    row(
      '  message round trip meanwhile (a command reaching the host)',
      `p50 ${rt.median.toFixed(1)} ms  p95 ${rt.p95.toFixed(1)} ms  max ${rt.max.toFixed(1)} ms  target < ${TARGET_ROUND_TRIP_MS} ms: ${verdict(rt.max < TARGET_ROUND_TRIP_MS)}`,
    );
    row('  event-loop delay meanwhile (10 ms timer)', `p99 ${r.timerP99.toFixed(1)} ms  max ${r.timerMax.toFixed(1)} ms`);
  } finally {
    buffer.dispose();
    sink.close();
    await target.stopTrace().catch(() => undefined);
  }
}

async function benchOverSsh(dir: string): Promise<void> {
  process.once('exit', () => killVmNow(NAME, { forget: true }));
  const vm = await startVm({ name: NAME, kernel: '6.12', lifetimeSeconds: 600, bootTimeoutMs: 240_000 });
  try {
    await streamOnce(
      vm.session,
      path.join(dir, 'view-ssh.log'),
      'trace ingest over ssh (synthetic guest stream, filter on)',
      syntheticTraceCommand(),
    );
    // The guest's terminal turning \n into \r\n, as for trace_pipe: on an emulated guest, the limit.
    await streamOnce(
      vm.session,
      path.join(dir, 'view-ssh-crlf.log'),
      'the same, the terminal writing \\r\\n (as trace_pipe has it)',
      syntheticTraceCommand({ crlf: true }),
    );
  } finally {
    await stopVm(NAME, { forget: true });
  }
}

export async function benchTrace(options: { vm: boolean }): Promise<void> {
  console.log('\n== Trace panel under load ==');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-trace-'));
  try {
    await benchFromMemory(dir);
    if (options.vm) await benchOverSsh(dir);
    else row('trace ingest over ssh', 'skipped: BENCH_SKIP_VM is set');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// `node out/bench/trace.js` runs this part alone.
if (require.main === module)
  benchTrace({ vm: !process.env.BENCH_SKIP_VM }).catch((err: Error) => {
    console.error(err.stack ?? err.message);
    process.exitCode = 1;
  });
