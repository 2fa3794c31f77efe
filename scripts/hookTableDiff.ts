// What changed between two releases' hook tables: hooks added or removed, prototypes, defaults and
// conditions that changed, and entries that joined or left a bpf_lsm set. The generator prints it when a
// release is added (the lines of docs/kernel-frontier.md come from here), and tests pin it.
import { prototypeOf } from '../server/src/hooks/hookFacts';
import type { HookDef, HookSets } from '../server/src/hooks/types';

export interface ComparableTable {
  release: string;
  hooks: Map<string, HookDef> | HookDef[];
  sets: HookSets | null;
}

export type TableDifference =
  | { kind: 'added'; hook: string; now: HookDef }
  | { kind: 'removed'; hook: string; before: HookDef }
  | { kind: 'prototype' | 'default' | 'condition'; hook: string; before: HookDef; now: HookDef }
  | { kind: 'set'; set: keyof HookSets; hook: string; change: 'joined' | 'left' }
  | { kind: 'no-sets'; release: string };

function hookMap(hooks: ComparableTable['hooks']): Map<string, HookDef> {
  return hooks instanceof Map ? hooks : new Map(hooks.map((h) => [h.name, h]));
}

/** Differences from `before` to `now`: hooks in header order of `now` (removed ones after), then sets. */
export function diffTables(before: ComparableTable, now: ComparableTable): TableDifference[] {
  const a = hookMap(before.hooks);
  const b = hookMap(now.hooks);
  const out: TableDifference[] = [];
  for (const [name, h] of b) {
    const old = a.get(name);
    if (!old) {
      out.push({ kind: 'added', hook: name, now: h });
      continue;
    }
    const shape = (x: HookDef) => JSON.stringify([x.ret, x.args, x.extraFields ?? []]);
    if (shape(old) !== shape(h)) out.push({ kind: 'prototype', hook: name, before: old, now: h });
    if (old.defaultValue !== h.defaultValue) out.push({ kind: 'default', hook: name, before: old, now: h });
    if (old.condition !== h.condition) out.push({ kind: 'condition', hook: name, before: old, now: h });
  }
  for (const [name, h] of a) if (!b.has(name)) out.push({ kind: 'removed', hook: name, before: h });
  if (!before.sets || !now.sets) {
    for (const t of [before, now]) if (!t.sets) out.push({ kind: 'no-sets', release: t.release });
    return out;
  }
  for (const set of Object.keys(now.sets) as (keyof HookSets)[]) {
    const old = new Set(before.sets[set]);
    const cur = new Set(now.sets[set]);
    for (const hook of now.sets[set]) if (!old.has(hook)) out.push({ kind: 'set', set, hook, change: 'joined' });
    for (const hook of before.sets[set]) if (!cur.has(hook)) out.push({ kind: 'set', set, hook, change: 'left' });
  }
  return out;
}

/** `attachable` or `disabled` in a release, for the lines below (a disabled hook matters less). */
function state(table: ComparableTable, hook: string): string {
  return table.sets?.disabled.includes(hook) ? 'disabled' : 'attachable';
}

/** One line per difference, e.g. `prototype of inode_listsecurity (disabled): int ...(...) -> int ...(...)`. */
export function describeDifference(d: TableDifference, before: ComparableTable, now: ComparableTable): string {
  switch (d.kind) {
    case 'added':
      return `added (${state(now, d.hook)}): ${prototypeOf(d.now)}${d.now.condition ? ` [${d.now.condition}]` : ''}`;
    case 'removed':
      return `removed (was ${state(before, d.hook)}): ${prototypeOf(d.before)}`;
    case 'prototype':
      return `prototype of ${d.hook} (${state(now, d.hook)}): ${prototypeOf(d.before)} -> ${prototypeOf(d.now)}`;
    case 'default':
      return `default of ${d.hook}: ${d.before.defaultValue} -> ${d.now.defaultValue}`;
    case 'condition':
      return `condition of ${d.hook}: ${d.before.condition ?? 'none'} -> ${d.now.condition ?? 'none'}`;
    case 'set':
      return `${d.hook} ${d.change === 'joined' ? 'joined' : 'left'} the ${d.set} set`;
    case 'no-sets':
      return `${d.release} has no bpf_lsm sets of its own: sets not compared`;
  }
}

export function describeDifferences(before: ComparableTable, now: ComparableTable): string[] {
  return diffTables(before, now).map((d) => describeDifference(d, before, now));
}
