// The parts of the helper and kfunc checks (checks/callables.ts) that read declarations and decide a
// verdict, tested directly: libbpf's raw helper pointers, `extern ... __ksym` declarations, which helper
// verdict refuses which program, a kfunc's status when the kernel's BTF is known, and the verifier's
// words filled in.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fillMessage, helperRefusal, kfuncStatus, ksymDeclarations, rawHelperPointers } from '../../server/src/analysis/checks/callables';
import { callableRulesFor } from '../../server/src/hooks/callables';
import { HookCatalog } from '../../server/src/hooks/catalog';

describe('raw helper pointers', () => {
  it("reads libbpf's bpf_helper_defs.h form, by number or BPF_FUNC_ name, however spaced", () => {
    const text = [
      'static long (*bpf_get_retval)(void) = (void *) 186;',
      'static void *(* const my_lookup)(void *map, const void *key) = ( void * )1;',
      'static long(*send_signal)(__u32 sig)=(void*)BPF_FUNC_send_signal;',
      'static long (*\tspaced\t)\t(int a)\t=\t(\tvoid\t*\t)\t109;',
      'static long (*cast_spaced)(int a) = ( void *) 110;',
      'static long ( *space_before_star)(void) = (void *) 111;',
      'static long (* const  two_spaces)(void) = (void *) 112;',
    ].join('\n');
    assert.deepEqual(
      [...rawHelperPointers(text)],
      [
        ['bpf_get_retval', 186],
        ['my_lookup', 1],
        ['send_signal', 'send_signal'],
        ['spaced', 109],
        ['cast_spaced', 110],
        ['space_before_star', 111],
        ['two_spaces', 112],
      ],
    );
    // A BPF_FUNC_ name ending in digits is a name, not a number.
    assert.deepEqual([...rawHelperPointers('static long (*p)(void) = (void *) BPF_FUNC_map2;')], [['p', 'map2']]);
  });

  it('takes no call, no other initialiser and no over-long statement for one', () => {
    const text = [
      'x = (*f)(1);',
      'static long (*not_a_number)(void) = (void *) 12abc;',
      'static long (*cast_to_other)(void) = (long *) 5;',
      'static long (*nested)(int (*cb)(void)) = (void *) 7;',
      `static long (*too_long)(${'int a, '.repeat(80)}int b) = (void *) 8;`,
      'static long (*trailing)(void) = (void *) 9 + 1;',
    ].join('\n');
    assert.deepEqual([...rawHelperPointers(text)], []);
  });
});

describe('__ksym declarations', () => {
  it('reads strong and __weak declarations, spread over lines, and leaves function pointers and other attributes out', () => {
    const text = [
      'extern struct bpf_key *bpf_lookup_user_key(__u32 serial, __u64 flags) __ksym;',
      'extern int bpf_get_file_xattr(struct file *file, const char *name,\n    struct bpf_dynptr *value) __ksym __weak;',
      'extern void (*fp)(int) __ksym;',
      'extern int not_ksym(int) __weak;',
      'extern int with_other(int) __ksym deprecated;',
      'extern int bpf_copy_from_user_str(void *dst, __u32 sz, const void *src, __u64 flags)\t__weak\t__ksym;',
      'extern int global_var;',
      'extern int spaced_name (void)  __ksym   __weak;',
    ].join('\n');
    assert.deepEqual(
      [...ksymDeclarations(text)],
      [
        ['bpf_lookup_user_key', false],
        ['bpf_get_file_xattr', true],
        ['bpf_copy_from_user_str', true],
        ['spaced_name', true],
      ],
    );
  });

  it('skips a declaration longer than any written, and one with no closing semicolon', () => {
    const long = `extern int too_long(${'int a, '.repeat(200)}int b) __ksym;`;
    assert.deepEqual(
      [...ksymDeclarations(`${long}\nextern int fine(void) __ksym;\nextern int unterminated(void) __ksym\n`)],
      [['fine', false]],
    );
    // Many `extern`s before one `;`: each is looked at, the `;` found once.
    assert.deepEqual([...ksymDeclarations('extern extern extern int twice(void) __ksym;')], [['twice', false]]);
    // 1,000 characters before the `;` are read, 1,001 are not.
    const sized = (name: string, length: number) => `extern int ${name}(void${' '.repeat(length - 24 - name.length)}) __ksym;`;
    assert.equal(sized('at_bound', 1000).length, 1001);
    assert.deepEqual([...ksymDeclarations(`${sized('at_bound', 1000)}\n${sized('past_bound', 1001)}`)], [['at_bound', false]]);
  });

  it('takes only whole __attributes after the parameters', () => {
    const text = ['extern int a(void) __ksym x__weak;', 'extern int b(void) __ksym __we-ak;', 'extern int c(void) __ksym __weak;'].join(
      '\n',
    );
    assert.deepEqual([...ksymDeclarations(text)], [['c', true]]);
  });
});

describe('helper verdicts', () => {
  // [verdict, program kind, hook in the sleepable set (null: cannot tell)] -> why it is refused, or null.
  const table: [Parameters<typeof helperRefusal>[0], Parameters<typeof helperRefusal>[1], boolean | null, string | null][] = [
    ['refused', 'lsm', true, 'refused'],
    ['refused', 'lsm.s', true, 'refused'],
    ['sleeps', 'lsm', false, 'sleeps'],
    ['sleeps', 'lsm_cgroup', true, 'sleeps'],
    ['sleeps', 'lsm.s', true, null],
    ['hook', 'lsm', true, null],
    ['hook', 'lsm', false, 'notAllowed'],
    ['hook', 'lsm.s', null, null],
    ['hook-sleeps', 'lsm', true, 'sleeps'],
    ['hook-sleeps', 'lsm_cgroup', true, 'sleeps'],
    ['hook-sleeps', 'lsm.s', true, null],
    ['hook-sleeps', 'lsm.s', false, 'notAllowed'],
    ['hook-sleeps', 'lsm', false, 'notAllowed'],
    ['hook-sleeps', 'lsm', null, null],
    ['yes', 'lsm', false, null],
    ['unknown', 'lsm', false, null],
  ];
  it('refuses each program kind what its verdict says, on the hooks it says', () => {
    for (const [verdict, kind, sleepable, expected] of table) {
      assert.equal(helperRefusal(verdict, kind, sleepable), expected, `${verdict} ${kind} ${sleepable}`);
    }
  });

  it("fills the verifier's words with the helper's name and number", () => {
    assert.equal(
      fillMessage('program of this type cannot use helper %s#%d', 'bpf_send_signal', 109),
      'program of this type cannot use helper bpf_send_signal#109',
    );
    assert.equal(fillMessage('program of this type cannot use helper %s#%d', 'bpf_x'), 'program of this type cannot use helper bpf_x#?');
    assert.equal(
      fillMessage('program must be sleepable to call sleepable kfunc %s', 'bpf_k'),
      'program must be sleepable to call sleepable kfunc bpf_k',
    );
    assert.equal(fillMessage(null, 'bpf_k'), null);
  });
});

describe("a kfunc's status with the kernel's BTF", () => {
  const catalog = HookCatalog.bundled();
  const on73 = catalog.target({ kernel: '7.3' }).target;
  const on61 = catalog.target({ kernel: '6.1' }).target;
  const rules73 = callableRulesFor(on73.version)!;
  const rules61 = callableRulesFor(on61.version)!;

  it("is the release's data without BTF, and for a name that is no LSM kfunc", () => {
    assert.equal(kfuncStatus(rules73, 'bpf_get_file_xattr', on73), 'sleepable');
    assert.equal(kfuncStatus(rules73, 'bpf_dynptr_from_skb', on73), 'usable');
    assert.equal(kfuncStatus(rules73, 'not_a_kfunc_at_all', { ...on73, btfKfuncs: [] }), rules73.kfunc('not_a_kfunc_at_all'));
  });

  it("is the BTF's word where it has one: absent when missing, unknown when the data says absent or other", () => {
    assert.equal(kfuncStatus(rules73, 'bpf_get_file_xattr', { ...on73, btfKfuncs: ['bpf_key_put'] }), 'absent');
    assert.equal(kfuncStatus(rules73, 'bpf_get_file_xattr', { ...on73, btfKfuncs: ['bpf_get_file_xattr'] }), 'sleepable');
    assert.equal(rules61.kfunc('bpf_get_file_xattr'), 'absent');
    assert.equal(kfuncStatus(rules61, 'bpf_get_file_xattr', { ...on61, btfKfuncs: ['bpf_get_file_xattr'] }), 'unknown');
  });
});
