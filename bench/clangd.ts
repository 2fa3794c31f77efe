// Side by side with clangd (Debian bookworm's clangd 14, fetched by bench/fetch-clangd.sh): the same
// 30-line program with vmlinux.h on disk, opened in each server, then the same 30 toggling edits, each
// timed until that version's diagnostics, as an editor sees them (each server with its own default
// debounce). Target: our per-edit median at most 0.2x clangd's.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../common/repoRoot';
import { smallProgram } from '../test/helpers/corpus';
import { LspProcess, togglingEdit } from './lspProcess';
import { summarise } from './stats';

const EDITS = 30;
const TARGET_RATIO = 0.2;

interface Run {
  first: number;
  edits: number[];
  diagnostics: number;
}

async function measure(server: LspProcess, text: string, t0: number): Promise<Run> {
  const opened = await server.open(text);
  const first = performance.now() - t0;
  const edits: number[] = [];
  for (let i = 0; i < EDITS; i++) edits.push(await server.edit(togglingEdit(text, (l) => l.includes('bpf_printk'), i)));
  return { first, edits, diagnostics: opened.diagnostics.length };
}

/** clangd and its library path, or why it cannot be had. */
function fetchClangd(): { clangd: string; libs: string; vmlinux: string } | { reason: string } {
  try {
    const out = execFileSync('bash', [path.join(REPO_ROOT, 'bench', 'fetch-clangd.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const [clangd, libs] = out.trim().split('\n');
    return { clangd, libs, vmlinux: path.join(REPO_ROOT, '.cache', 'clangd', 'vmlinux.h') };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { reason: (e.stderr || e.message).trim().split('\n').slice(-3).join(' / ') };
  }
}

export async function benchClangd(): Promise<void> {
  console.log(`\n== Side by side with clangd (same program with vmlinux.h, ${EDITS} toggling edits, default debounce each) ==`);
  const got = fetchClangd();
  if ('reason' in got) {
    console.log(`clangd comparison NOT RUN: clangd could not be had (${got.reason})`);
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-bench-clangd-'));
  try {
    const text = smallProgram();
    const file = path.join(dir, 'prog.bpf.c');
    fs.writeFileSync(file, text);
    fs.copyFileSync(got.vmlinux, path.join(dir, 'vmlinux.h'));
    // How a libbpf project compiles it; bpf/bpf_helpers.h from the host's libbpf headers, as for clang.
    fs.writeFileSync(path.join(dir, 'compile_flags.txt'), ['-target', 'bpf', '-D__TARGET_ARCH_x86', '-O2', '-I.'].join('\n') + '\n');

    let t0 = performance.now();
    const clangd = await LspProcess.start(got.clangd, ['--background-index=false', '--log=error'], file, {
      ...process.env,
      LD_LIBRARY_PATH: got.libs,
    });
    let theirs: Run;
    try {
      theirs = await measure(clangd, text, t0);
    } finally {
      await clangd.stop();
    }
    t0 = performance.now();
    const server = await LspProcess.start(process.execPath, [path.join(REPO_ROOT, 'dist', 'server.js'), '--stdio'], file);
    let ours: Run;
    try {
      ours = await measure(server, text, t0);
    } finally {
      await server.stop();
    }

    const lines = text.split('\n').length;
    const row = (name: string, r: Run) => {
      const s = summarise(r.edits);
      console.log(
        `${name.padEnd(22)} first diagnostics ${r.first.toFixed(0).padStart(5)} ms   per edit median ${s.median.toFixed(1)} ms  p95 ${s.p95.toFixed(1)} ms  (${r.diagnostics} diagnostics on open)`,
      );
      return s.median;
    };
    console.log(`program: ${lines} lines, #include "vmlinux.h" (${(fs.statSync(got.vmlinux).size / 1048576).toFixed(1)} MB)`);
    const theirMedian = row('clangd 14', theirs);
    const ourMedian = row('bpf-lsm server', ours);
    const ratio = ourMedian / theirMedian;
    console.log(
      `${'per edit, ours / clangd at the median'.padEnd(58)} ${ratio.toFixed(2)}x  target <= ${TARGET_RATIO}x: ${ratio <= TARGET_RATIO ? 'met' : 'MISSED'}`,
    );
    console.log(`${'first diagnostics, ours / clangd'.padEnd(58)} ${(ours.first / theirs.first).toFixed(2)}x`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
