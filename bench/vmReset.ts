// VM reset by snapshot vs reboot, measured side by side in one run on the local test VM (Linux 6.12
// under QEMU): a fresh boot to ssh ready, the snapshot of the booted guest, then resets to it, each
// after the guest wrote a file the reset must discard. Run alone: node out/bench/vmReset.js
import { killVmNow, resetVm, startVm, stopVm } from '../vm/src/manager';
import { summarise } from './stats';

const NAME = `bench-reset-${process.pid}`;
const RESETS = 5;
const TARGET_MS = 1500;

const label = (s: string) => s.padEnd(58);

export async function benchVmReset(): Promise<void> {
  console.log('\n== VM reset by snapshot vs reboot (local test VM, Linux 6.12 under QEMU) ==');
  if (process.env.BENCH_SKIP_VM) {
    console.log('skipped: BENCH_SKIP_VM is set');
    return;
  }
  process.once('exit', () => killVmNow(NAME, { forget: true }));
  try {
    const vm = await startVm({ name: NAME, kernel: '6.12', lifetimeSeconds: 900, bootTimeoutMs: 240_000, snapshot: true });
    const boot = vm.state.bootSeconds * 1000;
    const snapshot = vm.state.snapshot!;
    let session = vm.session;
    const resets: number[] = [];
    for (let i = 0; i < RESETS; i++) {
      await session.check(['sh', '-c', 'echo dirty > /tmp/after-snapshot']);
      const t0 = performance.now();
      const running = await resetVm(NAME);
      resets.push(performance.now() - t0);
      session = running.session;
      if ((await session.exec(['test', '-e', '/tmp/after-snapshot'])).exitCode !== 1)
        throw new Error('a file written after the snapshot survived the reset');
    }
    const s = summarise(resets);
    console.log(`${label(`VM boot to SSH ready (QEMU ${vm.state.accel}, fresh boot)`)} ${boot.toFixed(0)} ms`);
    console.log(
      `${label('snapshot of the booted guest (stop, migrate to file, cont)')} ${snapshot.ms.toFixed(0)} ms, ${(snapshot.bytes / 1e6).toFixed(0)} MB`,
    );
    console.log(
      `${label('reset to the snapshot (kill, restore, cont, ssh true)')} median ${s.median.toFixed(0)} ms  max ${s.max.toFixed(0)} ms  (${s.runs} resets)`,
    );
    console.log(
      `${label('reset vs boot')} ${(boot / s.median).toFixed(1)}x faster  target reset <= ${TARGET_MS} ms: ${s.median <= TARGET_MS ? 'met' : 'MISSED'}`,
    );
  } finally {
    await stopVm(NAME, { forget: true });
  }
}

if (require.main === module) {
  benchVmReset().catch((err: Error) => {
    console.error(err.stack ?? err.message);
    process.exitCode = 1;
  });
}
