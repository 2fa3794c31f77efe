// `lsm-loader --load-only` output, parsed: what 6.1 and 7.3 printed for an object with one program that
// loads (file_open) and one the verifier refuses (bpf_d_path on file_permission), with libbpf's default
// log and at log level 2. Expected values are literal.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadOnlyArgv, parseLoadOnly, type RejectedProgram } from '../../engine/src/loadOnly';
import { FIXTURES } from '../helpers/paths';

const logs = (name: string) =>
  ['stdout', 'stderr'].map((s) => fs.readFileSync(path.join(FIXTURES, 'verifier-logs', `${name}.${s}`), 'utf8')) as [string, string];

describe('loadOnlyArgv', () => {
  it('asks for a log level only when one is given', () => {
    assert.deepEqual(loadOnlyArgv('lsm-loader', '/tmp/x.bpf.o'), ['lsm-loader', '--load-only', '/tmp/x.bpf.o']);
    assert.deepEqual(loadOnlyArgv('/tmp/bpf-lsm-studio/lsm-loader', '/tmp/x.bpf.o', 2), [
      '/tmp/bpf-lsm-studio/lsm-loader',
      '--load-only',
      '--log-level',
      '2',
      '/tmp/x.bpf.o',
    ]);
  });
});

describe('parseLoadOnly', () => {
  it("gives each program its verdict, and a refused one the verifier's reason (6.1, default log)", () => {
    const [stdout, stderr] = logs('6.1-load-only');
    const programs = parseLoadOnly(stdout, stderr)!;
    assert.equal(programs.length, 2);
    assert.deepEqual(programs[0], { name: 'good_open', section: 'lsm/file_open', loaded: true, insns: 2, verifiedInsns: 2 });
    const refused = programs[1] as RejectedProgram;
    assert.equal(refused.name, 'bad_path');
    assert.equal(refused.section, 'lsm/file_permission');
    assert.equal(refused.loaded, false);
    assert.equal(refused.errno, 22);
    assert.equal(refused.failure.program, 'bad_path');
    assert.equal(refused.failure.firstError, 'helper call is not allowed in probe');
    // Only what was said about this program: it starts at libbpf's first line about it.
    assert.match(refused.failure.log, /^libbpf: prog 'bad_path': BPF program load failed: Invalid argument\n/);
    assert.match(refused.failure.log, /lsm-loader: loading bad_path failed: Invalid argument\n$/);
  });

  it('keeps the log of a program that loads when a log level was asked for, and its own log for a refused one (7.3, level 2)', () => {
    const [stdout, stderr] = logs('7.3-load-only-log2');
    const [good, bad] = parseLoadOnly(stdout, stderr)!;
    assert.equal(good.loaded, true);
    assert.ok(good.loaded);
    const log = good.log!;
    assert.match(log, /^func#0 @0\n/);
    // Level 2: the state after each instruction, and the source line it came from.
    assert.match(log, /^; int BPF_PROG\(good_open, struct file \*file, int ret\) \{ @ two\.bpf\.c:8$/m);
    assert.match(log, /^1: \(95\) exit$/m);
    assert.match(log, /^processed 2 insns \(limit 1000000\)/m);
    assert.doesNotMatch(log, /bad_path/);
    assert.ok(!bad.loaded);
    // 7.3 explains its refusal after the message; the message is what counts.
    assert.equal(bad.failure.firstError, 'helper call is not allowed in probe');
    assert.doesNotMatch(bad.failure.log, /good_open/);
  });

  it("names a kfunc the kernel lacks (6.1, a strong __ksym): libbpf's cause, not its summary", () => {
    const stderr = [
      'lsm-loader: program xattr_nonsleepable lsm/file_open',
      "libbpf: extern (func ksym) 'bpf_get_file_xattr': not found in kernel or module BTFs",
      "libbpf: failed to load object '/tmp/bpf-lsm-studio/k.o'",
      'lsm-loader: loading xattr_nonsleepable failed: Invalid argument',
      '',
    ].join('\n');
    const [program] = parseLoadOnly('rejected xattr_nonsleepable lsm/file_open 22\nunloaded\n', stderr)!;
    assert.ok(!program.loaded);
    assert.equal(program.errno, 22);
    assert.equal(program.failure.program, 'xattr_nonsleepable');
    assert.equal(program.failure.firstError, "extern (func ksym) 'bpf_get_file_xattr': not found in kernel or module BTFs");
  });

  it('gives no verdict when the loader reported no program', () => {
    assert.equal(parseLoadOnly('', 'lsm-loader: cannot open /tmp/none.o: No such file or directory\n'), undefined);
    assert.equal(parseLoadOnly('', 'usage: lsm-loader [--pin DIR] OBJECT.bpf.o\n'), undefined);
  });

  it('reads the statistics when present and goes without them', () => {
    assert.deepEqual(parseLoadOnly('loaded p lsm/file_open\nunloaded\n', 'lsm-loader: program p lsm/file_open\n'), [
      { name: 'p', section: 'lsm/file_open', loaded: true },
    ]);
  });
});
