// Rebuilds the corpus (.cache/corpus) from scripts/corpus/manifest.json: each file of a git source is
// read at its recorded commit from a repository snapshot (`git --git-dir <mirror> show <commit>:<path>`;
// CORPUS_MIRRORS, default /work/.mirror, holds one `<owner>+<name>/repo` per repository), each kernel file
// from the cached Debian linux-source package. What cannot be had is said, and the rest is still built.
//   node out/scripts/corpus/build-corpus.js
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { obtainDeb } from '../debianArchive';
import { extractDebFolder } from '../kernelSource';
import { CORPUS_DIR, corpusName, corpusPath, readManifest, type CorpusSource } from './corpus';

const MIRRORS = process.env.CORPUS_MIRRORS ?? '/work/.mirror';

function gitDir(repo: string): string {
  return path.join(MIRRORS, repo.replace('/', '+'), 'repo');
}

async function buildSource(source: CorpusSource): Promise<{ built: number; problems: string[] }> {
  const problems: string[] = [];
  let built = 0;
  if (source.kind === 'git') {
    const dir = gitDir(source.repo);
    if (!fs.existsSync(dir)) return { built, problems: [`${source.repo}: no snapshot at ${dir} (fetch github:${source.repo} first)`] };
    for (const file of source.files) {
      const r = spawnSync('git', ['--git-dir', dir, 'show', `${source.commit}:${file.path}`], { maxBuffer: 16 * 1024 * 1024 });
      if (r.status !== 0) {
        problems.push(`${corpusName(source, file)}: ${r.stderr.toString().trim() || `git exited with ${r.status}`}`);
        continue;
      }
      const out = corpusPath(source, file);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, r.stdout);
      built++;
    }
    return { built, problems };
  }
  const found = obtainDeb(source.package, source.version);
  if ('unavailable' in found) return { built, problems: [`${source.package} ${source.version}: ${found.unavailable}`] };
  // One extraction per folder the files sit in.
  const folders = [...new Set(source.files.map((f) => path.posix.dirname(f.path)))];
  const tmp = path.join(CORPUS_DIR, '.unpack');
  for (const folder of folders) {
    const dest = path.join(tmp, ...folder.split('/'));
    await extractDebFolder(found.deb, folder, dest);
    for (const file of source.files.filter((f) => path.posix.dirname(f.path) === folder)) {
      const from = path.join(dest, path.posix.basename(file.path));
      if (!fs.existsSync(from)) {
        problems.push(`${corpusName(source, file)}: not in the package`);
        continue;
      }
      const out = corpusPath(source, file);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.copyFileSync(from, out);
      built++;
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  return { built, problems };
}

async function main(): Promise<void> {
  const manifest = readManifest();
  let built = 0;
  const problems: string[] = [];
  for (const source of manifest.sources) {
    const r = await buildSource(source);
    built += r.built;
    problems.push(...r.problems);
  }
  const total = manifest.sources.reduce((n, s) => n + s.files.length, 0);
  process.stdout.write(`${built} of ${total} files in ${CORPUS_DIR}\n`);
  for (const p of problems) process.stderr.write(`${p}\n`);
  process.exitCode = problems.length > 0 ? 1 : 0;
}

void main();
