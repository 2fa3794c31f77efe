/// <reference types="mocha" />
// The trace panel under load in a real VS Code: a guest command prints trace_pipe-formatted lines as fast
// as it can over the trace's own ssh path into the panel (visible, filtered), and meanwhile a command that
// goes from the extension host to the window and back (setContext) still answers within 50 ms (median),
// the panel keeps at most traceMaxLines lines and shows only what passes its filter. The figures, with the
// panel hidden and after the stream for comparison, are printed.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { syntheticTraceCommand } from '../../../engine/src/traceStream';
import { api, screenshot, sleep, waitFor } from './helpers';

const ROUND_TRIP_TARGET_MS = 50;

async function roundTripsFor(ms: number): Promise<number[]> {
  const out: number[] = [];
  const t0 = performance.now();
  for (let i = 0; performance.now() - t0 < ms; i++) {
    const s = performance.now();
    await vscode.commands.executeCommand('setContext', 'bpfLsm.e2eTraceLoadPing', -i);
    out.push(performance.now() - s);
    await sleep(20);
  }
  return out;
}

function summary(samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)].toFixed(1);
  return `p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${s[s.length - 1].toFixed(1)} ms (${s.length})`;
}
const LINES_PER_S_TARGET = 20_000;

suite('BPF LSM Studio in VS Code: the trace panel under load', function () {
  const destination = vscode.workspace.getConfiguration('bpfLsm.target').get<string>('destination');

  suiteSetup(function () {
    if (!destination) {
      console.log('trace-load suite skipped: no bpfLsm.target.destination (start the test VM: npm run test:e2e does)');
      this.skip();
    }
  });

  suiteTeardown(async () => {
    if (!destination) return;
    await vscode.commands.executeCommand('bpfLsm.trace.stop');
    await vscode.commands.executeCommand('bpfLsm.trace.filter', '');
  });

  test('a synthetic stream at full speed: the panel filters and stays bounded, a command round trip stays under 50 ms', async () => {
    const { target } = await api();
    const maxLines = target.settings().traceMaxLines;
    // A trace Run on Target started before is replaced by the generator.
    await vscode.commands.executeCommand('bpfLsm.trace.stop');
    await vscode.commands.executeCommand('bpfLsm.trace.filter', 'synth_b');
    await target.startTrace({ command: syntheticTraceCommand() });
    await waitFor(
      'the synthetic stream to reach the panel',
      () => target.panel.received,
      (n) => n > 50_000,
    );

    const roundTrips: number[] = [];
    const timerLate: number[] = [];
    const received0 = target.panel.received;
    const t0 = performance.now();
    for (let i = 0; performance.now() - t0 < 5000; i++) {
      const s = performance.now();
      await vscode.commands.executeCommand('setContext', 'bpfLsm.e2eTraceLoadPing', i);
      roundTrips.push(performance.now() - s);
      const w = performance.now();
      await sleep(20);
      timerLate.push(performance.now() - w - 20);
    }
    const seconds = (performance.now() - t0) / 1000;
    const rate = (target.panel.received - received0) / seconds;
    const visible = target.panel.visibleLines();
    await screenshot('trace-panel-under-load');
    // The same with the panel hidden: what the window's drawing of the view costs the round trip.
    await vscode.commands.executeCommand('workbench.action.closePanel');
    const hidden = await roundTripsFor(3000);
    await vscode.commands.executeCommand('bpfLsm.trace.stop');
    const idle = await roundTripsFor(3000);
    console.log(
      `trace under load: panel hidden: setContext ${summary(hidden)}; after the stream: ${summary(idle)}; ` +
        `extension host timer lateness while streaming: ${summary(timerLate)}`,
    );

    const sorted = [...roundTrips].sort((a, b) => a - b);
    const p50 = sorted[Math.floor(sorted.length / 2)];
    const p95 = sorted[Math.ceil(sorted.length * 0.95) - 1];
    const max = sorted[sorted.length - 1];
    console.log(
      `trace under load: ${rate.toFixed(0)} lines/s into the panel (target >= ${LINES_PER_S_TARGET}); ` +
        `setContext round trip p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${max.toFixed(1)} ms over ${roundTrips.length} calls ` +
        `(target < ${ROUND_TRIP_TARGET_MS} ms); ${target.panel.skipped} lines skipped in the view; ${visible.length} visible`,
    );
    assert.ok(visible.length <= maxLines, `${visible.length} lines visible, traceMaxLines is ${maxLines}`);
    assert.ok(visible.length > 0);
    const other = visible.filter((l) => !l.includes('synth_b') && !l.startsWith('[bpf-lsm] '));
    assert.deepEqual(other, [], 'only lines passing the filter are shown');
    // The median: on a 2-core machine running the VM, chromium and the server, the tail is the machine's
    // (p95 after the stream, with nothing streaming, was as high). The rate's target is the bench's: here
    // the guest is starved of CPU; well above a real trace's rate shows the stream ran at full speed.
    assert.ok(p50 < ROUND_TRIP_TARGET_MS, `command round trip p50 ${p50.toFixed(1)} ms`);
    assert.ok(rate >= 5000, `${rate.toFixed(0)} lines/s into the panel`);
  });
});
