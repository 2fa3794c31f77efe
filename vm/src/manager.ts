// Starts, stops and reports on named test VMs: image (cached build) -> QEMU daemon -> wait until
// `ssh true` works -> state file. Used by the `vm` command and by the VM test suite. A running VM is
// driven through the remote engine: its `session` is a TargetSession on the VM's own ssh config.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TargetSession } from '../../engine/src/targetSession';
import { AccelRequest, chooseAccel } from './accel';
import { ensureImage } from './image';
import { DEFAULT_KERNEL, DEFAULT_LSM, KernelSeries } from './kernels';
import { cacheDir, instanceDir } from './paths';
import { freeLoopbackPort } from './ports';
import { launchQemu, QemuLaunchError } from './qemu';
import { vmTarget, writeSshFiles } from './ssh';
import { isOurQemu, readState, removeState, VmState, writeState } from './state';

export const DEFAULT_NAME = 'default';

export interface StartOptions {
  name?: string;
  kernel?: KernelSeries;
  lsm?: string;
  accel?: AccelRequest;
  memoryMb?: number;
  cpus?: number;
  /** Guest powers off by itself after this long; 0 (default) = runs until stopped. */
  lifetimeSeconds?: number;
  /** From QEMU launch to a working `ssh true`. Software emulation on a busy CI box is slow. */
  bootTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface RunningVm {
  state: VmState;
  /** The engine's session on the VM, connected (one master connection); stopVm closes it. */
  session: TargetSession;
}

/** Sessions of the VMs this process started, closed when their VM stops. */
const sessions = new Map<string, TargetSession>();

/**
 * A TargetSession on a VM's ssh config (not yet connected; the caller closes it). Its vmlinux.h cache
 * is the VM cache's `btf/` folder, shared by every VM of the same kernel build.
 */
export function vmSession(sshConfig: string): TargetSession {
  return new TargetSession(vmTarget(sshConfig), { btfCache: path.join(cacheDir(), 'btf') });
}

const READY_MARK = 'bpf-lsm-vm: ready';

function tail(file: string, lines = 25): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no serial output)';
  }
}

function killPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Waits for the guest's readiness line on the serial log, then for the session to connect (`ssh true`). */
async function waitForSsh(session: TargetSession, pid: number, name: string, serialLog: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (!isOurQemu(pid, name)) throw new Error(`QEMU exited during boot. Serial console:\n${tail(serialLog)}`);
    const ready = fs.existsSync(serialLog) && fs.readFileSync(serialLog, 'utf8').includes(READY_MARK);
    if (ready) {
      try {
        // A short connect timeout while polling; a later reconnection gets the usual one.
        await session.connect({ connectTimeoutSeconds: 3 });
        return;
      } catch (e) {
        lastError = (e as Error).message;
      }
    }
    await sleep(ready ? 300 : 200);
  }
  throw new Error(
    `VM not reachable over SSH after ${timeoutMs / 1000} s (last ssh error: ${lastError || 'guest not ready'}).` +
      ` Serial console:\n${tail(serialLog)}`,
  );
}

export async function startVm(opts: StartOptions = {}): Promise<RunningVm> {
  const name = opts.name ?? DEFAULT_NAME;
  const kernel = opts.kernel ?? DEFAULT_KERNEL;
  const lsm = opts.lsm ?? DEFAULT_LSM;
  const log = opts.log ?? (() => undefined);

  const existing = readState(name);
  if (existing && isOurQemu(existing.pid, name)) {
    throw new Error(`VM '${name}' is already running (pid ${existing.pid}, port ${existing.port}); stop it first`);
  }
  removeState(name);

  const image = await ensureImage(kernel);
  const accel = await chooseAccel(opts.accel ?? 'auto', image);
  const dir = instanceDir(name);
  fs.mkdirSync(dir, { recursive: true });
  const files = {
    serialLog: path.join(dir, 'serial.log'),
    pidFile: path.join(dir, 'qemu.pid'),
    qemuLog: path.join(dir, 'qemu.log'),
  };

  // The port is free when picked but QEMU binds it later: retry on a lost race.
  let pid: number;
  let port: number;
  const t0 = Date.now();
  for (let attempt = 1; ; attempt++) {
    port = await freeLoopbackPort();
    try {
      pid = await launchQemu({
        name,
        image,
        accel,
        sshPort: port,
        lsm,
        memoryMb: opts.memoryMb ?? 1024,
        // One vCPU: under TCG, attaching a BPF trampoline patches kernel text while another vCPU may run it,
        // and the emulated cross-CPU patching can oops the guest (int3 in bpf_lsm_file_open, seen here).
        cpus: opts.cpus ?? 1,
        lifetimeSeconds: opts.lifetimeSeconds ?? 0,
        ...files,
      });
      break;
    } catch (e) {
      if (!(e instanceof QemuLaunchError && e.portInUse && attempt < 3)) throw e;
    }
  }
  log(`QEMU pid ${pid}: kernel ${image.release}, ${accel}, lsm=${lsm}, ssh on 127.0.0.1:${port}`);

  const sshConfig = writeSshFiles({ dir, port, hostKeyPub: image.hostKeyPub, clientKey: image.clientKey });
  // The session that polls the booting guest keeps its connection for the VM's users.
  const session = vmSession(sshConfig);
  try {
    await waitForSsh(session, pid, name, files.serialLog, opts.bootTimeoutMs ?? 180_000);
  } catch (e) {
    killPid(pid, 'SIGKILL');
    await session.close();
    throw e;
  }
  sessions.set(name, session);
  const state: VmState = {
    name,
    pid,
    port,
    kernel,
    release: image.release,
    lsm,
    accel,
    startedAt: new Date().toISOString(),
    bootSeconds: (Date.now() - t0) / 1000,
    sshConfig,
    serialLog: files.serialLog,
  };
  writeState(state);
  return { state, session };
}

/** The VM's QEMU pid from its state, or from QEMU's own pid file while it is still booting. */
function qemuPid(name: string): number | undefined {
  const state = readState(name);
  if (state) return state.pid;
  try {
    const pid = Number(fs.readFileSync(path.join(instanceDir(name), 'qemu.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Kills the VM's QEMU (TERM, then KILL) and removes its state. False if it was not running.
 * forget: also delete the instance folder (serial log, ssh config), as tests do for their VMs.
 */
export async function stopVm(name = DEFAULT_NAME, opts: { forget?: boolean } = {}): Promise<boolean> {
  await sessions
    .get(name)
    ?.close()
    .catch(() => undefined);
  sessions.delete(name);
  const pid = qemuPid(name);
  let wasRunning = false;
  if (pid && isOurQemu(pid, name)) {
    wasRunning = true;
    killPid(pid, 'SIGTERM');
    for (let i = 0; i < 50 && isOurQemu(pid, name); i++) await sleep(100);
    if (isOurQemu(pid, name)) killPid(pid, 'SIGKILL');
    for (let i = 0; i < 50 && isOurQemu(pid, name); i++) await sleep(100);
    if (isOurQemu(pid, name)) throw new Error(`QEMU pid ${pid} did not exit`);
  }
  removeState(name);
  fs.rmSync(path.join(instanceDir(name), 'qemu.pid'), { force: true });
  if (opts.forget) fs.rmSync(instanceDir(name), { recursive: true, force: true });
  return wasRunning;
}

/** Synchronous SIGKILL, for exit and signal handlers that cannot wait for stopVm. */
export function killVmNow(name = DEFAULT_NAME, opts: { forget?: boolean } = {}): void {
  sessions.get(name)?.closeNow();
  sessions.delete(name);
  const pid = qemuPid(name);
  if (pid && isOurQemu(pid, name)) killPid(pid, 'SIGKILL');
  if (opts.forget) fs.rmSync(instanceDir(name), { recursive: true, force: true });
}

export interface VmStatus {
  running: boolean;
  /** `ssh true` answered (only checked when running). */
  responsive: boolean;
  sshSeconds?: number;
  state?: VmState;
}

export async function vmStatus(name = DEFAULT_NAME): Promise<VmStatus> {
  const state = readState(name);
  if (!state || !isOurQemu(state.pid, name)) return { running: false, responsive: false, state };
  const t = Date.now();
  const session = vmSession(state.sshConfig);
  let responsive = false;
  try {
    responsive = (await session.exec(['true'], { timeoutMs: 15000 })).exitCode === 0;
  } catch {
    // not answering
  } finally {
    await session.close();
  }
  return { running: true, responsive, sshSeconds: (Date.now() - t) / 1000, state };
}

/** The state of a VM started earlier (e.g. by `vm start` in another process); throws unless it runs. */
export function runningState(name = DEFAULT_NAME): VmState {
  const state = readState(name);
  if (!state || !isOurQemu(state.pid, name)) throw new Error(`VM '${name}' is not running (npm run vm -- start)`);
  return state;
}
