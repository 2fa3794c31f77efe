// Derives server/data/hook-tables.json: each release's hooks from its include/linux/lsm_hook_defs.h and its
// bpf_lsm sets (disabled, sleepable, bool, untrusted...) from its kernel/bpf/bpf_lsm.c. Only derived facts
// are written (names, types, defaults, conditions, sets), with the source of each release; the kernel's
// files never enter the tree. Where releases come from:
//   ../shared/kernel-hooks (KERNEL_HOOKS_DIR)  lsm_hook_defs-v*.h and bpf_lsm-sets-v*.json, always re-derived
//   --debian PKG[=VERSION]    a Debian linux-source-X.Y (or linux-headers-ABI-common) package, downloaded
//                             through vm/scripts/apt-private.sh; no VERSION: the archive's newest
//   --from-deb FILE.deb       such a package already downloaded
//   --from-tree DIR           a kernel tree (its Makefile gives the release)
//   --release X.Y.Z           the release of the one --debian/--from-* input, when its version does not say
// Releases already in the tables from Debian or a tree are kept as committed. A new one replaces the release
// of the same name, and the one from the same Debian package (linux-source-7.3 7.3.4 -> 7.3.5); the
// differences from the next older release are printed. `--check` writes nothing and exits 1 when stale.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseHookDefs } from '../server/src/hooks/hookDefsParser';
import { compareVersions, parseVersion } from '../server/src/hooks/versions';
import { packTables, unpackTables, type StoredTables } from '../server/src/hooks/tableFormat';
import type { HookDef, HookSets } from '../server/src/hooks/types';
import { REPO_ROOT } from '../common/repoRoot';
import { parseBpfLsmSets, toHookSets } from './bpfLsmSets';
import { candidateOf, downloadDeb, obtainDeb } from './debianArchive';
import { describeDifferences } from './hookTableDiff';
import {
  formatReleaseSource,
  parseReleaseSource,
  readKernelDeb,
  readKernelTree,
  type KernelInput,
  type ReleaseSource,
} from './kernelSource';

export const DEFAULT_SOURCE_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'kernel-hooks');
export const TABLES_PATH = path.join(REPO_ROOT, 'server', 'data', 'hook-tables.json');

const COMMENT =
  "Derived by scripts/generate-hook-tables.ts from each release's include/linux/lsm_hook_defs.h and " +
  "kernel/bpf/bpf_lsm.c hook sets; `source` says where each release's files came from. Do not edit by hand: run " +
  '`npm run generate-tables`.';

/** One release as derived, before packing. */
export interface DerivedRelease {
  release: string;
  source: ReleaseSource;
  headerBlob: string;
  hooks: HookDef[];
  sets: HookSets | null;
  /** What the maintainer should know (set entries the header lacks, a missing bpf_lsm.c). */
  notes: string[];
}

function gitBlobHash(data: Buffer): string {
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

function parseHeader(data: Buffer, where: string): HookDef[] {
  const parsed = parseHookDefs(data.toString('utf8'));
  if (parsed.errors.length > 0) {
    const list = parsed.errors.map((e) => `${where}:${e.line}: ${e.message}`).join('\n');
    throw new Error(`cannot derive tables from a header with errors:\n${list}`);
  }
  return parsed.hooks;
}

/** Set entries that name no hook of the header: the kernel's build would not resolve them either. */
function strayEntries(sets: HookSets | null, hooks: HookDef[], release: string): string[] {
  if (!sets) return [];
  const names = new Set(hooks.map((h) => h.name));
  return Object.entries(sets).flatMap(([set, list]: [string, string[]]) =>
    list.filter((h) => !names.has(h)).map((h) => `${release}: the ${set} set names ${h}, which its header does not declare`),
  );
}

/** A release from a Debian package or a kernel tree. */
export function deriveRelease(input: KernelInput): DerivedRelease {
  const where = formatReleaseSource(input.source);
  const hooks = parseHeader(input.header, `${where}: lsm_hook_defs.h`);
  let sets: HookSets | null = null;
  if (input.bpfLsm !== null) {
    let parsed: ReturnType<typeof parseBpfLsmSets>;
    try {
      parsed = parseBpfLsmSets(input.bpfLsm);
    } catch (err) {
      throw new Error(`${where}: bpf_lsm.c: ${(err as Error).message}`, { cause: err });
    }
    sets = toHookSets(parsed.sets, `${where}: bpf_lsm.c`);
  }
  const notes = [...input.notes, ...strayEntries(sets, hooks, input.release)];
  return { release: input.release, source: input.source, headerBlob: gitBlobHash(input.header), hooks, sets, notes };
}

function readSharedSets(file: string): HookSets | null {
  if (!fs.existsSync(file)) return null;
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { sets: Record<string, { hook: string }[]> };
  return toHookSets(json.sets, file);
}

/** Every release of ../shared/kernel-hooks: `lsm_hook_defs-v<release>.h` and `bpf_lsm-sets-v<release>.json`. */
export function sharedReleases(sourceDir: string): DerivedRelease[] {
  const headers = fs.readdirSync(sourceDir).filter((f) => /^lsm_hook_defs-v.+\.h$/.test(f));
  if (headers.length === 0) throw new Error(`no lsm_hook_defs-v*.h files in ${sourceDir}`);
  return headers.map((file) => {
    const release = file.slice('lsm_hook_defs-v'.length, -'.h'.length);
    const data = fs.readFileSync(path.join(sourceDir, file));
    const hooks = parseHeader(data, file);
    const sets = readSharedSets(path.join(sourceDir, `bpf_lsm-sets-v${release}.json`));
    return { release, source: { kind: 'shared', release }, headerBlob: gitBlobHash(data), hooks, sets, notes: [] };
  });
}

/** The releases of stored tables, as they were derived (for keeping those that are not re-derived). */
export function storedReleases(stored: StoredTables): DerivedRelease[] {
  const tables = unpackTables(stored);
  return stored.releases.map((r, i) => {
    const source = parseReleaseSource(r.source ?? '');
    if (!source) throw new Error(`release ${r.release} of the stored tables has no valid source ('${r.source}')`);
    return { release: r.release, source, headerBlob: r.headerBlob, hooks: [...tables[i].hooks.values()], sets: r.sets, notes: [] };
  });
}

export function readCommittedTables(file = TABLES_PATH): StoredTables | null {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as StoredTables) : null;
}

const sameDebianPackage = (a: ReleaseSource, b: ReleaseSource) => a.kind === 'debian' && b.kind === 'debian' && a.package === b.package;

/** Adds releases in order; each replaces one of the same name or from the same Debian package. */
export function mergeReleases(
  base: DerivedRelease[],
  added: DerivedRelease[],
): { releases: DerivedRelease[]; replaced: { old: DerivedRelease; by: DerivedRelease }[] } {
  let releases = [...base];
  const replaced: { old: DerivedRelease; by: DerivedRelease }[] = [];
  for (const r of added) {
    const gone = releases.filter((o) => o.release === r.release || sameDebianPackage(o.source, r.source));
    replaced.push(...gone.map((old) => ({ old, by: r })));
    releases = [...releases.filter((o) => !gone.includes(o)), r];
  }
  releases.sort((a, b) => compareVersions(parseVersion(a.release)!, parseVersion(b.release)!));
  return { releases, replaced };
}

export function buildTables(releases: DerivedRelease[]): StoredTables {
  for (const r of releases) if (!parseVersion(r.release)) throw new Error(`'${r.release}' is not a kernel release`);
  return packTables(
    releases.map((r) => ({ ...r, source: formatReleaseSource(r.source) })),
    COMMENT,
  );
}

/**
 * The tables: ../shared re-derived, the committed releases from elsewhere kept, then `added` merged in.
 * `committed`: the tables whose other releases are kept (default: the committed file; null: none).
 */
export function generateHookTables(
  sourceDir: string,
  options: { added?: DerivedRelease[]; committed?: StoredTables | null } = {},
): StoredTables {
  const committed = options.committed === undefined ? readCommittedTables() : options.committed;
  const kept = committed ? storedReleases(committed).filter((r) => r.source.kind !== 'shared') : [];
  const base = mergeReleases(sharedReleases(sourceDir), kept).releases;
  return buildTables(mergeReleases(base, options.added ?? []).releases);
}

export function serialiseTables(tables: StoredTables): string {
  return `${JSON.stringify(tables, null, 1)}\n`;
}

/** The Debian package a `--debian PKG[=VERSION]` names, downloaded if need be. */
export function fetchDebian(spec: string): string {
  const [pkg, version] = spec.split('=', 2);
  if (version) {
    const found = obtainDeb(pkg, version);
    if ('unavailable' in found) throw new Error(found.unavailable);
    return found.deb;
  }
  const candidate = candidateOf(pkg);
  if (!candidate) throw new Error(`no configuration of vm/scripts/apt-private.sh has a version of ${pkg}`);
  return downloadDeb(pkg, candidate.version, candidate.dist);
}

interface Args {
  sourceDir: string;
  check: boolean;
  release?: string;
  inputs: { kind: 'debian' | 'deb' | 'tree'; value: string }[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { sourceDir: DEFAULT_SOURCE_DIR, check: false, inputs: [] };
  const value = (i: number) => {
    if (argv[i + 1] === undefined || argv[i + 1].startsWith('--')) throw new Error(`${argv[i]} needs a value`);
    return argv[i + 1];
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--check') args.check = true;
    else if (a === '--release') args.release = value(i++);
    else if (a === '--debian') args.inputs.push({ kind: 'debian', value: value(i++) });
    else if (a === '--from-deb') args.inputs.push({ kind: 'deb', value: path.resolve(value(i++)) });
    else if (a === '--from-tree') args.inputs.push({ kind: 'tree', value: path.resolve(value(i++)) });
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else args.sourceDir = path.resolve(a);
  }
  if (args.release && args.inputs.length !== 1) throw new Error('--release goes with exactly one --debian, --from-deb or --from-tree');
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const added: DerivedRelease[] = [];
  for (const input of args.inputs) {
    const started = Date.now();
    const kernel =
      input.kind === 'tree'
        ? readKernelTree(input.value, args.release)
        : await readKernelDeb(input.kind === 'deb' ? input.value : fetchDebian(input.value), args.release);
    const derived = deriveRelease(kernel);
    const setCount = derived.sets ? Object.values(derived.sets).reduce((n, s: string[]) => n + s.length, 0) : 0;
    console.log(
      `${derived.release} from ${formatReleaseSource(derived.source)}: ${derived.hooks.length} hooks, ` +
        `${derived.sets ? `${setCount} set entries` : 'no bpf_lsm sets'} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    for (const note of derived.notes) console.log(`  note: ${note}`);
    added.push(derived);
  }
  const committed = readCommittedTables();
  const tables = generateHookTables(args.sourceDir, { added, committed });
  const text = serialiseTables(tables);
  if (added.length > 0) {
    const all = storedReleases(tables);
    const { replaced } = mergeReleases(committed ? storedReleases(committed) : [], added);
    for (const { old, by } of replaced) {
      const [from, to] = [old, by].map((r) => `${r.release} (${formatReleaseSource(r.source)})`);
      console.log(from === to ? `re-derived ${to}` : `replaced ${from} by ${to}`);
    }
    for (const r of added) {
      const i = all.findIndex((x) => x.release === r.release);
      if (i <= 0) continue;
      const lines = describeDifferences(all[i - 1], all[i]);
      console.log(`${all[i - 1].release} -> ${r.release}: ${lines.length === 0 ? 'no differences' : `${lines.length} difference(s)`}`);
      for (const line of lines) console.log(`  ${line}`);
    }
  }
  if (args.check) {
    const same = fs.existsSync(TABLES_PATH) && fs.readFileSync(TABLES_PATH, 'utf8') === text;
    console.log(same ? `${TABLES_PATH} is up to date` : `${TABLES_PATH} differs from what the sources give`);
    process.exit(same ? 0 : 1);
  }
  fs.writeFileSync(TABLES_PATH, text);
  const releases = tables.releases.map((r) => r.release).join(', ');
  console.log(`wrote ${TABLES_PATH} (${text.length} bytes): ${releases}`);
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`generate-hook-tables: ${err.message}`);
    process.exit(2);
  });
}
