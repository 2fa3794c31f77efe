// Rebuilds the corpus (.cache/corpus) from scripts/corpus/manifest.json: each file of a git source is
// read at its recorded commit from a repository snapshot (`git --git-dir <mirror> show <commit>:<path>`;
// CORPUS_MIRRORS, default /work/.mirror, holds one `<owner>+<name>/repo` per repository), each kernel file
// from the cached Debian linux-source package. The local headers a file includes (`#include "shared.h"`,
// beside it) come along, so that measure.ts reads them as the linter does in the project's checkout.
// What cannot be had is said, and the rest is still built.
//   node out/scripts/corpus/build-corpus.js
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { obtainDeb } from '../debianArchive';
import { extractDebFolder } from '../kernelSource';
import { localIncludes } from '../../server/src/analysis/includes';
import { CORPUS_DIR, corpusName, corpusPath, readManifest, sourceDir, type CorpusSource } from './corpus';

const MIRRORS = process.env.CORPUS_MIRRORS ?? '/work/.mirror';

function gitDir(repo: string): string {
  return path.join(MIRRORS, repo.replace('/', '+'), 'repo');
}

/** Headers copied per source at most: real projects include a handful. */
const MAX_HEADERS = 64;

/** `git show <commit>:<path>`, or null when the snapshot has no such file. */
function gitShow(dir: string, commit: string, file: string): Buffer | null {
  const r = spawnSync('git', ['--git-dir', dir, 'show', `${commit}:${file}`], { maxBuffer: 16 * 1024 * 1024 });
  return r.status === 0 ? r.stdout : null;
}

/**
 * Copies the local headers `text` (the file at repository path `file`) includes, and theirs, from beside
 * their includer at the same commit. Headers found elsewhere (include paths) are left out: measure.ts
 * then reports them unread, as the linter would without -I.
 */
function copyLocalHeaders(source: CorpusSource & { kind: 'git' }, dir: string, file: string, text: string, copied: Set<string>): void {
  const stack = [{ file, text }];
  while (stack.length > 0 && copied.size < MAX_HEADERS) {
    const top = stack.pop()!;
    for (const d of localIncludes(top.text)) {
      const header = path.posix.normalize(path.posix.join(path.posix.dirname(top.file), d.name));
      if (header.startsWith('..') || copied.has(header) || path.posix.basename(header) === 'vmlinux.h') continue;
      copied.add(header);
      const body = gitShow(dir, source.commit, header);
      if (!body) continue;
      const out = corpusPath(source, { path: header });
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, body);
      stack.push({ file: header, text: body.toString('utf8') });
    }
  }
}

async function buildSource(source: CorpusSource): Promise<{ built: number; problems: string[] }> {
  const problems: string[] = [];
  let built = 0;
  if (source.kind === 'git') {
    const dir = gitDir(source.repo);
    if (!fs.existsSync(dir)) return { built, problems: [`${source.repo}: no snapshot at ${dir} (fetch github:${source.repo} first)`] };
    const headers = new Set<string>();
    for (const file of source.files) {
      const body = gitShow(dir, source.commit, file.path);
      if (!body) {
        problems.push(`${corpusName(source, file)}: not in the snapshot at ${source.commit}`);
        continue;
      }
      const out = corpusPath(source, file);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, body);
      copyLocalHeaders(source, dir, file.path, body.toString('utf8'), headers);
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
    // The folder's own headers (bpf_misc.h beside the selftests), which the files include by quotes.
    for (const h of fs.readdirSync(dest).filter((n) => n.endsWith('.h'))) {
      fs.copyFileSync(path.join(dest, h), path.join(CORPUS_DIR, sourceDir(source), ...folder.split('/'), h));
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
