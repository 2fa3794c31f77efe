// Debian's archive, asked through the project's private apt configurations (vm/scripts/apt-private.sh:
// `frontier` has sid, trixie and trixie-backports, `bookworm` Debian 12 and its security updates). The host's
// apt is never used. A .deb is downloaded once into .cache/debian-src/debs (apt checks it against the
// archive's signed indexes) and kept there.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../common/repoRoot';

export const DEBIAN_DEBS_DIR = path.join(REPO_ROOT, '.cache', 'debian-src', 'debs');
const APT_PRIVATE = path.join(REPO_ROOT, 'vm', 'scripts', 'apt-private.sh');
/** The private configurations (VM_APT_DISTS of vm/scripts/lib.sh), newest kernels first. */
export const APT_DISTS = ['frontier', 'bookworm'] as const;
export type AptDist = (typeof APT_DISTS)[number];

/** Why the archive could not be asked (no apt, no network...): a reason, not a verdict on the package. */
export class ArchiveUnavailable extends Error {
  override name = 'ArchiveUnavailable';
}

function aptPrivate(dist: AptDist, args: string[], options: { cwd?: string; timeoutMs?: number } = {}): string {
  const r = spawnSync('bash', [APT_PRIVATE, ...args], {
    cwd: options.cwd,
    encoding: 'utf8',
    env: { ...process.env, VM_APT_DIST: dist },
    timeout: options.timeoutMs ?? 180_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const what = `VM_APT_DIST=${dist} bash vm/scripts/apt-private.sh ${args.join(' ')}`;
  if (r.error) throw new ArchiveUnavailable(`${what}: ${r.error.message}`);
  if (r.status !== 0) {
    const tail = r.stderr.trim().split('\n').slice(-2).join(' / ');
    throw new ArchiveUnavailable(`${what}: exit ${r.status ?? r.signal}${tail ? `: ${tail}` : ''}`);
  }
  return r.stdout;
}

/** The file name apt gives a downloaded package (`:` of an epoch written `%3a`); kernel sources are `all`. */
export function debFileName(pkg: string, version: string, arch = 'all'): string {
  return `${pkg}_${version.replace(/:/g, '%3a')}_${arch}.deb`;
}

export function cachedDeb(pkg: string, version: string): string | null {
  const file = path.join(DEBIAN_DEBS_DIR, debFileName(pkg, version));
  return fs.existsSync(file) ? file : null;
}

/** The versions of a package each configuration's archive serves now (apt-cache madison), newest first. */
export function servedVersions(pkg: string): Map<AptDist, string[]> {
  const served = new Map<AptDist, string[]>();
  for (const dist of APT_DISTS) {
    const versions = aptPrivate(dist, ['apt-cache', 'madison', pkg])
      .split('\n')
      .map((line) => /^\s*(\S+)\s*\|\s*(\S+)\s*\|/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null && m[1] === pkg)
      .map((m) => m[2]);
    if (versions.length > 0) served.set(dist, [...new Set(versions)]);
  }
  // apt-get update offline only warns and leaves no lists: then nothing is known, not "nothing is served".
  if (served.size === 0 && !APT_DISTS.some((dist) => /\sPackages\s*$/m.test(aptPrivate(dist, ['apt-cache', 'policy'])))) {
    throw new ArchiveUnavailable(`no package lists in any of ${APT_DISTS.join(', ')}: apt-get update could not reach the archive`);
  }
  return served;
}

/** The version apt would pick now, and the configuration that has it (the first that has one). */
export function candidateOf(pkg: string): { dist: AptDist; version: string } | null {
  for (const dist of APT_DISTS) {
    const version = /^\s*Candidate:\s*(\S+)/m.exec(aptPrivate(dist, ['apt-cache', 'policy', pkg]))?.[1];
    if (version && version !== '(none)') return { dist, version };
  }
  return null;
}

/** Downloads pkg=version into DEBIAN_DEBS_DIR (nothing when it is there already); returns its path. */
export function downloadDeb(pkg: string, version: string, dist: AptDist): string {
  const have = cachedDeb(pkg, version);
  if (have) return have;
  fs.mkdirSync(DEBIAN_DEBS_DIR, { recursive: true });
  aptPrivate(dist, ['apt-get', 'download', '-q', `${pkg}=${version}`], { cwd: DEBIAN_DEBS_DIR, timeoutMs: 30 * 60_000 });
  const file = cachedDeb(pkg, version);
  if (!file) throw new ArchiveUnavailable(`apt-get download ${pkg}=${version} left no ${debFileName(pkg, version)} in ${DEBIAN_DEBS_DIR}`);
  return file;
}

export type DebLookup = { deb: string; downloaded: boolean } | { unavailable: string };

/**
 * The .deb of exactly pkg=version: the cached one; else downloaded when an archive still serves that
 * version. Otherwise why not, in a sentence: the archive moved on (and to what), or could not be asked.
 */
export function obtainDeb(pkg: string, version: string): DebLookup {
  const cached = cachedDeb(pkg, version);
  if (cached) return { deb: cached, downloaded: false };
  let served: Map<AptDist, string[]>;
  try {
    served = servedVersions(pkg);
  } catch (err) {
    return { unavailable: `cannot ask Debian's archive whether it serves ${pkg} ${version}: ${(err as Error).message}` };
  }
  const dist = [...served].find(([, versions]) => versions.includes(version))?.[0];
  if (!dist) {
    const now = [...served].map(([d, versions]) => `${d}: ${versions.join(', ')}`).join('; ');
    return { unavailable: `Debian's archive no longer serves ${pkg} ${version} (${now || 'no version at all'})` };
  }
  try {
    return { deb: downloadDeb(pkg, version, dist), downloaded: true };
  } catch (err) {
    return { unavailable: `cannot download ${pkg} ${version}: ${(err as Error).message}` };
  }
}
