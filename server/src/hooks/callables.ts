// What an LSM program may call on a kernel: the BPF helpers per section kind, the kfuncs, the hook
// arguments the kernel may pass as NULL, and the verifier's words for each refusal, from
// server/data/lsm-callables.json (derived from the VM kernels' sources by scripts/generate-lsm-callables.ts).
// A release of the data answers for its whole series (6.12.117 for 6.12 and 6.12.x). A kernel between two
// data releases gets what both neighbours agree on, and nothing where they differ; a kernel before the
// oldest or after the newest gets no rules at all (no claim).
import storedCallables from '../../data/lsm-callables.json';
import { compareVersions, parseVersion, type Version } from './versions';

export type CallKind = 'lsm' | 'lsm.s' | 'lsm_cgroup';
const KIND_INDEX: Record<CallKind, 1 | 2 | 3> = { lsm: 1, 'lsm.s': 2, lsm_cgroup: 3 };
export const CALL_KINDS = Object.keys(KIND_INDEX) as CallKind[];

/**
 * yes: loads; refused: the program type may not use it; sleeps: it may sleep and the program may not;
 * hook: only on hooks of the sleepable set; hook-sleeps: only there, and it sleeps; unknown: no claim.
 */
export type HelperVerdict = 'yes' | 'refused' | 'sleeps' | 'hook' | 'hook-sleeps' | 'unknown';

/** usable: an LSM program may call it (sleepable: only a sleepable one); other: the kernel has it, not for LSM; absent: the kernel lacks it. */
export type KfuncStatus = 'usable' | 'sleepable' | 'other' | 'absent' | 'unknown';

/** The verifier's words for each refusal, per release (scripts/lsmCallables.ts reads them from verifier.c). */
export interface VerifierMessages {
  /** get_func_proto gave NULL (`%s#%d`: the helper's name and number). */
  refused: string | null;
  /** A might_sleep proto in a non-sleepable program. */
  sleeps: string | null;
  /** A proto's `.allowed` said no. */
  notAllowed: string | null;
  /** A KF_SLEEPABLE kfunc in a non-sleepable program (`%s`: the kfunc). */
  sleepableKfunc: string | null;
  /** A kfunc not registered for the program's type. */
  kfuncNotAllowed: string | null;
}

interface StoredRelease {
  release: string;
  source: string;
  messages: VerifierMessages;
  helpers: Record<string, (number | string)[]>;
  kfuncs: Record<string, string>;
  otherKfuncs: string[];
  unsureKfuncs: string[];
  nullable: Record<string, string[]>;
}

export interface CallableRules {
  /** What the rules are from: `7.2.13`, or `6.12.117 and 7.2.13` for a kernel between them. */
  basis: string;
  /** The helper's number and verdict, or undefined when `name` (without `bpf_`) is no helper. */
  helper(name: string, kind: CallKind): { id: number; verdict: HelperVerdict } | undefined;
  /** Helper names (without `bpf_`), in number order. */
  helperNames(): string[];
  kfunc(name: string): KfuncStatus;
  /** Hook arguments the kernel may pass as NULL; null when the neighbours disagree. */
  nullable(hook: string): string[] | null;
  messages: VerifierMessages;
}

class ReleaseRules implements CallableRules {
  readonly basis: string;
  readonly messages: VerifierMessages;
  private readonly kfuncNames: Set<string>;
  private readonly others: Set<string>;
  private readonly unsure: Set<string>;
  constructor(readonly data: StoredRelease) {
    this.basis = data.release;
    this.messages = data.messages;
    this.kfuncNames = new Set(Object.keys(data.kfuncs));
    this.others = new Set(data.otherKfuncs);
    this.unsure = new Set(data.unsureKfuncs);
  }
  helper(name: string, kind: CallKind) {
    const h = Object.hasOwn(this.data.helpers, name) ? this.data.helpers[name] : undefined;
    return h ? { id: h[0] as number, verdict: h[KIND_INDEX[kind]] as HelperVerdict } : undefined;
  }
  helperNames(): string[] {
    return Object.keys(this.data.helpers);
  }
  kfunc(name: string): KfuncStatus {
    if (this.kfuncNames.has(name)) return this.data.kfuncs[name] === 'sleepable' ? 'sleepable' : 'usable';
    if (this.others.has(name)) return 'other';
    if (this.unsure.has(name)) return 'unknown';
    // Absent only when some release of the data knows it: a name no release has may be a module's kfunc.
    return everyKfunc().has(name) ? 'absent' : 'unknown';
  }
  nullable(hook: string): string[] {
    return Object.hasOwn(this.data.nullable, hook) ? this.data.nullable[hook] : [];
  }
}

/** What two neighbouring releases agree on. */
class AgreedRules implements CallableRules {
  readonly basis: string;
  readonly messages: VerifierMessages;
  constructor(
    private readonly a: ReleaseRules,
    private readonly b: ReleaseRules,
  ) {
    this.basis = `${a.basis} and ${b.basis}`;
    const same = (k: keyof VerifierMessages) => (a.messages[k] === b.messages[k] ? a.messages[k] : null);
    this.messages = {
      refused: same('refused'),
      sleeps: same('sleeps'),
      notAllowed: same('notAllowed'),
      sleepableKfunc: same('sleepableKfunc'),
      kfuncNotAllowed: same('kfuncNotAllowed'),
    };
  }
  helper(name: string, kind: CallKind) {
    const [x, y] = [this.a.helper(name, kind), this.b.helper(name, kind)];
    if (!x || !y) return (x ?? y) ? { id: (x ?? y)!.id, verdict: 'unknown' as const } : undefined;
    return { id: x.id, verdict: x.verdict === y.verdict && x.id === y.id ? x.verdict : 'unknown' };
  }
  helperNames(): string[] {
    return this.a.helperNames().filter((n) => this.b.helper(n, 'lsm'));
  }
  kfunc(name: string): KfuncStatus {
    const x = this.a.kfunc(name);
    return x === this.b.kfunc(name) ? x : 'unknown';
  }
  nullable(hook: string): string[] | null {
    const [x, y] = [this.a.nullable(hook), this.b.nullable(hook)];
    return x.join() === y.join() ? x : null;
  }
}

const RELEASES: ReleaseRules[] = (storedCallables.releases as unknown as StoredRelease[]).map((r) => new ReleaseRules(r));
let allKfuncs: Set<string> | undefined;

function everyKfunc(): Set<string> {
  allKfuncs ??= new Set(RELEASES.flatMap((r) => [...Object.keys(r.data.kfuncs), ...r.data.otherKfuncs, ...r.data.unsureKfuncs]));
  return allKfuncs;
}

let lsmKfuncs: Set<string> | undefined;

/**
 * Kfuncs an LSM program may call on some data release: the names a kernel's BTF is searched for (a BTF
 * without one of them is a kernel without it; other kfuncs may live in modules, whose BTF is elsewhere).
 */
export function lsmKfuncNames(): Set<string> {
  lsmKfuncs ??= new Set(RELEASES.flatMap((r) => Object.keys(r.data.kfuncs)));
  return lsmKfuncs;
}

const seriesOf = (v: Version) => `${v[0]}.${v[1]}`;

/** The data releases, oldest first, with their sources (for hover: "on which releases"). */
export function callableReleases(): { release: string; source: string; rules: CallableRules }[] {
  return RELEASES.map((r) => ({ release: r.data.release, source: r.data.source, rules: r }));
}

/** The rules for a kernel version, or null (no claim). */
export function callableRulesFor(version: Version): CallableRules | null {
  const exact = RELEASES.find((r) => seriesOf(parseVersion(r.data.release)!) === seriesOf(version));
  if (exact) return exact;
  const idx = RELEASES.findIndex((r) => compareVersions(parseVersion(r.data.release)!, version) > 0);
  if (idx <= 0) return null;
  return new AgreedRules(RELEASES[idx - 1], RELEASES[idx]);
}
