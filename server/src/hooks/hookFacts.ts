// What is known about one hook across the bundled releases and in the target: for hovers and completion.
import { formatParam } from '../ctext/cDecl';
import { kernelRules, type HookCatalog, type KernelTarget } from './catalog';
import { describeReleases } from './releaseList';
import type { HookDef } from './types';

export type Returns = 'int' | 'void' | 'bool';

/** What the target says about a hook: cheap enough to compute for every hook on each completion. */
export interface HookStatus {
  name: string;
  /** The hook in the target, if the target has it. */
  def: HookDef | undefined;
  returns: Returns | undefined;
  sleepable: boolean;
  disabled: boolean;
  /** lsm_cgroup programs attach to hooks that return a verdict, from 6.0. */
  cgroupCapable: boolean;
}

/** A hook's status plus its history across the bundled releases (for hovers). */
export interface HookFacts extends HookStatus {
  /** Releases (oldest first) with the hook. */
  releases: string[];
  /** Each distinct prototype and the releases that have it, oldest first. */
  prototypes: { prototype: string; releases: string[] }[];
}

export function prototypeOf(hook: HookDef): string {
  const args = hook.args.map((a) => formatParam(a.type, a.name)).join(', ');
  return `${hook.ret} ${hook.name}(${args || 'void'})`;
}

/** The BPF_PROG argument list a program on this hook declares (with the trailing `int ret` for int hooks). */
export function programArgs(hook: HookDef, returns: Returns): string[] {
  const args = hook.args.map((a, i) => formatParam(a.type, a.name || `arg${i}`));
  if (returns === 'int') args.push('int ret');
  return args;
}

export function hookStatus(name: string, target: KernelTarget): HookStatus {
  const def = target.hooks.get(name);
  const isBool = target.sets.bool.includes(name);
  return {
    name,
    def,
    returns: def ? (def.ret === 'void' ? 'void' : isBool ? 'bool' : 'int') : undefined,
    sleepable: kernelRules.hasSleepable(target.version) && target.sets.sleepable.includes(name),
    disabled: target.sets.disabled.includes(name),
    // Void hooks too: their lsm_cgroup programs must return 1 (the verifier's rule; probed on 6.1-7.3).
    cgroupCapable: kernelRules.hasLsmCgroup(target.version) && !!def,
  };
}

export function hookFacts(name: string, target: KernelTarget, catalog: HookCatalog): HookFacts {
  const prototypes: { prototype: string; releases: string[] }[] = [];
  for (const release of catalog.releases) {
    const h = release.hooks.get(name);
    if (!h) continue;
    const p = prototypeOf(h);
    const last = prototypes[prototypes.length - 1];
    if (last && last.prototype === p) last.releases.push(release.release);
    else prototypes.push({ prototype: p, releases: [release.release] });
  }
  return { ...hookStatus(name, target), releases: catalog.releasesWith(name), prototypes };
}

/** One line per prototype change: "6.3 to 7.1.5: int inode_setxattr(...)". */
export function describePrototypeHistory(facts: HookFacts, catalog: HookCatalog): string[] {
  const all = catalog.releases.map((r) => r.release);
  return facts.prototypes.map((p) => `${describeReleases(p.releases, all)}: ${p.prototype}`);
}
