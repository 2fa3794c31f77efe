// Files that never end or are far too large, given where a C file, an lsm_hook_defs.h or a kernel BTF is
// expected: to the linter (FILE, --hook-defs, --btf) and to the server (bpfLsm.hookDefsPath, btfPath).
// They were read to EOF before any check. Whatever could block runs in a child process with a time
// limit, so that a regression fails instead of hanging the test run.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readSourceFile } from '../../server/src/analysis/sourceFile';
import { BTF_LIMIT, InputFileError, readBoundedFile, readTextFile } from '../../server/src/ctext/boundedRead';
import type { HookDef } from '../../server/src/hooks/types';
import { CLI, FIXTURES, REPO_ROOT } from '../helpers/paths';
import { timeLimit } from '../helpers/timeLimit';

const LIMIT_MS = 20_000;
const SERVER_SRC = path.resolve(__dirname, '..', '..', 'server', 'src');
const SETTINGS = path.resolve(__dirname, '..', '..', 'common', 'settings');
const lintFixture = (name: string) => path.join(FIXTURES, 'lint', name);

/** Runs a script in a child node, killed after LIMIT_MS; fails the test if it had to be killed. */
function inChild(script: string) {
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: LIMIT_MS, killSignal: 'SIGKILL', cwd: REPO_ROOT });
  assert.equal(r.error, undefined, `did not finish within ${LIMIT_MS} ms`);
  return r;
}

function lint(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: REPO_ROOT, timeout: LIMIT_MS, killSignal: 'SIGKILL' });
  assert.equal(r.error, undefined, `bpf-lsm-lint did not finish within ${LIMIT_MS} ms`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What readBoundedFile throws for `file`, read in a child (a FIFO open would block this process). */
function refusalInChild(file: string, limit: string): string {
  const r = inChild(`
    const m = require(${JSON.stringify(path.join(SERVER_SRC, 'ctext', 'boundedRead'))});
    const s = require(${JSON.stringify(path.join(SERVER_SRC, 'analysis', 'sourceFile'))});
    try { m.readBoundedFile(${JSON.stringify(file)}, m.${limit} ?? s.${limit}); console.log('read it'); }
    catch (e) { console.log((e instanceof m.InputFileError ? '' : 'not InputFileError: ') + e.message); }`);
  return r.stdout.trim();
}

function header(entries: number): string {
  let text = '';
  for (let i = 0; i < entries; i++) text += `LSM_HOOK(int, 0, hook_${i}, struct file *file)\n`;
  return text;
}

describe('bounded reading of input files', () => {
  let dir: string;
  let fifo: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-inputs-'));
    fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a FIFO without opening it, and /dev/zero, with what they are', () => {
    assert.equal(refusalInChild(fifo, 'BTF_LIMIT'), 'is a FIFO (named pipe), not a kernel BTF');
    assert.equal(refusalInChild('/dev/zero', 'HOOK_DEFS_LIMIT'), 'is a character device, not an lsm_hook_defs.h');
    assert.equal(refusalInChild('/dev/zero', 'SOURCE_LIMIT'), 'is a character device, not a C file');
  });

  it('refuses a directory, a missing file and a file over the limit', () => {
    assert.throws(() => readSourceFile(dir), new InputFileError('is a directory, not a C file'));
    assert.throws(() => readSourceFile(path.join(dir, 'missing.c')), new InputFileError('no such file'));
    const big = path.join(dir, 'big.btf');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, 65 * 1024 * 1024);
    assert.throws(() => readBoundedFile(big, BTF_LIMIT), new InputFileError('is over the 64.0 MiB limit for a kernel BTF (65.0 MiB)'));
    const source = path.join(dir, 'big.bpf.c');
    fs.writeFileSync(source, '');
    fs.truncateSync(source, 13 * 1024 * 1024);
    assert.throws(
      () => readSourceFile(source),
      new InputFileError('is too large for BPF LSM analysis (13,631,488 bytes; the limit is 4,194,304 characters)'),
    );
  });

  it('measures what it reads, not what stat says (procfs files say 0 bytes)', () => {
    assert.throws(
      () => readTextFile('/proc/self/status', { what: 'a status file', maxBytes: 100 }),
      /^InputFileError: is over the 0\.0 MiB limit for a status file/,
    );
    assert.match(readTextFile('/proc/self/status', { what: 'a status file', maxBytes: 1 << 20 }), /^Name:/);
  });

  it('a C file of more characters than the server analyses is refused, with the same limit', () => {
    const source = path.join(dir, 'wide.bpf.c');
    fs.writeFileSync(source, `// ${'x'.repeat(4 * 1024 * 1024)}\n`);
    assert.throws(
      () => readSourceFile(source),
      new InputFileError('is too large for BPF LSM analysis (4,194,308 characters; the limit is 4,194,304 characters)'),
    );
  });

  it('the linter names each bad FILE, lints the others, and exits 2', () => {
    const r = lint(fifo, '/dev/zero', lintFixture('seed-target-exec.bpf.c'));
    assert.equal(r.status, 2);
    assert.equal(
      r.stderr,
      `bpf-lsm-lint: ${fifo}: is a FIFO (named pipe), not a C file\nbpf-lsm-lint: /dev/zero: is a character device, not a C file\n`,
    );
    assert.match(r.stdout, /seed-target-exec\.bpf\.c:5:10: error: .*\[unknown-hook\]/);
  });

  it('the linter refuses a FIFO or /dev/zero as --hook-defs or --btf, and exits 2', () => {
    const file = lintFixture('seed-connect-braced.bpf.c');
    for (const [option, bad, message] of [
      ['--hook-defs', fifo, 'is a FIFO (named pipe), not an lsm_hook_defs.h'],
      ['--hook-defs', '/dev/zero', 'is a character device, not an lsm_hook_defs.h'],
      ['--btf', fifo, 'is a FIFO (named pipe), not a kernel BTF'],
      ['--btf', '/dev/zero', 'is a character device, not a kernel BTF'],
    ]) {
      const r = lint(option, bad, file);
      assert.deepEqual(r, { status: 2, stdout: '', stderr: `bpf-lsm-lint: ${option} ${bad}: ${message}\n` }, `${option} ${bad}`);
    }
  });

  it('the server reports a FIFO or /dev/zero in its settings as a target problem, and keeps the bundled tables', () => {
    const r = inChild(`
      const { resolveTarget } = require(${JSON.stringify(path.join(SERVER_SRC, 'lsp', 'targetProvider'))});
      const { HookCatalog } = require(${JSON.stringify(path.join(SERVER_SRC, 'hooks', 'catalog'))});
      const { DEFAULT_SETTINGS } = require(${JSON.stringify(SETTINGS)});
      const { target, problems } = resolveTarget({ ...DEFAULT_SETTINGS, hookDefsPath: ${JSON.stringify(fifo)}, btfPath: '/dev/zero' }, HookCatalog.bundled());
      console.log(JSON.stringify({ source: target.source.kind, problems }));`);
    assert.equal(r.stderr, '');
    const { source, problems } = JSON.parse(r.stdout) as { source: string; problems: { severity: string; message: string }[] };
    assert.equal(source, 'bundled');
    assert.deepEqual(problems, [
      {
        severity: 'error',
        message: `bpfLsm.hookDefsPath: cannot read ${fifo} (is a FIFO (named pipe), not an lsm_hook_defs.h); using the bundled hook tables.`,
      },
      {
        severity: 'error',
        message: 'bpfLsm.btfPath: /dev/zero: is a character device, not a kernel BTF; using the bundled hook tables instead.',
      },
    ]);
  });
});

describe('lsm_hook_defs.h with tens of thousands of entries', () => {
  /** parseHookDefs on the text `build` (JS source) makes, in a child: hook count, first and last hook, errors, ms. */
  function parseInChild(build: string) {
    const r = inChild(`
      const { parseHookDefs } = require(${JSON.stringify(path.join(SERVER_SRC, 'hooks', 'hookDefsParser'))});
      const entries = (n) => { let t = ''; for (let i = 0; i < n; i++) t += 'LSM_HOOK(int, 0, hook_' + i + ', struct file *file)\\n'; return t; };
      const text = ${build};
      const t0 = Date.now();
      const { hooks, errors } = parseHookDefs(text);
      const ms = Date.now() - t0;
      console.log(JSON.stringify({ hooks: hooks.length, first: hooks[0], last: hooks[hooks.length - 1], errors, ms }));`);
    return JSON.parse(r.stdout) as { hooks: number; first: HookDef; last: HookDef; errors: unknown[]; ms: number };
  }

  it('parses 40,000 entries in linear time and keeps the first 10,000, saying so', () => {
    // Was 25 s (a search for the next #directive from each entry ran to the end of the file).
    const result = parseInChild('entries(40000)');
    assert.equal(result.hooks, 10_000);
    assert.equal(result.last.name, 'hook_9999');
    assert.deepEqual(result.errors, [
      { line: 10_001, message: "more than 10000 LSM_HOOK entries (a kernel's header has about 300); the rest of the file is not read" },
    ]);
    assert.ok(result.ms < timeLimit(1000), `${result.ms} ms`);
  });

  it('stops at 10,000 of 500,000 entries', () => {
    const result = parseInChild('entries(500000)');
    assert.equal(result.hooks, 10_000);
    assert.equal(result.errors.length, 1);
  });

  it('cuts the conditions of 20,000 nested #ifs and of 20,000 #elifs instead of growing them', () => {
    const result = parseInChild(`'#ifdef CONFIG_A\\n'.repeat(20000) + entries(5) + '#endif\\n'.repeat(20000) +
      '#if CONFIG_B\\n' + '#elif CONFIG_C\\n'.repeat(20000) + 'LSM_HOOK(int, 0, last_hook, void)\\n#endif\\n'`);
    assert.deepEqual(result.errors, []);
    assert.equal(result.hooks, 6);
    assert.equal(result.first.condition, `${'CONFIG_A && '.repeat(41)}CONFIG_A…`);
    assert.equal(result.last.condition!.length, 501);
    assert.ok(result.last.condition!.startsWith('!(CONFIG_B || CONFIG_C || CONFIG_C'));
  });

  it('the linter warns about the cut and still lints against the entries it kept', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-header-'));
    try {
      const file = path.join(dir, 'lsm_hook_defs.h');
      fs.writeFileSync(file, `LSM_HOOK(int, 0, file_open, struct file *file)\n${header(40_000)}`);
      const r = lint('--hook-defs', file, lintFixture('seed-target-exec.bpf.c'));
      assert.equal(r.status, 1);
      assert.match(r.stderr, /lsm_hook_defs\.h:10001: warning: more than 10000 LSM_HOOK entries/);
      assert.match(r.stdout, /'target_exec' is not an LSM hook/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
