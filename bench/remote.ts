// Run-on-target figures against the local test VM, measured side by side in one run: compile + attach
// through the remote engine (TargetSession, the extension's code path) vs the same steps as plain shell
// commands; trace panel throughput and first-line latency; VM boot to SSH ready.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { killVmNow, startVm, stopVm } from '../vm/src/manager';
import { summarise } from './stats';

const NAME = `bench-${process.pid}`;
const RUNS = 5;

function program(dir: string, secret: string): string {
  const repo = path.resolve(__dirname, '..', '..');
  const text = fs
    .readFileSync(path.join(repo, 'bpf-templates', 'programs', 'deny-file-open.bpf.c'), 'utf8')
    .replace(/\{\{name\}\}/g, 'bench')
    .replace(/"lsm-secret"/g, JSON.stringify(secret));
  const file = path.join(dir, 'bench.bpf.c');
  fs.writeFileSync(file, text);
  return file;
}

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

export async function benchRemote(): Promise<void> {
  console.log('\n== Run on target (local test VM, Linux 6.12 under QEMU TCG) ==');
  process.once('exit', () => killVmNow(NAME, { forget: true }));
  const vm = await startVm({ name: NAME, kernel: '6.12', lifetimeSeconds: 900, bootTimeoutMs: 240_000 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-remote-'));
  const target = vm.session;
  try {
    console.log(`${'VM boot to SSH ready'.padEnd(58)} ${vm.state.bootSeconds.toFixed(1)} s`);
    const secret = `bench-${randomBytes(4).toString('hex')}`;
    const source = program(dir, secret);
    await target.requireRunnable();
    const btf = await target.btf();

    // Trace: first-line latency and throughput through the engine's trace stream.
    await target.check(['sh', '-c', `mkdir -p /tmp/bench && echo x > /tmp/bench/${secret}`]);
    const object = await target.deploy((await target.compile(source, { output: path.join(dir, 'ours.o') })).object, '/tmp/bench/ours.o');
    const arrivals: number[] = [];
    const trace = await target.startTrace({
      lines: (batch) => {
        const now = performance.now();
        for (const l of batch) if (l.includes('bench: denied')) arrivals.push(now);
      },
      status: () => undefined,
    });
    if (!trace) throw new Error('the VM has no tracefs');
    const session = await target.attach(object);
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const before = arrivals.length;
      const t0 = performance.now();
      await target.shell(`cat /tmp/bench/${secret} 2>/dev/null; true`);
      while (arrivals.length === before && performance.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 2));
      if (arrivals.length === before) throw new Error('no trace line arrived within 10 s');
      latencies.push(arrivals[arrivals.length - 1] - t0);
    }
    const s = summarise(latencies);
    console.log(`${'trace first-line latency (open on target -> line in panel)'.padEnd(58)} median ${fmt(s.median)}  p95 ${fmt(s.p95)}`);
    const N = 3000;
    const before = arrivals.length;
    const t0 = performance.now();
    await target.shell(`i=0; while [ $i -lt ${N} ]; do cat /tmp/bench/${secret} 2>/dev/null; i=$((i+1)); done; true`, {
      timeoutMs: 300_000,
    });
    while (arrivals.length - before < N && performance.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20));
    const seconds = (arrivals[arrivals.length - 1] - t0) / 1000;
    console.log(
      `${'trace throughput (lines received / s, target-bound)'.padEnd(58)} ${((arrivals.length - before) / seconds).toFixed(0)} lines/s (${arrivals.length - before} of ${N} lines)`,
    );
    await session.detach();
    await target.stopTrace();
    // Ours: what Run on Target does after its once-per-target preflight and BTF fetch (both cached by the
    // session): compile, copy, attach.
    const ours: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const compiled = await target.compile(source, { output: path.join(dir, 'ours.o') });
      await target.attachObject(compiled.object, { key: 'bench' });
      ours.push(performance.now() - t0);
      await target.detach('bench');
    }

    // Plain: clang, ssh copy, ssh load, each ssh a new connection, as a person would type them.
    const cfg = vm.state.sshConfig;
    const script = `
      set -e
      clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -I ${btf.dir} -I ${dir} -c ${source} -o ${dir}/plain.o
      ssh -F ${cfg} bpf-lsm-vm 'mkdir -p /tmp/bench && cat > /tmp/bench/plain.o' < ${dir}/plain.o
      rm -f ${dir}/plain.out
      ssh -F ${cfg} bpf-lsm-vm lsm-loader /tmp/bench/plain.o < <(sleep 120) > ${dir}/plain.out 2>&1 &
      echo $! > ${dir}/plain.pid
      until grep -q '^ready$' ${dir}/plain.out 2>/dev/null; do sleep 0.005; done
    `;
    const plain: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      execFileSync('bash', ['-c', script], { stdio: 'ignore' });
      plain.push(performance.now() - t0);
      // Ending the local ssh ends the loader's session: the program detaches.
      process.kill(Number(fs.readFileSync(path.join(dir, 'plain.pid'), 'utf8')), 'SIGTERM');
    }
    const a = summarise(ours).median;
    const b = summarise(plain).median;
    console.log(`${'compile + copy + attach, Run on Target code path'.padEnd(58)} median ${fmt(a)} (${RUNS} runs)`);
    console.log(`${'compile + copy + attach, plain clang/ssh/ssh commands'.padEnd(58)} median ${fmt(b)} (${RUNS} runs)`);
    console.log(`${'overhead of ours vs plain'.padEnd(58)} ${(((a - b) / b) * 100).toFixed(1)} %  target <= 10 %`);
  } catch (e) {
    const controlDir = target.connection?.controlDir;
    const mlog = controlDir ? path.join(controlDir, 'master.log') : '';
    console.log(
      `master log: ${mlog && fs.existsSync(mlog) ? fs.readFileSync(mlog, 'utf8') : '(none)'}; sockets: ${controlDir && fs.existsSync(controlDir) ? fs.readdirSync(controlDir).join(',') : '(none)'}`,
    );
    console.log(`serial console of the VM (last lines):\n${fs.readFileSync(vm.state.serialLog, 'utf8').split('\n').slice(-25).join('\n')}`);
    throw e;
  } finally {
    await stopVm(NAME, { forget: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
