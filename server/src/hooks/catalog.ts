// All bundled hook tables, and the choice of the one a file is checked against (the "target").
import storedTables from '../../data/hook-tables.json';
import { parseHookDefs, type HeaderError } from './hookDefsParser';
import { unpackTables, emptySets, type StoredTables } from './tableFormat';
import { describeTableSource, type TableSource } from './tableSource';
import type { HookDef, HookSets, ReleaseTable } from './types';
import { atLeast, compareVersions, isKernelRelease, parseVersion, type Version } from './versions';

/** What a file is checked against: one release's hooks and bpf_lsm sets. */
export interface KernelTarget {
  /** The bundled release whose version-dependent rules apply (`6.12`). */
  release: string;
  version: Version;
  hooks: Map<string, HookDef>;
  /** bpf_lsm.c sets; for a release without its own, what its bundled neighbours agree on. */
  sets: HookSets;
  /** Where the hooks came from (describeTableSource says it to the user). */
  source: TableSource;
  /** How the requested kernel was mapped, when it was not an exact match (said in the output). */
  note?: string;
  /** From the kernel's BTF (a BTF or probed target): which LSM-usable kfuncs it has (lsmKfuncNames). */
  btfKfuncs?: string[];
}

export class KernelSelectionError extends Error {}

/** Hooks read from a kernel's BTF file. */
export interface BtfHooks {
  path: string;
  hooks: HookDef[];
  /** Whose kernel it is, and its `uname -r`, when it is not simply the file the user named. */
  label?: string;
  release?: string;
  /** The LSM-usable kfuncs (lsmKfuncNames) the BTF has as functions. */
  kfuncs?: string[];
}

/**
 * Hooks whose refusal reached stable kernels older than the release that lists it: the disabled-hook list
 * (6.12) was backported to stable series, and so was the later xfrm_decode_session entry (7.1.5's list).
 * Seen on real kernels: Debian's 6.1.0-56 (6.1.192) and 6.12.117 refuse all of them.
 */
const STABLE_BACKPORTED_DISABLED = ['xfrm_decode_session'];

/**
 * Sleepable entries that stable series dropped after the release the bundled table is from, per series:
 * "bpf: Drop task_to_inode and inet_conn_established from lsm sleepable hooks" and "bpf,lsm: Drop
 * bpf_prog_free from sleepable_lsm_hooks". Probed on Debian's 6.1.192 (which took only the task_to_inode
 * half) and 6.12.117: both refuse lsm.s/ on these (test/vm/prober.test.ts).
 */
const STABLE_NOT_SLEEPABLE: ReadonlyMap<string, readonly string[]> = new Map([
  ['6.1', ['task_to_inode']],
  ['6.12', ['bpf_prog_free', 'inet_conn_established', 'task_to_inode']],
]);

/** The release whose disabled list stable kernels received (the first bundled release with one). */
function firstDisabledList(releases: ReleaseTable[]): string[] {
  return releases.find((r) => r.sets && r.sets.disabled.length > 0)?.sets?.disabled ?? [];
}

export class HookCatalog {
  /** Releases, oldest first. */
  readonly releases: ReleaseTable[];
  private readonly versions: Map<string, Version>;
  /** Built when first needed (a hook the target lacks): it reads every release's hooks. */
  private releasesOfHook: Map<string, string[]> | undefined;

  constructor(releases: ReleaseTable[]) {
    this.releases = releases;
    this.versions = new Map(releases.map((r) => [r.release, parseVersion(r.release)!]));
  }

  private get hookReleases(): Map<string, string[]> {
    if (!this.releasesOfHook) {
      this.releasesOfHook = new Map();
      for (const r of this.releases) {
        for (const name of r.hooks.keys()) {
          const list = this.releasesOfHook.get(name) ?? [];
          list.push(r.release);
          this.releasesOfHook.set(name, list);
        }
      }
    }
    return this.releasesOfHook;
  }

  private static bundledCatalog: HookCatalog | undefined;

  /** The tables shipped with the extension, unpacked once per process. */
  static bundled(): HookCatalog {
    HookCatalog.bundledCatalog ??= new HookCatalog(unpackTables(storedTables as StoredTables));
    return HookCatalog.bundledCatalog;
  }

  get newest(): ReleaseTable {
    return this.releases[this.releases.length - 1];
  }

  /** Every hook name any release has. */
  allHookNames(): string[] {
    return [...this.hookReleases.keys()];
  }

  /** Releases (oldest first) that have the hook. */
  releasesWith(hook: string): string[] {
    return this.hookReleases.get(hook) ?? [];
  }

  /**
   * Picks the table for a requested kernel: an exact release; else the newest bundled release of the same
   * major.minor series; else the newest not newer than it. No request: the newest.
   */
  select(requested?: string): { table: ReleaseTable; note?: string } {
    if (!requested) return { table: this.newest };
    const wanted = requested.trim().replace(/^v/, '');
    const exact = this.releases.find((r) => r.release === wanted);
    if (exact) return { table: exact };
    const v = isKernelRelease(wanted) ? parseVersion(wanted) : null;
    if (!v) {
      throw new KernelSelectionError(
        `'${requested}' is not a kernel version; use a release such as 6.12 or 6.1.20 (bundled: ${this.releases.map((r) => r.release).join(', ')})`,
      );
    }
    const sameSeries = this.releases.filter((r) => {
      const rv = this.versions.get(r.release)!;
      return rv[0] === v[0] && rv[1] === v[1];
    });
    if (sameSeries.length > 0) {
      const table = sameSeries[sameSeries.length - 1];
      return { table, note: `kernel ${requested}: using the hook table of ${table.release} (same ${v[0]}.${v[1]} series)` };
    }
    const older = this.releases.filter((r) => compareVersions(this.versions.get(r.release)!, v) <= 0);
    if (older.length === 0) {
      throw new KernelSelectionError(
        `kernel ${requested} predates BPF LSM (added in 5.7); bundled releases start at ${this.releases[0].release}`,
      );
    }
    const table = older[older.length - 1];
    const why =
      table === this.newest && compareVersions(v, this.versions.get(table.release)!) > 0
        ? 'the newest bundled release; no bundled table is as new'
        : 'the newest bundled release not newer than it';
    return { table, note: `kernel ${requested}: using the hook table of ${table.release} (${why})` };
  }

  /**
   * bpf_lsm sets of a release; a release without its own gets what its bundled neighbours agree on. The
   * disabled list also holds what stable kernels of that series refuse (see STABLE_BACKPORTED_DISABLED),
   * and the sleepable list leaves out what they no longer let sleep (STABLE_NOT_SLEEPABLE).
   */
  setsOf(table: ReleaseTable): { sets: HookSets; derivedFrom?: string } {
    const own = this.ownSetsOf(table);
    // Seen from 6.1 on; whether 5.x stable series have it is not known here, so nothing is claimed there.
    const stable = atLeast(this.versions.get(table.release)!, 6, 1);
    const backported = stable ? [...firstDisabledList(this.releases), ...STABLE_BACKPORTED_DISABLED].filter((h) => table.hooks.has(h)) : [];
    const disabled = [...new Set([...own.sets.disabled, ...backported])].sort();
    const series = table.release.split('.').slice(0, 2).join('.');
    const notSleepable = STABLE_NOT_SLEEPABLE.get(series) ?? [];
    const sleepable = own.sets.sleepable.filter((h) => !notSleepable.includes(h));
    return { ...own, sets: { ...own.sets, disabled, sleepable } };
  }

  /** Whether the release's own bpf_lsm.c lists the hook as disabled (not only a stable backport). */
  disabledUpstream(table: ReleaseTable, hook: string): boolean {
    return this.ownSetsOf(table).sets.disabled.includes(hook);
  }

  private ownSetsOf(table: ReleaseTable): { sets: HookSets; derivedFrom?: string } {
    if (table.sets) return { sets: table.sets };
    const index = this.releases.indexOf(table);
    const older = this.releases
      .slice(0, index)
      .reverse()
      .find((r) => r.sets);
    const newer = this.releases.slice(index + 1).find((r) => r.sets);
    if (!older && !newer) return { sets: emptySets(), derivedFrom: 'none' };
    if (!older || !newer) return { sets: (older ?? newer)!.sets!, derivedFrom: (older ?? newer)!.release };
    // Conservative: a hook counts as sleepable if either neighbour allows it, disabled only if both refuse it.
    const merged = emptySets();
    for (const key of Object.keys(merged) as (keyof HookSets)[]) {
      const a = new Set(older.sets![key]);
      const b = newer.sets![key];
      merged[key] = key === 'sleepable' ? [...new Set([...a, ...b])].sort() : b.filter((h) => a.has(h)).sort();
    }
    return { sets: merged, derivedFrom: `${older.release} and ${newer.release}` };
  }

  /**
   * The target for a requested kernel, optionally with hooks from the kernel's own BTF or the user's own
   * header (BTF first: it is what the running kernel has). The bpf_lsm sets and version rules always come
   * from the chosen bundled release.
   */
  target(options: { kernel?: string; hookDefs?: { path: string; text: string }; btf?: BtfHooks } = {}): {
    target: KernelTarget;
    headerErrors: HeaderError[];
  } {
    const { table, note } = this.select(options.kernel);
    const { sets, derivedFrom } = this.setsOf(table);
    const version = this.versions.get(table.release)!;
    const notes = [note, derivedFrom ? `bpf_lsm sets of ${table.release} derived from ${derivedFrom}` : undefined];
    let hooks = table.hooks;
    let source: TableSource = { kind: 'bundled', release: table.release };
    let headerErrors: HeaderError[] = [];
    let btfKfuncs: string[] | undefined;
    if (options.btf && options.btf.hooks.length > 0) {
      const { path, label, release, hooks: btfHooks, kfuncs } = options.btf;
      btfKfuncs = kfuncs;
      hooks = new Map(btfHooks.map((h) => [h.name, h]));
      source = { kind: 'btf', path, release: release ?? table.release, ...(label !== undefined ? { label } : {}) };
      notes.push(`hooks from ${describeTableSource(source)} (${btfHooks.length}), rules of ${table.release}`);
    } else if (options.hookDefs) {
      const parsed = parseHookDefs(options.hookDefs.text);
      headerErrors = parsed.errors;
      if (parsed.hooks.length > 0) {
        hooks = new Map(parsed.hooks.map((h) => [h.name, h]));
        source = { kind: 'header', path: options.hookDefs.path, release: table.release };
        notes.push(`hooks from ${options.hookDefs.path} (${parsed.hooks.length}), rules of ${table.release}`);
      } else {
        notes.push(`${options.hookDefs.path} has no usable hooks; using the bundled table of ${table.release}`);
      }
    }
    const joined = notes.filter(Boolean).join('; ');
    return {
      target: { release: table.release, version, hooks, sets, source, note: joined || undefined, ...(btfKfuncs ? { btfKfuncs } : {}) },
      headerErrors,
    };
  }
}

/** Version-dependent facts of BPF LSM that the checks rely on. */
export const kernelRules = {
  /** Sleepable LSM programs (`lsm.s/`) arrived in 5.11. */
  hasSleepable: (v: Version) => atLeast(v, 5, 11),
  /** BPF_LSM_CGROUP (`lsm_cgroup/`) arrived in 6.0. */
  hasLsmCgroup: (v: Version) => atLeast(v, 6, 0),
  /** From 6.12 the verifier rejects LSM return values outside the hook's range at load. */
  checksReturnRange: (v: Version) => atLeast(v, 6, 12),
};
