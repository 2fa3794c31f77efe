// The command-line linter as CI runs it: the bundled dist/cli.js in a child process.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { JsonFinding } from '../../server/src/cli/lint';
import { CLI, FIXTURES, REPO_ROOT } from '../helpers/paths';

function lint(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: REPO_ROOT });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lintFixture = (name: string) => path.join('test', 'fixtures', 'lint', name);

describe('bpf-lsm-lint', () => {
  it('prints compiler-style lines and exits 1 on errors', () => {
    const r = lint(lintFixture('seed-target-exec.bpf.c'));
    assert.equal(r.status, 1);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0], /^test\/fixtures\/lint\/seed-target-exec\.bpf\.c:5:10: error: 'target_exec' is not an LSM hook .* \[unknown-hook\]$/);
    assert.match(lines[1], /^test\/fixtures\/lint\/seed-target-exec\.bpf\.c:6:5: error: BPF_KPROBE .* \[wrong-macro\]$/);
  });

  it('exits 0 on a clean file and on warnings only', () => {
    assert.deepEqual(lint(lintFixture('seed-connect-braced.bpf.c')), { status: 0, stdout: '', stderr: '' });
    const warnings = lint(lintFixture('passthrough-missing.bpf.c'));
    assert.equal(warnings.status, 0);
    assert.equal(warnings.stdout.trim().split('\n').length, 5);
  });

  it('writes JSON with 1-based positions', () => {
    const r = lint('--format', 'json', lintFixture('seed-target-exec.bpf.c'), lintFixture('license-bad.bpf.c'));
    assert.equal(r.status, 1);
    const findings = JSON.parse(r.stdout) as JsonFinding[];
    assert.deepEqual(findings[0], {
      file: lintFixture('seed-target-exec.bpf.c'),
      line: 5, column: 10, endLine: 5, endColumn: 21,
      severity: 'error', code: 'unknown-hook', message: findings[0].message,
    });
    assert.deepEqual(findings.map((f) => f.code), ['unknown-hook', 'wrong-macro', 'license']);
  });

  it('says how it mapped --kernel, and applies that release', () => {
    const r = lint('--kernel', '6.10', lintFixture('kernel-history.bpf.c'));
    assert.match(r.stderr, /^note: kernel 6\.10: using the hook table of 6\.8 \(the newest bundled release not newer than it\)$/m);
    assert.doesNotMatch(r.stdout, /hook-not-in-kernel/);
    assert.match(lint('--kernel', '5.15', lintFixture('kernel-history.bpf.c')).stdout, /\[hook-not-in-kernel\]/);
  });

  it('reports a missing file, a directory and a binary file, lints the rest, and exits 2', () => {
    const r = lint('no-such.bpf.c', 'test', lintFixture('seed-target-exec.bpf.c'), 'dist/tree-sitter-c.wasm');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /no-such\.bpf\.c: no such file/);
    assert.match(r.stderr, /test: is a directory/);
    assert.match(r.stderr, /tree-sitter-c\.wasm: is a binary file/);
    assert.match(r.stdout, /\[unknown-hook\]/);
  });

  it('refuses bad usage with exit 2', () => {
    assert.equal(lint().status, 2);
    assert.match(lint('--format', 'xml', 'a.c').stderr, /--format must be text or json/);
    assert.match(lint('--kernel', 'latest', 'a.c').stderr, /'latest' is not a kernel version/);
    assert.match(lint('--disable', 'no-such-check', 'a.c').stderr, /unknown check code/);
    assert.equal(lint('--bogus').status, 2);
  });

  it('--disable turns a check off', () => {
    const r = lint('--disable', 'wrong-macro', lintFixture('seed-target-exec.bpf.c'));
    assert.doesNotMatch(r.stdout, /wrong-macro/);
    assert.match(r.stdout, /unknown-hook/);
  });

  it('checks against the user\'s own lsm_hook_defs.h', () => {
    const file = path.join(os.tmpdir(), `vendor-${process.pid}.bpf.c`);
    fs.writeFileSync(file, 'char L[] SEC("license") = "GPL";\nSEC("lsm/vendor_exec_check")\nint BPF_PROG(p, struct linux_binprm *bprm, unsigned int flags, int ret)\n{ return ret; }\n');
    try {
      const header = path.join(FIXTURES, 'headers', 'custom-kernel.h');
      assert.equal(lint(file).status, 1, 'not a mainline hook');
      const r = lint('--hook-defs', header, file);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stderr, /hooks from .*custom-kernel\.h \(4\)/);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it('checks against a kernel\'s BTF with --btf, and refuses a file that is not BTF', { skip: !fs.existsSync('/sys/kernel/btf/vmlinux') && 'no /sys/kernel/btf/vmlinux on this machine' }, () => {
    const ok = lint('--btf', '/sys/kernel/btf/vmlinux', '--kernel', '6.12', lintFixture('seed-connect-braced.bpf.c'));
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /hooks from BTF of \/sys\/kernel\/btf\/vmlinux \(\d+\), rules of 6\.12/);
    const bad = lint('--btf', lintFixture('seed-connect-braced.bpf.c'), lintFixture('seed-connect-braced.bpf.c'));
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--btf .*: not BTF: magic 0x2f2f, expected 0xeb9f/);
  });

  it('warns about a broken header with line numbers, and refuses one with no hooks', () => {
    const broken = lint('--hook-defs', path.join(FIXTURES, 'headers', 'broken.h'), lintFixture('seed-connect-braced.bpf.c'));
    assert.match(broken.stderr, /broken\.h:3: warning: LSM_HOOK needs at least RET, DEFAULT and NAME/);
    const none = lint('--hook-defs', lintFixture('seed-connect-braced.bpf.c'), lintFixture('seed-connect-braced.bpf.c'));
    assert.equal(none.status, 2);
    assert.match(none.stderr, /has no LSM_HOOK entries that parse/);
  });

  it('runs as `npx bpf-lsm-lint` from the packed package', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-lint-'));
    try {
      const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: REPO_ROOT, encoding: 'utf8' }).trim().split('\n').pop()!;
      fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"consumer","version":"1.0.0","private":true}');
      execFileSync('npm', ['install', '--silent', '--offline', '--no-audit', '--no-fund', path.join(dir, tarball)], { cwd: dir, stdio: 'pipe' });
      const fileArg = path.join(FIXTURES, 'lint', 'seed-target-exec.bpf.c');
      const r = spawnSync('npx', ['--offline', 'bpf-lsm-lint', '--format', 'json', fileArg], { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 1, r.stderr);
      assert.deepEqual((JSON.parse(r.stdout) as JsonFinding[]).map((f) => f.code), ['unknown-hook', 'wrong-macro']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
