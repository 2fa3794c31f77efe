// Policy-test figures, measured side by side in one run: the per-case overhead of the runner against
// the same action run by ssh directly (same VM, same program attached), and the wall time of the
// examples' and templates' policy tests on every VM kernel (boots included).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { actionArgv } from '../engine/src/actionHelper';
import { listTemplates, renderProject, writeProject } from '../common/templates';
import { REPO_ROOT } from '../common/repoRoot';
import { runPolicyTests } from '../policy/src/runner';
import { findPolicyTestFiles, loadPolicyTestFile, parsePolicyTestFile } from '../policy/src/testFile';
import { VmPool } from '../policy/src/vmPool';
import { KERNEL_SERIES } from '../vm/src/kernels';
import { summarise } from './stats';

const CASES = 25;
const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
const row = (label: string, value: string) => console.log(`${label.padEnd(58)} ${value}`);

function loadAll(files: string[]) {
  return files.map((f) => {
    const r = loadPolicyTestFile(f);
    if (!r.file) throw new Error(`${f}: ${r.problems.map((p) => `${p.line}: ${p.message}`).join('; ')}`);
    return r.file;
  });
}

export async function benchPolicy(): Promise<void> {
  console.log('\n== Policy tests (local test VMs under QEMU TCG) ==');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-policy-'));
  const pool = new VmPool({ maxVms: 1, lifetimeSeconds: 1800 });
  process.once('exit', () => pool.killNow());
  try {
    // Per case: CASES opens of the denied file through the runner vs the helper alone over ssh.
    const program = path.join(REPO_ROOT, 'examples', 'deny-open.bpf.c');
    const yaml = [
      `program: ${program}`,
      'setup: echo secret > /tmp/lsm-secret',
      'cases:',
      ...Array.from({ length: CASES }, (_, i) => `  - { name: "open ${i}", open: /tmp/lsm-secret, expect: denied }`),
    ].join('\n');
    const parsed = parsePolicyTestFile(yaml, path.join(work, 'overhead.lsmtest.yaml'));
    if (!parsed.file) throw new Error(parsed.problems.map((p) => p.message).join('; '));
    const summary = await runPolicyTests({ files: [parsed.file], kernels: ['6.12'], defaultKernels: [] }, {}, { pool });
    const perCase = summarise(summary.runs[0].cases.slice(1).map((c) => c.durationMs)).median;

    const lease = await pool.acquire('6.12');
    let direct: number;
    try {
      const session = lease.session;
      await session.check(['sh', '-c', 'echo secret > /tmp/lsm-secret']);
      await session.attachObject((await session.compile(program)).object, { key: 'bench' });
      const argv = actionArgv({ kind: 'open', path: '/tmp/lsm-secret', flags: [] }, await session.actionHelper());
      const samples: number[] = [];
      for (let i = 0; i < CASES; i++) {
        const t0 = performance.now();
        await session.exec(argv);
        samples.push(performance.now() - t0);
      }
      direct = summarise(samples.slice(1)).median;
      await session.detach('bench');
    } finally {
      pool.markDirty(lease);
      pool.release(lease);
    }
    row('policy case (runner: action + trace + checks), median', fmt(perCase));
    row('the same action by ssh directly, median', fmt(direct));
    const overhead = ((perCase - direct) / direct) * 100;
    row('per-case overhead of the runner', `${overhead.toFixed(1)} %  target <= 20 %: ${overhead <= 20 ? 'met' : 'MISSED'}`);
    await pool.dispose();

    // The examples' and templates' matrix on every VM kernel, as `bpf-lsm-test --kernel all` runs it.
    const templates = path.join(REPO_ROOT, 'bpf-templates');
    for (const t of listTemplates(templates)) {
      const name = `t_${t.id.replace(/-/g, '_')}`;
      writeProject(work, name, renderProject(templates, t.id, name));
    }
    const files = loadAll(
      findPolicyTestFiles([path.join(REPO_ROOT, 'examples'), work]).filter((f) => !f.endsWith('overhead.lsmtest.yaml')),
    );
    const jobs = os.availableParallelism();
    const t0 = performance.now();
    const matrix = await runPolicyTests({ files, kernels: [...KERNEL_SERIES], defaultKernels: [] }, {}, { jobs });
    const wall = performance.now() - t0;
    const cases = matrix.runs.reduce((n, r) => n + r.cases.length, 0);
    row(
      `examples + templates matrix (${files.length} files x ${KERNEL_SERIES.length} kernels, -j ${jobs})`,
      `${(wall / 1000).toFixed(1)} s wall, ${cases} cases, ${matrix.passed} passed, ${matrix.failed} failed (boots included)`,
    );
  } finally {
    await pool.dispose();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
