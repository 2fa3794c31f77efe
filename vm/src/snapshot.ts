// Snapshots of a running VM through QEMU's own migration, over QMP: the guest's RAM and device state
// go to a file in the instance folder, and a new QEMU started with the same arguments plus
// `-incoming` loads them and runs on from that instant. Neither half needs the guest's cooperation.
// manager.ts builds snapshotVm and resetVm on these.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { QmpClient } from './qmp';

/** The snapshot a VM is reset to, in its instance folder. */
export const SNAPSHOT_FILE = 'snapshot.vmstate';

/** What snapshotVm took (also kept in the VM's state). */
export interface SnapshotInfo {
  /** Absolute path of the migration stream. */
  file: string;
  bytes: number;
  /** From QMP `stop` to the file complete and the guest running again. */
  ms: number;
  takenAt: string;
}

/** QEMU runs exec: migration commands through /bin/sh -c: every path in them is single-quoted. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The temp names a snapshot is written under: `cat` writes the first, the shell renames it when cat is done. */
function tempFiles(file: string): { writing: string; written: string } {
  return { writing: `${file}.writing`, written: `${file}.written` };
}

/**
 * The outgoing migration URI. QEMU reports `completed` from its migration thread before it has closed
 * the pipe and waited for the command, so `cat` may still be writing: the shell renames the file only
 * once cat has exited, and the caller waits for that name. A failed migration also ends cat (EOF),
 * so the caller moves the file to its final name only when QEMU said `completed`.
 */
export function outgoingUri(file: string): string {
  const t = tempFiles(file);
  return `exec:cat > ${shellQuote(t.writing)} && mv -f ${shellQuote(t.writing)} ${shellQuote(t.written)}`;
}

/** The `-incoming` URI that makes a new QEMU load the snapshot. */
export function incomingUri(file: string): string {
  return `exec:cat ${shellQuote(file)}`;
}

/** Removes the snapshot of an instance folder and any half-written one. */
export function removeSnapshotFiles(dir: string): void {
  const file = path.join(dir, SNAPSHOT_FILE);
  const t = tempFiles(file);
  for (const f of [file, t.writing, t.written]) fs.rmSync(f, { force: true });
}

/**
 * QEMU limits migration to 32 MiB/s by default, which made a 110 MB snapshot take 3.2 s. The VM is
 * stopped while it is written and the file is local, so no limit is wanted (QEMU caps it at SIZE_MAX).
 */
const UNLIMITED_BANDWIDTH = 64 * 1024 ** 3;

/**
 * Writes the VM's state to `file` (replacing it) over its QMP socket: stop, migrate to the file, wait
 * for completion, then `cont` (also after a failure) so the guest runs on as if nothing happened.
 */
export async function saveSnapshot(qmpSocket: string, file: string, options: { timeoutMs?: number } = {}): Promise<SnapshotInfo> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const t0 = performance.now();
  const deadline = Date.now() + timeoutMs;
  const t = tempFiles(file);
  for (const f of [t.writing, t.written]) fs.rmSync(f, { force: true });
  const qmp = await QmpClient.connect(qmpSocket);
  let failure: unknown;
  let wasRunning = false;
  try {
    wasRunning = (await qmp.execute<{ running: boolean }>('query-status')).running;
    await qmp.execute('stop');
    await qmp.execute('migrate-set-parameters', { 'max-bandwidth': UNLIMITED_BANDWIDTH });
    await qmp.execute('migrate', { uri: outgoingUri(file) });
    await qmp.waitMigration({ timeoutMs: Math.max(1, deadline - Date.now()) });
    while (!fs.existsSync(t.written)) {
      if (Date.now() > deadline) throw new Error(`QEMU reported the migration completed but ${t.written} never appeared`);
      await sleep(10);
    }
    fs.renameSync(t.written, file);
  } catch (e) {
    failure = e;
  }
  try {
    if (wasRunning) await qmp.execute('cont');
  } catch (e) {
    failure ??= e;
  } finally {
    qmp.close();
  }
  if (failure) {
    for (const f of [t.writing, t.written]) fs.rmSync(f, { force: true });
    throw new Error(`snapshot to ${file} failed: ${(failure as Error).message}`);
  }
  return { file, bytes: fs.statSync(file).size, ms: performance.now() - t0, takenAt: new Date().toISOString() };
}

/**
 * The restore half: a QEMU launched with `-incoming incomingUri(file)` loads the snapshot and then waits,
 * paused (the snapshot was taken stopped). Waits until the load is `completed`, then `cont`.
 */
export async function finishRestore(qmpSocket: string, options: { timeoutMs?: number; alive?: () => boolean } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  const qmp = await QmpClient.connect(qmpSocket, { timeoutMs, alive: options.alive });
  try {
    await qmp.waitMigration({ timeoutMs: Math.max(1, deadline - Date.now()), intervalMs: 10 });
    await qmp.execute('cont');
  } finally {
    qmp.close();
  }
}
