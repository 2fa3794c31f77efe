// Reads the two files a hook table is derived from (include/linux/lsm_hook_defs.h, kernel/bpf/bpf_lsm.c)
// and the release they belong to, from a kernel tree or from one of Debian's packages:
//   linux-source-X.Y           the whole patched tree, as ./usr/src/linux-source-X.Y.tar.xz inside the .deb
//   linux-headers-ABI-common   the headers and the top-level Makefile, but no bpf_lsm.c: a hook table only
// A .deb is read by dpkg-deb, tar and xz as child processes piped into each other (no npm package reads
// ar + tar.xz without native code), and only the files needed are extracted, into a temporary folder
// that is removed again: the kernel's files never enter the repository.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HOOK_DEFS_LIMIT, readBoundedFile, type ReadLimit } from '../server/src/ctext/boundedRead';
import { BPF_LSM_MAX_BYTES } from './bpfLsmSets';

export const HEADER_PATH = 'include/linux/lsm_hook_defs.h';
export const BPF_LSM_PATH = 'kernel/bpf/bpf_lsm.c';
const MAKEFILE_LIMIT: ReadLimit = { what: 'a kernel Makefile', maxBytes: 1024 * 1024 };
const BPF_LSM_LIMIT: ReadLimit = { what: 'a bpf_lsm.c', maxBytes: BPF_LSM_MAX_BYTES };

/** Where a release's table came from, as recorded in the committed tables (`source`). */
export type ReleaseSource =
  { kind: 'shared'; release: string } | { kind: 'debian'; package: string; version: string } | { kind: 'tree'; release: string };

/** `../shared v7.1.5`, `debian linux-source-7.3 7.3.4-1~bpo13+1`, `kernel tree v7.3.4`. */
export function formatReleaseSource(source: ReleaseSource): string {
  switch (source.kind) {
    case 'shared':
      return `../shared v${source.release}`;
    case 'debian':
      return `debian ${source.package} ${source.version}`;
    case 'tree':
      return `kernel tree v${source.release}`;
  }
}

export function parseReleaseSource(text: string): ReleaseSource | null {
  let m = /^\.\.\/shared v(\S+)$/.exec(text);
  if (m) return { kind: 'shared', release: m[1] };
  m = /^debian (\S+) (\S+)$/.exec(text);
  if (m) return { kind: 'debian', package: m[1], version: m[2] };
  m = /^kernel tree v(\S+)$/.exec(text);
  return m ? { kind: 'tree', release: m[1] } : null;
}

/** One release's inputs. */
export interface KernelInput {
  release: string;
  source: ReleaseSource;
  header: Buffer;
  /** kernel/bpf/bpf_lsm.c, or null when the input has none (a linux-headers package). */
  bpfLsm: string | null;
  /** What the caller should be told (a missing bpf_lsm.c, say). */
  notes: string[];
}

/** `VERSION = 7`, `PATCHLEVEL = 3`, `SUBLEVEL = 4` of a top-level kernel Makefile -> `7.3.4`; null if absent. */
export function releaseOfMakefile(text: string): string | null {
  const field = (name: string) => new RegExp(`^${name}\\s*=\\s*(\\d+)\\s*$`, 'm').exec(text)?.[1];
  const [v, p, s] = [field('VERSION'), field('PATCHLEVEL'), field('SUBLEVEL')];
  if (v === undefined || p === undefined) return null;
  return s === undefined || s === '0' ? `${v}.${p}` : `${v}.${p}.${s}`;
}

/** The upstream release of a Debian version: `7.3.4-1~bpo13+1` -> `7.3.4`, `6.1.192-3` -> `6.1.192`. */
export function releaseOfDebianVersion(version: string): string | null {
  const upstream = version.replace(/^\d+:/, '').replace(/-[^-]*$/, '');
  const m = /^(\d+\.\d+)(?:\.(\d+))?(?:[~+].*)?$/.exec(upstream);
  if (!m) return null;
  return m[2] === undefined || m[2] === '0' ? m[1] : `${m[1]}.${m[2]}`;
}

/** Picks the release: the one asked for, else the one the input names; two that disagree are an error. */
function chooseRelease(what: string, fromInput: (string | null)[], requested: string | undefined): string {
  const found = [...new Set(fromInput.filter((r): r is string => r !== null))];
  if (requested) return requested;
  if (found.length === 0) throw new Error(`${what}: cannot tell its kernel release; pass --release X.Y.Z`);
  if (found.length > 1) throw new Error(`${what}: its version and its Makefile disagree (${found.join(' vs ')}); pass --release X.Y.Z`);
  return found[0];
}

/** A kernel source tree (or an unpacked headers tree): its header, its bpf_lsm.c if any, its Makefile's release. */
export function readKernelTree(dir: string, requested?: string): KernelInput {
  const header = readBoundedFile(path.join(dir, HEADER_PATH), HOOK_DEFS_LIMIT);
  const bpfLsmFile = path.join(dir, BPF_LSM_PATH);
  const bpfLsm = fs.existsSync(bpfLsmFile) ? readBoundedFile(bpfLsmFile, BPF_LSM_LIMIT).toString('utf8') : null;
  const makefile = path.join(dir, 'Makefile');
  const fromMakefile = fs.existsSync(makefile) ? releaseOfMakefile(readBoundedFile(makefile, MAKEFILE_LIMIT).toString('utf8')) : null;
  const release = chooseRelease(dir, [fromMakefile], requested);
  const notes = bpfLsm ? [] : [`${dir} has no ${BPF_LSM_PATH}: the release gets no bpf_lsm sets of its own`];
  return { release, source: { kind: 'tree', release }, header, bpfLsm, notes };
}

export interface DebFields {
  package: string;
  version: string;
}

/** Package and Version of a .deb's control file. */
export function debFields(deb: string): DebFields {
  if (!fs.statSync(deb).isFile()) throw new Error(`${deb} is not a file`);
  const r = spawnSync('dpkg-deb', ['--field', deb, 'Package', 'Version'], { encoding: 'utf8' });
  if (r.error) throw new Error(`dpkg-deb is needed to read ${deb} (package dpkg): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${deb}: ${r.stderr.trim() || `dpkg-deb exited with ${r.status}`}`);
  const field = (name: string) => new RegExp(`^${name}:\\s*(\\S+)\\s*$`, 'm').exec(r.stdout)?.[1];
  const pkg = field('Package');
  const version = field('Version');
  if (!pkg || !version) throw new Error(`${deb}: no Package or Version in its control file`);
  return { package: pkg, version };
}

/** What to take out of a package: members of its data.tar, or of a tarball inside it. */
interface DebLayout {
  /** The data.tar member holding the tree (a tarball), or the folder the files sit in. */
  member: string;
  nested: boolean;
  /** Prefix of the tree's files (inside the tarball, or inside data.tar). */
  prefix: string;
  hasBpfLsm: boolean;
}

function layoutOf(fields: DebFields): DebLayout {
  let m = /^linux-source-(\d+\.\d+)$/.exec(fields.package);
  if (m) return { member: `./usr/src/linux-source-${m[1]}.tar.xz`, nested: true, prefix: `linux-source-${m[1]}/`, hasBpfLsm: true };
  m = /^linux-headers-(.+)-common$/.exec(fields.package);
  if (m) {
    const dir = `./usr/src/linux-headers-${m[1]}-common/`;
    return { member: dir, nested: false, prefix: dir, hasBpfLsm: false };
  }
  throw new Error(`${fields.package} is neither a linux-source-X.Y nor a linux-headers-ABI-common package`);
}

interface Stage {
  command: string;
  args: string[];
}

/**
 * Runs commands piped into each other (stdout to stdin directly, not through node). The last one decides:
 * an earlier one that dies of a broken pipe because the last stopped reading (tar --occurrence) is fine;
 * any other failure is reported with its stderr.
 */
async function runPipeline(stages: Stage[]): Promise<void> {
  const children: ChildProcess[] = [];
  const stderr: string[] = stages.map(() => '');
  const exits: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>[] = [];
  for (const [i, stage] of stages.entries()) {
    const input = i === 0 ? 'ignore' : children[i - 1].stdout!;
    const last = i === stages.length - 1;
    const child = spawn(stage.command, stage.args, { stdio: [input, last ? 'ignore' : 'pipe', 'pipe'] });
    // The child has its own copy of the pipe: ours must go, or the writer never sees its reader leave.
    if (i > 0) children[i - 1].stdout!.destroy();
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr[i].length < 4000) stderr[i] += d.toString('utf8');
    });
    exits.push(
      new Promise((resolve) => {
        child.on('error', (error) => resolve({ code: null, signal: null, error }));
        child.on('close', (code, signal) => resolve({ code, signal }));
      }),
    );
    children.push(child);
  }
  const results = await Promise.all(exits);
  const describe = (i: number) => {
    const r = results[i];
    const what = `${stages[i].command} ${stages[i].args.join(' ')}`;
    if (r.error)
      return `${what}: ${r.error.message}${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? ` (${stages[i].command} is needed)` : ''}`;
    const tail = stderr[i].trim().split('\n').slice(-3).join(' / ');
    return `${what}: ${r.signal ? `killed by ${r.signal}` : `exit ${r.code}`}${tail ? `: ${tail}` : ''}`;
  };
  const failed = (i: number) => results[i].error !== undefined || results[i].code !== 0;
  // Node's pipes between children are socket pairs: a writer whose reader left gets EPIPE or ECONNRESET.
  const brokenPipe = (i: number) => results[i].signal === 'SIGPIPE' || /broken pipe|connection reset by peer/i.test(stderr[i]);
  // The cause is the first stage that failed on its own (those after it only saw their input end early).
  const cause = results.findIndex((_r, i) => failed(i) && (i === stages.length - 1 || !brokenPipe(i)));
  if (cause >= 0) throw new Error(describe(cause));
}

/**
 * Unpacks members of a kernel package's tree into `dest`: `tarArgs` name them (with their options) as
 * they stand in the package (prefix included). A linux-source package nests its tree in a .tar.xz,
 * decompressed with every core (`xz -T0`, xz 5.4 and later; Debian's tarballs are multi-block).
 */
async function untarFromDeb(deb: string, layout: DebLayout, dest: string, tarArgs: string[], what: string): Promise<void> {
  const unpack: Stage = { command: 'dpkg-deb', args: ['--fsys-tarfile', deb] };
  const untar: Stage = { command: 'tar', args: ['-x', '-f', '-', '-C', dest, ...tarArgs] };
  const stages = layout.nested
    ? [
        unpack,
        { command: 'tar', args: ['-x', '-f', '-', '-O', '--occurrence=1', layout.member] },
        { command: 'xz', args: ['-d', '-c', '-T0'] },
        untar,
      ]
    : [unpack, untar];
  try {
    await runPipeline(stages);
  } catch (err) {
    const where = layout.nested ? `${path.basename(deb)} (${layout.member})` : path.basename(deb);
    throw new Error(`cannot extract ${what} from ${where}: ${(err as Error).message}`, { cause: err });
  }
}

/** Extracts tree files from a kernel package into a temporary folder and reads them. Files the package lacks are null. */
async function extractFromDeb(deb: string, layout: DebLayout, files: string[]): Promise<Map<string, Buffer | null>> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-kernel-'));
  try {
    const members = files.map((f) => layout.prefix + f);
    await untarFromDeb(deb, layout, tmp, ['--occurrence=1', ...members], files.join(', '));
    const out = new Map<string, Buffer | null>();
    for (const f of files) {
      const file = path.join(tmp, ...(layout.prefix + f).split('/'));
      const limit = f === HEADER_PATH ? HOOK_DEFS_LIMIT : f === BPF_LSM_PATH ? BPF_LSM_LIMIT : MAKEFILE_LIMIT;
      out.set(f, fs.existsSync(file) ? readBoundedFile(file, limit) : null);
    }
    return out;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** A Debian linux-source-X.Y or linux-headers-ABI-common package. */
export async function readKernelDeb(deb: string, requested?: string): Promise<KernelInput> {
  const fields = debFields(deb);
  const layout = layoutOf(fields);
  const wanted = layout.hasBpfLsm ? [HEADER_PATH, BPF_LSM_PATH, 'Makefile'] : [HEADER_PATH, 'Makefile'];
  const files = await extractFromDeb(deb, layout, wanted);
  const header = files.get(HEADER_PATH);
  if (!header) throw new Error(`${fields.package} ${fields.version} has no ${HEADER_PATH}`);
  const makefile = files.get('Makefile');
  const release = chooseRelease(
    `${fields.package} ${fields.version}`,
    [releaseOfDebianVersion(fields.version), makefile ? releaseOfMakefile(makefile.toString('utf8')) : null],
    requested,
  );
  const bpfLsm = files.get(BPF_LSM_PATH)?.toString('utf8') ?? null;
  const notes =
    bpfLsm === null
      ? [`${fields.package} has no ${BPF_LSM_PATH} (headers only): ${release} gets a hook table, and no bpf_lsm sets of its own`]
      : [];
  return { release, source: { kind: 'debian', package: fields.package, version: fields.version }, header, bpfLsm, notes };
}

/** Source files bigger than this are not read (the largest, verifier.c, is well under 2 MB). */
const TREE_FILE_LIMIT: ReadLimit = { what: 'a kernel source file', maxBytes: 8 * 1024 * 1024 };

/**
 * Files of a linux-source-X.Y package whose tree paths match `globs` (tar wildcards, `*` crossing `/`),
 * keyed by their path in the tree: for derivations that read more than the hook table's two files.
 */
export async function readKernelDebFiles(
  deb: string,
  globs: string[],
): Promise<{ source: ReleaseSource; release: string; files: Map<string, string> }> {
  const fields = debFields(deb);
  const layout = layoutOf(fields);
  if (!layout.nested) throw new Error(`${fields.package} is not a linux-source-X.Y package (it has no .c files)`);
  const release = releaseOfDebianVersion(fields.version);
  if (!release) throw new Error(`${fields.package} ${fields.version}: cannot tell its kernel release`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-kernel-'));
  try {
    await untarFromDeb(deb, layout, tmp, ['--wildcards', ...globs.map((g) => layout.prefix + g)], globs.join(', '));
    const files = new Map<string, string>();
    const root = path.join(tmp, layout.prefix);
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile())
          files.set(path.relative(root, p).split(path.sep).join('/'), readBoundedFile(p, TREE_FILE_LIMIT).toString('utf8'));
      }
    };
    if (fs.existsSync(root)) walk(root);
    return { source: { kind: 'debian', package: fields.package, version: fields.version }, release, files };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Extracts a folder of a linux-source-X.Y package's tree (`tools/testing/selftests/bpf/progs`, say) into
 * `dest` (created; its files are the tree's, below `dest` without the package's prefix). For tests and
 * measurements that read the kernel's own sources: the files stay in the cache, never in the repository.
 */
export async function extractDebFolder(deb: string, folder: string, dest: string): Promise<void> {
  const layout = layoutOf(debFields(deb));
  if (!layout.nested) throw new Error(`${path.basename(deb)} holds no kernel tree (only linux-source-X.Y packages do)`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-kernel-'));
  try {
    const member = `${layout.prefix}${folder.replace(/\/+$/, '')}/`;
    await untarFromDeb(deb, layout, tmp, [member], folder);
    fs.rmSync(dest, { recursive: true, force: true });
    fs.cpSync(path.join(tmp, ...member.split('/').filter(Boolean)), dest, { recursive: true });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
