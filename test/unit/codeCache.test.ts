// The linter's code cache (server/src/codeCache.ts): where it lives, that it is used from the second
// start on, and that a missing, stale, corrupt or unwritable cache never changes what the linter does.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { codeCacheDir, runCachedScript } from '../../server/src/codeCache';
import { CLI, REPO_ROOT } from '../helpers/paths';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-code-cache-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('code cache folder', () => {
  it('is the per-user cache: XDG_CACHE_HOME when absolute, else ~/.cache; none when disabled or homeless', () => {
    assert.equal(codeCacheDir({ XDG_CACHE_HOME: '/var/cache/me' }, '/home/me'), '/var/cache/me/bpf-lsm-studio/code-cache');
    assert.equal(codeCacheDir({ XDG_CACHE_HOME: 'relative' }, '/home/me'), '/home/me/.cache/bpf-lsm-studio/code-cache');
    assert.equal(codeCacheDir({ XDG_CACHE_HOME: '' }, '/home/me'), '/home/me/.cache/bpf-lsm-studio/code-cache');
    assert.equal(codeCacheDir({}, ''), undefined);
    assert.equal(codeCacheDir({ NODE_DISABLE_COMPILE_CACHE: '1', XDG_CACHE_HOME: '/var/cache/me' }, '/home/me'), undefined);
  });
});

describe('runCachedScript', () => {
  const script = path.join(tmp, 'tool.js');
  const dir = path.join(tmp, 'scripts-cache');
  const cacheFiles = () => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);
  /** In a process of its own: V8 keeps what it compiled for the process, whatever the cache says. */
  const load = (cacheDir: string | undefined) => {
    const code =
      `const { runCachedScript } = require(${JSON.stringify(require.resolve('../../server/src/codeCache'))});` +
      `const s = runCachedScript(${JSON.stringify(script)}, ${JSON.stringify(cacheDir)});` +
      'process.stdout.write(JSON.stringify([s.cacheUsed, s.exports.answer(), s.exports.file])); s.save();';
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
    assert.equal(r.stderr, '');
    return JSON.parse(r.stdout) as [boolean, number, string];
  };

  it('compiles from source the first time, from the cache after save(), and again after the script changed', () => {
    fs.writeFileSync(script, '#!/usr/bin/env node\nmodule.exports = { answer: () => 41 + 1, file: __filename };\n');
    assert.deepEqual(load(dir), [false, 42, script]);
    assert.equal(cacheFiles().length, 1);
    assert.match(cacheFiles()[0], /^tool-[0-9a-f]{24}\.v8cache$/);
    assert.deepEqual(load(dir), [true, 42, script]);

    // Same length, other code: V8 alone would take the old cache (it checks the length); the key is the content.
    const old = cacheFiles()[0];
    fs.writeFileSync(script, '#!/usr/bin/env node\nmodule.exports = { answer: () => 40 + 3, file: __filename };\n');
    assert.deepEqual(load(dir), [false, 43, script]);
    assert.equal(cacheFiles().length, 1, 'the stale cache is dropped');
    assert.notEqual(cacheFiles()[0], old);
    assert.deepEqual(load(dir), [true, 43, script]);
  });

  it('treats a corrupt cache file as none and replaces it', () => {
    const [file] = cacheFiles();
    fs.writeFileSync(path.join(dir, file), 'not a code cache');
    assert.deepEqual(load(dir), [false, 43, script]);
    assert.notEqual(fs.readFileSync(path.join(dir, file), 'utf8'), 'not a code cache');
    assert.deepEqual(load(dir), [true, 43, script]);
  });

  it("removes a write a killed writer left behind, once it is a minute old, and not another's write in progress", () => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir);
    const abandoned = path.join(dir, 'tool-0123456789abcdef01234567.v8cache.4242-1.tmp');
    const inProgress = path.join(dir, 'tool-0123456789abcdef01234567.v8cache.4243-0.tmp');
    fs.writeFileSync(abandoned, 'half');
    fs.writeFileSync(inProgress, 'half');
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    fs.utimesSync(abandoned, twoMinutesAgo, twoMinutesAgo);
    assert.deepEqual(load(dir), [false, 43, script]);
    assert.deepEqual(
      cacheFiles().filter((f) => f.endsWith('.tmp')),
      [path.basename(inProgress)],
    );
    assert.deepEqual(load(dir), [true, 43, script]);
  });

  it('runs without a cache when the folder cannot be made, or there is none', () => {
    const blocker = path.join(tmp, 'a-file');
    fs.writeFileSync(blocker, '');
    assert.deepEqual(load(path.join(blocker, 'cache')), [false, 43, script]);
    assert.equal(fs.readFileSync(blocker, 'utf8'), '');
    assert.deepEqual(load(undefined), [false, 43, script]);
  });
});

describe('runCachedScript in this process (what the mutation run sees)', () => {
  // Each script text is loaded once: V8 keeps in memory what it compiled in this process, which the
  // tests above avoid by starting a process per load.
  const dir = path.join(tmp, 'in-process-cache');
  let n = 0;
  const script = (answer: number) => {
    const file = path.join(tmp, 'inproc.js');
    fs.writeFileSync(
      file,
      `#!/usr/bin/env node\n// load ${n++}\nmodule.exports = { answer: () => ${answer}, file: __filename, dir: __dirname };\n`,
    );
    return file;
  };
  const files = () => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);

  it('runs the script as a module, and save() writes one cache file for it, named by its content', () => {
    const file = script(7);
    const s = runCachedScript(file, dir);
    const exports = s.exports as { answer: () => number; file: string; dir: string };
    assert.deepEqual([s.cacheUsed, exports.answer(), exports.file, exports.dir], [false, 7, file, tmp]);
    assert.deepEqual(files(), []);
    s.save();
    assert.equal(files().length, 1);
    assert.match(files()[0], /^inproc-[0-9a-f]{24}\.v8cache$/);
    assert.ok(fs.statSync(path.join(dir, files()[0])).size > 0);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(dir, files()[0])).mode & 0o777, 0o600);
  });

  it('a new version of the script replaces the old cache file; an abandoned write goes, one in progress stays', () => {
    const [old] = files();
    const abandoned = path.join(dir, 'inproc-0123456789abcdef01234567.v8cache.4242-1.tmp');
    const inProgress = path.join(dir, 'inproc-0123456789abcdef01234567.v8cache.4243-0.tmp');
    const other = path.join(dir, 'other-0123456789abcdef01234567.v8cache');
    for (const f of [abandoned, inProgress, other]) fs.writeFileSync(f, 'x');
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    fs.utimesSync(abandoned, twoMinutesAgo, twoMinutesAgo);
    const s = runCachedScript(script(8), dir);
    s.save();
    const now = files().filter((f) => f.startsWith('inproc-') && f.endsWith('.v8cache'));
    assert.equal(now.length, 1);
    assert.notEqual(now[0], old);
    assert.deepEqual(
      files().filter((f) => !now.includes(f)),
      [path.basename(inProgress), path.basename(other)],
    );
  });

  it('without a cache folder, or with one it cannot make, runs the script and save() does nothing', () => {
    const none = runCachedScript(script(9), undefined);
    none.save();
    assert.equal((none.exports as { answer: () => number }).answer(), 9);
    const blocker = path.join(tmp, 'in-process-blocker');
    fs.writeFileSync(blocker, '');
    const blocked = runCachedScript(script(10), path.join(blocker, 'cache'));
    assert.equal(blocked.cacheUsed, false);
    blocked.save();
    assert.equal(fs.readFileSync(blocker, 'utf8'), '');
  });
});

describe('bpf-lsm-lint with its code cache', () => {
  const file = path.join('test', 'fixtures', 'lint', 'seed-target-exec.bpf.c');
  const lint = (cacheHome: string, ...args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cacheHome };
    delete env.NODE_DISABLE_COMPILE_CACHE;
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: REPO_ROOT, env });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const expected = {
    status: 1,
    stdout:
      "test/fixtures/lint/seed-target-exec.bpf.c:5:10: error: 'target_exec' is not an LSM hook in any kernel release (bundled 7.3.4). " +
      "Did you mean 'bprm_creds_for_exec', 'bprm_check_security', 'bprm_committed_creds'? [unknown-hook]\n" +
      'test/fixtures/lint/seed-target-exec.bpf.c:6:5: error: BPF_KPROBE is for kprobe/uprobe programs: it reads arguments from ' +
      "pt_regs offsets, past an LSM hook's arguments, so the verifier rejects the program at load (invalid bpf_context access). Use BPF_PROG. [wrong-macro]\n",
    stderr: '',
  };

  it('writes its cache after the first run that lints, and gives the same output from it', () => {
    const home = path.join(tmp, 'xdg');
    const cache = path.join(home, 'bpf-lsm-studio', 'code-cache');
    assert.equal(lint(home, '--help').status, 0);
    assert.ok(!fs.existsSync(cache) || fs.readdirSync(cache).length === 0, '--help alone writes no cache');
    assert.deepEqual(lint(home, file), expected);
    const written = fs.readdirSync(cache);
    assert.equal(written.length, 1);
    assert.match(written[0], /^lint-[0-9a-f]{24}\.v8cache$/);
    const { ino } = fs.statSync(path.join(cache, written[0]));
    assert.deepEqual(lint(home, file), expected);
    // Taken, so not written again (a rejected cache is replaced: a new file).
    assert.equal(fs.statSync(path.join(cache, written[0])).ino, ino);
  });

  it('lints the same with a corrupt cache file, and with a cache folder it cannot create or read', () => {
    const home = path.join(tmp, 'xdg');
    const cache = path.join(home, 'bpf-lsm-studio', 'code-cache');
    const [name] = fs.readdirSync(cache);
    fs.writeFileSync(path.join(cache, name), Buffer.alloc(4096, 0xa5));
    assert.deepEqual(lint(home, file), expected);
    assert.notEqual(fs.readFileSync(path.join(cache, name))[0], 0xa5, 'replaced by a good one');

    // XDG_CACHE_HOME is a file: the folder cannot be made.
    const blocked = path.join(tmp, 'blocked');
    fs.writeFileSync(blocked, '');
    assert.deepEqual(lint(blocked, file), expected);
    // The cache file is a folder: it cannot be read or replaced.
    const odd = path.join(tmp, 'odd');
    fs.mkdirSync(path.join(odd, 'bpf-lsm-studio', 'code-cache', name), { recursive: true });
    assert.deepEqual(lint(odd, file), expected);
    assert.deepEqual(lint(odd, file), expected);
  });
});
