// The hook prober on the target, `lsm-probe` (vm/prober/lsm-probe.c): it loads minimal programs on every
// bpf_lsm_ function of the running kernel's BTF (lsm/, lsm.s/ and lsm_cgroup/, returning 0, 1 and -1)
// and prints what the verifier accepted as one JSON object. This module reads that object into
// ProbedFacts and derives the kernel's sets from it (disabled, sleepable, bool). Pure: the session that
// deploys and runs the prober is TargetSession.probeHooks.

/** The output version this parser reads (the prober's "version"). */
export const PROBER_OUTPUT_VERSION = 1;

/** The return values each kind of program is loaded with. */
export const PROBED_RETURNS = [0, 1, -1] as const;
export type ProbedReturn = (typeof PROBED_RETURNS)[number];

export type ProbedKind = 'lsm' | 'lsm.s' | 'cgroup';

/** A load the verifier refused: the kind, the return value, and why (errno name: the log's last word). */
export interface ProbedRefusal {
  kind: ProbedKind;
  ret: ProbedReturn;
  reason: string;
}

/** What the kernel said about one hook. */
export interface ProbedHook {
  name: string;
  /** The return type in BTF: `int`, `void`, or another type's name (`?` when it has none). */
  ret: string;
  /** The kernel refuses every program on this hook (its disabled list); the verifier's words. */
  disabled?: string;
  /** The return values an `lsm/` program may have (empty: none loads; all three: no range is checked). */
  lsm: ProbedReturn[];
  /**
   * Whether an `lsm.s/` (sleepable) program loads; on a disabled hook (where nothing loads), whether the
   * kernel's sleepable list has it. Undefined when not asked (no `lsm/` program loads).
   */
  sleepable?: boolean;
  /** The return values an `lsm_cgroup/` program may have; undefined when the kernel has no lsm_cgroup. */
  cgroup?: ProbedReturn[];
  refused: ProbedRefusal[];
}

export interface ProbedFacts {
  /** The target's `uname -r` and `uname -m`. */
  release: string;
  machine: string;
  /** SHA-256 of the target's /sys/kernel/btf/vmlinux (the key of the BTF cache), and its size. */
  btfChecksum: string;
  btfBytes: number;
  /** The kernel has BPF_LSM_CGROUP (6.0+). */
  lsmCgroup: boolean;
  /** How many programs were loaded, and how long the whole probe took on the target. */
  loads: number;
  ms: number;
  /** Every hook of the kernel's BTF, in BTF order (disabled ones too). */
  hooks: ProbedHook[];
  /** bpf_lsm_ functions the kernel says are no hooks (BPF LSM's own: verify_prog, init...). */
  notHooks: string[];
}

/** What lsm-probe printed is not its output (a crash, a prober of another version, a cut-off stream). */
export class ProbeOutputError extends Error {}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const HOOK_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REFUSAL_KEY = /^(lsm|lsm\.s|cgroup) (0|1|-1)$/;
const MAX_HOOKS = 4000;

function returnsOf(value: unknown, what: string): ProbedReturn[] {
  if (!Array.isArray(value) || !value.every((v) => (PROBED_RETURNS as readonly unknown[]).includes(v)))
    throw new ProbeOutputError(`${what} is not a list of 0, 1 and -1`);
  return PROBED_RETURNS.filter((r) => value.includes(r));
}

/** Reads lsm-probe's JSON (its whole stdout); throws ProbeOutputError saying what is wrong with it. */
export function parseProbeOutput(stdout: string): ProbedFacts {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch (err) {
    const where = stdout.trim() === '' ? 'nothing' : `something that is not JSON (${(err as Error).message})`;
    throw new ProbeOutputError(`lsm-probe printed ${where}`);
  }
  return probedFactsFrom(parsed);
}

/** The same, from the parsed object (a facts file embeds the prober's output as it was). */
export function probedFactsFrom(value: unknown): ProbedFacts {
  const bad = (why: string): never => {
    throw new ProbeOutputError(`lsm-probe's output ${why}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('is not an object');
  const o = value as Record<string, unknown>;
  if (o.prober !== 'lsm-probe') bad('is not from lsm-probe');
  if (o.version !== PROBER_OUTPUT_VERSION)
    bad(`has version ${JSON.stringify(o.version)}; this version of BPF LSM Studio reads version ${PROBER_OUTPUT_VERSION}`);
  if (typeof o.release !== 'string' || o.release === '') bad('has no kernel release');
  if (typeof o.machine !== 'string' || o.machine === '') bad('has no machine');
  if (typeof o.btf_sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(o.btf_sha256)) bad('has no BTF checksum');
  if (!isCount(o.btf_bytes)) bad('has no BTF size');
  if (typeof o.lsm_cgroup !== 'boolean') bad('does not say whether the kernel has lsm_cgroup (was it cut off?)');
  if (!isCount(o.loads) || !isCount(o.ms)) bad('has no load count or time');
  if (!Array.isArray(o.hooks)) return bad('has no hook list');
  if (o.hooks.length > MAX_HOOKS) bad(`has ${o.hooks.length} hooks (a kernel has about 280)`);
  const hooks: ProbedHook[] = [];
  const notHooks: string[] = [];
  const seen = new Set<string>();
  for (const entry of o.hooks as unknown[]) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return bad('has a hook entry that is not an object');
    const h = entry as Record<string, unknown>;
    if (typeof h.name !== 'string' || !HOOK_NAME.test(h.name)) return bad(`has a hook without a valid name: ${JSON.stringify(h.name)}`);
    const name = h.name;
    const at = (why: string): never => bad(`says of ${name}: ${why}`);
    if (seen.has(name)) at('twice');
    seen.add(name);
    if (typeof h.ret !== 'string') at('no return type');
    if (h.not_hook !== undefined) {
      if (typeof h.not_hook !== 'string') at('not_hook is not text');
      notHooks.push(name);
      continue;
    }
    const hook: ProbedHook = { name, ret: h.ret as string, lsm: [], refused: [] };
    if (h.lsm_s !== undefined) {
      if (typeof h.lsm_s !== 'boolean') at('lsm_s is not true or false');
      hook.sleepable = h.lsm_s as boolean;
    }
    if (h.disabled !== undefined) {
      if (typeof h.disabled !== 'string') at('disabled is not text');
      hook.disabled = h.disabled as string;
      hooks.push(hook);
      continue;
    }
    try {
      hook.lsm = returnsOf(h.lsm, 'lsm');
      if (h.cgroup !== undefined) hook.cgroup = returnsOf(h.cgroup, 'cgroup');
    } catch (err) {
      if (!(err instanceof ProbeOutputError)) throw err;
      at(err.message);
    }
    if ((h.cgroup !== undefined) !== o.lsm_cgroup) at(o.lsm_cgroup ? 'no lsm_cgroup results' : 'lsm_cgroup results on a kernel without it');
    if (h.refused !== undefined) {
      if (typeof h.refused !== 'object' || h.refused === null || Array.isArray(h.refused)) at('refused is not an object');
      for (const [key, reason] of Object.entries(h.refused as Record<string, unknown>)) {
        const m = REFUSAL_KEY.exec(key);
        if (!m || typeof reason !== 'string') return at(`a refusal ${JSON.stringify(key)} is not KIND RET: reason`);
        hook.refused.push({ kind: m[1] as ProbedKind, ret: Number(m[2]) as ProbedReturn, reason });
      }
    }
    hooks.push(hook);
  }
  return {
    release: o.release as string,
    machine: o.machine as string,
    btfChecksum: o.btf_sha256 as string,
    btfBytes: o.btf_bytes as number,
    lsmCgroup: o.lsm_cgroup as boolean,
    loads: o.loads as number,
    ms: o.ms as number,
    hooks,
    notHooks,
  };
}

/** How a hook's return value is checked, as far as the verifier shows it. */
export type ProbedReturns =
  /** 0 or a negative errno (the verifier refuses 1). */
  | 'int'
  /** 0 or 1 (the verifier refuses -1). */
  | 'bool'
  /** No return value (BTF says void; lsm_cgroup programs must return 1). */
  | 'void'
  /** Any value loads: the kernel checks no return range at load (before 6.12). */
  | 'unchecked'
  /** No plain lsm/ program loads (disabled), or the results fit no known rule. */
  | 'unknown';

export function probedReturns(hook: ProbedHook): ProbedReturns {
  if (hook.ret === 'void') return 'void';
  if (hook.disabled !== undefined || hook.lsm.length === 0) return 'unknown';
  const has = (r: ProbedReturn) => hook.lsm.includes(r);
  if (has(0) && has(1) && has(-1)) return 'unchecked';
  if (has(0) && has(1)) return 'bool';
  if (has(0) && has(-1)) return 'int';
  return 'unknown';
}

/** The kernel's sets as the probe found them (hook names, sorted). */
export interface ProbedSets {
  disabled: string[];
  sleepable: string[];
  /** Hooks whose programs must return 0 or 1: only on a kernel that checks return ranges. */
  bool: string[];
  /** The kernel checks return ranges at load (some int hook refuses 1): from 6.12. */
  returnRangesChecked: boolean;
}

export function probedSets(facts: ProbedFacts): ProbedSets {
  const names = (keep: (h: ProbedHook) => boolean) =>
    facts.hooks
      .filter(keep)
      .map((h) => h.name)
      .sort();
  return {
    disabled: names((h) => h.disabled !== undefined),
    sleepable: names((h) => h.sleepable === true),
    bool: names((h) => probedReturns(h) === 'bool'),
    returnRangesChecked: facts.hooks.some((h) => probedReturns(h) === 'int'),
  };
}

/** The shell command that checksums the target's BTF (sha256sum, or busybox's where there is none). */
export const BTF_CHECKSUM_SCRIPT = 'sha256sum /sys/kernel/btf/vmlinux 2>/dev/null || busybox sha256sum /sys/kernel/btf/vmlinux';
