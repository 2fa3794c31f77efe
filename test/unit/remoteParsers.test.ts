// The remote engine's pure parts, with no target and no QEMU: destinations, quoting, ssh's failures,
// the preflight report, clang's command line and messages, the loader's output, the verifier's reason,
// the probe's verdict and trace_pipe chunks. Expected values are literal.
import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loaderArgv, parseAttached, parseLoadFailure } from '../../engine/src/attachSession';
import { clangArgs, parseCompilerMessages, targetArch } from '../../engine/src/buildBpf';
import { parsePreflight } from '../../engine/src/preflight';
import { probeDenied } from '../../engine/src/probe';
import { shellJoin, shellQuote } from '../../engine/src/shellQuote';
import { classifySshFailure, isSshFailure } from '../../engine/src/sshConnection';
import { parseTarget } from '../../engine/src/sshTarget';
import { FIXTURES } from '../helpers/paths';
import { MAX_PARTIAL_LINE, splitTraceChunk, syntheticTraceCommand } from '../../engine/src/traceStream';
import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from '../../common/repoRoot';

describe('parseTarget', () => {
  it('takes an alias, user@host, user@host:port and [v6]:port', () => {
    assert.deepEqual(parseTarget({ destination: 'vm-alias' }), {
      destination: 'vm-alias',
      host: 'vm-alias',
      port: undefined,
      label: 'vm-alias',
    });
    assert.deepEqual(parseTarget({ destination: ' root@10.0.0.5 ' }), {
      destination: 'root@10.0.0.5',
      host: 'root@10.0.0.5',
      port: undefined,
      label: 'root@10.0.0.5',
    });
    assert.deepEqual(parseTarget({ destination: 'root@127.0.0.1:2222', sudo: true }), {
      destination: 'root@127.0.0.1:2222',
      sudo: true,
      host: 'root@127.0.0.1',
      port: 2222,
      label: 'root@127.0.0.1:2222',
    });
    assert.deepEqual(parseTarget({ destination: 'root@[::1]:2222' }), {
      destination: 'root@[::1]:2222',
      host: 'root@::1',
      port: 2222,
      label: 'root@[::1]:2222',
    });
    assert.deepEqual(parseTarget({ destination: 'bpf-lsm-vm', configFile: '/x/ssh_config' }), {
      destination: 'bpf-lsm-vm',
      configFile: '/x/ssh_config',
      host: 'bpf-lsm-vm',
      port: undefined,
      label: 'bpf-lsm-vm',
    });
  });

  it('refuses an empty destination, shell syntax, an option and a port out of range', () => {
    assert.throws(() => parseTarget({ destination: '  ' }), {
      message: 'No target is set: set bpfLsm.target.destination to an ssh destination (alias, user@host or user@host:port).',
    });
    assert.throws(() => parseTarget({ destination: 'root@host;reboot' }), {
      message: "'root@host;reboot' is not an ssh destination: use an alias, user@host or user@host:port.",
    });
    assert.throws(() => parseTarget({ destination: '-oProxyCommand=x' }), {
      message: "'-oProxyCommand=x' is not an ssh destination: use an alias, user@host or user@host:port.",
    });
    assert.throws(() => parseTarget({ destination: 'root@host:70000' }), { message: "port 70000 of 'root@host:70000' is not a TCP port" });
  });
});

describe('shellQuote and shellJoin', () => {
  it('leaves plain words alone and single-quotes the rest', () => {
    assert.equal(shellQuote('/tmp/bpf-lsm-studio/x.bpf.o'), '/tmp/bpf-lsm-studio/x.bpf.o');
    assert.equal(shellQuote('a b'), "'a b'");
    assert.equal(shellQuote("it's"), "'it'\\''s'");
    assert.equal(shellQuote('$(touch /tmp/pwned)'), "'$(touch /tmp/pwned)'");
    assert.equal(shellQuote(''), "''");
    assert.equal(shellQuote('new\nline'), "'new\nline'");
    assert.equal(shellJoin(['sh', '-c', 'cat > /tmp/x']), "sh -c 'cat > /tmp/x'");
  });
});

describe('ssh failures', () => {
  const r = (stderr: string, exitCode: number | undefined = 255) => ({ stdout: '', stderr, exitCode, signal: undefined });

  it('tells ssh failing from a remote command that exits 255', () => {
    assert.equal(isSshFailure(r('ssh: connect to host 127.0.0.1 port 1: Connection refused\n')), true);
    assert.equal(isSshFailure(r('')), true);
    assert.equal(isSshFailure(r('my tool: gave up\n')), false);
    assert.equal(isSshFailure(r('ssh: connect to host 127.0.0.1 port 1: Connection refused\n', 1)), false);
  });

  it('classifies a changed key, an unknown key, a refused login and no connection', () => {
    const changed = classifySshFailure(r('@@@\nWARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!\nHost key verification failed.\n'), 'vm');
    assert.equal(changed.kind, 'changed-host-key');
    assert.equal(
      changed.message,
      'The host key of vm has changed: this may be an attack or a reinstalled machine. Check it and update known_hosts yourself; nothing was run.',
    );
    const unknown = classifySshFailure(
      r('No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\nHost key verification failed.\n'),
      'vm',
    );
    assert.equal(unknown.kind, 'unknown-host-key');
    assert.equal(unknown.message, 'The host key of vm is not known yet.');
    const auth = classifySshFailure(r('root@10.0.0.5: Permission denied (publickey).\n'), 'root@10.0.0.5');
    assert.equal(auth.kind, 'auth');
    assert.equal(auth.message, 'ssh could not log in to root@10.0.0.5: root@10.0.0.5: Permission denied (publickey).');
    const down = classifySshFailure(r('ssh: connect to host 127.0.0.1 port 1: Connection refused\n'), 'root@127.0.0.1:1');
    assert.equal(down.kind, 'unreachable');
    assert.equal(down.message, 'ssh could not reach root@127.0.0.1:1: ssh: connect to host 127.0.0.1 port 1: Connection refused');
    assert.equal(classifySshFailure(r(''), 'vm').message, 'ssh could not reach vm: connection failed');
  });
});

describe('parsePreflight', () => {
  const ok = [
    'release=6.12.117+deb12-amd64',
    'machine=x86_64',
    'uid=0',
    'btf=1',
    'lsm=capability,lockdown,yama,integrity,apparmor,bpf',
    'tracefs=/sys/kernel/tracing',
    'bpffs=1',
    'loader=1',
  ].join('\n');

  it('reads a ready target', () => {
    assert.deepEqual(parsePreflight(ok), {
      kernelRelease: '6.12.117+deb12-amd64',
      machine: 'x86_64',
      uid: 0,
      btf: true,
      lsms: ['capability', 'lockdown', 'yama', 'integrity', 'apparmor', 'bpf'],
      bpfActive: true,
      suggestedLsmParameter: 'lsm=lockdown,yama,integrity,apparmor,bpf',
      tracefs: '/sys/kernel/tracing',
      bpffs: true,
      loaderInstalled: true,
      actionHelperInstalled: false,
      proberInstalled: false,
      blockers: [],
      warnings: [],
    });
  });

  it('warns when bpf is not an active LSM, with the lsm= line to boot with', () => {
    const report = parsePreflight(ok.replace('lsm=capability,lockdown,yama,integrity,apparmor,bpf', 'lsm=capability,lockdown,yama'));
    assert.equal(report.bpfActive, false);
    assert.equal(report.suggestedLsmParameter, 'lsm=lockdown,yama,bpf');
    assert.deepEqual(report.blockers, []);
    assert.deepEqual(report.warnings, [
      'bpf is not an active LSM on this target (capability,lockdown,yama): programs will attach but enforce nothing. ' +
        'Boot the target with lsm=lockdown,yama,bpf (e.g. in GRUB_CMDLINE_LINUX, then update-grub and reboot).',
    ]);
  });

  it('blocks without BTF, bpffs or a readable LSM list, and warns without tracefs', () => {
    const report = parsePreflight('release=5.4.0\nmachine=aarch64\nuid=1000\nbtf=0\nlsm=\ntracefs=\nbpffs=0\nloader=0\n');
    assert.equal(report.machine, 'aarch64');
    assert.equal(report.uid, 1000);
    assert.equal(report.tracefs, null);
    assert.equal(report.loaderInstalled, false);
    assert.deepEqual(report.blockers, [
      '5.4.0 has no /sys/kernel/btf/vmlinux: BPF LSM needs a kernel built with CONFIG_DEBUG_INFO_BTF=y.',
      'bpffs is not mounted at /sys/fs/bpf and could not be mounted (not root?).',
      '/sys/kernel/security/lsm cannot be read: is securityfs available, and is the login root (or sudo set)?',
    ]);
    assert.deepEqual(report.warnings, ['tracefs is not mounted: bpf_printk output cannot be shown.']);
  });
});

describe('the compiler', () => {
  it("maps uname -m to libbpf's __TARGET_ARCH_ names", () => {
    assert.equal(targetArch('x86_64'), 'x86');
    assert.equal(targetArch('aarch64'), 'arm64');
    assert.equal(targetArch('s390x'), 's390');
    assert.equal(targetArch('ppc64le'), 'powerpc');
    assert.equal(targetArch('riscv64'), 'riscv');
    assert.equal(targetArch('loongarch64'), 'loongarch64');
  });

  it('builds one clang command line, with defines as C string literals', () => {
    assert.deepEqual(clangArgs('/w/prog.bpf.c', '/o/prog.bpf.o', '/cache/btf/abc', 'x86_64'), [
      '-O2',
      '-g',
      '-target',
      'bpf',
      '-D__TARGET_ARCH_x86',
      '-I',
      '/cache/btf/abc',
      '-I',
      '/w',
      '-c',
      '/w/prog.bpf.c',
      '-o',
      '/o/prog.bpf.o',
    ]);
    assert.deepEqual(clangArgs('/w/p.c', '/o/p.o', '/h', 'aarch64', { defines: { DENY_NAME: 'kt-1-x', N: '"q"' } }), [
      '-O2',
      '-g',
      '-target',
      'bpf',
      '-D__TARGET_ARCH_arm64',
      '-I',
      '/h',
      '-I',
      '/w',
      '-DDENY_NAME="kt-1-x"',
      '-DN="\\"q\\""',
      '-c',
      '/w/p.c',
      '-o',
      '/o/p.o',
    ]);
  });

  it("parses clang's file:line:col: severity: message lines", () => {
    const stderr = [
      "/w/broken.bpf.c:2:9: error: use of undeclared identifier 'undeclared_thing'",
      '    2 | int x = undeclared_thing;',
      '      |         ^',
      "/w/broken.bpf.c:5:3: warning: unused variable 'y' [-Wunused-variable]",
      '/w/vmlinux.h:10:1: note: previous definition is here',
      '2 errors generated.',
    ].join('\n');
    assert.deepEqual(parseCompilerMessages(stderr), [
      { file: '/w/broken.bpf.c', line: 2, column: 9, severity: 'error', message: "use of undeclared identifier 'undeclared_thing'" },
      { file: '/w/broken.bpf.c', line: 5, column: 3, severity: 'warning', message: "unused variable 'y' [-Wunused-variable]" },
      { file: '/w/vmlinux.h', line: 10, column: 1, severity: 'note', message: 'previous definition is here' },
    ]);
    assert.deepEqual(parseCompilerMessages(''), []);
  });
});

describe('the loader', () => {
  it('has one command line, session-held or pinned', () => {
    assert.deepEqual(loaderArgv('lsm-loader', '/tmp/x.bpf.o'), ['lsm-loader', '/tmp/x.bpf.o']);
    assert.deepEqual(loaderArgv('/tmp/bpf-lsm-studio/lsm-loader', '/tmp/x.bpf.o', '/sys/fs/bpf/bpf-lsm-studio/x.bpf'), [
      '/tmp/bpf-lsm-studio/lsm-loader',
      '--pin',
      '/sys/fs/bpf/bpf-lsm-studio/x.bpf',
      '/tmp/x.bpf.o',
    ]);
  });

  it('reads its attached lines', () => {
    const out = 'attached deny_secret_open lsm/file_open\nattached guard_exec lsm.s/bprm_check_security\nready\n';
    assert.deepEqual(parseAttached(out), [
      { name: 'deny_secret_open', section: 'lsm/file_open' },
      { name: 'guard_exec', section: 'lsm.s/bprm_check_security' },
    ]);
    assert.deepEqual(parseAttached('ready\n'), []);
    assert.deepEqual(parseAttached('not attached x y\n'), []);
  });
});

describe('parseLoadFailure', () => {
  it("takes the verifier's own message, not the explanation newer verifiers add after it (7.3)", () => {
    const log = fs.readFileSync(path.join(FIXTURES, 'verifier-logs', '7.3-changed-prototype.log'), 'utf8');
    const failure = parseLoadFailure(log);
    assert.equal(failure.program, 'setattr_61_args');
    assert.equal(failure.firstError, 'R1 pointer arithmetic with <<= operator prohibited');
  });

  it("takes the verifier's reason: the line before its statistics", () => {
    const log = [
      "libbpf: prog 'remote_test_file_open': BPF program load failed: Invalid argument",
      "libbpf: prog 'remote_test_file_open': -- BEGIN PROG LOAD LOG --",
      '0: R1=ctx() R10=fp0',
      '; int BPF_PROG(remote_test_file_open, struct file *file, int ret)',
      '12: (95) exit',
      'At program exit the register R0 has smin=1 smax=1 should have been in [-4095, 0]',
      'processed 13 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 1',
      '-- END PROG LOAD LOG --',
      "libbpf: prog 'remote_test_file_open': failed to load: -22",
      'lsm-loader: loading /tmp/remote-test/bad.bpf.o failed: Invalid argument',
    ].join('\n');
    const failure = parseLoadFailure(log);
    assert.equal(failure.program, 'remote_test_file_open');
    assert.equal(failure.firstError, 'At program exit the register R0 has smin=1 smax=1 should have been in [-4095, 0]');
    assert.equal(failure.log, log);
  });

  it('takes the last verifier line when there are no statistics', () => {
    const log =
      "libbpf: prog 'p': BPF program load failed: Permission denied\nlibbpf: prog 'p': -- BEGIN PROG LOAD LOG --\nR1 type=ctx expected=fp\n\n-- END PROG LOAD LOG --\n";
    assert.deepEqual(parseLoadFailure(log), { program: 'p', firstError: 'R1 type=ctx expected=fp', log });
  });

  it("falls back to libbpf's own error line, then to the last line", () => {
    const btf =
      "libbpf: prog 'kt_unknown': failed to find kernel BTF type ID of 'bpf_lsm_file_opne': -3\nlibbpf: prog 'kt_unknown': failed to prepare load attributes: -3\nlsm-loader: loading x failed\n";
    assert.deepEqual(parseLoadFailure(btf), {
      program: undefined,
      firstError: "prog 'kt_unknown': failed to find kernel BTF type ID of 'bpf_lsm_file_opne': -3",
      log: btf,
    });
    assert.deepEqual(parseLoadFailure('something odd\nlast words\n'), {
      program: undefined,
      firstError: 'last words',
      log: 'something odd\nlast words\n',
    });
    assert.equal(parseLoadFailure('').firstError, '');
  });
});

describe('the probe and the trace', () => {
  it('calls a failure with EPERM a denial, and nothing else', () => {
    assert.equal(probeDenied(1, "cat: can't open '/tmp/e2e/x': Operation not permitted"), true);
    assert.equal(probeDenied(1, 'open: EPERM'), true);
    assert.equal(probeDenied(0, 'Operation not permitted'), false);
    assert.equal(probeDenied(1, 'cat: /tmp/x: No such file or directory'), false);
    assert.equal(probeDenied(undefined, 'Operation not permitted'), true);
  });

  it('splits trace_pipe chunks into whole lines across chunk boundaries', () => {
    const a = splitTraceChunk('', '  cat-1 [000] d..31 1.0: bpf_trace_printk: a\r\n  cat-2 [000] d..31 2.0: bpf_');
    assert.deepEqual(a, { lines: ['  cat-1 [000] d..31 1.0: bpf_trace_printk: a'], partial: '  cat-2 [000] d..31 2.0: bpf_' });
    const b = splitTraceChunk(a.partial, 'trace_printk: b\r\n\r\n');
    assert.deepEqual(b, { lines: ['  cat-2 [000] d..31 2.0: bpf_trace_printk: b'], partial: '' });
  });

  it('lets a line without an end out once it is longer than MAX_PARTIAL_LINE, rather than growing', () => {
    const long = 'x'.repeat(MAX_PARTIAL_LINE);
    assert.deepEqual(splitTraceChunk('', long), { lines: [], partial: long });
    const over = splitTraceChunk(long, 'yz');
    assert.equal(over.partial, '');
    assert.equal(over.lines.length, 1);
    assert.equal(over.lines[0].length, MAX_PARTIAL_LINE + 2);
  });

  it('the synthetic trace command prints trace_pipe lines, a quarter of them from synth_b', () => {
    // The guest's own busybox when the VM userland is here, else the host's awk.
    const busybox = path.join(REPO_ROOT, '.cache', 'vm', 'sysroot', 'bin', 'busybox');
    const [sh, c, script] = syntheticTraceCommand();
    assert.deepEqual([sh, c], ['sh', '-c']);
    const local = fs.existsSync(busybox) ? script.replace("awk '", `${busybox} awk '`) : script;
    const out = execFileSync('sh', ['-c', `(${local}) | head -n 5`], { encoding: 'utf8' });
    assert.equal(
      out,
      '             cat-200     [000] ...11    15.000000: bpf_trace_printk: synth_b: synthetic open 0\n' +
        '             cat-201     [001] ...11    15.000001: bpf_trace_printk: synth_a: synthetic open 1\n' +
        '             cat-202     [000] ...11    15.000002: bpf_trace_printk: synth_a: synthetic open 2\n' +
        '             cat-203     [001] ...11    15.000003: bpf_trace_printk: synth_a: synthetic open 3\n' +
        '             cat-204     [000] ...11    15.000004: bpf_trace_printk: synth_b: synthetic open 4\n',
    );
  });
});
