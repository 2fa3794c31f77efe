// Generates server/data/lsm-callables.json: per release, the BPF helpers and kfuncs an LSM program may call
// (per section kind), the hook arguments the kernel may pass as NULL, and the verifier's words for each
// refusal, derived by scripts/lsmCallables.ts from Debian's linux-source-X.Y packages in
// .cache/debian-src/debs (the VM kernels' own sources; downloaded there by `npm run generate-tables -- --debian`).
//   npm run generate-callables                      every linux-source-*.deb of the cache (newest of each series)
//   npm run generate-callables -- --from-deb F.deb  only these packages
// Committed releases of other series are kept as they are; a package replaces the release of its series.
//   npm run generate-callables -- --check           writes nothing, exits 1 when the committed file is stale
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../common/repoRoot';
import { compareVersions, parseVersion } from '../server/src/hooks/versions';
import { DEBIAN_DEBS_DIR } from './debianArchive';
import { formatReleaseSource, readKernelDebFiles } from './kernelSource';
import { CALLABLE_SOURCE_GLOBS, deriveCallables, type DerivedCallables } from './lsmCallables';

export const CALLABLES_PATH = path.join(REPO_ROOT, 'server', 'data', 'lsm-callables.json');

const COMMENT =
  'Derived by scripts/generate-lsm-callables.ts from the kernel sources of each release (bpf.h, bpf_lsm.c, ' +
  'bpf_trace.c, helpers.c, cgroup.c, the kfunc sets, bpf_lsm_proto.c, verifier.c); `source` says which. ' +
  'helpers: name -> [number, verdict in lsm/, in lsm.s/, in lsm_cgroup/]. Do not edit by hand: run `npm run generate-callables`.';

/** One release as stored. */
export interface StoredCallableRelease {
  release: string;
  source: string;
  messages: DerivedCallables['messages'];
  helpers: Record<string, [number, string, string, string]>;
  /** kfunc -> "sleepable" | "any": the kfuncs an LSM program may call. */
  kfuncs: Record<string, 'sleepable' | 'any'>;
  /** Kfuncs the kernel has only for other program types. */
  otherKfuncs: string[];
  /** Every other kfunc of the sources (to tell "the kernel lacks it" from "cannot tell"). */
  unsureKfuncs: string[];
  nullable: Record<string, string[]>;
}

export interface StoredCallables {
  comment: string;
  releases: StoredCallableRelease[];
}

export function storeRelease(release: string, source: string, d: DerivedCallables): StoredCallableRelease {
  const known = new Set([...d.kfuncs.map((k) => k.name), ...d.otherKfuncs]);
  return {
    release,
    source,
    messages: d.messages,
    helpers: Object.fromEntries(d.helpers.map((h) => [h.name, [h.id, h.lsm, h['lsm.s'], h.lsm_cgroup]])),
    kfuncs: Object.fromEntries(d.kfuncs.map((k) => [k.name, k.sleepable ? 'sleepable' : 'any'])),
    otherKfuncs: d.otherKfuncs,
    unsureKfuncs: d.allKfuncs.filter((k) => !known.has(k)),
    nullable: d.nullable,
  };
}

/** JSON with arrays of plain values on one line, so that a helper is one line of the diff. */
export function serialiseCallables(data: StoredCallables): string {
  const text = JSON.stringify(data, null, 1);
  return `${text.replace(/\[\s*((?:[^[\]{}\s][^[\]{}]*?)?)\s*\]/g, (_m, inner: string) => `[${inner.replace(/\s*\n\s*/g, ' ')}]`)}\n`;
}

/** The newest linux-source-X.Y .deb of each series in the cache. */
export function cachedSourceDebs(dir = DEBIAN_DEBS_DIR): string[] {
  if (!fs.existsSync(dir)) return [];
  const newest = new Map<string, string>();
  for (const f of fs.readdirSync(dir).sort()) {
    const m = /^linux-source-(\d+\.\d+)_(.+)_all\.deb$/.exec(f);
    if (m) newest.set(m[1], path.join(dir, f));
  }
  return [...newest.values()];
}

export async function deriveFromDeb(deb: string): Promise<StoredCallableRelease> {
  const { source, release, files } = await readKernelDebFiles(deb, CALLABLE_SOURCE_GLOBS);
  const derived = deriveCallables(files);
  for (const note of derived.notes) console.log(`  ${release}: ${note}`);
  return storeRelease(release, formatReleaseSource(source), derived);
}

export function readCommittedCallables(file = CALLABLES_PATH): StoredCallables | null {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as StoredCallables) : null;
}

/** Adds releases (one of the same series replaces the older), oldest first. */
export function mergeCallables(base: StoredCallableRelease[], added: StoredCallableRelease[]): StoredCallables {
  const series = (r: string) => r.split('.').slice(0, 2).join('.');
  let releases = [...base];
  for (const r of added) releases = [...releases.filter((o) => series(o.release) !== series(r.release)), r];
  releases.sort((a, b) => compareVersions(parseVersion(a.release)!, parseVersion(b.release)!));
  return { comment: COMMENT, releases };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const check = argv.includes('--check');
  const debs: string[] = [];
  for (let i = 0; i < argv.length; i++) if (argv[i] === '--from-deb') debs.push(path.resolve(argv[++i]));
  const inputs = debs.length > 0 ? debs : cachedSourceDebs();
  if (inputs.length === 0) throw new Error(`no linux-source-*.deb in ${DEBIAN_DEBS_DIR}`);
  const added: StoredCallableRelease[] = [];
  for (const deb of inputs) {
    const started = Date.now();
    const r = await deriveFromDeb(deb);
    const count = (v: string) => Object.values(r.helpers).filter((h) => h[1] === v).length;
    console.log(
      `${r.release} from ${r.source}: ${Object.keys(r.helpers).length} helpers (lsm/: ${count('yes')} yes, ${count('refused')} refused, ` +
        `${count('unknown')} unknown), ${Object.keys(r.kfuncs).length} kfuncs, nullable ${JSON.stringify(r.nullable)} ` +
        `(${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    added.push(r);
  }
  const committed = readCommittedCallables();
  // Committed releases whose package is not at hand are kept; one of the same series is replaced.
  const text = serialiseCallables(mergeCallables(committed?.releases ?? [], added));
  if (check) {
    const same = fs.existsSync(CALLABLES_PATH) && fs.readFileSync(CALLABLES_PATH, 'utf8') === text;
    console.log(same ? `${CALLABLES_PATH} is up to date` : `${CALLABLES_PATH} differs from what the sources give`);
    process.exit(same ? 0 : 1);
  }
  fs.writeFileSync(CALLABLES_PATH, text);
  console.log(`wrote ${CALLABLES_PATH} (${text.length} bytes)`);
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`generate-lsm-callables: ${err.message}`);
    process.exit(2);
  });
}
