// Settings shared by the extension client and the language server: one prefix, one schema, defaults.
// package.json's "contributes.configuration" mirrors these one to one (a unit test keeps them in step).

import { isSeverity, type Severity } from './severity';

export const SETTINGS_SECTION = 'bpfLsm';

/** The policy tests' settings (`bpfLsm.test.*`): read by the extension's Testing view, ignored by the server. */
export interface PolicyTestSettings {
  /** Kernel series (`6.12`) for test files that name none; empty: bpf-lsm.config.json's, else every built VM. */
  kernels: string[];
  /** Test VMs running at once; 0: the number of cores. */
  maxVms: number;
  /** Minutes an idle test VM is kept; 0: until the window closes. */
  vmIdleMinutes: number;
  /** Run on bpfLsm.target.destination instead of the test VMs. */
  onTarget: boolean;
}

/** `bpfLsm.test.kernels` and so on: the keys as VS Code names them under the section. */
type UnderTest<T> = { [K in keyof T & string as `test.${K}`]: T[K] };

export interface BpfLsmSettings extends UnderTest<PolicyTestSettings> {
  /** Kernel release to check against; '' means the newest bundled release. */
  kernel: string;
  /** Path to the user's own lsm_hook_defs.h; '' means the bundled tables. */
  hookDefsPath: string;
  /** Path to a kernel BTF file (a copy of the target's /sys/kernel/btf/vmlinux); takes precedence. */
  btfPath: string;
  /** Where local headers (`#include "x.h"`) are looked for after the file's directory; relative to the workspace folder. */
  includePaths: string[];
  /** Severity per check code. */
  severity: Record<string, Severity>;
  /** Check codes to turn off. */
  disabledChecks: string[];
  /** Delay after the last change before a document is analysed. */
  debounceMs: number;
  /** Verify on Target on every save of a BPF program (the extension's; the server ignores it). */
  verifyOnSave: boolean;
}

export const DEFAULT_SETTINGS: BpfLsmSettings = {
  kernel: '',
  hookDefsPath: '',
  btfPath: '',
  includePaths: [],
  severity: {},
  disabledChecks: [],
  debounceMs: 150,
  verifyOnSave: false,
  'test.kernels': [],
  'test.maxVms': 0,
  'test.vmIdleMinutes': 10,
  'test.onTarget': false,
};

/** A kernel series as `bpfLsm.test.kernels` takes it (the package.json pattern). */
export const KERNEL_SERIES_PATTERN = /^\d+\.\d+$/;

/** Takes whatever the client sent (possibly partial or wrongly typed) and returns complete settings. */
export function normaliseSettings(raw: unknown): BpfLsmSettings {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const str = (v: unknown, d: string) => (typeof v === 'string' ? v.trim() : d);
  const num = (v: unknown, d: number, min: number, max: number) =>
    typeof v === 'number' && Number.isFinite(v) ? Math.min(Math.max(min, v), max) : d;
  const severity: Record<string, Severity> = {};
  if (r.severity && typeof r.severity === 'object') {
    for (const [code, s] of Object.entries(r.severity as Record<string, unknown>)) {
      if (isSeverity(s)) severity[code] = s;
    }
  }
  // VS Code hands `bpfLsm.test.kernels` over as { test: { kernels } }; a flat 'test.kernels' key is taken too.
  const nested = r.test && typeof r.test === 'object' ? (r.test as Record<string, unknown>) : {};
  const test = (key: keyof PolicyTestSettings): unknown => (Object.hasOwn(r, `test.${key}`) ? r[`test.${key}`] : nested[key]);
  const kernels = test('kernels');
  return {
    kernel: str(r.kernel, DEFAULT_SETTINGS.kernel),
    hookDefsPath: str(r.hookDefsPath, DEFAULT_SETTINGS.hookDefsPath),
    btfPath: str(r.btfPath, DEFAULT_SETTINGS.btfPath),
    includePaths: Array.isArray(r.includePaths)
      ? r.includePaths.filter((p): p is string => typeof p === 'string' && p.trim() !== '').map((p) => p.trim())
      : [],
    severity,
    disabledChecks: Array.isArray(r.disabledChecks) ? r.disabledChecks.filter((c): c is string => typeof c === 'string') : [],
    debounceMs: num(r.debounceMs, DEFAULT_SETTINGS.debounceMs, 0, 5000),
    verifyOnSave: r.verifyOnSave === true,
    'test.kernels': Array.isArray(kernels)
      ? [...new Set(kernels.filter((k): k is string => typeof k === 'string' && KERNEL_SERIES_PATTERN.test(k)))]
      : [],
    'test.maxVms': Math.round(num(test('maxVms'), DEFAULT_SETTINGS['test.maxVms'], 0, 64)),
    'test.vmIdleMinutes': num(test('vmIdleMinutes'), DEFAULT_SETTINGS['test.vmIdleMinutes'], 0, 24 * 60),
    'test.onTarget': test('onTarget') === true,
  };
}

/** The `bpfLsm.test.*` part of the settings. */
export function policyTestSettings(s: BpfLsmSettings): PolicyTestSettings {
  return { kernels: s['test.kernels'], maxVms: s['test.maxVms'], vmIdleMinutes: s['test.vmIdleMinutes'], onTarget: s['test.onTarget'] };
}
