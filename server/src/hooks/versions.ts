// Kernel release strings: `6.12`, `6.1.20`, `v5.15.85`, `6.6.46-rpi`, `6.1.0-28-amd64`.

export type Version = [major: number, minor: number, patch: number];

/** Parses the leading `X.Y[.Z]` of a release string; null when there is none. */
export function parseVersion(text: string): Version | null {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null;
}

/**
 * Is this a whole kernel release string, as `uname -r` prints one: `6.12`, `6.1.0-28-amd64`,
 * `5.15.153.1-microsoft-standard-WSL2`, `4.19.0+`? Not `6.12.` or `6.12-` (a typo that parseVersion's
 * prefix match would take as 6.12).
 */
export function isKernelRelease(text: string): boolean {
  return /^v?\d+\.\d+(?:\.\d+)*(?:[-+~_][0-9A-Za-z][\w.+~-]*|\+)?$/.test(text.trim());
}

export function compareVersions(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

export function atLeast(v: Version, major: number, minor: number): boolean {
  return compareVersions(v, [major, minor, 0]) >= 0;
}
