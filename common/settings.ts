// Settings shared by the extension client and the language server: one prefix, one schema, defaults.
// package.json's "contributes.configuration" mirrors these one to one (a unit test keeps them in step).

import { isSeverity, type Severity } from './severity';

export const SETTINGS_SECTION = 'bpfLsm';

export interface BpfLsmSettings {
  /** Kernel release to check against; '' means the newest bundled release. */
  kernel: string;
  /** Path to the user's own lsm_hook_defs.h; '' means the bundled tables. */
  hookDefsPath: string;
  /** Path to a kernel BTF file (a copy of the target's /sys/kernel/btf/vmlinux); takes precedence. */
  btfPath: string;
  /** Severity per check code. */
  severity: Record<string, Severity>;
  /** Check codes to turn off. */
  disabledChecks: string[];
  /** Delay after the last change before a document is analysed. */
  debounceMs: number;
}

export const DEFAULT_SETTINGS: BpfLsmSettings = {
  kernel: '',
  hookDefsPath: '',
  btfPath: '',
  severity: {},
  disabledChecks: [],
  debounceMs: 150,
};

/** Takes whatever the client sent (possibly partial or wrongly typed) and returns complete settings. */
export function normaliseSettings(raw: unknown): BpfLsmSettings {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const str = (v: unknown, d: string) => (typeof v === 'string' ? v.trim() : d);
  const severity: Record<string, Severity> = {};
  if (r.severity && typeof r.severity === 'object') {
    for (const [code, s] of Object.entries(r.severity as Record<string, unknown>)) {
      if (isSeverity(s)) severity[code] = s;
    }
  }
  const debounce = typeof r.debounceMs === 'number' && Number.isFinite(r.debounceMs) ? r.debounceMs : DEFAULT_SETTINGS.debounceMs;
  return {
    kernel: str(r.kernel, DEFAULT_SETTINGS.kernel),
    hookDefsPath: str(r.hookDefsPath, DEFAULT_SETTINGS.hookDefsPath),
    btfPath: str(r.btfPath, DEFAULT_SETTINGS.btfPath),
    severity,
    disabledChecks: Array.isArray(r.disabledChecks) ? r.disabledChecks.filter((c): c is string => typeof c === 'string') : [],
    debounceMs: Math.min(Math.max(0, debounce), 5000),
  };
}
