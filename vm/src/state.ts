// The record of a running VM (state.json in its instance folder) and the check that its pid is
// still our QEMU, not a recycled pid that now belongs to something else.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Accel } from './accel';
import { KernelSeries } from './kernels';
import { instanceDir } from './paths';
import { processName, QemuOptions } from './qemu';
import { SnapshotInfo } from './snapshot';

/** What QEMU was launched with, but the port (`port`), so that a reset launches it the same way. */
export type QemuLaunch = Omit<QemuOptions, 'sshPort' | 'incoming'>;

export interface VmState {
  name: string;
  pid: number;
  port: number;
  kernel: KernelSeries;
  release: string;
  lsm: string;
  accel: Accel;
  startedAt: string;
  /** Seconds from launching QEMU until `ssh true` first succeeded. */
  bootSeconds: number;
  sshConfig: string;
  serialLog: string;
  /** Absent in the state of a VM started before resets existed: it cannot be snapshotted or reset. */
  qemu?: QemuLaunch;
  /** The snapshot resetVm restores (taken by `start --snapshot` or snapshotVm); deleted when the VM stops. */
  snapshot?: SnapshotInfo;
  /** Seconds the last reset took, from killing QEMU until `ssh true` succeeded on the restored guest. */
  resetSeconds?: number;
  /** Resets since the VM booted. */
  resets?: number;
}

export function statePath(name: string): string {
  return path.join(instanceDir(name), 'state.json');
}

export function readState(name: string): VmState | undefined {
  try {
    return JSON.parse(fs.readFileSync(statePath(name), 'utf8')) as VmState;
  } catch {
    return undefined;
  }
}

export function writeState(state: VmState): void {
  fs.mkdirSync(instanceDir(state.name), { recursive: true });
  const file = statePath(state.name);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n');
  fs.renameSync(`${file}.tmp`, file);
}

export function removeState(name: string): void {
  fs.rmSync(statePath(name), { force: true });
}

/** True while pid is a live (not zombie) QEMU started under this VM name. */
export function isOurQemu(pid: number, name: string): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name, is the state; Z = exited, not yet reaped.
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv[0].includes('qemu-system') && argv.includes(processName(name));
  } catch {
    return false;
  }
}
