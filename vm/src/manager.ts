// Starts, stops, snapshots, resets and reports on named test VMs: image (cached build) -> QEMU daemon
// -> wait until `ssh true` works -> state file (-> snapshot of the just-booted guest). Used by the `vm`
// command, the policy test runner and the VM test suite. A running VM is driven through the remote
// engine: its `session` is a TargetSession on the VM's own ssh config.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TargetSession } from '../../engine/src/targetSession';
import { AccelRequest, chooseAccel } from './accel';
import { describePackage, ensureImage } from './image';
import { DEFAULT_KERNEL, DEFAULT_LSM, describeLsm, KernelSeries } from './kernels';
import { cacheDir, instanceDir } from './paths';
import { freeLoopbackPort } from './ports';
import { launchQemu, QemuLaunchError } from './qemu';
import { finishRestore, removeSnapshotFiles, saveSnapshot, SNAPSHOT_FILE, SnapshotInfo } from './snapshot';
import { vmTarget, writeSshFiles } from './ssh';
import { isOurQemu, QemuLaunch, readState, removeState, VmState, writeState } from './state';

export const DEFAULT_NAME = 'default';

export interface StartOptions {
  name?: string;
  kernel?: KernelSeries;
  /** The lsm= list (default DEFAULT_LSM), or 'default' (KERNEL_DEFAULT_LSM) to boot without one. */
  lsm?: string;
  accel?: AccelRequest;
  memoryMb?: number;
  cpus?: number;
  /** Guest powers off by itself after this long; 0 (default) = runs until stopped. */
  lifetimeSeconds?: number;
  /** From QEMU launch to a working `ssh true`. Software emulation on a busy CI box is slow. */
  bootTimeoutMs?: number;
  /** Take a snapshot once ssh works, for resetVm to return to. */
  snapshot?: boolean;
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

/**
 * Waits for the guest's readiness line on the serial log (a boot; a restored guest prints nothing, its
 * sshd already runs: readyMark false), then for the session to connect (`ssh true`).
 */
async function waitForSsh(
  session: TargetSession,
  pid: number,
  name: string,
  serialLog: string,
  timeoutMs: number,
  readyMark = true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (!isOurQemu(pid, name))
      throw new Error(`QEMU exited during ${readyMark ? 'boot' : 'the restore'}. Serial console:\n${tail(serialLog)}`);
    const ready = !readyMark || (fs.existsSync(serialLog) && fs.readFileSync(serialLog, 'utf8').includes(READY_MARK));
    if (ready) {
      try {
        // A short connect timeout while polling; a later reconnection gets the usual one.
        await session.connect({ connectTimeoutSeconds: 3 });
        return;
      } catch (e) {
        lastError = (e as Error).message;
      }
    }
    await sleep(readyMark ? (ready ? 300 : 200) : 100);
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
  removeSnapshotFiles(dir);
  const launch: QemuLaunch = {
    name,
    image,
    accel,
    lsm,
    memoryMb: opts.memoryMb ?? 1024,
    // One vCPU: under TCG, attaching a BPF trampoline patches kernel text while another vCPU may run it,
    // and the emulated cross-CPU patching can oops the guest (int3 in bpf_lsm_file_open, seen here).
    cpus: opts.cpus ?? 1,
    lifetimeSeconds: opts.lifetimeSeconds ?? 0,
    serialLog: path.join(dir, 'serial.log'),
    pidFile: path.join(dir, 'qemu.pid'),
    qemuLog: path.join(dir, 'qemu.log'),
    qmpSocket: path.join(dir, 'qmp.sock'),
  };

  // The port is free when picked but QEMU binds it later: retry on a lost race.
  let pid: number;
  let port: number;
  const t0 = Date.now();
  for (let attempt = 1; ; attempt++) {
    port = await freeLoopbackPort();
    try {
      pid = await launchQemu({ ...launch, sshPort: port });
      break;
    } catch (e) {
      if (!(e instanceof QemuLaunchError && e.portInUse && attempt < 3)) throw e;
    }
  }
  log(`QEMU pid ${pid}: kernel ${image.release} (${describePackage(image)}), ${accel}, ${describeLsm(lsm)}, ssh on 127.0.0.1:${port}`);

  const sshConfig = writeSshFiles({ dir, port, hostKeyPub: image.hostKeyPub, clientKey: image.clientKey });
  // The session that polls the booting guest keeps its connection for the VM's users.
  const session = vmSession(sshConfig);
  try {
    await waitForSsh(session, pid, name, launch.serialLog, opts.bootTimeoutMs ?? 180_000);
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
    serialLog: launch.serialLog,
    qemu: launch,
  };
  writeState(state);
  if (opts.snapshot) {
    try {
      state.snapshot = await snapshotVm(name);
    } catch (e) {
      await stopVm(name);
      throw e;
    }
    log(`snapshot of the booted guest: ${(state.snapshot.bytes / 1e6).toFixed(0)} MB in ${state.snapshot.ms.toFixed(0)} ms`);
  }
  return { state, session };
}

/**
 * Snapshots a running VM (RAM and devices, through QEMU's migration over QMP) into its instance folder,
 * replacing the one it had; resetVm returns to it. The guest is paused meanwhile and then runs on; it
 * is not asked anything. The snapshot is deleted when the VM stops.
 */
export async function snapshotVm(name = DEFAULT_NAME, opts: { timeoutMs?: number } = {}): Promise<SnapshotInfo> {
  const state = runningState(name);
  if (!state.qemu) throw new Error(`VM '${name}' was started without a QMP socket (by an older version): stop it and start it again`);
  const info = await saveSnapshot(state.qemu.qmpSocket, path.join(instanceDir(name), SNAPSHOT_FILE), opts);
  writeState({ ...(readState(name) ?? state), snapshot: info });
  return info;
}

export interface ResetOptions {
  /** From launching the new QEMU to a working `ssh true`. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

function fileSize(file: string): number | undefined {
  try {
    return fs.statSync(file).size;
  } catch {
    return undefined;
  }
}

/** SIGKILL (nothing of the guest is kept, so nothing to shut down) and waits until the pid is gone. */
async function killQemu(pid: number, name: string): Promise<void> {
  if (!isOurQemu(pid, name)) return;
  killPid(pid, 'SIGKILL');
  for (let i = 0; i < 100 && isOurQemu(pid, name); i++) await sleep(20);
  if (isOurQemu(pid, name)) throw new Error(`QEMU pid ${pid} did not exit after SIGKILL`);
}

/**
 * Returns the VM to its snapshot: kills its QEMU, launches a new one with the same arguments loading
 * the snapshot (`-incoming`), lets it run (`cont`) and waits for `ssh true`. The guest is never asked
 * anything, so this is also how a guest that stopped answering (or whose QEMU exited) comes back.
 * The old session is closed (callers drop theirs) and the returned one is connected; the ssh port is
 * kept if it is still free, else a new one goes into the ssh config and the state.
 */
export async function resetVm(name = DEFAULT_NAME, opts: ResetOptions = {}): Promise<RunningVm> {
  const state = readState(name);
  if (!state) throw new Error(`VM '${name}' is not running (npm run vm -- start --snapshot)`);
  const { snapshot, qemu } = state;
  if (!snapshot || !qemu) {
    throw new Error(`VM '${name}' has no snapshot to reset to: start it with --snapshot, or take one (npm run vm -- snapshot)`);
  }
  const size = fileSize(snapshot.file);
  if (size !== snapshot.bytes) {
    throw new Error(
      `the snapshot of VM '${name}' (${snapshot.file}) is ${size === undefined ? 'missing' : `${size} bytes, not ${snapshot.bytes}`}: start the VM again`,
    );
  }
  const log = opts.log ?? (() => undefined);
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const t0 = Date.now();

  // No goodbye to a guest that may not answer: the session's processes end now, its master connection
  // ends with the QEMU it talks to.
  const old = sessions.get(name);
  sessions.delete(name);
  old?.closeNow();
  await killQemu(state.pid, name);
  await old?.close().catch(() => undefined);
  const tKilled = Date.now();

  // The port is ours again unless someone took it meanwhile: then a new one, and a new ssh config.
  let port = state.port;
  let pid: number;
  for (let attempt = 1; ; attempt++) {
    try {
      pid = await launchQemu({ ...qemu, sshPort: port, incoming: snapshot.file });
      break;
    } catch (e) {
      if (!(e instanceof QemuLaunchError && e.portInUse && attempt < 3)) throw e;
      port = await freeLoopbackPort();
    }
  }
  const sshConfig =
    port === state.port && fs.existsSync(state.sshConfig)
      ? state.sshConfig
      : writeSshFiles({ dir: instanceDir(name), port, hostKeyPub: qemu.image.hostKeyPub, clientKey: qemu.image.clientKey });
  // Recorded at once, so that stopVm finds the new QEMU even if the restore fails.
  const next: VmState = { ...state, pid, port, sshConfig };
  writeState(next);
  log(`QEMU pid ${pid} restoring ${snapshot.file}, ssh on 127.0.0.1:${port}`);

  const session = vmSession(sshConfig);
  let tRestored: number;
  try {
    const deadline = Date.now() + timeoutMs;
    await finishRestore(qemu.qmpSocket, { timeoutMs, alive: () => isOurQemu(pid, name) });
    tRestored = Date.now();
    await waitForSsh(session, pid, name, qemu.serialLog, Math.max(1, deadline - Date.now()), false);
  } catch (e) {
    killPid(pid, 'SIGKILL');
    await session.close();
    throw new Error(`reset of VM '${name}' failed: ${(e as Error).message}\nQEMU log: ${tail(qemu.qemuLog, 10) || '(empty)'}`, {
      cause: e,
    });
  }
  sessions.set(name, session);
  const tEnd = Date.now();
  log(`reset in ${tEnd - t0} ms: old QEMU gone ${tKilled - t0} ms, snapshot loaded ${tRestored - tKilled} ms, ssh ${tEnd - tRestored} ms`);
  next.resetSeconds = (tEnd - t0) / 1000;
  next.resets = (state.resets ?? 0) + 1;
  writeState(next);
  return { state: next, session };
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
 * Kills the VM's QEMU (TERM, then KILL) and removes its state and its snapshot. False if it was not
 * running. forget: also delete the instance folder (serial log, ssh config), as tests do for their VMs.
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
  for (const f of ['qemu.pid', 'qmp.sock']) fs.rmSync(path.join(instanceDir(name), f), { force: true });
  // A snapshot is this run's RAM (~110 MB): no use without it.
  removeSnapshotFiles(instanceDir(name));
  if (opts.forget) fs.rmSync(instanceDir(name), { recursive: true, force: true });
  return wasRunning;
}

/** Synchronous SIGKILL, for exit and signal handlers that cannot wait for stopVm. */
export function killVmNow(name = DEFAULT_NAME, opts: { forget?: boolean } = {}): void {
  sessions.get(name)?.closeNow();
  sessions.delete(name);
  const pid = qemuPid(name);
  if (pid && isOurQemu(pid, name)) killPid(pid, 'SIGKILL');
  removeSnapshotFiles(instanceDir(name));
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
