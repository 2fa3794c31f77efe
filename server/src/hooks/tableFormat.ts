// The committed, derived hook-table file (server/data/hook-tables.json): compact on disk, expanded on load.
// Prototypes and conditions are stored once and referenced by index from each release.
import type { HookDef, HookSets, ReleaseTable } from './types';

/** [ret, default, [[type, name], ...], extraFields?] */
export type StoredPrototype = [string, string, [string, string][], string[]?];
/** [name, prototype index, condition index or -1] */
export type StoredHook = [string, number, number];

export interface StoredRelease {
  release: string;
  /**
   * What it was derived from (scripts/kernelSource.ts formats it): `../shared v7.1.5`,
   * `debian linux-source-7.3 7.3.4-1~bpo13+1` (that package version), `kernel tree v7.3.4`.
   */
  source: string;
  /** git blob hash of the header it was derived from, to trace provenance. */
  headerBlob: string;
  hooks: StoredHook[];
  sets: HookSets | null;
}

export interface StoredTables {
  comment: string;
  prototypes: StoredPrototype[];
  conditions: string[];
  releases: StoredRelease[];
}

/** Kernel set name -> HookSets key. No prototype: a lookup of `constructor` finds nothing. */
export const SET_NAMES: Record<string, keyof HookSets> = Object.assign(Object.create(null) as Record<string, keyof HookSets>, {
  bpf_lsm_disabled_hooks: 'disabled',
  sleepable_lsm_hooks: 'sleepable',
  untrusted_lsm_hooks: 'untrusted',
  bool_lsm_hooks: 'bool',
  bpf_lsm_current_hooks: 'current',
  bpf_lsm_locked_sockopt_hooks: 'lockedSockopt',
  bpf_lsm_unlocked_sockopt_hooks: 'unlockedSockopt',
});

export function emptySets(): HookSets {
  return { disabled: [], sleepable: [], untrusted: [], bool: [], current: [], lockedSockopt: [], unlockedSockopt: [] };
}

/** Packs releases' hooks into the stored form, sharing identical prototypes and conditions. */
export function packTables(
  releases: { release: string; source: string; headerBlob: string; hooks: HookDef[]; sets: HookSets | null }[],
  comment: string,
): StoredTables {
  const prototypes: StoredPrototype[] = [];
  const protoIndex = new Map<string, number>();
  const conditions: string[] = [];
  const condIndex = new Map<string, number>();
  const stored = releases.map((r) => ({
    release: r.release,
    source: r.source,
    headerBlob: r.headerBlob,
    hooks: r.hooks.map((h): StoredHook => {
      const proto: StoredPrototype = [h.ret, h.defaultValue, h.args.map((a) => [a.type, a.name])];
      if (h.extraFields) proto.push(h.extraFields);
      const key = JSON.stringify(proto);
      if (!protoIndex.has(key)) protoIndex.set(key, prototypes.push(proto) - 1);
      let cond = -1;
      if (h.condition) {
        if (!condIndex.has(h.condition)) condIndex.set(h.condition, conditions.push(h.condition) - 1);
        cond = condIndex.get(h.condition)!;
      }
      return [h.name, protoIndex.get(key)!, cond];
    }),
    sets: r.sets,
  }));
  return { comment, prototypes, conditions, releases: stored };
}

/**
 * The releases of the stored tables. A release's hooks are unpacked when first asked for: a run checks
 * against one release, and unpacking all of them was a third of the linter's start-up.
 */
export function unpackTables(stored: StoredTables): ReleaseTable[] {
  return stored.releases.map((r) => {
    let hooks: Map<string, HookDef> | undefined;
    return {
      release: r.release,
      get hooks() {
        hooks ??= unpackHooks(r, stored);
        return hooks;
      },
      sets: r.sets,
      source: 'bundled',
    };
  });
}

function unpackHooks(r: StoredRelease, stored: StoredTables): Map<string, HookDef> {
  const protos = stored.prototypes;
  const hooks = new Map<string, HookDef>();
  for (const [name, p, c] of r.hooks) {
    const [ret, defaultValue, args, extraFields] = protos[p];
    const hook: HookDef = {
      name,
      ret,
      defaultValue,
      args: args.map(([type, argName]) => ({ type, name: argName })),
      condition: c >= 0 ? stored.conditions[c] : null,
    };
    if (extraFields) hook.extraFields = extraFields;
    hooks.set(name, hook);
  }
  return hooks;
}
