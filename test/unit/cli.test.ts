// The command-line linter as CI runs it: the bundled dist/cli.js in a child process.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { JsonFinding } from '../../server/src/cli/lint';
import { CLI, FIXTURES, REPO_ROOT, skipIfMissing } from '../helpers/paths';

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
    assert.match(
      lines[0],
      /^test\/fixtures\/lint\/seed-target-exec\.bpf\.c:5:10: error: 'target_exec' is not an LSM hook .* \[unknown-hook\]$/,
    );
    assert.match(lines[1], /^test\/fixtures\/lint\/seed-target-exec\.bpf\.c:6:5: error: BPF_KPROBE .* \[wrong-macro\]$/);
  });

  it('exits 0 on a clean file and on warnings only', () => {
    assert.deepEqual(lint(lintFixture('seed-connect-braced.bpf.c')), { status: 0, stdout: '', stderr: '' });
    const warnings = lint(lintFixture('passthrough-missing.bpf.c'));
    assert.equal(warnings.status, 0);
    const kinds: Record<string, number> = {};
    for (const line of warnings.stdout.trim().split('\n')) {
      const kind = /^[^:]+:\d+:\d+: (\w+): /.exec(line)?.[1] ?? line;
      kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
    assert.deepEqual(kinds, { hint: 16, warning: 2, note: 3 });
  });

  it('writes JSON with 1-based positions', () => {
    const r = lint('--format', 'json', lintFixture('seed-target-exec.bpf.c'), lintFixture('license-bad.bpf.c'));
    assert.equal(r.status, 1);
    const findings = JSON.parse(r.stdout) as JsonFinding[];
    assert.deepEqual(findings[0], {
      file: lintFixture('seed-target-exec.bpf.c'),
      line: 5,
      column: 10,
      endLine: 5,
      endColumn: 21,
      severity: 'error',
      code: 'unknown-hook',
      message: findings[0].message,
    });
    assert.deepEqual(
      findings.map((f) => f.code),
      ['unknown-hook', 'wrong-macro', 'license'],
    );
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
    assert.match(lint('--format', 'xml', 'a.c').stderr, /--format must be text, json or sarif, not 'xml'/);
    assert.match(lint('--kernel', 'latest', 'a.c').stderr, /'latest' is not a kernel version/);
    assert.match(lint('--disable', 'no-such-check', 'a.c').stderr, /unknown check code/);
    assert.equal(lint('--bogus').status, 2);
  });

  it('--disable turns a check off', () => {
    const r = lint('--disable', 'wrong-macro', lintFixture('seed-target-exec.bpf.c'));
    assert.doesNotMatch(r.stdout, /wrong-macro/);
    assert.match(r.stdout, /unknown-hook/);
  });

  it("checks against the user's own lsm_hook_defs.h", () => {
    const file = path.join(os.tmpdir(), `vendor-${process.pid}.bpf.c`);
    fs.writeFileSync(
      file,
      'char L[] SEC("license") = "GPL";\nSEC("lsm/vendor_exec_check")\nint BPF_PROG(p, struct linux_binprm *bprm, unsigned int flags, int ret)\n{ return ret; }\n',
    );
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

  it(
    "checks against a kernel's BTF with --btf, and refuses a file that is not BTF",
    { skip: skipIfMissing(fs.existsSync('/sys/kernel/btf/vmlinux'), '/sys/kernel/btf/vmlinux') },
    () => {
      const ok = lint('--btf', '/sys/kernel/btf/vmlinux', '--kernel', '6.12', lintFixture('seed-connect-braced.bpf.c'));
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stderr, /hooks from BTF of \/sys\/kernel\/btf\/vmlinux \(\d+\), rules of 6\.12/);
      const bad = lint('--btf', lintFixture('seed-connect-braced.bpf.c'), lintFixture('seed-connect-braced.bpf.c'));
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /--btf .*: not BTF: magic 0x2f2f, expected 0xeb9f/);
    },
  );

  it('warns about a broken header with line numbers, and refuses one with no hooks', () => {
    const broken = lint('--hook-defs', path.join(FIXTURES, 'headers', 'broken.h'), lintFixture('seed-connect-braced.bpf.c'));
    assert.match(broken.stderr, /broken\.h:3: warning: LSM_HOOK needs at least RET, DEFAULT and NAME/);
    const none = lint('--hook-defs', lintFixture('seed-connect-braced.bpf.c'), lintFixture('seed-connect-braced.bpf.c'));
    assert.equal(none.status, 2);
    assert.match(none.stderr, /has no LSM_HOOK entries that parse/);
  });

  it('escapes control characters of file names and messages in text, so they cannot fake lines or drive the terminal', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-lint-names-'));
    try {
      const name = 'a\nx.c:1:1: error: fake [license]\n\x1b[31mred\x9b.bpf.c';
      const file = path.join(dir, name);
      fs.copyFileSync(path.join(FIXTURES, 'lint', 'seed-target-exec.bpf.c'), file);
      const shown = `${dir}/a\\nx.c:1:1: error: fake [license]\\n\\e[31mred\\x9b.bpf.c`;
      const text = lint(file);
      assert.equal(text.status, 1);
      const lines = text.stdout.trim().split('\n');
      assert.equal(lines.length, 2);
      assert.ok(
        lines.every((l) => l.startsWith(`${shown}:`)),
        text.stdout,
      );
      assert.ok(!(text.stdout + text.stderr).includes('\x1b') && !text.stdout.includes('\x9b'), 'no raw ESC or CSI');
      const json = lint('--format', 'json', file);
      assert.match(json.stdout, /red\\u009b\.bpf\.c/);
      assert.deepEqual(
        (JSON.parse(json.stdout) as JsonFinding[]).map((f) => f.file),
        [file, file],
      );
      const missing = lint(`${file}\x1b[2J`);
      assert.equal(missing.stderr, `bpf-lsm-lint: ${shown}\\e[2J: no such file\n`);
      const hook = path.join(dir, 'hook.bpf.c');
      fs.writeFileSync(
        hook,
        'char L[] SEC("license") = "GPL";\nSEC("lsm/\x1b[2Jfile_open")\nint BPF_PROG(p, struct file *file, int ret)\n{ return ret; }\n',
      );
      assert.match(lint(hook).stdout, /^.*hook\.bpf\.c:2:10: error: '\\e\[2Jfile_open' is not an LSM hook/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an empty or malformed --kernel, and --hook-defs with --btf', () => {
    const file = lintFixture('seed-connect-braced.bpf.c');
    assert.deepEqual(lint('--kernel', '', file), {
      status: 2,
      stdout: '',
      stderr: 'bpf-lsm-lint: --kernel needs a release such as 6.12 or 6.1.20 (it was given an empty one)\n',
    });
    assert.deepEqual(lint('--kernel=', file), {
      status: 2,
      stdout: '',
      stderr: 'bpf-lsm-lint: --kernel needs a release such as 6.12 or 6.1.20 (it was given an empty one)\n',
    });
    for (const bad of ['6.12.', '6.12-', '6..12', '6.12 x']) {
      const r = lint('--kernel', bad, file);
      assert.equal(r.status, 2, bad);
      assert.match(
        r.stderr,
        new RegExp(`^bpf-lsm-lint: '${bad.replace(/\./g, '\\.')}' is not a kernel version; use a release such as 6\\.12`),
        bad,
      );
    }
    for (const good of ['6.12', 'v6.12', '6.1.0-28-amd64', '5.15.153.1-microsoft-standard-WSL2', '6.12.9+rpt-rpi-v8', '6.6.0+']) {
      assert.equal(lint('--kernel', good, file).status, 0, good);
    }
    assert.deepEqual(lint('--hook-defs', path.join(FIXTURES, 'headers', 'custom-kernel.h'), '--btf', '/sys/kernel/btf/vmlinux', file), {
      status: 2,
      stdout: '',
      stderr: 'bpf-lsm-lint: --hook-defs and --btf each give the hook table: use one of them\n',
    });
  });

  it('loads the remote engine for --probe-target: an unreachable target is one line and exit 2', () => {
    const r = lint('--probe-target', 'nosuchhost.invalid', lintFixture('seed-target-exec.bpf.c'));
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^bpf-lsm-lint: --probe-target nosuchhost\.invalid: [^\n]+\n$/);
  });

  it('reports an internal error in one line, without a stack trace, and exits 2', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-lint-alone-'));
    try {
      // The entry point and the bundle without the WASM files they load.
      fs.copyFileSync(CLI, path.join(dir, 'cli.js'));
      fs.copyFileSync(path.join(path.dirname(CLI), 'lint.js'), path.join(dir, 'lint.js'));
      const r = spawnSync(process.execPath, [path.join(dir, 'cli.js'), lintFixture('seed-target-exec.bpf.c')], {
        encoding: 'utf8',
        cwd: REPO_ROOT,
      });
      assert.equal(r.status, 2);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^bpf-lsm-lint: internal error: cannot find web-tree-sitter\.wasm; looked in: [^\n]*\n$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('local headers', () => {
    const inc = (...p: string[]) => path.join('test', 'fixtures', 'includes', ...p);

    it('takes the licence from a header beside the file: no finding; a missing header is no error', () => {
      assert.deepEqual(lint('--disable', 'return-out-of-range', inc('local', 'licensed.bpf.c')), { status: 0, stdout: '', stderr: '' });
      const missing = lint(inc('local', 'missing-header.bpf.c'));
      assert.equal(missing.status, 0);
      assert.match(
        missing.stderr,
        /^note: test\/fixtures\/includes\/local\/missing-header\.bpf\.c: "absent\.h" could not be read \(not found beside this file, and no include paths are set\); what it defines is not known\n$/,
      );
      assert.match(
        missing.stdout,
        /^test\/fixtures\/includes\/local\/missing-header\.bpf\.c:4:1: information: The licence could not be checked: this file has no SEC\("license"\), and "absent\.h" could not be read \(not found beside this file, and no include paths are set\)\. Add the include directory with -I, .* \[license\]\n$/,
      );
    });

    it('finds headers through -I, includePaths and compile_commands.json', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-lint-inc-'));
      try {
        // Alone, prog.bpf.c's common.h is not found: the licence is not checked (information, exit 0).
        const prog = path.join(dir, 'prog.bpf.c');
        fs.copyFileSync(inc('with-config', 'src', 'prog.bpf.c'), prog);
        const alone = lint('--format', 'json', prog);
        assert.equal(alone.status, 0);
        assert.deepEqual(
          (JSON.parse(alone.stdout) as JsonFinding[]).map((f) => [f.code, f.severity, f.line]),
          [['license', 'information', 4]],
        );
        assert.deepEqual(lint('-I', inc('with-config', 'include'), prog), { status: 0, stdout: '', stderr: '' });
        assert.deepEqual(lint(`-I${inc('with-cdb', 'headers')}`, prog), { status: 0, stdout: '', stderr: '' });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      assert.deepEqual(lint(inc('with-config', 'src', 'prog.bpf.c')), { status: 0, stdout: '', stderr: '' });
      assert.deepEqual(lint(inc('with-cdb', 'src', 'prog.bpf.c')), { status: 0, stdout: '', stderr: '' });
    });

    it('reports a header licence the kernel refuses, at the include line', () => {
      const r = lint(inc('local', 'proprietary.bpf.c'));
      assert.equal(r.status, 1);
      assert.match(
        r.stdout,
        /^test\/fixtures\/includes\/local\/proprietary\.bpf\.c:4:1: error: Licence "Proprietary" \(in proprietary\.h\) is not GPL-compatible/,
      );
    });
  });

  it('runs as `npx bpf-lsm-lint` from the packed package', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-lint-'));
    try {
      const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: REPO_ROOT, encoding: 'utf8' })
        .trim()
        .split('\n')
        .pop()!;
      fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"consumer","version":"1.0.0","private":true}');
      execFileSync('npm', ['install', '--silent', '--offline', '--no-audit', '--no-fund', path.join(dir, tarball)], {
        cwd: dir,
        stdio: 'pipe',
      });
      const fileArg = path.join(FIXTURES, 'lint', 'seed-target-exec.bpf.c');
      const r = spawnSync('npx', ['--offline', 'bpf-lsm-lint', '--format', 'json', fileArg], { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 1, r.stderr);
      assert.deepEqual(
        (JSON.parse(r.stdout) as JsonFinding[]).map((f) => f.code),
        ['unknown-hook', 'wrong-macro'],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
