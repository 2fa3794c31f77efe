// Kernel truth: the bundled hook tables and the linter's load predictions checked against real
// kernels, the Debian 6.1, 6.12, 7.2 and 7.3 kernels of the test VMs (QEMU).
//
// 1. BTF: the guest's /sys/kernel/btf/vmlinux, read by hooksFromBtf, against the bundled header
//    table of the same release (6.1 -> 6.1.20, 6.12 -> 6.12). Hook lists and prototypes (base type
//    and pointer depth per argument) must agree except for the differences listed in
//    BTF_DIFFERENCES, each with its reason; an unlisted difference fails, and so does a listed one
//    that no longer occurs.
// 2. Verifier: every fixture in fixtures/verifier/ is linted against the kernel's table, compiled
//    against the guest's own vmlinux.h, copied in and attached with lsm-loader, all through the remote
//    engine that Run on Target uses (engine/src: the product's clang command line and loader). The linter's
//    prediction (see predictLoad) must match what the kernel did, its findings must be the fixture's
//    `expect` for that kernel, and a refusal must be for the fixture's reason (`rejectedBecause`). Each
//    fixture denies at most the one file the test created for it (its DENY_NAME), and is detached right
//    after its checks. Load-only fixtures (lsm_cgroup programs, helpers, kfuncs) are loaded without
//    attaching (`lsm-loader --load-only`, TargetSession.load): the verifier's verdict is their point.
//
// Each kernel boots once (two at a time) and serves all its checks. Needs what vm/setup.sh installs.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Analyzer } from '../../server/src/analysis/analyze';
import { readIncludes } from '../../server/src/analysis/includeReader';
import type { CheckCode, Finding } from '../../server/src/analysis/findings';
import { hooksFromBtf } from '../../server/src/btf/btfHooks';
import { parseParam } from '../../server/src/ctext/cDecl';
import { HookCatalog, type KernelTarget } from '../../server/src/hooks/catalog';
import type { HookDef } from '../../server/src/hooks/types';
import { compareVersions, parseVersion } from '../../server/src/hooks/versions';
import { AttachError, type AttachSession } from '../../engine/src/attachSession';
import type { TargetSession } from '../../engine/src/targetSession';
import { KERNEL_SERIES, type KernelSeries } from '../../vm/src/kernels';
import { killVmNow, type RunningVm, startVm, stopVm } from '../../vm/src/manager';
import { cacheDir } from '../../vm/src/paths';
import { REPO_ROOT } from '../helpers/paths';

const FIXTURES = path.join(REPO_ROOT, 'test', 'vm', 'fixtures', 'verifier');
const KERNELS: KernelSeries[] = [...KERNEL_SERIES];
/** The bundled table each VM kernel is checked against. */
const TABLE_OF: Record<KernelSeries, string> = { '6.1': '6.1.20', '6.12': '6.12', '7.2': '7.2.13', '7.3': '7.3.4' };
const BOOT_TIMEOUT_MS = 240_000;
// If this process dies without its after() hooks, the guests still power themselves off.
const LIFETIME_SECONDS = 900;
/** One token per run: the guest folder and every file a fixture may deny carry it. */
const TOKEN = randomBytes(4).toString('hex');
const WORK = `/tmp/kernel-truth-${TOKEN}`;

// ---------------------------------------------------------------------------------------------
// VMs: unique names, stopped by after() hooks; an interrupted run kills them here.
const started = new Set<string>();
/** Host folders of compiled objects, removed on the way out whatever happens. */
const tempDirs = new Set<string>();
function cleanUpNow(): void {
  for (const name of started) killVmNow(name, { forget: true });
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    cleanUpNow();
    process.exit(130);
  });
}
process.once('exit', cleanUpNow);

function vmName(series: KernelSeries): string {
  const name = `test-truth-${series.replace('.', '')}-${process.pid}`;
  started.add(name);
  return name;
}

// ---------------------------------------------------------------------------------------------
// 1. BTF against the bundled header tables.

type DifferenceKind =
  /** In the kernel's BTF, not in the table: a later release's hook, backported by a stable update. */
  | 'backported'
  /** In the table, not in the BTF: the hook sits under a config option this kernel does not set. */
  | 'compiled-out'
  /** Another prototype than the table's: the one of a later release, taken by a stable update. */
  | 'later-prototype';

interface BtfDifference {
  hook: string;
  kind: DifferenceKind;
  reason: string;
  /** compiled-out: the option that is not set (checked against the kernel's config when the image cache has it). */
  config?: string;
}

const NO_WATCH_QUEUE = 'Debian does not set CONFIG_WATCH_QUEUE (general notification queue)';
const NO_KEY_NOTIFICATIONS = 'CONFIG_KEY_NOTIFICATIONS depends on CONFIG_WATCH_QUEUE, which Debian does not set';
const NO_IB = 'Debian builds InfiniBand (CONFIG_INFINIBAND=m) without CONFIG_SECURITY_INFINIBAND';

/**
 * Every way the VM kernels' BTF differs from their bundled tables, with the reason. Debian ships
 * stable updates (6.1.0-56 is 6.1.192; 6.12.117), which backport hooks and prototypes.
 */
const BTF_DIFFERENCES: Record<KernelSeries, BtfDifference[]> = {
  '6.1': [
    {
      hook: 'file_ioctl_compat',
      kind: 'backported',
      reason:
        'hook added in 6.8 ("lsm: new security_file_ioctl_compat() hook", closing the 32-bit ioctl bypass of file_ioctl) and backported to 6.1.y',
    },
    {
      hook: 'fs_context_submount',
      kind: 'backported',
      reason: 'hook added in 6.6 (automount superblock LSM init fix for NFS submounts) and backported to 6.1.y',
    },
    {
      hook: 'audit_rule_init',
      kind: 'later-prototype',
      reason: 'the gfp_t argument of 6.10 ("ima: Avoid blocking in RCU read-side critical section"), backported to 6.1.y',
    },
    { hook: 'post_notification', kind: 'compiled-out', config: 'CONFIG_WATCH_QUEUE', reason: NO_WATCH_QUEUE },
    { hook: 'watch_key', kind: 'compiled-out', config: 'CONFIG_KEY_NOTIFICATIONS', reason: NO_KEY_NOTIFICATIONS },
    { hook: 'ib_pkey_access', kind: 'compiled-out', config: 'CONFIG_SECURITY_INFINIBAND', reason: NO_IB },
    { hook: 'ib_endport_manage_subnet', kind: 'compiled-out', config: 'CONFIG_SECURITY_INFINIBAND', reason: NO_IB },
    { hook: 'ib_alloc_security', kind: 'compiled-out', config: 'CONFIG_SECURITY_INFINIBAND', reason: NO_IB },
    { hook: 'ib_free_security', kind: 'compiled-out', config: 'CONFIG_SECURITY_INFINIBAND', reason: NO_IB },
  ],
  '6.12': [
    {
      hook: 'backing_file_alloc',
      kind: 'backported',
      reason: 'backing-file hook (overlayfs/fuse backing files), first in the 7.1.5 table, backported to 6.12.y',
    },
    {
      hook: 'backing_file_free',
      kind: 'backported',
      reason: 'backing-file hook, first in the 7.1.5 table, backported to 6.12.y with backing_file_alloc',
    },
    {
      hook: 'mmap_backing_file',
      kind: 'backported',
      reason: 'backing-file mmap hook, first in the 7.1.5 table, backported to 6.12.y with backing_file_alloc',
    },
    {
      hook: 'perf_event_open',
      kind: 'later-prototype',
      reason: 'the unused struct perf_event_attr * argument is gone (int type only, as in the 6.19 table); 6.12.y took that change',
    },
    { hook: 'post_notification', kind: 'compiled-out', config: 'CONFIG_WATCH_QUEUE', reason: NO_WATCH_QUEUE },
    { hook: 'watch_key', kind: 'compiled-out', config: 'CONFIG_KEY_NOTIFICATIONS', reason: NO_KEY_NOTIFICATIONS },
    { hook: 'ib_pkey_access', kind: 'compiled-out', config: 'CONFIG_SECURITY_INFINIBAND', reason: NO_IB },
    { hook: 'ib_endport_manage_subnet', kind: 'compiled-out', config: 'CONFIG_SECURITY_INFINIBAND', reason: NO_IB },
    { hook: 'ib_alloc_security', kind: 'compiled-out', config: 'CONFIG_SECURITY_INFINIBAND', reason: NO_IB },
  ],
  // The 7.x tables come from the same Debian packages as the kernels (linux-source-7.2/7.3): only the
  // config differs (against the 7.1.5 table, inode_listsecurity's new prototype differed too).
  '7.2': [
    { hook: 'post_notification', kind: 'compiled-out', config: 'CONFIG_WATCH_QUEUE', reason: NO_WATCH_QUEUE },
    { hook: 'watch_key', kind: 'compiled-out', config: 'CONFIG_KEY_NOTIFICATIONS', reason: NO_KEY_NOTIFICATIONS },
    { hook: 'ib_pkey_access', kind: 'compiled-out', config: 'CONFIG_SECURITY_INFINIBAND', reason: NO_IB },
    { hook: 'ib_endport_manage_subnet', kind: 'compiled-out', config: 'CONFIG_SECURITY_INFINIBAND', reason: NO_IB },
    { hook: 'ib_alloc_security', kind: 'compiled-out', config: 'CONFIG_SECURITY_INFINIBAND', reason: NO_IB },
  ],
  '7.3': [
    { hook: 'post_notification', kind: 'compiled-out', config: 'CONFIG_WATCH_QUEUE', reason: NO_WATCH_QUEUE },
    { hook: 'watch_key', kind: 'compiled-out', config: 'CONFIG_KEY_NOTIFICATIONS', reason: NO_KEY_NOTIFICATIONS },
    { hook: 'ib_pkey_access', kind: 'compiled-out', config: 'CONFIG_SECURITY_INFINIBAND', reason: NO_IB },
    { hook: 'ib_endport_manage_subnet', kind: 'compiled-out', config: 'CONFIG_SECURITY_INFINIBAND', reason: NO_IB },
    { hook: 'ib_alloc_security', kind: 'compiled-out', config: 'CONFIG_SECURITY_INFINIBAND', reason: NO_IB },
  ],
};

/** Base type and pointer depth of each argument: what a BPF_PROG must match (as in test/unit/btf.test.ts). */
const shape = (h: HookDef) =>
  `${h.ret}(${h.args
    .map((a) => {
      const p = parseParam(`${a.type} ${a.name}`);
      return `${p.base}${'*'.repeat(p.pointer)}`;
    })
    .join(', ')})`;

/** The kernel config of the VM image, when the image cache kept it for this very release. */
function imageConfig(series: KernelSeries, release: string): string | null {
  const dir = path.join(cacheDir(), 'kernels', series);
  try {
    if (fs.readFileSync(path.join(dir, 'release'), 'utf8').trim() !== release) return null;
    return fs.readFileSync(path.join(dir, 'config'), 'utf8');
  } catch {
    return null;
  }
}

async function checkBtf(t: { diagnostic(s: string): void }, series: KernelSeries, vm: RunningVm): Promise<void> {
  const catalog = HookCatalog.bundled();
  const table = catalog.releases.find((r) => r.release === TABLE_OF[series]);
  assert.ok(table, `no bundled table ${TABLE_OF[series]}`);
  const laterReleases = catalog.releases.filter((r) => compareVersions(parseVersion(r.release)!, parseVersion(table.release)!) > 0);

  // The guest's BTF as the engine fetched it (checksummed against the guest's own sha256sum).
  const btfFile = (await vm.session.btf()).btfFile;
  const btf = new Map(hooksFromBtf(fs.readFileSync(btfFile)).hooks.map((h) => [h.name, h]));
  assert.ok(btf.size > 200, `only ${btf.size} hooks in the guest's BTF`);

  const found: { hook: string; kind: DifferenceKind; detail: string }[] = [];
  for (const [name, h] of btf) {
    const header = table.hooks.get(name);
    if (!header) found.push({ hook: name, kind: 'backported', detail: shape(h) });
    else if (shape(h) !== shape(header))
      found.push({ hook: name, kind: 'later-prototype', detail: `BTF ${shape(h)}, table ${shape(header)}` });
  }
  for (const [name, header] of table.hooks) {
    if (!btf.has(name)) found.push({ hook: name, kind: 'compiled-out', detail: `table condition: ${header.condition ?? 'none'}` });
  }

  const expected = BTF_DIFFERENCES[series];
  const config = imageConfig(series, vm.state.release);
  const problems: string[] = [];
  t.diagnostic(
    `${vm.state.release} (${btf.size} hooks in BTF) vs bundled ${table.release} (${table.hooks.size}): ${found.length} difference(s)`,
  );
  for (const d of found) {
    const listed = expected.find((e) => e.hook === d.hook && e.kind === d.kind);
    if (!listed) {
      problems.push(`unexplained difference: ${d.hook} (${d.kind}): ${d.detail}`);
      continue;
    }
    // The reason must hold in the data, not only in prose.
    if (d.kind === 'backported') {
      const later = catalog.releasesWith(d.hook).filter((rel) => laterReleases.some((x) => x.release === rel));
      if (later.length === 0) problems.push(`${d.hook} is listed as backported, but no bundled release after ${table.release} has it`);
      t.diagnostic(`  + ${d.hook} ${d.detail}: ${listed.reason} [first bundled in ${later[0] ?? '?'}]`);
    } else if (d.kind === 'later-prototype') {
      const h = btf.get(d.hook)!;
      const later = laterReleases.find((x) => x.hooks.get(d.hook) && shape(x.hooks.get(d.hook)!) === shape(h));
      if (!later) problems.push(`${d.hook}: no bundled release after ${table.release} has the BTF prototype ${shape(h)}`);
      t.diagnostic(`  ~ ${d.hook} ${d.detail}: ${listed.reason} [that prototype first bundled in ${later?.release ?? '?'}]`);
    } else {
      const condition = table.hooks.get(d.hook)!.condition ?? '';
      if (!listed.config || !condition.includes(listed.config)) {
        problems.push(`${d.hook} is listed as compiled out by ${listed.config}, but the table's condition is '${condition}'`);
      }
      if (config && listed.config) {
        const set = new RegExp(`^${listed.config}=`, 'm').test(config);
        if (set) problems.push(`${d.hook}: ${listed.config} is set in this kernel's config, yet the hook is missing`);
      }
      t.diagnostic(`  - ${d.hook} (${condition}): ${listed.reason}${config ? ` [${listed.config} not set in the image's config]` : ''}`);
    }
  }
  for (const e of expected) {
    if (!found.some((d) => d.hook === e.hook && d.kind === e.kind)) {
      problems.push(`listed difference no longer seen: ${e.hook} (${e.kind}): ${e.reason}`);
    }
  }
  assert.deepEqual(problems, [], `BTF of ${vm.state.release} vs the ${table.release} table:\n${problems.join('\n')}`);
}

// ---------------------------------------------------------------------------------------------
// 2. The linter's load prediction against the verifier.

type Outcome = 'loads' | 'rejected';
/** 'loads*': loads unless the verifier rejects the program's access to a mistyped argument. */
type Prediction = Outcome | 'loads*';

/**
 * What each check claims about loading, read from what it reports (server/src/analysis/checks/):
 * - refuses (at error severity): unknown-hook and hook-not-in-kernel (libbpf finds no
 *   bpf_lsm_<hook> in the kernel's BTF), disabled-hook ("loading fails"), not-sleepable ("rejected
 *   at load"), unsupported-section, license ("the kernel refuses"), return-out-of-range when it is
 *   an error (6.12 on: "rejects the program at load"; before 6.12 it is a warning that says the
 *   kernel loads the program), and wrong-macro (BPF_KPROBE reads pt_regs offsets past the hook's
 *   arguments: "invalid bpf_context access").
 * - says nothing about loading (signature-mismatch): BPF_PROG casts the context slots to whatever the
 *   program declares, so a wrong argument list loads unless the verifier rejects what the program
 *   does with a mistyped argument (pointer arithmetic on a "ret" that is really a pointer, returning
 *   it, a direct access outside the real struct, reading a slot past the hook's arguments).
 * - never refuse: missing-ret-passthrough (a hint) and misleading-indentation (a warning about behaviour).
 */
const REFUSING_CODES = new Set<string>([
  'unknown-hook',
  'hook-not-in-kernel',
  'disabled-hook',
  'not-sleepable',
  'unsupported-section',
  'license',
  'return-out-of-range',
  'wrong-macro',
  // Issue 13's codes (their checks come with A1's branch): a helper or kfunc this program may not call on
  // this kernel, and a hook argument the kernel may pass as NULL read without a check.
  'helper-not-allowed',
  'kfunc-not-allowed',
  'unchecked-nullable-arg',
]);
const NO_LOAD_CLAIM_CODES = new Set<CheckCode>(['signature-mismatch']);

function predictLoad(findings: Finding[]): Prediction {
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.some((f) => REFUSING_CODES.has(f.code))) return 'rejected';
  if (errors.some((f) => NO_LOAD_CLAIM_CODES.has(f.code))) return 'loads*';
  return 'loads';
}

/** Verifier messages for an access to an argument of the wrong type (what 'loads*' allows). */
const ACCESS_REJECTION =
  /pointer arithmetic with \S+ operator prohibited|invalid mem access|invalid bpf_context access|doesn't have \d+-th argument|access beyond|R0 leaks addr|is not a known value|type=\S+ expected=/;

function agrees(predicted: Prediction, actual: Outcome, log: string): boolean {
  if (predicted === 'loads*') return actual === 'loads' || ACCESS_REJECTION.test(log);
  return predicted === actual;
}

interface Fixture {
  /** File name in fixtures/verifier, without .bpf.c. */
  id: string;
  /**
   * Loaded without attaching (lsm-loader --load-only): the verifier's verdict is the point, or the program
   * cannot be attached here (an lsm_cgroup/ program needs a cgroup).
   */
  loadOnly?: true;
  /** When the kernel refuses the fixture, its log must show this reason; anything else means a broken fixture. */
  rejectedBecause?: RegExp | Partial<Record<KernelSeries, RegExp>>;
  /**
   * The linter's findings on each kernel, as distinct `code:severity` literals (`all` unless the kernel
   * has its own list). A refusing code at error severity must come with the kernel's reason
   * (`rejectedBecause`) for that kernel: the pair says the linter refuses for the kernel's reason.
   */
  expect: Partial<Record<KernelSeries | 'all', string[]>>;
  /** Checked while the fixture is attached. */
  probe?: 'open-denied' | 'open-einval';
}

const btfTypeMissing = (hook: string) => new RegExp(`failed to find kernel BTF type ID of '${hook}'`);
const INT_RANGE = /At program exit the register R0 has smin=1 smax=1 should have been in \[-4095, 0\]/;

const CGROUP_RANGE = /At program exit the register R0 has smin=-1 smax=-1 should have been in \[0, 1\]/;
/** A helper that may sleep in a non-sleepable program: 7.2 names it. */
const mightSleep = (helper: string): Partial<Record<KernelSeries, RegExp>> => ({
  '6.1': /helper call might sleep in a non-sleepable prog/,
  '6.12': /helper call might sleep in a non-sleepable prog/,
  '7.2': new RegExp(`sleepable helper ${helper} in non-sleepable prog`),
  '7.3': new RegExp(`sleepable helper ${helper} in non-sleepable prog`),
});
/** A helper with no proto for the program type: 6.1 calls it unknown, 6.12 and later say the type cannot use it. */
const helperRefused = (helper: string): Partial<Record<KernelSeries, RegExp>> => ({
  '6.1': new RegExp(`unknown func ${helper}`),
  '6.12': new RegExp(`program of this type cannot use helper ${helper}`),
  '7.2': new RegExp(`program of this type cannot use helper ${helper}`),
  '7.3': new RegExp(`program of this type cannot use helper ${helper}`),
});
const SLEEPABLE_KFUNC = /program must be sleepable to call sleepable kfunc bpf_get_file_xattr/;
/** 6.1 has no bpf_get_file_xattr: libbpf leaves the __weak call unresolved and the verifier refuses it. */
const KFUNC_MISSING = /invalid kernel function call not eliminated in verifier pass/;
const NULLABLE_FILE = /invalid mem access 'trusted_ptr_or_null_'/;
/** BPF_CORE_READ takes the field's address first: arithmetic on the unchecked pointer. */
const NULLABLE_ARITHMETIC = /pointer arithmetic on trusted_ptr_or_null_ prohibited, null-check it first/;

/** The matrix, in run order (return-one must come before return-positive-errno: 6.1's WARNING fires once per boot). */
const FIXTURES_MATRIX: Fixture[] = [
  { id: 'correct-deny', expect: { all: [] }, probe: 'open-denied' },
  { id: 'passthrough-forms', expect: { all: [] }, probe: 'open-denied' },
  { id: 'no-ret-arg', expect: { all: ['missing-ret-passthrough:hint'] }, probe: 'open-denied' },
  { id: 'misleading-indentation', expect: { all: ['misleading-indentation:warning'] }, probe: 'open-denied' },
  {
    id: 'return-one',
    expect: { all: ['return-out-of-range:error'], '6.1': ['return-out-of-range:warning'] },
    rejectedBecause: INT_RANGE,
    probe: 'open-einval',
  },
  {
    id: 'return-positive-errno',
    expect: { all: ['return-out-of-range:error'], '6.1': ['return-out-of-range:warning'] },
    rejectedBecause: INT_RANGE,
    probe: 'open-einval',
  },
  {
    id: 'bool-hook-negative',
    expect: { all: ['return-out-of-range:error'], '6.1': ['hook-not-in-kernel:error'] },
    rejectedBecause: {
      '6.1': btfTypeMissing('inode_xattr_skipcap'),
      '6.12': /should have been in \[0, 1\]/,
      '7.2': /should have been in \[0, 1\]/,
      '7.3': /should have been in \[0, 1\]/,
    },
  },
  {
    id: 'bool-hook-correct',
    expect: { all: [], '6.1': ['hook-not-in-kernel:error'] },
    rejectedBecause: { '6.1': btfTypeMissing('inode_xattr_skipcap') },
  },
  { id: 'sleepable-wrong-hook', expect: { all: ['not-sleepable:error'] }, rejectedBecause: /bpf_lsm_file_permission is not sleepable/ },
  { id: 'sleepable-ok', expect: { all: [] }, probe: 'open-denied' },
  { id: 'disabled-hook', expect: { all: ['disabled-hook:error'] }, rejectedBecause: /points to disabled hook bpf_lsm_vm_enough_memory/ },
  {
    id: 'disabled-hook-stable',
    expect: { all: ['disabled-hook:error'] },
    rejectedBecause: /points to disabled hook bpf_lsm_xfrm_decode_session/,
  },
  { id: 'no-license', expect: { all: ['license:error'] }, rejectedBecause: /LSM programs must have a GPL compatible license/ },
  { id: 'non-gpl-license', expect: { all: ['license:error'] }, rejectedBecause: /LSM programs must have a GPL compatible license/ },
  { id: 'new-hook', expect: { all: [], '6.1': ['hook-not-in-kernel:error'] }, rejectedBecause: { '6.1': btfTypeMissing('file_truncate') } },
  {
    id: 'changed-prototype',
    expect: { all: ['return-out-of-range:error', 'signature-mismatch:error'], '6.1': ['missing-ret-passthrough:hint'] },
    rejectedBecause: ACCESS_REJECTION,
  },
  {
    id: 'changed-prototype-noret',
    expect: { all: ['missing-ret-passthrough:hint', 'signature-mismatch:error'], '6.1': ['missing-ret-passthrough:hint'] },
    rejectedBecause: ACCESS_REJECTION,
  },
  {
    id: 'changed-prototype-deref',
    expect: { all: ['missing-ret-passthrough:hint', 'signature-mismatch:error'], '6.1': ['missing-ret-passthrough:hint'] },
    rejectedBecause: ACCESS_REJECTION,
  },
  { id: 'kprobe-macro', expect: { all: ['wrong-macro:error'] }, rejectedBecause: /invalid bpf_context access off=112/ },
  { id: 'unknown-hook', expect: { all: ['unknown-hook:error'] }, rejectedBecause: btfTypeMissing('file_opne') },
  // The frontier: inode_listsecurity (disabled; its prototype changed in 7.2) and the bpf hook, whose
  // `bool kernel` argument (6.19) sits where an older program reads `ret`.
  {
    id: 'inode-listsecurity',
    expect: {
      all: ['disabled-hook:error'],
      '6.1': ['disabled-hook:error', 'signature-mismatch:error'],
      '6.12': ['disabled-hook:error', 'signature-mismatch:error'],
    },
    rejectedBecause: /points to disabled hook bpf_lsm_inode_listsecurity/,
  },
  {
    id: 'bpf-hook-old-args',
    expect: {
      all: [],
      '7.2': ['return-out-of-range:error', 'signature-mismatch:error'],
      '7.3': ['return-out-of-range:error', 'signature-mismatch:error'],
    },
    rejectedBecause: /should have been in \[-4095, 0\]|R0 has unknown scalar value/,
  },
  {
    id: 'bpf-hook-new-args',
    expect: {
      all: [],
      '6.1': ['missing-ret-passthrough:hint', 'signature-mismatch:error'],
      '6.12': ['missing-ret-passthrough:hint', 'signature-mismatch:error'],
    },
    rejectedBecause: { '6.1': ACCESS_REJECTION, '6.12': ACCESS_REJECTION },
  },
  // Issue 13, loaded without attaching: lsm_cgroup returns, helpers and kfuncs, a nullable argument.
  { id: 'lsm-cgroup-void-one', expect: { all: [] }, loadOnly: true },
  {
    id: 'lsm-cgroup-void-zero',
    expect: { all: ['return-out-of-range:error'] },
    loadOnly: true,
    rejectedBecause: /BPF_LSM_CGROUP that attach to void LSM hooks can't modify return value!/,
  },
  { id: 'lsm-cgroup-int-verdict', expect: { all: [] }, loadOnly: true },
  {
    id: 'lsm-cgroup-int-errno',
    expect: { all: ['return-out-of-range:error'] },
    loadOnly: true,
    rejectedBecause: {
      '6.1': /R0 has value \(0xffffffffffffffff; 0x0\) should have been in \(0x0; 0x1\)/,
      '6.12': CGROUP_RANGE,
      '7.2': CGROUP_RANGE,
      '7.3': CGROUP_RANGE,
    },
  },
  {
    id: 'helper-copy-from-user-lsm',
    expect: { all: ['helper-not-allowed:error'] },
    loadOnly: true,
    rejectedBecause: mightSleep('bpf_copy_from_user#148'),
  },
  { id: 'helper-copy-from-user-lsm-s', expect: { all: [] }, loadOnly: true },
  {
    id: 'helper-ima-hash-lsm',
    expect: { all: ['helper-not-allowed:error'] },
    loadOnly: true,
    rejectedBecause: mightSleep('bpf_ima_inode_hash#161'),
  },
  { id: 'helper-ima-hash-lsm-s', expect: { all: [] }, loadOnly: true },
  {
    id: 'helper-d-path-wrong-hook',
    expect: { all: ['helper-not-allowed:error'] },
    loadOnly: true,
    rejectedBecause: /helper call is not allowed in probe/,
  },
  { id: 'helper-d-path-file-open', expect: { all: [] }, loadOnly: true },
  {
    id: 'helper-d-path-per-release',
    expect: { all: [], '6.1': ['helper-not-allowed:error'] },
    loadOnly: true,
    rejectedBecause: { '6.1': /helper call is not allowed in probe/ },
  },
  {
    id: 'helper-get-retval-lsm',
    expect: { all: ['helper-not-allowed:error'] },
    loadOnly: true,
    rejectedBecause: helperRefused('bpf_get_retval#186'),
  },
  { id: 'helper-get-retval-lsm-cgroup', expect: { all: [] }, loadOnly: true },
  {
    id: 'helper-override-return-lsm',
    expect: { all: ['helper-not-allowed:error'] },
    loadOnly: true,
    rejectedBecause: helperRefused('bpf_override_return#58'),
  },
  {
    id: 'kfunc-sleepable-lsm',
    expect: { all: ['kfunc-not-allowed:error'] },
    loadOnly: true,
    rejectedBecause: { '6.1': KFUNC_MISSING, '6.12': SLEEPABLE_KFUNC, '7.2': SLEEPABLE_KFUNC, '7.3': SLEEPABLE_KFUNC },
  },
  {
    id: 'kfunc-sleepable-lsm-s',
    expect: { all: [], '6.1': ['kfunc-not-allowed:error'] },
    loadOnly: true,
    rejectedBecause: { '6.1': KFUNC_MISSING },
  },
  { id: 'kfunc-weak-guarded', expect: { all: [] }, loadOnly: true },
  {
    id: 'mmap-file-unchecked',
    expect: { all: [], '7.2': ['unchecked-nullable-arg:error'], '7.3': ['unchecked-nullable-arg:error'] },
    loadOnly: true,
    rejectedBecause: { '7.2': NULLABLE_FILE, '7.3': NULLABLE_FILE },
  },
  {
    id: 'mmap-file-probe-read-addr',
    expect: { all: [], '7.2': ['unchecked-nullable-arg:error'], '7.3': ['unchecked-nullable-arg:error'] },
    loadOnly: true,
    rejectedBecause: { '7.2': NULLABLE_ARITHMETIC, '7.3': NULLABLE_ARITHMETIC },
  },
  { id: 'mmap-file-checked', expect: { all: [] }, loadOnly: true },
  {
    id: 'mmap-file-core-read',
    expect: { all: [], '7.2': ['unchecked-nullable-arg:error'], '7.3': ['unchecked-nullable-arg:error'] },
    loadOnly: true,
    rejectedBecause: { '7.2': NULLABLE_ARITHMETIC, '7.3': NULLABLE_ARITHMETIC },
  },
];

interface Row {
  findings: string;
  predicted: Prediction;
  actual: Outcome;
  reason: string;
  agree: boolean;
}

const results = new Map<string, Partial<Record<KernelSeries, Row>>>();

/** The file a fixture may deny (only this test creates it), and one it must leave alone. */
const denyName = (id: string) => `kt-${TOKEN}-${id}`;
const OTHER = `kt-${TOKEN}-other`;

async function openInVm(target: TargetSession, file: string) {
  const r = await target.exec(['cat', `${WORK}/${file}`], { timeoutMs: 30_000 });
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr.trim() };
}

const warnings = async (target: TargetSession) => (await target.check(['dmesg'])).split('\n').filter((l) => /WARNING:/.test(l));

interface Suite {
  vm?: RunningVm;
  objDir?: string;
  target?: KernelTarget;
}

async function runFixture(
  t: { diagnostic(s: string): void },
  series: KernelSeries,
  suite: Suite,
  analyzer: Analyzer,
  fixture: Fixture,
): Promise<void> {
  const vm = suite.vm!;
  const source = path.join(FIXTURES, `${fixture.id}.bpf.c`);
  // As the linter does: the fixture's local header (fixture.h) is read for what it defines.
  const text = fs.readFileSync(source, 'utf8');
  const { headers, unread } = readIncludes(source, text, { dirs: [] });
  const { findings, model } = analyzer.analyze(text, suite.target!, HookCatalog.bundled(), { includes: { headers, unread } });
  const predicted = predictLoad(findings);
  const summary = findings.map((f) => `${f.code}(${f.severity})`).join(' ') || '-';

  const target = vm.session;
  const compiled = await target.compile(source, {
    output: path.join(suite.objDir!, `${fixture.id}.bpf.o`),
    defines: { DENY_NAME: denyName(fixture.id) },
  });
  const remote = await target.deploy(compiled.object, `${WORK}/${fixture.id}.bpf.o`);

  if (fixture.loadOnly) {
    await loadOnlyFixture(t, series, suite, fixture, { findings, programs: model.programs.length, remote });
    return;
  }

  const warningsBefore = series === '6.1' && fixture.id === 'return-one' ? await warnings(target) : [];
  let session: AttachSession | undefined;
  let detachCode: number | undefined;
  let log = '';
  let reason = '';
  try {
    session = await target.attach(remote, { timeoutMs: 60_000 });
  } catch (e) {
    // Only libbpf's load or attach failing is the kernel's answer; anything else (ssh, timeout) is ours.
    if (!(e instanceof AttachError) || !/lsm-loader: (loading|attaching) .* failed/.test(e.failure.log)) throw e;
    log = e.failure.log;
    reason = e.failure.firstError;
  }
  const actual: Outcome = session ? 'loads' : 'rejected';
  const attached = session?.attached.map((p) => `${p.name} ${p.section}`) ?? [];
  if (session) reason = attached.join(', ');
  const agree = agrees(predicted, actual, log);
  results.set(fixture.id, { ...results.get(fixture.id), [series]: { findings: summary, predicted, actual, reason, agree } });
  t.diagnostic(`${fixture.id} on ${vm.state.release}: linter ${summary} -> predicted ${predicted}; kernel: ${actual} (${reason})`);

  try {
    if (!session) {
      const because = fixture.rejectedBecause instanceof RegExp ? fixture.rejectedBecause : fixture.rejectedBecause?.[series];
      assert.ok(because?.test(log), `${fixture.id} was rejected for a reason the fixture is not about:\n${log}`);
    } else {
      assert.equal(
        session.attached.length,
        model.programs.length,
        `${fixture.id}: the loader attached ${attached.join(', ')}; the linter saw ${model.programs.length} program(s)`,
      );
      if (fixture.probe === 'open-denied') {
        const denied = await openInVm(target, denyName(fixture.id));
        assert.match(denied.stderr, /Operation not permitted/, `${fixture.id}: opening its target was not denied`);
        const other = await openInVm(target, OTHER);
        assert.equal(other.code, 0, `${fixture.id}: opening another file failed: ${other.stderr}`);
      } else if (fixture.probe === 'open-einval') {
        // A positive verdict from file_open: do_dentry_open() WARNs (once per boot) and returns EINVAL.
        const first = await openInVm(target, denyName(fixture.id));
        assert.match(first.stderr, /Invalid argument/, `${fixture.id}: the open did not fail with EINVAL: ${first.stderr}`);
        const other = await openInVm(target, OTHER);
        assert.equal(other.code, 0, `${fixture.id}: opening another file failed: ${other.stderr}`);
        if (fixture.id === 'return-one') {
          const added = (await warnings(vm.session)).filter((w) => !warningsBefore.includes(w));
          t.diagnostic(`return-one: open failed with "${first.stderr}"; kernel: ${added.join(' | ')}`);
          assert.ok(
            added.some((w) => /do_dentry_open|do_open|path_openat/.test(w)),
            `no kernel WARNING from the open path after the first matching open: ${added.join('\n') || '(none)'}`,
          );
          const again = await openInVm(target, denyName(fixture.id));
          assert.match(again.stderr, /Invalid argument/, 'the second matching open did not fail with EINVAL');
        }
      }
    }
  } finally {
    // Detach whatever happened: the next fixture gets a clean hook.
    if (session) detachCode = await session.detach();
  }
  if (session) assert.equal(detachCode, 0, `${fixture.id}: lsm-loader exit status; output:\n${session.output}`);

  if (fixture.id === 'return-one') {
    // The special case, per release: the linter must say what the kernel does.
    const range = findings.filter((f) => f.code === 'return-out-of-range');
    assert.equal(range.length, 1, `return-one: expected one return-out-of-range finding, got ${summary}`);
    if (series === '6.1') {
      assert.equal(actual, 'loads', '6.1 loads a program that returns 1 from file_open');
      assert.equal(range[0].severity, 'warning');
      assert.match(range[0].message, /WARNING/);
      assert.match(range[0].message, /EINVAL/);
    } else {
      assert.equal(actual, 'rejected', '6.12 rejects a program that returns 1 from file_open at load');
      assert.equal(range[0].severity, 'error');
      assert.match(range[0].message, /rejects the program at load/);
    }
  }

  assert.ok(
    agree,
    `${fixture.id} on ${series} (table ${suite.target!.release}): the linter predicted '${predicted}' (${summary}), ` +
      `the kernel ${actual === 'loads' ? 'loaded and attached it' : `rejected it: ${reason}`}`,
  );
  assertCodes(fixture, series, findings);
}

/** What the fixture expects the linter to report on this kernel, sorted. */
const expectedCodes = (fixture: Fixture, series: KernelSeries): string[] =>
  [...(fixture.expect[series] ?? fixture.expect.all ?? [])].sort();
/** What the linter reported, in the same form. */
const foundCodes = (findings: Finding[]): string[] => [...new Set(findings.map((f) => `${f.code}:${f.severity}`))].sort();

function assertCodes(fixture: Fixture, series: KernelSeries, findings: Finding[]): void {
  assert.deepEqual(foundCodes(findings), expectedCodes(fixture, series), `${fixture.id} on ${series}: the linter's findings`);
}

/** The kernel's reason a fixture gives when it is refused on this kernel. */
function reasonFor(fixture: Fixture, series: KernelSeries): RegExp | undefined {
  return fixture.rejectedBecause instanceof RegExp ? fixture.rejectedBecause : fixture.rejectedBecause?.[series];
}

/** A load-only fixture: each program loaded on its own by the verifier, nothing attached. */
async function loadOnlyFixture(
  t: { diagnostic(s: string): void },
  series: KernelSeries,
  suite: Suite,
  fixture: Fixture,
  linted: { findings: Finding[]; programs: number; remote: string },
): Promise<void> {
  const vm = suite.vm!;
  const predicted = predictLoad(linted.findings);
  const summary = linted.findings.map((f) => `${f.code}(${f.severity})`).join(' ') || '-';
  const report = await vm.session.load(linted.remote, { timeoutMs: 60_000 });
  const refused = report.programs.filter((p) => !p.loaded);
  const actual: Outcome = refused.length === 0 ? 'loads' : 'rejected';
  const reason = report.programs
    .map((p) => (p.loaded ? `${p.name} ${p.section} (${p.verifiedInsns ?? '?'} insns verified)` : p.failure.firstError))
    .join(', ');
  const log = refused.map((p) => p.failure.log).join('\n');
  const agree = agrees(predicted, actual, log);
  results.set(fixture.id, { ...results.get(fixture.id), [series]: { findings: summary, predicted, actual, reason, agree } });
  t.diagnostic(`${fixture.id} on ${vm.state.release}: linter ${summary} -> predicted ${predicted}; kernel: ${actual} (${reason})`);

  assert.equal(
    report.programs.length,
    linted.programs,
    `${fixture.id}: the loader loaded ${report.programs.length} program(s); the linter saw ${linted.programs}`,
  );
  if (actual === 'rejected') {
    const because = reasonFor(fixture, series);
    assert.ok(because?.test(log), `${fixture.id} was rejected for a reason the fixture is not about:\n${log}`);
  } else {
    assert.equal(reasonFor(fixture, series), undefined, `${fixture.id} on ${series} loaded, but the fixture says this kernel refuses it`);
  }
  assert.ok(
    agree,
    `${fixture.id} on ${series} (table ${suite.target!.release}): the linter predicted '${predicted}' (${summary}), ` +
      `the kernel ${actual === 'loads' ? 'loaded it' : `refused it: ${reason}`}`,
  );
  assertCodes(fixture, series, linted.findings);
}

function agreementTable(): string {
  const cell = (r?: Row) => (r ? `${r.predicted.padEnd(9)} ${r.actual.padEnd(8)} ${r.agree ? 'yes' : 'NO'}` : '(not run)');
  const width = Math.max(...FIXTURES_MATRIX.map((f) => f.id.length), 7);
  const column = 26;
  const lines = [
    `${''.padEnd(width)} | ${KERNELS.map((k) => `Linux ${k} (table ${TABLE_OF[k]})`.padEnd(column)).join(' | ')}`,
    `${'program'.padEnd(width)} | ${KERNELS.map(() => 'predicted actual   agree'.padEnd(column)).join(' | ')}`,
    `${'-'.repeat(width)}-+-${KERNELS.map(() => '-'.repeat(column)).join('-+-')}`,
  ];
  for (const f of FIXTURES_MATRIX) {
    const r = results.get(f.id) ?? {};
    lines.push(`${f.id.padEnd(width)} | ${KERNELS.map((k) => cell(r[k]).padEnd(column)).join(' | ')}`);
  }
  lines.push('(loads*: loads unless the verifier rejects an access to a mistyped argument; see predictLoad)');
  lines.push('', "Linter findings and the kernel's answer:");
  for (const f of FIXTURES_MATRIX) {
    for (const k of KERNELS) {
      const r = results.get(f.id)?.[k];
      if (r) lines.push(`  ${f.id} @ ${k}: ${r.findings} => ${r.actual}: ${r.reason}`);
    }
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------

describe(
  'kernel truth: bundled tables and linter predictions against real kernels (QEMU)',
  { concurrency: Math.min(KERNELS.length, 2) },
  () => {
    let analyzer: Analyzer | undefined;
    const t0 = Date.now();

    before(async () => {
      analyzer = await Analyzer.create();
    });

    after(() => {
      analyzer?.dispose();
      console.log(
        `\nAgreement of the linter with the kernel (token ${TOKEN}, ${((Date.now() - t0) / 1000).toFixed(1)} s):\n${agreementTable()}\n`,
      );
    });

    test("the matrix runs every fixture, and each refusing code comes with the kernel's reason", () => {
      const files = fs
        .readdirSync(FIXTURES)
        .filter((f) => f.endsWith('.bpf.c'))
        .map((f) => f.slice(0, -'.bpf.c'.length));
      assert.deepEqual(files.sort(), FIXTURES_MATRIX.map((f) => f.id).sort());
      const unpaired = FIXTURES_MATRIX.flatMap((f) =>
        KERNELS.filter(
          (k) => expectedCodes(f, k).some((c) => c.endsWith(':error') && REFUSING_CODES.has(c.split(':')[0])) && !reasonFor(f, k),
        ).map((k) => `${f.id} on ${k}`),
      );
      assert.deepEqual(unpaired, []);
    });

    for (const series of KERNELS) {
      describe(`Linux ${series} (table ${TABLE_OF[series]})`, { concurrency: 1 }, () => {
        const name = vmName(series);
        const suite: Suite = {};

        before(
          async () => {
            const t = Date.now();
            suite.vm = await startVm({ name, kernel: series, lifetimeSeconds: LIFETIME_SECONDS, bootTimeoutMs: BOOT_TIMEOUT_MS });
            const { target } = HookCatalog.bundled().target({ kernel: series });
            assert.equal(target.release, TABLE_OF[series]);
            suite.target = target;
            await suite.vm.session.btf();
            suite.objDir = fs.mkdtempSync(path.join(os.tmpdir(), `bpf-lsm-kernel-truth-${series}-`));
            tempDirs.add(suite.objDir);
            const files = [...FIXTURES_MATRIX.map((f) => denyName(f.id)), OTHER];
            await suite.vm.session.check([
              'sh',
              '-c',
              `mkdir -p ${WORK} && cd ${WORK} && for f in ${files.join(' ')}; do echo kernel-truth > "$f"; done`,
            ]);
            const version = (await suite.vm.session.check(['cat', '/proc/version'])).trim();
            console.log(`${series}: ${version} (${suite.vm.state.accel}); ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);
          },
          { timeout: 300_000 },
        );

        after(async () => {
          await stopVm(name, { forget: true });
          if (suite.objDir) fs.rmSync(suite.objDir, { recursive: true, force: true });
        });

        test(
          'the BTF hook table agrees with the bundled header table, except where this kernel really differs',
          { timeout: 180_000 },
          async (t) => {
            await checkBtf(t, series, suite.vm!);
          },
        );

        for (const fixture of FIXTURES_MATRIX) {
          test(`${fixture.id}: the linter's load prediction matches the kernel`, { timeout: 120_000 }, async (t) => {
            await runFixture(t, series, suite, analyzer!, fixture);
          });
        }

        test("a load with log level 2 gives the verifier's state after every instruction", { timeout: 120_000 }, async (t) => {
          const id = 'helper-d-path-file-open';
          const target = suite.vm!.session;
          const compiled = await target.compile(path.join(FIXTURES, `${id}.bpf.c`), {
            output: path.join(suite.objDir!, `${id}-log.bpf.o`),
            defines: { DENY_NAME: denyName(id) },
          });
          const remote = await target.deploy(compiled.object, `${WORK}/${id}-log.bpf.o`);
          const [program] = (await target.load(remote, { logLevel: 2 })).programs;
          assert.ok(program.loaded, `${id} did not load at log level 2`);
          const log = program.log ?? '';
          t.diagnostic(`${id} at log level 2 on ${series}: ${log.split('\n').length} lines`);
          assert.match(log, /^\d+: \(85\) call bpf_d_path#147/m);
          assert.match(log, /^; bpf_d_path\(&file->f_path, path, sizeof\(path\)\);/m);
          assert.match(log, /^processed \d+ insns/m);
        });
      });
    }
  },
);
