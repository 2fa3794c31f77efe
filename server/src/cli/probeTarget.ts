// bpf-lsm-lint --probe-target DEST: asks a target's kernel itself what BPF LSM allows on each hook, through
// the remote engine (the one Run on Target uses): lsm-probe is found on the target or deployed there, run
// as root (or through sudo), and its output joined with the hooks' prototypes from the target's own BTF.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TargetSession, type EngineLog } from '../../../engine/src/targetSession';
import { btfHookTable } from '../btf/btfCache';
import { probedKernel, type ProbedKernel } from '../hooks/probedKernel';

export interface ProbeTargetOptions {
  /** An ssh destination: an alias, user@host or user@host:port. */
  destination: string;
  /** An ssh_config of its own (ssh -F). */
  configFile?: string;
  /** Privileged commands through `sudo -n` (a login that is not root). */
  sudo?: boolean;
  log?: EngineLog;
}

/**
 * The prober shipped for a machine: next to the bundled CLI (dist/lsm-probe-MACHINE), or in a development
 * checkout the one `npm run package` put in dist/, else the test VM's (x86_64).
 */
export function shippedProber(machine: string): string | undefined {
  const candidates = [path.join(__dirname, `lsm-probe-${machine}`)];
  // Looked for only here: the bundled CLI may run from a folder with no package.json above it.
  const root = packageRoot(__dirname);
  if (root) candidates.push(path.join(root, 'dist', `lsm-probe-${machine}`));
  const vmCache = process.env.BPF_LSM_VM_CACHE || (root && path.join(root, '.cache', 'vm'));
  if (vmCache && machine === 'x86_64') candidates.push(path.join(vmCache, 'prober', 'lsm-probe'));
  return candidates.find((f) => fs.existsSync(f));
}

function packageRoot(start: string): string | undefined {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Probes the target's kernel; rejects with the engine's errors (SshError, TargetError) or FactsError. */
export async function probeTarget(options: ProbeTargetOptions): Promise<ProbedKernel> {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-probe-'));
  const session = new TargetSession(
    { destination: options.destination, configFile: options.configFile, sudo: options.sudo },
    { btfCache: cache, shippedProber, log: options.log },
  );
  // Interrupted: the ssh master and the local files go too.
  const onSignal = () => {
    session.closeNow();
    fs.rmSync(cache, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    const report = await session.preflight();
    if (!report.btf)
      throw new Error(`${session.label} has no /sys/kernel/btf/vmlinux: its kernel has no BTF to probe (CONFIG_DEBUG_INFO_BTF=y)`);
    const { file } = await session.probeHooks();
    const btf = await (await session.connect()).readBinary(['cat', '/sys/kernel/btf/vmlinux'], { timeoutMs: 120_000 });
    return probedKernel(JSON.parse(fs.readFileSync(file, 'utf8')), btfHookTable(btf), session.label);
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await session.close();
    fs.rmSync(cache, { recursive: true, force: true });
  }
}
