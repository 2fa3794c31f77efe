// Debian's 6.1 and 6.12 kernels (bookworm-security) against the bundled 6.1.20 and 6.12 tables: the
// bpf_lsm.c parser gives what ../shared's JSON says, entry by entry with its condition, apart from the
// stable backports listed in docs/kernel-frontier.md, and the derived tables differ by exactly those.
// The packages come from .cache/debian-src/debs, else from the archive while it still serves these
// versions; otherwise the comparison is skipped and says why (on CI too).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseBpfLsmSets, type SetEntry } from '../../scripts/bpfLsmSets';
import { obtainDeb } from '../../scripts/debianArchive';
import { deriveRelease, storedReleases, TABLES_PATH } from '../../scripts/generate-hook-tables';
import { describeDifferences } from '../../scripts/hookTableDiff';
import { readKernelDeb, type KernelInput } from '../../scripts/kernelSource';
import type { StoredTables } from '../../server/src/hooks/tableFormat';
import { KERNEL_HOOKS_DIR, kernelHooksAvailable } from '../helpers/paths';

/** `+ set hook [config]` for entries only bpf_lsm.c has, `- ...` for those only the JSON has; the rest must keep their order. */
function entryChanges(json: Record<string, SetEntry[]>, parsed: Record<string, SetEntry[]>): string[] {
  const key = (e: SetEntry) => `${e.hook} [${e.config ?? '-'}]`;
  const out: string[] = [];
  for (const set of [...new Set([...Object.keys(parsed), ...Object.keys(json)])]) {
    const a = (json[set] ?? []).map(key);
    const b = (parsed[set] ?? []).map(key);
    out.push(
      ...b.filter((e) => !a.includes(e)).map((e) => `+ ${set} ${e}`),
      ...a.filter((e) => !b.includes(e)).map((e) => `- ${set} ${e}`),
    );
    assert.deepEqual(
      b.filter((e) => a.includes(e)),
      a.filter((e) => b.includes(e)),
      `${set}: the entries both have are in the same order`,
    );
  }
  return out;
}

const DISABLED_6_1_BACKPORT = [
  'vm_enough_memory [-]',
  'inode_need_killpriv [-]',
  'inode_getsecurity [-]',
  'inode_listsecurity [-]',
  'inode_copy_up_xattr [-]',
  'getprocattr [-]',
  'setprocattr [-]',
  'key_getsecurity [CONFIG_KEYS]',
  'audit_rule_match [CONFIG_AUDIT]',
  'xfrm_decode_session [CONFIG_SECURITY_NETWORK_XFRM]',
  'ismaclabel [-]',
];

const CASES = [
  {
    pkg: 'linux-source-6.1',
    version: '6.1.192-3',
    bundled: '6.1.20',
    entries: [...DISABLED_6_1_BACKPORT.map((e) => `+ bpf_lsm_disabled_hooks ${e}`), '- sleepable_lsm_hooks task_to_inode [-]'],
    table: [
      'default of vm_enough_memory: 0 -> 1',
      'added (attachable): int fs_context_submount(struct fs_context *fc, struct super_block *reference)',
      'added (attachable): int file_ioctl_compat(struct file *file, unsigned int cmd, unsigned long arg)',
      'default of inode_getsecctx: 0 -> -EOPNOTSUPP',
      'prototype of audit_rule_init (attachable): int audit_rule_init(u32 field, u32 op, char *rulestr, void **lsmrule) -> ' +
        'int audit_rule_init(u32 field, u32 op, char *rulestr, void **lsmrule, gfp_t gfp)',
      ...DISABLED_6_1_BACKPORT.map((e) => `${e.split(' ')[0]} joined the disabled set`).sort(),
      'task_to_inode left the sleepable set',
    ],
  },
  {
    pkg: 'linux-source-6.12',
    version: '6.12.117-1~deb12u1',
    bundled: '6.12',
    entries: [
      '+ bpf_lsm_disabled_hooks xfrm_decode_session [CONFIG_SECURITY_NETWORK_XFRM]',
      '- sleepable_lsm_hooks bpf_prog_free [-]',
      '- sleepable_lsm_hooks inet_conn_established [CONFIG_SECURITY_NETWORK]',
      '- sleepable_lsm_hooks task_to_inode [-]',
    ],
    table: [
      'added (attachable): int backing_file_alloc(struct file *backing_file, const struct file *user_file)',
      'added (attachable): void backing_file_free(struct file *backing_file)',
      'added (attachable): int mmap_backing_file(struct vm_area_struct *vma, struct file *backing_file, struct file *user_file)',
      'prototype of perf_event_open (attachable): int perf_event_open(struct perf_event_attr *attr, int type) -> int perf_event_open(int type)',
      'xfrm_decode_session joined the disabled set',
      'bpf_prog_free left the sleepable set',
      'inet_conn_established left the sleepable set',
      'task_to_inode left the sleepable set',
    ],
  },
];

describe("Debian's stable kernels against the bundled tables", { concurrency: true }, () => {
  const bundled = storedReleases(JSON.parse(fs.readFileSync(TABLES_PATH, 'utf8')) as StoredTables);
  for (const c of CASES) {
    let input: Promise<KernelInput | string> | undefined;
    /** The package read once for both tests, or why it cannot be. */
    const read = () =>
      (input ??= (async () => {
        const found = obtainDeb(c.pkg, c.version);
        return 'unavailable' in found ? `not compared: ${found.unavailable}` : readKernelDeb(found.deb);
      })());
    const skipped = (t: { skip(m: string): void; diagnostic(m: string): void }, why: string) => {
      if (process.env.CI) t.diagnostic(`CI: ${why}`);
      t.skip(why);
    };

    it(`${c.pkg} ${c.version}: bpf_lsm.c parses to ../shared's ${c.bundled} sets plus the stable backports`, async (t) => {
      const json = path.join(KERNEL_HOOKS_DIR, `bpf_lsm-sets-v${c.bundled}.json`);
      if (!kernelHooksAvailable()) return skipped(t, `not compared: ${KERNEL_HOOKS_DIR} is missing`);
      const kernel = await read();
      if (typeof kernel === 'string') return skipped(t, kernel);
      const reference = (JSON.parse(fs.readFileSync(json, 'utf8')) as { sets: Record<string, SetEntry[]> }).sets;
      assert.deepEqual(entryChanges(reference, parseBpfLsmSets(kernel.bpfLsm!).sets), c.entries);
    });

    it(`${c.pkg} ${c.version}: its table differs from the bundled ${c.bundled} by the documented backports`, async (t) => {
      const kernel = await read();
      if (typeof kernel === 'string') return skipped(t, kernel);
      const derived = deriveRelease(kernel);
      assert.deepEqual(derived.notes, []);
      assert.deepEqual(
        describeDifferences(
          bundled.find((r) => r.release === c.bundled)!,
          derived,
        ),
        c.table,
      );
    });
  }
});
