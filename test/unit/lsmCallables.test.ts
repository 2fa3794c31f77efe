// The derivation of what LSM programs may call (scripts/lsmCallables.ts), on small excerpts shaped like the
// kernel's own sources (bpf.h's mapper in both forms, bpf_lsm_func_proto and the functions it delegates
// to, protos, kfunc sets, bpf_lsm_proto.c, verifier.c), with literal expected results.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  deriveCallables,
  filterPassesLsm,
  kfuncRules,
  parseHelperIds,
  parseNullableArgs,
  parseVerifierMessages,
  stripC,
} from '../../scripts/lsmCallables';
import { callableRulesFor } from '../../server/src/hooks/callables';

const BPF_H_OLD = `/* helpers */
#define __BPF_FUNC_MAPPER(FN)		\\
	FN(unspec),			\\
	FN(map_lookup_elem),		\\
	FN(d_path),			\\
	/* */
`;

const BPF_H_NEW = `#define ___BPF_FUNC_MAPPER(FN, ctx...)			\\
	FN(unspec, 0, ##ctx)				\\
	FN(map_lookup_elem, 1, ##ctx)			\\
	FN(copy_from_user, 148, ##ctx)			\\
	/* */
#define __BPF_FUNC_MAPPER_APPLY(name, value, FN) FN(name),
#define __BPF_FUNC_MAPPER(FN) ___BPF_FUNC_MAPPER(__BPF_FUNC_MAPPER_APPLY, FN)
`;

const BPF_LSM_C = `
static const struct bpf_func_proto *
bpf_lsm_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)
{
	const struct bpf_func_proto *func_proto;

	if (prog->expected_attach_type == BPF_LSM_CGROUP) {
		func_proto = cgroup_common_func_proto(func_id, prog);
		if (func_proto)
			return func_proto;
	}

	switch (func_id) {
	case BPF_FUNC_inode_storage_get:
		return &bpf_inode_storage_get_proto;
#ifdef CONFIG_NET
	case BPF_FUNC_setsockopt:
		if (prog->expected_attach_type != BPF_LSM_CGROUP)
			return NULL;
		if (btf_id_set_contains(&bpf_lsm_locked_sockopt_hooks, prog->aux->attach_btf_id))
			return &bpf_sk_setsockopt_proto;
		return NULL;
#endif
	case BPF_FUNC_get_attach_cookie:
		return bpf_prog_has_trampoline(prog) ? &bpf_get_attach_cookie_proto : NULL;
	default:
		return tracing_prog_func_proto(func_id, prog);
	}
}
const struct bpf_func_proto bpf_inode_storage_get_proto = { .func = x, };
const struct bpf_func_proto bpf_sk_setsockopt_proto = { .func = x, };
const struct bpf_func_proto bpf_get_attach_cookie_proto = { .func = x, };
const struct bpf_func_proto bpf_ima_inode_hash_proto = {
	.func		= bpf_ima_inode_hash,
	.allowed	= bpf_ima_inode_hash_allowed,
	.might_sleep	= true,
};
static bool bpf_ima_inode_hash_allowed(const struct bpf_prog *prog)
{
	return bpf_lsm_is_sleepable_hook(prog->aux->attach_btf_id);
}
int bpf_lsm_mmap_file(struct file *file__nullable, unsigned long reqprot,
		      unsigned long prot, unsigned long flags)
{
	return 0;
}
`;

const BPF_TRACE_C = `
const struct bpf_func_proto *
tracing_prog_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)
{
	const struct bpf_func_proto *fn;

	switch (func_id) {
	case BPF_FUNC_seq_printf:
		return prog->expected_attach_type == BPF_TRACE_ITER ?
		       &bpf_seq_printf_proto :
		       NULL;
	case BPF_FUNC_d_path:
		return &bpf_d_path_proto;
	case BPF_FUNC_ima_inode_hash:
		return &bpf_ima_inode_hash_proto;
	default:
		fn = bpf_tracing_func_proto(func_id, prog);
		if (!fn && prog->expected_attach_type == BPF_TRACE_ITER)
			fn = bpf_iter_get_func_proto(func_id, prog);
		return fn;
	}
}
static const struct bpf_func_proto *
bpf_tracing_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)
{
	switch (func_id) {
	case BPF_FUNC_trace_printk:
		return bpf_get_trace_printk_proto();
	default:
		break;
	}
	return bpf_base_func_proto(func_id);
}
static bool bpf_d_path_allowed(const struct bpf_prog *prog)
{
	if (prog->type == BPF_PROG_TYPE_TRACING &&
	    prog->expected_attach_type == BPF_TRACE_ITER)
		return true;

	if (prog->type == BPF_PROG_TYPE_LSM)
		return bpf_lsm_is_sleepable_hook(prog->aux->attach_btf_id);

	return btf_id_set_contains(&btf_allowlist_d_path,
				   prog->aux->attach_btf_id);
}
static const struct bpf_func_proto bpf_d_path_proto = {
	.func		= bpf_d_path,
	.allowed	= bpf_d_path_allowed,
};
const struct bpf_func_proto bpf_seq_printf_proto = { .func = x, };

BTF_KFUNCS_START(key_sig_kfunc_set)
BTF_ID_FLAGS(func, bpf_lookup_user_key, KF_ACQUIRE | KF_RET_NULL | KF_SLEEPABLE)
BTF_ID_FLAGS(func, bpf_key_put, KF_RELEASE)
BTF_KFUNCS_END(key_sig_kfunc_set)

static const struct btf_kfunc_id_set bpf_key_sig_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &key_sig_kfunc_set,
};

static int __init bpf_key_sig_kfuncs_init(void)
{
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING,
					 &bpf_key_sig_kfunc_set);
}
`;

const HELPERS_C = `
const struct bpf_func_proto *
bpf_base_func_proto(enum bpf_func_id func_id)
{
	switch (func_id) {
	case BPF_FUNC_map_lookup_elem:
		return &bpf_map_lookup_elem_proto;
	default:
		break;
	}

	if (!bpf_capable())
		return NULL;

	switch (func_id) {
	case BPF_FUNC_copy_from_user:
		return &bpf_copy_from_user_proto;
	case BPF_FUNC_probe_read_kernel:
		return security_locked_down(LOCKDOWN_BPF_READ_KERNEL) < 0 ?
		       NULL : &bpf_probe_read_kernel_proto;
	default:
		return NULL;
	}
}
const struct bpf_func_proto bpf_map_lookup_elem_proto = { .func = x, };
const struct bpf_func_proto bpf_copy_from_user_proto = {
	.func		= bpf_copy_from_user,
	.gpl_only	= false,
	.might_sleep	= true,
};
`;

const CGROUP_C = `
const struct bpf_func_proto *
cgroup_common_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)
{
	switch (func_id) {
	case BPF_FUNC_get_retval:
		switch (prog->expected_attach_type) {
		case BPF_CGROUP_INET_INGRESS:
		case BPF_CGROUP_SOCK_OPS:
			return NULL;
		default:
			return &bpf_get_retval_proto;
		}
	default:
		return NULL;
	}
}
const struct bpf_func_proto bpf_get_retval_proto = { .func = x, };
`;

const FS_KFUNCS_C = `
BTF_KFUNCS_START(bpf_fs_kfunc_set_ids)
BTF_ID_FLAGS(func, bpf_put_file, KF_RELEASE)
BTF_ID_FLAGS(func, bpf_get_file_xattr, KF_SLEEPABLE | KF_TRUSTED_ARGS)
BTF_KFUNCS_END(bpf_fs_kfunc_set_ids)

static int bpf_fs_kfuncs_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	if (!btf_id_set8_contains(&bpf_fs_kfunc_set_ids, kfunc_id) ||
	    prog->type == BPF_PROG_TYPE_LSM)
		return 0;
	return -EACCES;
}

static const struct btf_kfunc_id_set bpf_fs_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &bpf_fs_kfunc_set_ids,
	.filter = bpf_fs_kfuncs_filter,
};

static int __init bpf_fs_kfuncs_init(void)
{
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_LSM, &bpf_fs_kfunc_set);
}
BTF_KFUNCS_START(xdp_metadata_kfunc_ids)
BTF_ID_FLAGS(func, bpf_xdp_metadata_rx_hash, KF_TRUSTED_ARGS)
BTF_KFUNCS_END(xdp_metadata_kfunc_ids)
static const struct btf_kfunc_id_set xdp_metadata_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &xdp_metadata_kfunc_ids,
};
static int __init xdp_metadata_init(void)
{
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &xdp_metadata_kfunc_set);
}
BTF_KFUNCS_START(tracing_only_ids)
BTF_ID_FLAGS(func, bpf_hidden_kfunc)
BTF_KFUNCS_END(tracing_only_ids)
static int tracing_iter_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	if (prog->expected_attach_type == BPF_TRACE_ITER)
		return 0;
	return -EACCES;
}
static const struct btf_kfunc_id_set tracing_only_set = {
	.owner = THIS_MODULE,
	.set = &tracing_only_ids,
	.filter = tracing_iter_filter,
};
static int __init tracing_only_init(void)
{
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &tracing_only_set);
}
`;

const VERIFIER_6_1 = `
	if (env->ops->get_func_proto)
		fn = env->ops->get_func_proto(func_id, env->prog);
	if (!fn) {
		verbose(env, "unknown func %s#%d\\n", func_id_name(func_id),
			func_id);
		return -EINVAL;
	}
	if (fn->allowed && !fn->allowed(env->prog)) {
		verbose(env, "helper call is not allowed in probe\\n");
		return -EINVAL;
	}
	if (!env->prog->aux->sleepable && fn->might_sleep) {
		verbose(env, "helper call might sleep in a non-sleepable prog\\n");
		return -EINVAL;
	}
		verbose(env, "calling kernel function %s is not allowed\\n",
`;
const BTF_6_1 = `		bpf_log(log, "kernel function %s is sleepable but the program is not\\n",`;

const VERIFIER_7_2 = `
static const char *non_sleepable_context_description(struct bpf_verifier_env *env)
{
	if (env->cur_state->active_rcu_locks)
		return "rcu_read_lock region";
	return "non-sleepable prog";
}
		verbose(env, "program of this type cannot use helper %s#%d\\n",
		verbose(env, "helper call is not allowed in probe\\n");
		verbose(env, "sleepable helper %s#%d in %s\\n", func_id_name(func_id), func_id,
		verbose(env, "program must be sleepable to call sleepable kfunc %s\\n", func_name);
		verbose(env, "calling kernel function %s is not allowed\\n", meta.func_name);
`;

function tree(bpfH: string, verifier: string, btf = ''): Map<string, string> {
  return new Map([
    ['include/uapi/linux/bpf.h', bpfH],
    ['kernel/bpf/bpf_lsm.c', BPF_LSM_C],
    ['kernel/trace/bpf_trace.c', BPF_TRACE_C],
    ['kernel/bpf/helpers.c', HELPERS_C],
    ['kernel/bpf/cgroup.c', CGROUP_C],
    ['fs/bpf_fs_kfuncs.c', FS_KFUNCS_C],
    ['kernel/bpf/verifier.c', verifier],
    ['kernel/bpf/btf.c', btf],
  ]);
}

describe('lsm callables: helper names and numbers', () => {
  it('reads the 6.1 mapper (numbered in order) and the 6.2+ one (numbers written)', () => {
    assert.deepEqual(parseHelperIds(BPF_H_OLD), [
      { name: 'map_lookup_elem', id: 1 },
      { name: 'd_path', id: 2 },
    ]);
    assert.deepEqual(parseHelperIds(BPF_H_NEW), [
      { name: 'map_lookup_elem', id: 1 },
      { name: 'copy_from_user', id: 148 },
    ]);
  });
});

describe('lsm callables: helper verdicts per section kind', () => {
  const ids = `#define ___BPF_FUNC_MAPPER(FN, ctx...) \\
	FN(unspec, 0, ##ctx) FN(map_lookup_elem, 1, ##ctx) FN(probe_read_kernel, 113, ##ctx) \\
	FN(trace_printk, 6, ##ctx) FN(setsockopt, 49, ##ctx) FN(seq_printf, 126, ##ctx) \\
	FN(d_path, 147, ##ctx) FN(copy_from_user, 148, ##ctx) FN(ima_inode_hash, 161, ##ctx) \\
	FN(get_attach_cookie, 174, ##ctx) FN(get_retval, 186, ##ctx) FN(inode_storage_get, 99, ##ctx) \\
	FN(xdp_adjust_head, 44, ##ctx)
`;
  const d = deriveCallables(tree(ids, VERIFIER_7_2));
  const v = (name: string) => {
    const h = d.helpers.find((x) => x.name === name)!;
    return [h.id, h.lsm, h['lsm.s'], h.lsm_cgroup];
  };
  it('follows the switch, the default and the delegations to the base protos', () => {
    assert.deepEqual(v('map_lookup_elem'), [1, 'yes', 'yes', 'yes']);
    assert.deepEqual(v('inode_storage_get'), [99, 'yes', 'yes', 'yes']);
    assert.deepEqual(v('xdp_adjust_head'), [44, 'refused', 'refused', 'refused']);
    assert.deepEqual(v('seq_printf'), [126, 'refused', 'refused', 'refused']);
  });
  it('models sleepable protos, the sleepable-hook rule, the trampoline and lsm_cgroup-only helpers', () => {
    assert.deepEqual(v('copy_from_user'), [148, 'sleeps', 'yes', 'sleeps']);
    assert.deepEqual(v('d_path'), [147, 'hook', 'hook', 'hook']);
    assert.deepEqual(v('ima_inode_hash'), [161, 'hook-sleeps', 'hook', 'hook-sleeps']);
    assert.deepEqual(v('get_attach_cookie'), [174, 'yes', 'yes', 'refused']);
    assert.deepEqual(v('get_retval'), [186, 'refused', 'refused', 'yes']);
  });
  it('claims nothing where it cannot follow: lockdown, a proto built by a call, a hook-set condition', () => {
    assert.deepEqual(v('probe_read_kernel'), [113, 'unknown', 'unknown', 'unknown']);
    assert.deepEqual(v('trace_printk'), [6, 'unknown', 'unknown', 'unknown']);
    assert.deepEqual(v('setsockopt'), [49, 'refused', 'refused', 'unknown']);
  });
  it('reads the nullable arguments of the strong hook definitions', () => {
    assert.deepEqual(d.nullable, { mmap_file: ['file'] });
    assert.deepEqual(parseNullableArgs('int bpf_lsm_file_open(struct file *file)\n{\n\treturn 0;\n}'), {});
  });
});

describe('lsm callables: kfuncs', () => {
  const k = kfuncRules([stripC(BPF_TRACE_C), stripC(FS_KFUNCS_C)]);
  it('keeps the sets registered for LSM, TRACING and UNSPEC whose filter lets LSM through, with KF_SLEEPABLE', () => {
    assert.deepEqual(k.kfuncs, [
      { name: 'bpf_get_file_xattr', sleepable: true },
      { name: 'bpf_key_put', sleepable: false },
      { name: 'bpf_lookup_user_key', sleepable: true },
      { name: 'bpf_put_file', sleepable: false },
    ]);
  });
  it('names as other only kfuncs registered for other program types; an unrecognised filter is no claim', () => {
    assert.deepEqual(k.otherKfuncs, ['bpf_xdp_metadata_rx_hash']);
    assert.ok(k.allKfuncs.includes('bpf_hidden_kfunc'));
    assert.ok(!k.kfuncs.some((x) => x.name === 'bpf_hidden_kfunc'));
  });
  it('recognises the filters of fs/bpf_fs_kfuncs.c (6.12 and 7.3) and fs/verity', () => {
    assert.equal(
      filterPassesLsm('if (!btf_id_set8_contains(&s, kfunc_id) ||\n prog->type == BPF_PROG_TYPE_LSM)\n return 0;\n return -EACCES;'),
      true,
    );
    assert.equal(
      filterPassesLsm('if (!btf_id_set8_contains(&s, kfunc_id))\n return 0;\n if (prog->type == BPF_PROG_TYPE_LSM)\n return 0;'),
      true,
    );
    assert.equal(filterPassesLsm('return prog->type != BPF_PROG_TYPE_LSM ? -EACCES : 0;'), true);
    assert.equal(filterPassesLsm('if (prog->type == BPF_PROG_TYPE_TRACING) return 0; return -EACCES;'), false);
  });
});

describe("lsm callables: the verifier's words", () => {
  it('6.1', () => {
    assert.deepEqual(parseVerifierMessages(stripC(VERIFIER_6_1), stripC(BTF_6_1)), {
      refused: 'unknown func %s#%d',
      sleeps: 'helper call might sleep in a non-sleepable prog',
      notAllowed: 'helper call is not allowed in probe',
      kfuncNotAllowed: 'calling kernel function %s is not allowed',
      sleepableKfunc: 'kernel function %s is sleepable but the program is not',
    });
  });
  it('7.2: the sleeping helper message names the context', () => {
    assert.deepEqual(parseVerifierMessages(stripC(VERIFIER_7_2), ''), {
      refused: 'program of this type cannot use helper %s#%d',
      sleeps: 'sleepable helper %s#%d in non-sleepable prog',
      notAllowed: 'helper call is not allowed in probe',
      kfuncNotAllowed: 'calling kernel function %s is not allowed',
      sleepableKfunc: 'program must be sleepable to call sleepable kfunc %s',
    });
  });
});

describe('lsm callables: hostile input', () => {
  it('an unbalanced or self-recursive proto function gives unknown, not a hang or a throw', () => {
    const loop = `const struct bpf_func_proto *bpf_lsm_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)
{ return bpf_lsm_func_proto(func_id, prog); }`;
    const files = tree(BPF_H_NEW, VERIFIER_7_2);
    files.set('kernel/bpf/bpf_lsm.c', loop);
    const d = deriveCallables(files);
    assert.deepEqual(
      d.helpers.map((h) => h.lsm),
      ['unknown', 'unknown'],
    );
  });
});

describe('lsm callables: the rules a kernel gets (server/data/lsm-callables.json)', () => {
  it('a data release answers for its series', () => {
    const rules = callableRulesFor([6, 12, 3])!;
    assert.equal(rules.basis, '6.12.117');
    assert.deepEqual(rules.helper('copy_from_user', 'lsm'), { id: 148, verdict: 'sleeps' });
    assert.equal(rules.kfunc('bpf_get_file_xattr'), 'sleepable');
    assert.deepEqual(rules.nullable('mmap_file'), []);
  });
  it('a kernel between two data releases gets what both agree on, and no claim where they differ', () => {
    const rules = callableRulesFor([6, 19, 0])!;
    assert.equal(rules.basis, '6.12.117 and 7.2.13');
    assert.deepEqual(rules.helper('get_retval', 'lsm'), { id: 186, verdict: 'refused' });
    assert.equal(rules.nullable('mmap_file'), null, '6.12 has no __nullable, 7.2 has');
    assert.equal(rules.messages.sleeps, null, 'the two verifiers word it differently');
    assert.equal(rules.messages.notAllowed, 'helper call is not allowed in probe');
    assert.equal(callableRulesFor([6, 6, 0])!.kfunc('bpf_get_file_xattr'), 'unknown', 'absent in 6.1, present in 6.12');
  });
  it('between two releases: a helper one of them lacks or words otherwise is no claim; what both say is kept', () => {
    const rules = callableRulesFor([6, 5, 0])!;
    assert.equal(rules.basis, '6.1.192 and 6.12.117');
    assert.deepEqual(rules.helper('get_current_pid_tgid', 'lsm'), { id: 14, verdict: 'yes' });
    assert.deepEqual(rules.helper('task_storage_get', 'lsm'), { id: 156, verdict: 'unknown' }, '6.1 yes, 6.12 no claim');
    assert.deepEqual(rules.helper('cgrp_storage_get', 'lsm'), { id: 210, verdict: 'unknown' }, 'only in 6.12');
    assert.equal(rules.helper('no_such_helper', 'lsm'), undefined);
    assert.ok(rules.helperNames().includes('task_storage_get'));
    assert.ok(!rules.helperNames().includes('cgrp_storage_get'), 'only in 6.12: not offered');
    assert.equal(rules.kfunc('bpf_cast_to_kern_ctx'), 'unknown', 'absent in 6.1, usable in 6.12');
    assert.deepEqual(callableRulesFor([6, 19, 0])!.nullable('file_open'), [], 'no __nullable argument in 6.12 nor 7.2');
    // A kfunc whose registration 6.12's data could not settle is no claim there; 6.1 has no such kfunc.
    assert.equal(callableRulesFor([6, 12, 0])!.kfunc('bpf_arena_alloc_pages'), 'unknown');
    assert.equal(callableRulesFor([6, 1, 0])!.kfunc('bpf_arena_alloc_pages'), 'absent');
  });
  it('no rules before the oldest or after the newest data release', () => {
    assert.equal(callableRulesFor([5, 15, 0]), null);
    assert.equal(callableRulesFor([7, 4, 0]), null);
  });
  it('a kfunc no release knows is no claim; one registered only for other program types is "other"', () => {
    const rules = callableRulesFor([7, 3, 0])!;
    assert.equal(rules.kfunc('my_module_kfunc'), 'unknown');
    assert.equal(rules.kfunc('bpf_dynptr_from_xdp'), 'other');
    assert.equal(callableRulesFor([6, 1, 0])!.kfunc('bpf_get_file_xattr'), 'absent');
  });
});
