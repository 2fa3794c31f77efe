// Picks QEMU's accelerator. KVM only when it really runs a guest: a /dev/kvm that opens is not
// enough (nested or paravirtual KVM may fail on the first instruction), so "auto" boots the
// kernel once under KVM and looks for its first console line. The answer is kept per host boot.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImageManifest } from './image';
import { cacheDir } from './paths';

export type Accel = 'kvm' | 'tcg';
export type AccelRequest = Accel | 'auto';

const PROBE_TIMEOUT_MS = 5000;

export function parseAccel(value: string | undefined): AccelRequest {
  if (value === undefined || value === 'auto' || value === 'kvm' || value === 'tcg') return value ?? 'auto';
  throw new Error(`unknown --accel '${value}': use auto, kvm or tcg`);
}

function kvmDeviceUsable(): boolean {
  try {
    fs.closeSync(fs.openSync('/dev/kvm', 'r+'));
    return true;
  } catch {
    return false;
  }
}

function bootId(): string {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return os.hostname();
  }
}

/** Boots the kernel alone (no initrd, no network) under KVM; true if it prints "Linux version". */
async function probeKvm(manifest: ImageManifest): Promise<boolean> {
  const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-kvm-')), 'serial.log');
  const child = spawn(
    'qemu-system-x86_64',
    [
      '-accel',
      'kvm',
      '-cpu',
      'host',
      '-m',
      '256',
      '-nic',
      'none',
      '-display',
      'none',
      '-monitor',
      'none',
      '-no-reboot',
      '-serial',
      `file:${log}`,
      '-kernel',
      manifest.vmlinuz,
      '-append',
      'console=ttyS0 panic=-1',
    ],
    { stdio: 'ignore' },
  );
  let exited = false;
  child.on('exit', () => (exited = true));
  const deadline = Date.now() + PROBE_TIMEOUT_MS;
  let ok = false;
  while (!exited && Date.now() < deadline) {
    await sleep(200);
    if (fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('Linux version')) {
      ok = true;
      break;
    }
  }
  if (!exited) child.kill('SIGKILL');
  await new Promise<void>((r) => (exited ? r() : child.on('exit', () => r())));
  fs.rmSync(path.dirname(log), { recursive: true, force: true });
  return ok;
}

export async function chooseAccel(request: AccelRequest, manifest: ImageManifest): Promise<Accel> {
  if (request !== 'auto') return request;
  if (!kvmDeviceUsable()) return 'tcg';
  const file = path.join(cacheDir(), 'kvm-probe.json');
  try {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { bootId: string; works: boolean };
    if (saved.bootId === bootId()) return saved.works ? 'kvm' : 'tcg';
  } catch {
    // no answer yet for this boot
  }
  const works = await probeKvm(manifest);
  fs.writeFileSync(file, JSON.stringify({ bootId: bootId(), works }) + '\n');
  return works ? 'kvm' : 'tcg';
}
