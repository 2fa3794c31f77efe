// The linter as a user or CI starts it, side by side in one run: node's own start-up (`node -e 0`),
// `node dist/cli.js` on the 30-line program, clang compiling the same file against vmlinux.h (the
// product's command line, engine/src/buildBpf.ts), 500 files in one call, and the ways of starting the
// installed bin (npx, node_modules/.bin, node on the file). Wall time of a child process, medians.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../common/repoRoot';
import { clangArgs } from '../engine/src/buildBpf';
import { smallProgram } from '../test/helpers/corpus';
import { summarise } from './stats';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

/** Wall time of one run, in ms; throws when the command fails for another reason than findings (exit 1). */
function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): number {
  const t0 = performance.now();
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  const ms = performance.now() - t0;
  if (r.error) throw r.error;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${command} ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return ms;
}

/** bpftool where root's PATH has it and a user's may not. */
function findBpftool(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  return dirs.map((d) => path.join(d, 'bpftool')).find((f) => fs.existsSync(f));
}

/** A vmlinux.h for clang: this machine's BTF dumped by bpftool, else one the VM tooling made. */
function writeVmlinuxH(dir: string): string | undefined {
  const target = path.join(dir, 'vmlinux.h');
  const bpftool = findBpftool();
  if (bpftool && fs.existsSync('/sys/kernel/btf/vmlinux')) {
    const r = spawnSync(bpftool, ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], {
      encoding: 'utf8',
      maxBuffer: 512 * 1024 * 1024,
    });
    if (r.status === 0) {
      fs.writeFileSync(target, r.stdout);
      return 'this machine (bpftool btf dump /sys/kernel/btf/vmlinux)';
    }
  }
  const btfCache = path.join(process.env.BPF_LSM_VM_CACHE || path.join(REPO_ROOT, '.cache', 'vm'), 'btf');
  const made = fs.existsSync(btfCache)
    ? fs
        .readdirSync(btfCache)
        .map((d) => path.join(btfCache, d, 'vmlinux.h'))
        .filter((f) => fs.existsSync(f))
    : [];
  if (made.length === 0) return undefined;
  fs.copyFileSync(made[0], target);
  return made[0];
}

/** A `node -e` script: web-tree-sitter and the C grammar from dist/, one parse of `file`, with the linter's V8 flag. */
function parseOneFile(file: string): string {
  const dist = JSON.stringify(path.join(REPO_ROOT, 'dist'));
  const webTreeSitter = JSON.stringify(require.resolve('web-tree-sitter'));
  return `require('node:v8').setFlagsFromString('--liftoff-only');
    const fs = require('node:fs'), path = require('node:path');
    const { Parser, Language } = require(${webTreeSitter});
    Parser.init({ locateFile: () => path.join(${dist}, 'web-tree-sitter.wasm') })
      .then(() => Language.load(fs.readFileSync(path.join(${dist}, 'tree-sitter-c.wasm'))))
      .then((c) => { const p = new Parser(); p.setLanguage(c); p.parse(fs.readFileSync(${JSON.stringify(file)}, 'utf8')); });`;
}

function hasCommand(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
}

const ms = (x: number) => `${x.toFixed(0)} ms`;
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

export function benchLinter(): void {
  console.log('\n== Linter start-up (wall time of a child process, medians) ==');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-bench-linter-'));
  try {
    const small = path.join(dir, 'small.bpf.c');
    fs.writeFileSync(small, smallProgram());
    const many = fs.mkdtempSync(path.join(dir, 'many-'));
    const manyFiles: string[] = [];
    for (let i = 0; i < 500; i++) {
      const file = path.join(many, `prog${i}.bpf.c`);
      fs.writeFileSync(file, smallProgram().replace('deny_open_0', `deny_open_${i}`));
      manyFiles.push(file);
    }
    const vmlinux = hasCommand('clang') ? writeVmlinuxH(dir) : undefined;
    const clang = () => run('clang', clangArgs(small, path.join(dir, 'small.bpf.o'), dir, os.arch() === 'arm64' ? 'aarch64' : 'x86_64'));

    // Once each first: the page cache warm, the linter's code cache written (as after any first run).
    run(process.execPath, ['-e', '0']);
    run(process.execPath, [CLI, small]);
    if (vmlinux) clang();

    // Interleaved rounds, so that a busy moment of the machine costs each the same.
    const rounds = 21;
    const node: number[] = [];
    const lint: number[] = [];
    const parseOnly: number[] = [];
    const compile: number[] = [];
    for (let i = 0; i < rounds; i++) {
      node.push(run(process.execPath, ['-e', '0']));
      lint.push(run(process.execPath, [CLI, small]));
      parseOnly.push(run(process.execPath, ['-e', parseOneFile(small)]));
      if (vmlinux) compile.push(clang());
    }
    const nodeMs = summarise(node).median;
    const lintMs = summarise(lint).median;
    const row = (label: string, value: string, target = '') => console.log(`${label.padEnd(58)} ${value}${target}`);
    row('node -e 0', ms(nodeMs));
    row(
      'node dist/cli.js, one 30-line file',
      `${ms(lintMs)} (p95 ${ms(summarise(lint).p95)}); node + ${ms(lintMs - nodeMs)}`,
      `  target node + 50 ms: ${verdict(lintMs - nodeMs <= 50)}`,
    );
    // The floor of any linter on tree-sitter's WASM: its runtime and grammar set up, the file parsed once
    // (V8 compiles each WASM function when it first runs), nothing of ours.
    const parseMs = summarise(parseOnly).median;
    row('node, tree-sitter set up and one parse (the floor of the above)', `${ms(parseMs)}; node + ${ms(parseMs - nodeMs)}`);
    if (vmlinux) {
      const clangMs = summarise(compile).median;
      row('clang -O2 -g -target bpf, the same file with vmlinux.h', `${ms(clangMs)}  (vmlinux.h of ${vmlinux})`);
      row('linter / clang', `${(lintMs / clangMs).toFixed(2)}x`, `  target <= 0.3x: ${verdict(lintMs / clangMs <= 0.3)}`);
      // The floor of that ratio: node's own start-up, before a line of ours runs.
      row('node -e 0 / clang (the floor of the ratio above)', `${(nodeMs / clangMs).toFixed(2)}x`);
    } else console.log('clang comparison skipped: no clang, or no vmlinux.h (bpftool and /sys/kernel/btf/vmlinux, or the VM cache)');

    const batch: number[] = [];
    for (let i = 0; i < 3; i++) batch.push(run(process.execPath, [CLI, ...manyFiles]));
    const batchMs = summarise(batch).median;
    row('node dist/cli.js, 500 files in one call', ms(batchMs), `  target <= 5000 ms: ${verdict(batchMs <= 5000)}`);

    benchEntryPoints(dir, small, nodeMs);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The installed package's bin, started three ways from a project that depends on it (the package linked
 * into its node_modules, as npm does): npx, node_modules/.bin, and node on the file.
 */
function benchEntryPoints(dir: string, small: string, nodeMs: number): void {
  const project = path.join(dir, 'project');
  const modules = path.join(project, 'node_modules');
  fs.mkdirSync(path.join(modules, '.bin'), { recursive: true });
  fs.writeFileSync(path.join(project, 'package.json'), '{ "name": "bench-project", "private": true }\n');
  fs.symlinkSync(REPO_ROOT, path.join(modules, 'bpf-lsm-studio'));
  fs.symlinkSync(path.join('..', 'bpf-lsm-studio', 'dist', 'cli.js'), path.join(modules, '.bin', 'bpf-lsm-lint'));
  const ways: [string, string, string[]][] = [
    ['node node_modules/bpf-lsm-studio/dist/cli.js', process.execPath, [path.join('node_modules', 'bpf-lsm-studio', 'dist', 'cli.js')]],
    ['node_modules/.bin/bpf-lsm-lint', path.join(modules, '.bin', 'bpf-lsm-lint'), []],
  ];
  if (hasCommand('npx')) ways.push(['npx --no-install bpf-lsm-lint', 'npx', ['--no-install', 'bpf-lsm-lint']]);
  // The bin's #!/usr/bin/env node must find this node first.
  const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` };
  const samples = ways.map(() => [] as number[]);
  for (const [, command, args] of ways) run(command, [...args, small], { cwd: project, env });
  for (let i = 0; i < 7; i++)
    ways.forEach(([, command, args], w) => samples[w].push(run(command, [...args, small], { cwd: project, env })));
  ways.forEach(([label], w) => {
    const median = summarise(samples[w]).median;
    console.log(`${`installed, ${label}`.padEnd(58)} ${ms(median)} (node + ${ms(median - nodeMs)})`);
  });
}
