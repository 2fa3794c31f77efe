// Makes sure a bootable image exists for a kernel series (vm/setup.sh does the work, cached) and
// reads the manifest that the build wrote.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KernelSeries } from './kernels';
import { cacheDir, VM_DIR } from './paths';

export interface ImageManifest {
  series: KernelSeries;
  /** uname -r of the guest, e.g. 6.12.117+deb12-amd64. */
  release: string;
  /** The Debian package the kernel came from, e.g. linux-image-7.3.4+deb13-amd64. */
  package: string;
  /**
   * That package's exact version, e.g. 7.3.4-1~bpo13+1 (sid drops superseded versions, so outputs
   * say which one ran). Read from the kernel's cache folder when the manifest does not carry it;
   * undefined only for a kernel fetched by an older setup that could not tell.
   */
  packageVersion?: string;
  vmlinuz: string;
  initrd: string;
  /** "ssh-ed25519 AAAA..." of the guest's dropbear host key. */
  hostKeyPub: string;
  /** Private ed25519 key authorized for root in the guest. */
  clientKey: string;
}

export function manifestPath(series: KernelSeries): string {
  return path.join(cacheDir(), 'images', series, 'manifest.json');
}

export function readManifest(series: KernelSeries): ImageManifest {
  const m = JSON.parse(fs.readFileSync(manifestPath(series), 'utf8')) as ImageManifest;
  return {
    ...m,
    packageVersion: m.packageVersion ?? kernelPackageVersion(series, m.release),
    hostKeyPub: fs.readFileSync(m.hostKeyPub, 'utf8').trim(),
  };
}

/** The package version vm/scripts/fetch-kernel.sh recorded for the series, if it is still that release. */
export function kernelPackageVersion(series: KernelSeries, release: string): string | undefined {
  const dir = path.join(cacheDir(), 'kernels', series);
  try {
    if (fs.readFileSync(path.join(dir, 'release'), 'utf8').trim() !== release) return undefined;
    return fs.readFileSync(path.join(dir, 'version'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** "linux-image-7.3.4+deb13-amd64 7.3.4-1~bpo13+1", for messages. */
export function describePackage(image: Pick<ImageManifest, 'package' | 'packageVersion'>): string {
  return `${image.package} ${image.packageVersion ?? '(version not recorded)'}`;
}

/** Runs vm/setup.sh for the series (quick when everything is cached), then returns the manifest. */
export async function ensureImage(series: KernelSeries): Promise<ImageManifest> {
  const { execa } = await import('execa');
  // stderr passes through (long builds show progress there).
  const r = await execa('bash', [path.join(VM_DIR, 'setup.sh'), series], {
    reject: false,
    stdin: 'ignore',
    stderr: 'inherit',
    env: { BPF_LSM_VM_CACHE: cacheDir() },
  });
  if (r.exitCode !== 0) throw new Error(`vm/setup.sh ${series} failed (${r.exitCode ?? r.signal ?? r.shortMessage}); see its output above`);
  return readManifest(series);
}
