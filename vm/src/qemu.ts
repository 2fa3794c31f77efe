// Builds QEMU's command line and launches it as a daemon (it outlives `vm start`); stop kills it
// by pid. The only network is user-mode with restrict=on, SSH forwarded from 127.0.0.1 alone. The
// only monitor is QMP on a unix socket in the instance folder (snapshots and resets, snapshot.ts).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { Accel } from './accel';
import { ImageManifest } from './image';
import { lsmParameter } from './kernels';
import { incomingUri } from './snapshot';

export interface QemuOptions {
  /** Marks the process (visible in ps) so stop only ever kills our own QEMU. */
  name: string;
  image: ImageManifest;
  accel: Accel;
  sshPort: number;
  /** An lsm= list, or 'default' for none (kernels.ts parseLsm). */
  lsm: string;
  memoryMb: number;
  cpus: number;
  /** Guest powers itself off after this many seconds (safety net for tests); 0 = never. */
  lifetimeSeconds: number;
  serialLog: string;
  pidFile: string;
  qemuLog: string;
  /** QEMU's QMP server socket (machine monitor only: there is no human monitor). */
  qmpSocket: string;
  /** A snapshot file to start from (`-incoming`): QEMU loads it and waits, paused, for `cont`. */
  incoming?: string;
}

/** sun_path holds 108 bytes with the terminating NUL. */
const MAX_UNIX_SOCKET_PATH = 107;

export function processName(name: string): string {
  return `bpf-lsm-vm-${name}`;
}

/** The guest kernel's parameters; no lsm= when `lsm` is 'default' (the kernel's CONFIG_LSM applies). */
export function kernelCommandLine(o: Pick<QemuOptions, 'lsm' | 'lifetimeSeconds'>): string {
  const lsm = lsmParameter(o.lsm);
  const parts = ['console=ttyS0', ...(lsm ? [lsm] : []), 'panic=-1'];
  if (o.lifetimeSeconds > 0) parts.push(`bpflsmvm.lifetime=${Math.floor(o.lifetimeSeconds)}`);
  return parts.join(' ');
}

/** QEMU's `-qmp` value: a unix socket QEMU creates and listens on, not waiting for a client. */
export function qmpArg(socketPath: string): string {
  const bytes = Buffer.byteLength(socketPath);
  if (bytes > MAX_UNIX_SOCKET_PATH) {
    throw new Error(
      `QMP socket path is ${bytes} bytes, over the ${MAX_UNIX_SOCKET_PATH} a unix socket allows: ${socketPath} (set BPF_LSM_VM_CACHE to a shorter folder)`,
    );
  }
  // QEMU's option syntax: a comma inside a value is written twice.
  return `unix:${socketPath.replace(/,/g, ',,')},server=on,wait=off`;
}

export function qemuArgs(o: QemuOptions): string[] {
  return [
    '-name',
    processName(o.name),
    // TCG: -cpu max gives the guest every feature the emulator has; thread=multi uses both cores.
    ...(o.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,thread=multi', '-cpu', 'max']),
    '-smp',
    String(o.cpus),
    '-m',
    String(o.memoryMb),
    '-kernel',
    o.image.vmlinuz,
    '-initrd',
    o.image.initrd,
    '-append',
    kernelCommandLine(o),
    '-no-reboot',
    '-display',
    'none',
    '-qmp',
    qmpArg(o.qmpSocket),
    '-serial',
    `file:${o.serialLog}`,
    '-netdev',
    `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${o.sshPort}-:22`,
    // romfile= skips the iPXE option ROM: the kernel is loaded directly, never from the network.
    '-device',
    'e1000,netdev=n0,romfile=',
    '-pidfile',
    o.pidFile,
    '-daemonize',
    // argv, not a shell: the URI reaches QEMU as one argument; QEMU runs its command with /bin/sh -c.
    ...(o.incoming ? ['-incoming', incomingUri(o.incoming)] : []),
  ];
}

/** Starts QEMU; resolves with the daemon's pid once QEMU has set up (or rejects with its error). */
export function launchQemu(o: QemuOptions): Promise<number> {
  for (const f of [o.serialLog, o.pidFile, o.qemuLog, o.qmpSocket]) fs.rmSync(f, { force: true });
  const errFd = fs.openSync(o.qemuLog, 'w');
  return new Promise((resolve, reject) => {
    // With -daemonize the first process exits once the VM is set up: its status is the answer.
    const child = spawn('qemu-system-x86_64', qemuArgs(o), { stdio: ['ignore', errFd, errFd] });
    child.on('error', (e) => {
      fs.closeSync(errFd);
      reject(new Error(`qemu-system-x86_64: ${e.message} (run vm/setup.sh)`));
    });
    child.on('exit', (code) => {
      fs.closeSync(errFd);
      const log = fs.readFileSync(o.qemuLog, 'utf8').trim();
      if (code !== 0) return reject(new QemuLaunchError(`QEMU failed to start (exit ${code}): ${log}`, log));
      const pid = Number(fs.readFileSync(o.pidFile, 'utf8').trim());
      if (!Number.isInteger(pid) || pid <= 0) return reject(new Error(`bad QEMU pid file ${o.pidFile}`));
      resolve(pid);
    });
  });
}

export class QemuLaunchError extends Error {
  constructor(
    message: string,
    readonly log: string,
  ) {
    super(message);
  }
  /** QEMU could not bind the forwarded port (someone took it after we picked it). */
  get portInUse(): boolean {
    return /host forwarding rule|hostfwd/i.test(this.log);
  }
}
