// The corpus of real BPF LSM programs (scripts/corpus/manifest.json): where each file comes from, and
// where build-corpus.ts puts it (.cache/corpus). The files themselves never enter the repository.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../common/repoRoot';

export const MANIFEST_PATH = path.join(REPO_ROOT, 'scripts', 'corpus', 'manifest.json');
export const CORPUS_DIR = path.join(REPO_ROOT, '.cache', 'corpus');

export interface CorpusFile {
  path: string;
  licence?: string;
  /** The kernel release the file targets, when its project says so. */
  kernel?: string;
}

export type CorpusSource =
  | { kind: 'git'; repo: string; commit: string; files: CorpusFile[]; kernel?: string }
  | { kind: 'debian'; package: string; version: string; licence: string; kernel?: string; note?: string; files: CorpusFile[] };

export interface Manifest {
  about: string;
  /** The release files without a stated target are linted against. */
  defaultKernel: string;
  sources: CorpusSource[];
}

export function readManifest(): Manifest {
  return JSON.parse(fs.readFileSync(MANIFEST_PATH, 'utf8')) as Manifest;
}

/** `owner+name` for a repository, `package_version` for a Debian package: the folder under CORPUS_DIR. */
export function sourceDir(source: CorpusSource): string {
  return source.kind === 'git' ? source.repo.replace('/', '+') : `${source.package}_${source.version}`;
}

/** Where a file of the corpus lies once built. */
export function corpusPath(source: CorpusSource, file: CorpusFile): string {
  return path.join(CORPUS_DIR, sourceDir(source), ...file.path.split('/'));
}

/** `kubearmor/KubeArmor:KubeArmor/BPF/enforcer.bpf.c`, `linux-source-7.3:tools/.../lsm.c`. */
export function corpusName(source: CorpusSource, file: CorpusFile): string {
  return `${source.kind === 'git' ? source.repo : source.package}:${file.path}`;
}
