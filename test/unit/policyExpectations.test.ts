// What a case expects on a kernel, and the line a failed expectation prints; the errno and signal tables
// against the ones Node has for this machine.
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { describe, it } from 'node:test';
import { ERRNO_NAMES, errnoName, errnoNumber, SIGNAL_NAMES, signalNumber } from '../../policy/src/errno';
import { evaluate, expectationFor, regexProblem } from '../../policy/src/expectations';
import type { Expectation, Observed, PolicyCase } from '../../policy/src/model';

const loaded: Observed['load'] = { loaded: true };
const notLoaded: Observed['load'] = {
  loaded: false,
  message: 'the verifier refused the program: R0 has smin=1 smax=1 should have been in [-4095, 0]',
  verifierLog:
    '0: R1=ctx() R10=fp0\n0: (b7) r0 = 1\n1: (95) exit\nAt program exit the register R0 has smin=1 smax=1 should have been in [-4095, 0]\n',
};

function observed(fields: Partial<Observed> = {}): Observed {
  return { load: loaded, trace: [], kernelWarnings: [], ...fields };
}

const EPERM = { code: 1, name: 'EPERM' };
const EACCES = { code: 13, name: 'EACCES' };
const SUCCESS = { code: 0, name: '' };

describe('expectationFor', () => {
  const c: PolicyCase = {
    name: 'c',
    pos: { line: 1, column: 1 },
    expect: { errno: 'EPERM' },
    expectOn: { '6.12': { load: 'rejected' }, '6.1': { allowed: true } },
  };

  it('the kernel series entry replaces expect; other kernels get expect', () => {
    assert.deepEqual(expectationFor(c, '6.12'), { load: 'rejected' });
    assert.deepEqual(expectationFor(c, '6.1'), { allowed: true });
    assert.deepEqual(expectationFor(c, '6.6'), { errno: 'EPERM' });
  });

  it('a full release finds its series, and 6.1 is not a prefix of 6.12', () => {
    assert.deepEqual(expectationFor(c, '6.12.38+deb13-amd64'), { load: 'rejected' });
    assert.deepEqual(expectationFor(c, '6.1.0-37-amd64'), { allowed: true });
    assert.deepEqual(expectationFor({ ...c, expectOn: { '6.1': { allowed: true } } }, '6.12'), { errno: 'EPERM' });
  });

  it('undefined without expect or an entry; inherited object properties are not entries', () => {
    const only = { ...c, expect: undefined, expectOn: { '6.12': { load: 'loads' as const } } };
    assert.equal(expectationFor(only, '6.1'), undefined);
    assert.equal(expectationFor(only, 'constructor'), undefined);
    assert.equal(expectationFor(only, '__proto__'), undefined);
  });
});

describe('evaluate', () => {
  const check = (expect: Expectation, seen: Partial<Observed>) => evaluate(expect, observed(seen));

  it('errno: success, another errno, the same errno, an alias of it', () => {
    assert.deepEqual(check({ errno: 'EPERM' }, { errno: SUCCESS }), ['expected errno EPERM (1), got success']);
    assert.deepEqual(check({ errno: 'EPERM' }, { errno: EACCES }), ['expected errno EPERM, got EACCES (13)']);
    assert.deepEqual(check({ errno: 'EPERM' }, { errno: EPERM }), []);
    assert.deepEqual(check({ errno: 'EWOULDBLOCK' }, { errno: { code: 11, name: 'EAGAIN' } }), []);
    assert.deepEqual(check({ errno: 'EPERM' }, { errno: { code: 524, name: '' } }), ['expected errno EPERM, got errno (524)']);
    assert.deepEqual(check({ errno: 'EPERM' }, {}), ['expected errno EPERM (1), but the action reported no errno']);
  });

  it('allowed: an errno, a failing command, nothing reported', () => {
    assert.deepEqual(check({ allowed: true }, { errno: SUCCESS }), []);
    assert.deepEqual(check({ allowed: true }, { errno: EPERM }), ['expected the action to be allowed, got EPERM (1)']);
    assert.deepEqual(check({ allowed: true }, { exit: 1, stderr: 'cat: /tmp/x: Operation not permitted\n' }), [
      "expected the command to succeed, got exit status 1; stderr: 'cat: /tmp/x: Operation not permitted'",
    ]);
    assert.deepEqual(check({ allowed: true }, { exit: 0 }), []);
    assert.deepEqual(check({ allowed: true }, {}), ['expected the action to be allowed, but it reported no result']);
  });

  it('exit status and output', () => {
    assert.deepEqual(
      check({ exit: 1, stderr: 'Operation not permitted' }, { exit: 1, stderr: 'cat: /tmp/lsm-secret: Operation not permitted\n' }),
      [],
    );
    assert.deepEqual(check({ exit: 1, stderr: 'Operation not permitted' }, { exit: 0, stdout: 'secret\n', stderr: '' }), [
      'expected exit status 1, got 0',
      'expected stderr to match /Operation not permitted/, got: nothing',
    ]);
    assert.deepEqual(check({ stderr: 'Operation not permitted' }, { exit: 1, stderr: 'cat: /tmp/lsm-secret: Permission denied\n' }), [
      "expected stderr to match /Operation not permitted/, got: 'cat: /tmp/lsm-secret: Permission denied'",
    ]);
    assert.deepEqual(check({ stdout: '^ok$' }, { exit: 0, stdout: 'ok' }), []);
    assert.deepEqual(check({ exit: 2 }, {}), ['expected exit status 2, but no exit status was reported']);
  });

  it('output in a message is one line, escaped and cut', () => {
    const [m] = check({ stdout: 'x' }, { exit: 0, stdout: `a\nb\x1b[31m${'y'.repeat(500)}` });
    assert.ok(!m.includes('\n') && !m.includes('\x1b'), m);
    assert.ok(m.includes('a\\nb\\u001b[31m'), m);
    assert.ok(m.length < 300 && m.endsWith("…'"), m);
  });

  it('trace lines: none, others (listed), a match', () => {
    assert.deepEqual(check({ errno: 'EPERM', trace: 'denied open' }, { errno: EPERM }), [
      'expected a trace line matching /denied open/, saw 0 lines',
    ]);
    assert.deepEqual(check({ trace: 'denied open' }, { errno: EPERM, trace: ['cat-123 [000] allowed read', 'cat-123 [000] checked'] }), [
      "expected a trace line matching /denied open/, saw 2 lines: 'cat-123 [000] allowed read', 'cat-123 [000] checked'",
    ]);
    const many = Array.from({ length: 8 }, (_, i) => `line ${i}`);
    assert.match(check({ trace: 'nope' }, { trace: many })[0], /saw 8 lines: 'line 0', .* 'line 4' and 3 more$/);
    assert.deepEqual(
      check({ trace: 'denied open of lsm-\\w+' }, { errno: EPERM, trace: ['x', 'cat-1 [001] denied open of lsm-secret'] }),
      [],
    );
  });

  it('kernel warnings: expected, and unexpected ones fail a case', () => {
    const warning = 'WARNING: CPU: 0 PID: 1 at kernel/bpf/verifier.c:123 check_helper_call+0x10';
    assert.deepEqual(check({ kernel_warning: 'verifier\\.c' }, { kernelWarnings: [warning] }), []);
    assert.deepEqual(check({ kernel_warning: 'verifier\\.c' }, {}), ['expected a kernel warning matching /verifier\\.c/, saw none']);
    assert.deepEqual(check({ errno: 'EPERM' }, { errno: EPERM, kernelWarnings: [warning] }), [
      `the kernel warned while the case ran: '${warning}'`,
    ]);
  });

  it('the load: a rejection expected or not, with its verifier message', () => {
    assert.deepEqual(evaluate({ errno: 'EPERM' }, observed({ load: notLoaded })), [`the program did not load: ${notLoaded.message}`]);
    assert.deepEqual(evaluate({ allowed: true }, observed({ load: notLoaded })), [`the program did not load: ${notLoaded.message}`]);
    assert.deepEqual(evaluate({ load: 'loads' }, observed({ load: notLoaded })), [`the program did not load: ${notLoaded.message}`]);
    assert.deepEqual(evaluate({ load: 'rejected' }, observed({ load: notLoaded })), []);
    assert.deepEqual(evaluate({ load: 'rejected', verifier: 'should have been in \\[-4095, 0\\]' }, observed({ load: notLoaded })), []);
    assert.deepEqual(evaluate({ load: 'rejected', verifier: 'invalid mem access' }, observed({ load: notLoaded })), [
      "expected the verifier log to match /invalid mem access/, got: '0: (b7) r0 = 1\\n1: (95) exit\\nAt program exit the register R0 has smin=1 smax=1 should have been in [-4095, 0]'",
    ]);
    assert.deepEqual(evaluate({ load: 'rejected' }, observed()), ['expected the program to be rejected by the verifier, but it loaded']);
    assert.deepEqual(evaluate({ load: 'loads' }, observed()), []);
  });

  it('every unmet expectation is a line of its own', () => {
    const messages = check({ allowed: true, exit: 0, stdout: 'a', stderr: 'b', trace: 'c' }, { exit: 3, stdout: '', stderr: '' });
    assert.equal(messages.length, 5, messages.join('\n'));
  });

  it('a pattern that does not compile is reported, not thrown', () => {
    assert.deepEqual(check({ stdout: '(' }, { exit: 0, stdout: '' }), [
      'stdout: /(/ is not a valid regular expression: Unterminated group',
    ]);
    assert.equal(regexProblem('a+b'), undefined);
    assert.equal(regexProblem('[z-a]'), 'Range out of order in character class');
  });
});

describe('errno and signal tables', () => {
  it('numbers and names both ways, with aliases', () => {
    assert.equal(errnoNumber('EPERM'), 1);
    assert.equal(errnoNumber('EHWPOISON'), 133);
    assert.equal(errnoNumber('EWOULDBLOCK'), 11);
    assert.equal(errnoNumber('ENOTSUP'), 95);
    assert.equal(errnoNumber('EPRM'), undefined);
    assert.equal(errnoName(11), 'EAGAIN');
    assert.equal(errnoName(35), 'EDEADLK');
    assert.equal(errnoName(41), undefined);
    assert.equal(signalNumber('SIGTERM'), 15);
    assert.equal(signalNumber('SIGSTKFLT'), 16);
    assert.equal(new Set(ERRNO_NAMES).size, ERRNO_NAMES.length);
    assert.equal(new Set(SIGNAL_NAMES).size, SIGNAL_NAMES.length);
  });

  it('agree with the numbers Node has for this machine (x86_64 Linux)', (t) => {
    if (os.platform() !== 'linux' || !['x64', 'arm64'].includes(os.arch())) {
      t.skip(`Node's tables here are for ${os.platform()}/${os.arch()}`);
      return;
    }
    const errnos = os.constants.errno as Record<string, number>;
    let compared = 0;
    for (const [name, n] of Object.entries(errnos)) {
      if (errnoNumber(name) === undefined) continue;
      assert.equal(errnoNumber(name), n, name);
      compared++;
    }
    assert.ok(compared >= 70, `${compared} errno names compared`);
    for (const name of ['EPERM', 'EACCES', 'ENOENT', 'ECONNREFUSED', 'EOPNOTSUPP']) assert.equal(errnoNumber(name), errnos[name], name);
    for (const [name, n] of Object.entries(os.constants.signals)) {
      if (signalNumber(name) === undefined) continue;
      assert.equal(signalNumber(name), n, name);
    }
    assert.equal(SIGNAL_NAMES.filter((s) => signalNumber(s) !== (os.constants.signals as Record<string, number>)[s]).length, 0);
  });
});
