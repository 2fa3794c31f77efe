// Shapes of LSM hook tables: what a release's lsm_hook_defs.h and bpf_lsm.c say about each hook.

export interface HookArg {
  /** The C type as written in the header, spacing normalised: `const struct cred *`. */
  type: string;
  /** The parameter name in the header (empty when the header names none). */
  name: string;
}

export interface HookDef {
  name: string;
  /** Return type of the hook: `int` or `void` (bool hooks are `int` in the header, see `sets.bool`). */
  ret: string;
  /** The DEFAULT field of LSM_HOOK: `0`, `-EOPNOTSUPP`, `LSM_RET_VOID`... */
  defaultValue: string;
  args: HookArg[];
  /** The preprocessor condition the entry sits under (`CONFIG_SECURITY_NETWORK`), or null. */
  condition: string | null;
  /** Fields between DEFAULT and NAME, for header formats that add them (e.g. a flags field). */
  extraFields?: string[];
  /** 1-based line of the entry in the header it came from. */
  line?: number;
}

/** Hook sets of kernel/bpf/bpf_lsm.c for one release (hook names). */
export interface HookSets {
  disabled: string[];
  sleepable: string[];
  untrusted: string[];
  bool: string[];
  current: string[];
  lockedSockopt: string[];
  unlockedSockopt: string[];
}

export interface ReleaseTable {
  /** Release as bundled: `6.12`, `6.1.20`, `6.6.46-rpi`. */
  release: string;
  hooks: Map<string, HookDef>;
  /** bpf_lsm.c sets, or null when the release has no bpf_lsm.c data (derive from neighbours). */
  sets: HookSets | null;
  /** Where the table came from: `bundled`, or the path of a user header. */
  source: string;
}
