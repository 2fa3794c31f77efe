// LSM hooks as the running kernel has them: every `bpf_lsm_<hook>` function of its BTF, with the
// parameters rendered as C. BPF LSM appends the trailing `int ret` itself, so BTF does not list it.
import { lsmKfuncNames } from '../hooks/callables';
import type { HookDef } from '../hooks/types';
import { BtfError, Kind, parseBtf, TypeRenderer } from './btfReader';

/**
 * Functions of kernel/bpf/bpf_lsm.c named bpf_lsm_* that are BPF LSM's own helpers, not hooks. BTF cannot
 * tell them apart, so they are listed (from bpf_lsm.c of 5.7 to 7.1).
 */
const NOT_HOOKS = new Set([
  'verify_prog',
  'find_cgroup_shim',
  'is_sleepable_hook',
  'is_trusted',
  'get_retval_range',
  'func_proto',
  'has_d_inode_locked',
  'hook_returns_errno',
  'init',
]);

/** A kernel has about 280 bpf_lsm_ functions; far more is not a kernel's BTF. */
const MAX_LSM_FUNCTIONS = 4000;

export interface BtfHookTable {
  hooks: HookDef[];
  /** bpf_lsm_* functions left out as BPF LSM internals. */
  skipped: string[];
  /** The kfuncs LSM programs may call on some bundled release that this BTF has as functions. */
  kfuncs: string[];
}

export function hooksFromBtf(data: Uint8Array): BtfHookTable {
  const btf = parseBtf(data);
  const render = new TypeRenderer(btf);
  const hooks: HookDef[] = [];
  const skipped: string[] = [];
  const seen = new Set<string>();
  let functions = 0;
  const knownKfuncs = lsmKfuncNames();
  const kfuncs = new Set<string>();
  for (let id = 1; id < btf.count; id++) {
    if (btf.kind(id) === Kind.Func) {
      const name = btf.name(id);
      if (knownKfuncs.has(name)) kfuncs.add(name);
    }
    if (btf.kind(id) !== Kind.Func || !btf.nameStartsWith(id, 'bpf_lsm_')) continue;
    if (++functions > MAX_LSM_FUNCTIONS) {
      throw new BtfError(`corrupt BTF: more than ${MAX_LSM_FUNCTIONS} bpf_lsm_ functions (a kernel has about 280)`);
    }
    const name = btf.name(id).slice('bpf_lsm_'.length);
    const proto = btf.ref(id);
    if (NOT_HOOKS.has(name) || btf.kind(proto) !== Kind.FuncProto) {
      skipped.push(name);
      continue;
    }
    if (seen.has(name)) continue;
    seen.add(name);
    const params = btf.params(proto);
    const isVoidList = params.length === 1 && params[0].type === 0;
    hooks.push({
      name,
      ret: render.render(btf.ref(proto)),
      defaultValue: '',
      args: isVoidList ? [] : params.map((p) => ({ type: render.render(p.type), name: p.name })),
      condition: null,
    });
  }
  // Without hooks the file cannot stand for a kernel: say so rather than quietly use another table.
  if (hooks.length === 0) {
    throw new BtfError("no bpf_lsm_ hook functions: is it a kernel's vmlinux BTF, built with CONFIG_BPF_LSM?");
  }
  hooks.sort((a, b) => a.name.localeCompare(b.name));
  return { hooks, skipped, kfuncs: [...kfuncs].sort() };
}
