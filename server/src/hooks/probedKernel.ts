// Hook facts asked of a kernel itself. lsm-probe (vm/prober/lsm-probe.c, run by TargetSession.probeHooks)
// loads minimal programs on every hook of the running kernel and reports what its verifier accepted
// (engine/src/prober.ts reads that); with the hooks' prototypes from the same kernel's BTF, that is a
// table of its own: the hooks that kernel has and its exact disabled, sleepable and bool sets, where a
// bundled table only knows what a release's sources say (a distribution kernel backports and configures).
// The facts file keeps it for CI (`bpf-lsm-lint --probe-target DEST --save-facts FILE`, then `--facts FILE`
// with no target): format and version, whose kernel and when, the prototypes, and lsm-probe's output as
// it printed it. Hooks compiled out of a kernel are not in its BTF, and so not in its facts.
import * as fs from 'node:fs';
import type { HookDef } from './types';
import type { HookCatalog, KernelTarget } from './catalog';
import {
  probedFactsFrom,
  probedSets,
  ProbeOutputError,
  type ProbedFacts,
  type ProbedHook,
  type ProbedReturn,
} from '../../../engine/src/prober';
import { readBoundedFile, type ReadLimit } from '../ctext/boundedRead';

export const FACTS_FORMAT = 'bpf-lsm-studio/hook-facts';
export const FACTS_VERSION = 1;
/** A facts file is about 150 KB (some 280 hooks). */
export const FACTS_LIMIT: ReadLimit = { what: 'a hook facts file', maxBytes: 16 * 1024 * 1024 };

/** A facts file, or a probe with its BTF, that cannot be used: the message says why. */
export class FactsError extends Error {}

/** One kernel as probed: its hooks (with prototypes) and what its verifier accepted on each. */
export interface ProbedKernel {
  /** Whose kernel: the ssh destination that was probed. */
  target: string;
  /** When it was probed (ISO 8601). */
  probedAt: string;
  /** Hooks with their prototypes from the kernel's BTF, in name order; BPF LSM's own functions left out. */
  hooks: HookDef[];
  probe: ProbedFacts;
  /** lsm-probe's output as it printed it (what a facts file keeps). */
  output: unknown;
}

/**
 * The probe of a kernel with the hooks of its BTF (hooksFromBtf, with the BTF's checksum, which must be
 * the probed one's). Throws FactsError.
 */
export function probedKernel(
  output: unknown,
  btf: { hooks: HookDef[]; checksum: string },
  target: string,
  probedAt: string = new Date().toISOString(),
): ProbedKernel {
  const probe = probeOf(output);
  if (btf.checksum !== probe.btfChecksum)
    throw new FactsError(`the BTF (SHA-256 ${btf.checksum.slice(0, 12)}…) is not the probed kernel's (${probe.btfChecksum.slice(0, 12)}…)`);
  return { target, probedAt, hooks: hooksOf(btf.hooks, probe), probe, output };
}

function probeOf(output: unknown): ProbedFacts {
  try {
    return probedFactsFrom(output);
  } catch (err) {
    if (err instanceof ProbeOutputError) throw new FactsError(err.message);
    throw err;
  }
}

/** The BTF's hooks that the kernel says are hooks (its probe has every bpf_lsm_ function). */
function hooksOf(btfHooks: HookDef[], probe: ProbedFacts): HookDef[] {
  const probed = new Set(probe.hooks.map((h) => h.name));
  const inBtf = new Set(btfHooks.map((h) => h.name));
  const missing = probe.hooks.filter((h) => !inBtf.has(h.name)).map((h) => h.name);
  if (missing.length > 0) throw new FactsError(`the probed hooks ${missing.slice(0, 5).join(', ')} have no prototype in the BTF`);
  return btfHooks.filter((h) => probed.has(h.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// The facts file.

/** [name, return type, [[param type, param name], ...]] */
type StoredPrototype = [string, string, [string, string][]];

/** The facts file's text: one line per prototype and per probed hook, so that two kernels' files diff well. */
export function factsFileText(kernel: ProbedKernel): string {
  const prototypes = kernel.hooks.map((h): StoredPrototype => [h.name, h.ret, h.args.map((a) => [a.type, a.name])]);
  const { hooks, ...probe } = kernel.output as { hooks: unknown[] };
  const probeHead = JSON.stringify(probe).slice(1, -1);
  return [
    '{',
    `"format": ${JSON.stringify(FACTS_FORMAT)},`,
    `"version": ${FACTS_VERSION},`,
    `"target": ${JSON.stringify(kernel.target)},`,
    `"probedAt": ${JSON.stringify(kernel.probedAt)},`,
    '"prototypes": [',
    prototypes.map((p) => JSON.stringify(p)).join(',\n'),
    '],',
    `"probe": {${probeHead},"hooks": [`,
    hooks.map((h) => JSON.stringify(h)).join(',\n'),
    ']}',
    '}',
    '',
  ].join('\n');
}

const isText = (v: unknown): v is string => typeof v === 'string';

/** Reads a facts file's text; throws FactsError saying what is wrong. */
export function parseFactsFile(text: string): ProbedKernel {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new FactsError(`is not JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FactsError('is not a JSON object');
  const o = value as Record<string, unknown>;
  if (o.format !== FACTS_FORMAT) throw new FactsError(`is not a hook facts file (no "format": "${FACTS_FORMAT}")`);
  if (o.version !== FACTS_VERSION)
    throw new FactsError(
      `has version ${JSON.stringify(o.version)}; this version of BPF LSM Studio reads version ${FACTS_VERSION}: probe the target again (--probe-target DEST --save-facts FILE)`,
    );
  if (!isText(o.target) || !isText(o.probedAt)) throw new FactsError('has no target or probedAt');
  if (!Array.isArray(o.prototypes)) throw new FactsError('has no prototypes');
  const hooks: HookDef[] = [];
  for (const p of o.prototypes as unknown[]) {
    const ok =
      Array.isArray(p) &&
      p.length === 3 &&
      isText(p[0]) &&
      isText(p[1]) &&
      Array.isArray(p[2]) &&
      (p[2] as unknown[]).every((a) => Array.isArray(a) && a.length === 2 && isText(a[0]) && isText(a[1]));
    if (!ok)
      throw new FactsError(`has a prototype that is not [name, return type, [[type, name], ...]]: ${JSON.stringify(p).slice(0, 120)}`);
    const [name, ret, args] = p as StoredPrototype;
    hooks.push({ name, ret, defaultValue: '', args: args.map(([type, argName]) => ({ type, name: argName })), condition: null });
  }
  const probe = probeOf(o.probe);
  return { target: o.target, probedAt: o.probedAt, hooks: hooksOf(hooks, probe), probe, output: o.probe };
}

/** lsm-probe's output as TargetSession.probeHooks caches it, and when it was written; throws InputFileError or FactsError. */
export function readProbeOutput(file: string): { output: unknown; probedAt: string } {
  const data = readBoundedFile(file, FACTS_LIMIT);
  try {
    return { output: JSON.parse(data.toString('utf8')), probedAt: fs.statSync(file).mtime.toISOString() };
  } catch (err) {
    throw new FactsError(`is not lsm-probe's output (${(err as Error).message})`);
  }
}

/** Reads a facts file (bounded: a FIFO or /dev/zero gets a reason); throws InputFileError or FactsError. */
export function readFactsFile(file: string): ProbedKernel {
  return parseFactsFile(readBoundedFile(file, FACTS_LIMIT).toString('utf8'));
}

// ---------------------------------------------------------------------------------------------
// The target: the kernel's hooks, its probed sets, the rest of the rules from its release.

/** The probed hook behind each probed target's hooks (for hovers), by target. */
const probedHooks = new WeakMap<KernelTarget, Map<string, ProbedHook>>();

/**
 * The target a probed kernel gives: its hooks, its disabled, sleepable and bool sets as its verifier
 * showed them; the release's other rules (and sets the probe cannot see: untrusted, current, sockopt)
 * from the bundled release of its series (catalog.select). `path`: the facts file, when read from one.
 */
export function probedTarget(kernel: ProbedKernel, catalog: HookCatalog, path?: string): KernelTarget {
  const { probe } = kernel;
  const base = catalog.target({ kernel: probe.release }).target;
  const sets = probedSets(probe);
  const target: KernelTarget = {
    ...base,
    hooks: new Map(kernel.hooks.map((h) => [h.name, h])),
    sets: { ...base.sets, disabled: sets.disabled, sleepable: sets.sleepable, bool: sets.bool },
    source: { kind: 'probed', release: probe.release, label: kernel.target, ...(path !== undefined ? { path } : {}) },
    note:
      `hooks and their disabled, sleepable and bool sets probed on ${kernel.target} (${probe.release}, ${kernel.probedAt.slice(0, 10)}); ` +
      `other rules of ${base.release}`,
  };
  probedHooks.set(target, new Map(probe.hooks.map((h) => [h.name, h])));
  return target;
}

/** What the kernel said about a hook, when the target was probed. */
export function probedHookOf(target: KernelTarget, name: string): ProbedHook | undefined {
  return probedHooks.get(target)?.get(name);
}

/** `0, -1` */
export function describeReturns(values: readonly ProbedReturn[]): string {
  return values.length === 0 ? 'none' : values.join(', ');
}
