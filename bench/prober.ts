// The hook prober's time per kernel: lsm-probe asking each test VM kernel (every series of KERNEL_SERIES,
// one VM at a time, under QEMU) what BPF LSM allows on every hook, as TargetSession.probeHooks runs it
// (fresh each time: the cache by BTF checksum would answer at once). Printed: the time on the target
// (lsm-probe's own figure: BTF read and hashed, every load) and with ssh, against the 5 s target.
// Run alone: node out/bench/prober.js
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TargetSession } from '../engine/src/targetSession';
import { KERNEL_SERIES } from '../vm/src/kernels';
import { killVmNow, startVm, stopVm } from '../vm/src/manager';
import { cacheDir } from '../vm/src/paths';
import { vmTarget } from '../vm/src/ssh';
import { summarise } from './stats';

const RUNS = 3;
const TARGET_MS = 5000;

const label = (s: string) => s.padEnd(58);

export async function benchProber(): Promise<void> {
  console.log('\n== Hook prober (lsm-probe on each test VM kernel under QEMU) ==');
  if (process.env.BENCH_SKIP_VM) {
    console.log('skipped: BENCH_SKIP_VM is set');
    return;
  }
  for (const series of KERNEL_SERIES) {
    const name = `bench-prober-${series.replace('.', '')}-${process.pid}`;
    const onExit = () => killVmNow(name, { forget: true });
    process.once('exit', onExit);
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-prober-'));
    let session: TargetSession | undefined;
    try {
      const vm = await startVm({ name, kernel: series, lifetimeSeconds: 900, bootTimeoutMs: 240_000 });
      const prober = path.join(cacheDir(), 'prober', 'lsm-probe');
      session = new TargetSession(vmTarget(vm.state.sshConfig), {
        btfCache: cache,
        shippedProber: (machine) => (machine === 'x86_64' ? prober : undefined),
      });
      await session.prober();
      const onTarget: number[] = [];
      const withSsh: number[] = [];
      let summary = '';
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        const { facts } = await session.probeHooks(true);
        withSsh.push(performance.now() - t0);
        onTarget.push(facts.ms);
        summary = `${facts.release}, ${facts.hooks.length} hooks, ${facts.loads} loads, ${vm.state.accel}`;
      }
      const t = summarise(onTarget);
      const s = summarise(withSsh);
      console.log(
        `${label(`probe of every hook, ${series} (${summary})`)} median ${t.median.toFixed(0)} ms  max ${t.max.toFixed(0)} ms on the target, ` +
          `median ${s.median.toFixed(0)} ms with ssh  target <= ${TARGET_MS} ms: ${t.max <= TARGET_MS ? 'met' : 'MISSED'}`,
      );
    } catch (err) {
      console.log(`${label(`probe of every hook, ${series}`)} failed: ${(err as Error).message}`);
    } finally {
      await session?.close();
      await stopVm(name, { forget: true });
      process.off('exit', onExit);
      fs.rmSync(cache, { recursive: true, force: true });
    }
  }
}

if (require.main === module) {
  benchProber().catch((err: Error) => {
    console.error(err.stack ?? err.message);
    process.exitCode = 1;
  });
}
