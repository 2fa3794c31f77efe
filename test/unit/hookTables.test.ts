import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { generateHookTables, serialiseTables, storedReleases, TABLES_PATH } from '../../scripts/generate-hook-tables';
import { formatReleaseSource, releaseOfDebianVersion } from '../../scripts/kernelSource';
import { HookCatalog, KernelSelectionError } from '../../server/src/hooks/catalog';
import type { StoredTables } from '../../server/src/hooks/tableFormat';
import { compareVersions, parseVersion } from '../../server/src/hooks/versions';
import { KERNEL_HOOKS_DIR, kernelHooksAvailable, skipIfMissing } from '../helpers/paths';

/** The releases of ../shared/kernel-hooks, with the LSM_HOOK entries of their headers. */
const SHARED_COUNTS: Record<string, number> = {
  '5.7.14': 229,
  '5.10.13': 234,
  '5.15.85': 238,
  '6.1.20': 243,
  '6.6.46-rpi': 250,
  '6.8': 252,
  '6.12': 268,
  '6.19': 273,
  '7.0': 273,
  '7.1.5': 277,
};
/**
 * Series bundled from Debian's packages, newer than ../shared's: these at least, one release each. Not
 * pinned to a package version, and more may follow: `npm run generate-tables -- --debian linux-source-7.N`
 * adds or moves them on without a change here (what changed is pinned in hookTablesDebianParsers.test.ts).
 */
const DEBIAN_SERIES = ['7.2', '7.3'];
function assertDebianSeries(series: string[]): void {
  assert.deepEqual(series, [...new Set(series)], 'one release per series');
  for (const s of DEBIAN_SERIES) assert.ok(series.includes(s), `a ${s} release is bundled`);
}
/** A literal list of hook names, written as words. */
const words = (text: string) => text.trim().split(/\s+/);
const seriesOf = (release: string) => release.split('.').slice(0, 2).join('.');

const committedText = fs.readFileSync(TABLES_PATH, 'utf8');
const committed = JSON.parse(committedText) as StoredTables;

describe('committed hook tables', () => {
  it(
    'are what the generator derives from ../shared/kernel-hooks (the releases from elsewhere kept as committed)',
    { skip: skipIfMissing(kernelHooksAvailable(), KERNEL_HOOKS_DIR) },
    () => {
      const fresh = serialiseTables(generateHookTables(KERNEL_HOOKS_DIR, { committed }));
      assert.ok(fresh === committedText, `${TABLES_PATH} is stale: run \`npm run generate-tables\``);
    },
  );

  it('name the source of every release: ../shared, then the Debian package version of each newer series', () => {
    const sources = storedReleases(committed).map((r) => [r.release, formatReleaseSource(r.source)]);
    const shared = sources.slice(0, Object.keys(SHARED_COUNTS).length);
    assert.deepEqual(
      shared,
      Object.keys(SHARED_COUNTS).map((r) => [r, `../shared v${r}`]),
    );
    const debian = sources.slice(shared.length);
    assertDebianSeries(debian.map(([r]) => seriesOf(r)));
    for (const [release, source] of debian) {
      const m = /^debian linux-source-(\d+\.\d+) (\S+)$/.exec(source);
      assert.ok(m, `${release}: ${source}`);
      assert.equal(m[1], seriesOf(release));
      assert.equal(releaseOfDebianVersion(m[2]), release);
    }
  });

  it('hold the ../shared releases with the hook counts of their headers, then the Debian ones, oldest first', () => {
    const catalog = HookCatalog.bundled();
    const counts = Object.fromEntries(catalog.releases.map((r) => [r.release, r.hooks.size]));
    assert.deepEqual(Object.fromEntries(Object.keys(SHARED_COUNTS).map((r) => [r, counts[r]])), SHARED_COUNTS);
    const names = catalog.releases.map((r) => r.release);
    assert.deepEqual(names.slice(0, Object.keys(SHARED_COUNTS).length), Object.keys(SHARED_COUNTS));
    assertDebianSeries(names.slice(Object.keys(SHARED_COUNTS).length).map(seriesOf));
  });

  it('keep prototypes, defaults, conditions and bpf_lsm sets per release', () => {
    const catalog = HookCatalog.bundled();
    const r612 = catalog.select('6.12').table;
    assert.deepEqual(r612.hooks.get('file_open'), {
      name: 'file_open',
      ret: 'int',
      defaultValue: '0',
      args: [{ type: 'struct file *', name: 'file' }],
      condition: null,
    });
    assert.equal(r612.hooks.get('socket_connect')!.condition, 'CONFIG_SECURITY_NETWORK');
    assert.equal(r612.hooks.get('bprm_committed_creds')!.ret, 'void');
    assert.ok(r612.sets!.disabled.includes('vm_enough_memory'));
    assert.ok(r612.sets!.bool.includes('inode_xattr_skipcap'));
    assert.ok(r612.sets!.sleepable.includes('bprm_check_security'));
    assert.equal(catalog.select('5.10').table.sets!.sleepable.length, 0, '5.10 has no sleepable set');
    // A prototype that changed: inode_setxattr gained an idmap argument (5.10.13's header: 5, 6.12's: 6).
    const argNames = (v: string) =>
      catalog
        .select(v)
        .table.hooks.get('inode_setxattr')!
        .args.map((a) => a.name);
    assert.deepEqual(argNames('5.10'), ['dentry', 'name', 'value', 'size', 'flags']);
    assert.deepEqual(argNames('6.12'), ['idmap', 'dentry', 'name', 'value', 'size', 'flags']);
    // `grep -c 'LSM_HOOK(int, 0, file_truncate,'` in ../shared's headers: 0 up to 6.1.20, 1 from 6.6.46-rpi on.
    const withTruncate = catalog.releasesWith('file_truncate');
    assert.deepEqual(withTruncate.slice(0, 6), ['6.6.46-rpi', '6.8', '6.12', '6.19', '7.0', '7.1.5']);
    assertDebianSeries(withTruncate.slice(6).map(seriesOf));
  });
});

// The releases from Debian's packages are re-derived from exactly the package version they name: from the
// .deb in .cache/debian-src/debs, else downloaded while the archive still serves that version. When it no
// longer does (sid moves on within days), the comparison is skipped and says why, on CI too.
describe('choosing a kernel', () => {
  const catalog = HookCatalog.bundled();
  const pick = (v?: string) => catalog.select(v);

  it('defaults to the newest bundled release (a Debian 7.3.x since 7.3.4)', () => {
    assert.equal(pick().table.release, catalog.releases[catalog.releases.length - 1].release);
    assert.ok(compareVersions(parseVersion(pick().table.release)!, [7, 3, 4]) >= 0);
    assert.equal(pick().note, undefined);
  });

  it('takes an exact release, with or without a v', () => {
    assert.equal(pick('6.12').table.release, '6.12');
    assert.equal(pick('v5.15.85').table.release, '5.15.85');
    assert.equal(pick('6.12').note, undefined);
  });

  it('maps a series or patch release to the bundled release of that series, and says so', () => {
    assert.equal(pick('6.1').table.release, '6.1.20');
    assert.equal(pick('6.1.5').table.release, '6.1.20');
    assert.equal(pick('6.1.0-28-amd64').table.release, '6.1.20');
    assert.match(pick('6.1').note!, /6\.1\.20 \(same 6\.1 series\)/);
  });

  it('maps other versions to the newest release not newer than them, and says so', () => {
    assert.equal(pick('6.10').table.release, '6.8');
    assert.match(pick('6.10').note!, /kernel 6\.10: using the hook table of 6\.8 \(the newest bundled release not newer than it\)/);
    assert.equal(pick('5.11').table.release, '5.10.13');
    assert.equal(pick('9.3').table, catalog.newest);
    assert.match(pick('9.3').note!, /no bundled table is as new/);
  });

  it('refuses what is not a version or predates BPF LSM', () => {
    assert.throws(() => pick('latest'), KernelSelectionError);
    assert.throws(() => pick('5.4'), /predates BPF LSM/);
  });

  it('derives the sets of a release without bpf_lsm.c data from its neighbours, conservatively', () => {
    const { target } = catalog.target({ kernel: '6.6' });
    assert.equal(target.release, '6.6.46-rpi');
    assert.match(target.note!, /derived from 6\.1\.20 and 6\.8/);
    // Sleepable if either neighbour lets it sleep. `jq -r '.sets.sleepable_lsm_hooks[].hook'` on ../shared's
    // bpf_lsm-sets-v6.1.20.json (72) and -v6.8.json (81), compared with comm: 6.8 adds nine path_* hooks
    // (path_chmod to path_unlink) and drops none, so what either allows is 6.8's list.
    assert.deepEqual(
      target.sets.sleepable,
      words(`
      bpf bpf_map bpf_map_alloc_security bpf_map_free_security bpf_prog bprm_check_security bprm_committed_creds
      bprm_committing_creds bprm_creds_for_exec bprm_creds_from_file capget capset cred_prepare
      current_getsecid_subj file_ioctl file_lock file_open file_receive inet_conn_established inode_create
      inode_free_security inode_getattr inode_getxattr inode_mknod inode_need_killpriv inode_post_setxattr
      inode_readlink inode_rename inode_rmdir inode_setattr inode_setxattr inode_symlink inode_unlink
      kernel_module_request kernel_read_file kernfs_init_security key_free mmap_file netlink_send path_chmod
      path_chown path_link path_mkdir path_notify path_rename path_rmdir path_symlink path_truncate path_unlink
      release_secctx sb_alloc_security sb_eat_lsm_opts sb_kern_mount sb_mount sb_remount sb_set_mnt_opts
      sb_show_options sb_statfs sb_umount settime socket_accept socket_bind socket_connect socket_create
      socket_getpeername socket_getpeersec_dgram socket_getsockname socket_getsockopt socket_listen
      socket_post_create socket_recvmsg socket_sendmsg socket_shutdown socket_socketpair syslog task_alloc
      task_getsecid_obj task_prctl task_setscheduler task_to_inode userns_create
    `),
    );
    // The disabled list reached stable series (Debian's 6.1 and 6.12 refuse these hooks too): 6.12's
    // bpf_lsm_disabled_hooks but getselfattr (not in the 6.6.46-rpi header: `grep -c getselfattr` gives 0),
    // and xfrm_decode_session (7.1.5's list; in the 6.6.46-rpi header).
    assert.deepEqual(
      target.sets.disabled,
      words(`
      audit_rule_match getprocattr inode_copy_up_xattr inode_getsecurity inode_listsecurity inode_need_killpriv
      ismaclabel key_getsecurity setprocattr vm_enough_memory xfrm_decode_session
    `),
    );
  });
});
