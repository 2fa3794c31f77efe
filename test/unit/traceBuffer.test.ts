// The trace panel's model (engine/src/traceBuffer.ts), with a clock of the test's own: the ring never
// keeps more than traceMaxLines lines, the filter, pause and clear, one write to the view per flush, and
// lines skipped in the view (not in the ring) counted and said. And the engine's TraceStream on a local
// process instead of ssh: lines come in batches. Expected values are literal.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../../common/repoRoot';
import type { SshConnection } from '../../engine/src/sshConnection';
import { LineRing, TraceBuffer } from '../../engine/src/traceBuffer';
import { syntheticTraceCommand, TraceStream } from '../../engine/src/traceStream';

interface Write {
  kind: 'append' | 'replace';
  text: string;
}

/** A buffer whose view writes and scheduled flushes the test sees and runs itself. */
function harness(options: { maxLines: number; viewBudget?: number }) {
  const writes: Write[] = [];
  const timers: { run: () => void; ms: number }[] = [];
  const clock = { now: 0 };
  const buffer = new TraceBuffer({
    ...options,
    sink: { append: (text) => writes.push({ kind: 'append', text }), replace: (text) => writes.push({ kind: 'replace', text }) },
    schedule: (run, ms) => timers.push({ run, ms }),
    now: () => clock.now,
  });
  const tick = () => timers.splice(0).forEach((t) => t.run());
  return { buffer, writes, timers, tick, clock };
}

const range = (from: number, to: number, name = 'l') => Array.from({ length: to - from }, (_, i) => `${name}${from + i}`);

describe('LineRing', () => {
  it('keeps the newest lines up to its capacity, oldest first, and resizes keeping the newest', () => {
    const ring = new LineRing(3);
    for (const l of ['a', 'b', 'c', 'd', 'e']) ring.push(l);
    assert.equal(ring.length, 3);
    assert.deepEqual(ring.toArray(), ['c', 'd', 'e']);
    ring.resize(2);
    assert.deepEqual(ring.toArray(), ['d', 'e']);
    ring.resize(4);
    ring.push('f');
    assert.deepEqual(ring.toArray(), ['d', 'e', 'f']);
    ring.clear();
    assert.deepEqual(ring.toArray(), []);
  });
});

describe('TraceBuffer', () => {
  it('never keeps more than maxLines lines, however many arrive', () => {
    const { buffer } = harness({ maxLines: 100 });
    for (let i = 0; i < 50; i++) buffer.push(range(i * 1000, i * 1000 + 1000));
    assert.equal(buffer.received, 50_000);
    assert.equal(buffer.kept, 100);
    const visible = buffer.visibleLines();
    assert.equal(visible.length, 100);
    assert.equal(visible[0], 'l49900');
    assert.equal(visible[99], 'l49999');
    // What waits for the view is bounded too: the budget (here maxLines, 100) once over twice the budget.
    assert.equal(buffer.waiting, 100);
    assert.equal(buffer.skippedTotal, 49_900);
  });

  it('writes the lines of many batches to the view in one append per flush, at most one flush per 500 ms', () => {
    const { buffer, writes, timers, tick, clock } = harness({ maxLines: 100 });
    clock.now = 10_000;
    buffer.push(['a1', 'a2']);
    buffer.push(['a3']);
    buffer.push(['a4', 'a5']);
    assert.deepEqual(writes, [], 'nothing is written before the flush');
    assert.deepEqual(
      timers.map((t) => t.ms),
      [50],
      'one flush scheduled, 50 ms after the first line after a quiet time',
    );
    clock.now = 10_050;
    tick();
    assert.deepEqual(writes, [{ kind: 'append', text: 'a1\na2\na3\na4\na5\n' }]);
    clock.now = 10_150;
    buffer.push(['a6']);
    assert.deepEqual(
      timers.map((t) => t.ms),
      [400],
      'the next flush 500 ms after the last one',
    );
    tick();
    assert.deepEqual(writes[1], { kind: 'append', text: 'a6\n' });
    tick();
    assert.equal(writes.length, 2, 'no write without new lines');
  });

  it('shows only lines containing the filter, and its own notes always', () => {
    const { buffer, writes, tick } = harness({ maxLines: 100 });
    buffer.push(['cat-1 [000] ...11 1.0: bpf_trace_printk: synth_a: open 1', 'cat-2 [000] ...11 2.0: bpf_trace_printk: synth_b: open 2']);
    buffer.setFilter('synth_b');
    assert.deepEqual(writes, [{ kind: 'replace', text: 'cat-2 [000] ...11 2.0: bpf_trace_printk: synth_b: open 2\n' }]);
    buffer.push(['cat-3 [000] ...11 3.0: bpf_trace_printk: synth_a: open 3', 'cat-4 [001] ...11 4.0: bpf_trace_printk: synth_b: open 4']);
    buffer.note('connection to vm lost; reconnecting in 500 ms');
    tick();
    assert.deepEqual(writes[1], {
      kind: 'append',
      text: 'cat-4 [001] ...11 4.0: bpf_trace_printk: synth_b: open 4\n[bpf-lsm] connection to vm lost; reconnecting in 500 ms\n',
    });
    assert.deepEqual(buffer.visibleLines(), [
      'cat-2 [000] ...11 2.0: bpf_trace_printk: synth_b: open 2',
      'cat-4 [001] ...11 4.0: bpf_trace_printk: synth_b: open 4',
      '[bpf-lsm] connection to vm lost; reconnecting in 500 ms',
    ]);
    buffer.setFilter('');
    assert.equal(writes[2].kind, 'replace');
    assert.equal(writes[2].text.split('\n').length, 6, 'five lines and the final newline: the filter is gone');
  });

  it('skips the oldest lines beyond the view budget of a flush, says how many, and keeps them in the ring', () => {
    const { buffer, writes, tick } = harness({ maxLines: 100, viewBudget: 10 });
    buffer.push(range(0, 15));
    tick();
    assert.deepEqual(writes, [
      {
        kind: 'append',
        text:
          '[bpf-lsm] 5 lines skipped in the view (more than 10 in 500 ms); the last 100 are kept: pause to see them\n' +
          range(5, 15).join('\n') +
          '\n',
      },
    ]);
    assert.equal(buffer.skippedTotal, 5);
    assert.equal(buffer.kept, 15);
    // Pausing shows what the view skipped, from the ring.
    buffer.setPaused(true);
    assert.deepEqual(writes[1], { kind: 'replace', text: range(0, 15).join('\n') + '\n' });
  });

  it('bounds the lines waiting between flushes to twice the view budget', () => {
    const { buffer } = harness({ maxLines: 100, viewBudget: 10 });
    for (let i = 0; i < 20; i++) buffer.push([`l${i}`]);
    assert.equal(buffer.waiting, 20);
    buffer.push(['l20']);
    assert.equal(buffer.waiting, 10, 'over twice the budget: cut back to the budget');
    assert.equal(buffer.skippedTotal, 11);
  });

  it('replaces the view from the ring once maxLines lines were appended, so it never holds more than twice maxLines', () => {
    const { buffer, writes, tick } = harness({ maxLines: 100, viewBudget: 50 });
    buffer.push(range(0, 50));
    tick();
    buffer.push(range(50, 100));
    tick();
    assert.deepEqual(
      writes.map((w) => w.kind),
      ['append', 'append'],
    );
    buffer.push(['l100']);
    tick();
    assert.deepEqual(writes[2], { kind: 'replace', text: range(1, 101).join('\n') + '\n' });
    buffer.push(['l101']);
    tick();
    assert.deepEqual(writes[3], { kind: 'append', text: 'l101\n' });
  });

  it('keeps lines while paused without writing, and shows them on resume', () => {
    const { buffer, writes, timers, tick } = harness({ maxLines: 3 });
    buffer.push(['a']);
    buffer.setPaused(true);
    assert.deepEqual(writes, [{ kind: 'append', text: 'a\n' }], 'pausing flushes what waited');
    buffer.push(['b', 'c', 'd']);
    tick();
    assert.equal(writes.length, 1);
    assert.equal(buffer.isPaused, true);
    buffer.setPaused(false);
    assert.deepEqual(writes[1], { kind: 'replace', text: 'b\nc\nd\n' });
    assert.equal(timers.length, 0);
  });

  it('clears the ring and the view, and shrinks to a smaller maxLines keeping the newest', () => {
    const { buffer, writes } = harness({ maxLines: 5 });
    buffer.push(['a', 'b', 'c', 'd']);
    buffer.setMaxLines(2);
    assert.deepEqual(buffer.visibleLines(), ['c', 'd']);
    buffer.clear();
    assert.deepEqual(writes, [{ kind: 'replace', text: '' }]);
    assert.equal(buffer.kept, 0);
    assert.equal(buffer.waiting, 0);
  });
});

describe('TraceStream', () => {
  /** A connection whose commands run here, as a child process: the stream reads its real output in chunks. */
  function localConnection(): SshConnection {
    const spawnLocal = async (argv: readonly string[]) => {
      const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
      const done = new Promise<void>((resolve) => child.on('close', () => resolve()));
      return {
        subprocess: Object.assign(done, { stdout: child.stdout, stderr: child.stderr, kill: (s: NodeJS.Signals) => child.kill(s) }),
      };
    };
    return { target: { label: 'local' }, run: async () => ({}), spawn: spawnLocal } as unknown as SshConnection;
  }

  async function collect(command: string[], expectLines: number): Promise<string[][]> {
    const batches: string[][] = [];
    let lines = 0;
    let ended!: () => void;
    const all = new Promise<void>((r) => (ended = r));
    const stream = new TraceStream(
      localConnection(),
      '/sys/kernel/tracing',
      {
        lines: (b) => {
          batches.push(b);
          if ((lines += b.length) >= expectLines) ended();
        },
        status: () => undefined,
      },
      { command },
    );
    await stream.start();
    await Promise.race([all, new Promise((r) => setTimeout(r, 10_000))]);
    await stream.stop();
    return batches;
  }

  it('hands the synthetic stream (a block of 10,000 lines, repeated) over in batches of whole lines, far fewer than one per line', async () => {
    const busybox = path.join(REPO_ROOT, '.cache', 'vm', 'sysroot', 'bin', 'busybox');
    const [, , script] = syntheticTraceCommand();
    const local = fs.existsSync(busybox) ? script.replace("awk '", `${busybox} awk '`) : script;
    const batches = await collect(['sh', '-c', `(${local}) | head -n 20000`], 20_000);
    const lines = batches.flat();
    assert.equal(lines.length, 20_000);
    assert.equal(lines[0], '             cat-200     [000] ...11    15.000000: bpf_trace_printk: synth_b: synthetic open 0');
    assert.equal(lines[19_999], '             cat-249     [001] ...11    15.009999: bpf_trace_printk: synth_a: synthetic open 9999');
    assert.ok(batches.length <= 200, `${batches.length} batches for 20,000 lines`);
  });

  it('keeps a character split between two chunks whole', async () => {
    const batches = await collect(['sh', '-c', "printf 'caf\\303'; sleep 0.2; printf '\\251 open\\n'"], 1);
    assert.deepEqual(batches, [['café open']]);
  });
});
