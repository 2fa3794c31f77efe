// BTF figures: building the hook table from a full vmlinux BTF, cold (a fresh process) and warm, its
// memory, and bpftool dumping the same BTF as C for scale.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hooksFromBtf } from '../server/src/btf/btfHooks';
import { report, summarise, time } from './stats';

const BTF = '/sys/kernel/btf/vmlinux';

export function benchBtf(): void {
  console.log('\n== Kernel BTF ==');
  if (!fs.existsSync(BTF)) {
    console.log(`skipped: no ${BTF} on this machine`);
    return;
  }
  const data = fs.readFileSync(BTF);
  const script = `
    const t0 = performance.now();
    const data = require('fs').readFileSync(${JSON.stringify(BTF)});
    const before = process.memoryUsage().rss;
    const r = require(${JSON.stringify(path.join(__dirname, '..', 'server', 'src', 'btf', 'btfHooks'))}).hooksFromBtf(data);
    const ms = performance.now() - t0;
    console.log(JSON.stringify({ ms, hooks: r.hooks.length, rssMiB: (process.memoryUsage().rss - before) / 1048576 }));`;
  const cold = Array.from(
    { length: 5 },
    () => JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as { ms: number; hooks: number; rssMiB: number },
  );
  report(
    `hook table from ${(data.length / 1048576).toFixed(1)} MiB vmlinux BTF, cold (fresh process, read + parse)`,
    summarise(cold.map((c) => c.ms)),
    150,
  );
  report(
    'hook table from vmlinux BTF, warm (same process)',
    time(30, () => hooksFromBtf(data)),
    150,
  );
  console.log(
    `${'memory: RSS growth while building it (BTF bytes excluded)'.padEnd(58)} ${cold[0].rssMiB.toFixed(1)} MiB; ${cold[0].hooks} hooks`,
  );
  const bpftool = spawnSync(
    'bash',
    ['-c', `command -v bpftool >/dev/null && TIMEFORMAT=%R; time (bpftool btf dump file ${BTF} format c > /dev/null)`],
    { encoding: 'utf8' },
  );
  const seconds = Number(bpftool.stderr.trim().split('\n').pop());
  if (bpftool.status === 0 && Number.isFinite(seconds))
    console.log(`${'bpftool btf dump file ... format c (for scale)'.padEnd(58)} ${(seconds * 1000).toFixed(0)} ms`);
}
