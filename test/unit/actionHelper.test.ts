// The action helper's engine side without a target: the command line for every action, and the reading
// of what lsm-action prints (its JSON line, its usage and preparation failures, and output that is neither).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ActionHelperError,
  type ActionHelperErrorKind,
  actionArgv,
  type HelperAction,
  parseActionResult,
} from '../../engine/src/actionHelper';
import { parsePreflight } from '../../engine/src/preflight';

const H = '/tmp/bpf-lsm-studio/lsm-action';

describe('actionArgv', () => {
  it('builds one command line per action kind', () => {
    const cases: [HelperAction, string[]][] = [
      [{ kind: 'open', path: '/etc/passwd', flags: [] }, ['open', '/etc/passwd']],
      [{ kind: 'open', path: '/tmp/x', flags: ['O_WRONLY', 'O_CREAT', 'O_TRUNC'] }, ['open', '/tmp/x', 'O_WRONLY|O_CREAT|O_TRUNC']],
      [{ kind: 'exec', path: '/bin/true', args: [] }, ['exec', '/bin/true']],
      [{ kind: 'exec', path: '/bin/sh', args: ['-c', 'exit 3'] }, ['exec', '/bin/sh', '-c', 'exit 3']],
      [{ kind: 'connect', protocol: 'tcp', address: '127.0.0.1', port: 47001, family: 4 }, ['connect', 'tcp', '127.0.0.1', '47001']],
      [{ kind: 'bind', protocol: 'udp', address: '::1', port: 0, family: 6 }, ['bind', 'udp', '::1', '0']],
      [{ kind: 'unlink', path: '/tmp/a' }, ['unlink', '/tmp/a']],
      [{ kind: 'mkdir', path: '/tmp/d', mode: 0o755 }, ['mkdir', '/tmp/d', '0755']],
      [{ kind: 'mkdir', path: '/tmp/d', mode: 0 }, ['mkdir', '/tmp/d', '00']],
      [{ kind: 'rename', from: '/tmp/a', to: '/tmp/b' }, ['rename', '/tmp/a', '/tmp/b']],
      [{ kind: 'chmod', path: '/tmp/a', mode: 0o4711 }, ['chmod', '/tmp/a', '04711']],
      [{ kind: 'mount', source: 'none', target: '/mnt', fstype: 'tmpfs' }, ['mount', 'none', '/mnt', 'tmpfs']],
      [{ kind: 'kill', signal: 'SIGTERM' }, ['kill', 'SIGTERM']],
      [{ kind: 'ptrace' }, ['ptrace']],
      [{ kind: 'bpf', map: 'hash' }, ['bpf', 'hash']],
    ];
    for (const [action, rest] of cases) assert.deepEqual(actionArgv(action, H), [H, ...rest], JSON.stringify(action));
  });

  it('passes awkward paths as single arguments (the ssh layer quotes them)', () => {
    const p = "/tmp/a b/it's $(x) -n";
    assert.deepEqual(actionArgv({ kind: 'unlink', path: p }, 'lsm-action'), ['lsm-action', 'unlink', p]);
  });

  it('refuses a port, a mode or an address family it cannot pass on', () => {
    const net = { kind: 'bind', protocol: 'tcp', address: '127.0.0.1', family: 4 } as const;
    assert.throws(() => actionArgv({ ...net, port: 65536 }, H), /bind: port 65536 is not 0\.\.65535/);
    assert.throws(() => actionArgv({ ...net, port: 1.5 }, H), RangeError);
    assert.throws(() => actionArgv({ ...net, port: 80, family: 6 }, H), /127\.0\.0\.1 is not an IPv6 address/);
    assert.throws(() => actionArgv({ ...net, port: 80, address: '::1' }, H), /::1 is not an IPv4 address/);
    assert.throws(() => actionArgv({ kind: 'mkdir', path: '/d', mode: 0o10000 }, H), /mkdir: mode 4096 is not 0\.\.0o7777/);
    assert.throws(() => actionArgv({ kind: 'chmod', path: '/d', mode: -1 }, H), RangeError);
  });
});

describe('case marks', () => {
  it('put the mark options before the action, and read back the taint and the trace lines', () => {
    assert.deepEqual(actionArgv({ kind: 'unlink', path: '/tmp/x' }, 'lsm-action', { nonce: '@@n', tracefs: '/sys/kernel/tracing' }), [
      'lsm-action',
      '--mark',
      '@@n',
      '--tracefs',
      '/sys/kernel/tracing',
      'unlink',
      '/tmp/x',
    ]);
    assert.deepEqual(actionArgv({ kind: 'ptrace' }, 'h', { nonce: 'n', tracefs: 't', readTrace: true }).slice(1, 6), [
      '--mark',
      'n',
      '--tracefs',
      't',
      '--read-trace',
    ]);
    const r = parseActionResult(
      '{"action":"open","errno":1,"name":"EPERM","message":"x","tainted":true,"trace":["a \\"q\\"", "b"]}\n',
      '',
      0,
    );
    assert.equal(r.tainted, true);
    assert.deepEqual(r.trace, ['a "q"', 'b']);
    assert.equal(parseActionResult('{"action":"open","errno":0,"trace":[]}', '', 0).tainted, undefined);
    assert.throws(() => parseActionResult('{"action":"open","errno":0,"trace":[1]}', '', 0), /trace lines that are not text/);
    assert.throws(() => parseActionResult('{"action":"open","errno":0,"tainted":"yes"}', '', 0), /taint/);
  });
});

describe('parseActionResult', () => {
  it('reads success, a denial with its name and text, and an exec with its exit status', () => {
    assert.deepEqual(parseActionResult('{"action":"open","errno":0}\n', '', 0), { errno: { code: 0, name: '' } });
    assert.deepEqual(parseActionResult('{"action":"open","errno":1,"name":"EPERM","message":"Operation not permitted"}\n', '', 0), {
      errno: { code: 1, name: 'EPERM' },
      message: 'Operation not permitted',
    });
    assert.deepEqual(parseActionResult('{"action":"exec","errno":0,"exit":3}\n', 'output of the program\n', 0), {
      errno: { code: 0, name: '' },
      exit: 3,
    });
    assert.deepEqual(parseActionResult('{"action":"exec","errno":0,"exit":137,"signal":9}', '', 0), {
      errno: { code: 0, name: '' },
      exit: 137,
      signal: 9,
    });
    assert.deepEqual(parseActionResult('{"action":"bind","errno":98,"name":"EADDRINUSE","message":"Address in use"}\r\n', '', 0), {
      errno: { code: 98, name: 'EADDRINUSE' },
      message: 'Address in use',
    });
  });

  function rejects(stdout: string, stderr: string, exitCode: number | undefined, kind: ActionHelperErrorKind, message: RegExp): void {
    assert.throws(
      () => parseActionResult(stdout, stderr, exitCode),
      (e: Error) => {
        assert.ok(e instanceof ActionHelperError, e.stack);
        assert.equal(e.kind, kind);
        assert.match(e.message, message);
        assert.equal(e.stdout, stdout);
        assert.equal(e.stderr, stderr);
        return true;
      },
    );
  }

  it('turns a usage error, a failed preparation and a helper that did not finish into clear errors', () => {
    const usage = 'lsm-action: kill: unknown SIGNAL\nusage: lsm-action open PATH [FLAGS] | ...\n';
    rejects('', usage, 2, 'usage', /^lsm-action refused its command line: kill: unknown SIGNAL$/);
    rejects(
      '',
      'lsm-action: kill fork: Resource temporarily unavailable\n',
      3,
      'preparation',
      /could not set up the action: kill fork: Resource/,
    );
    rejects('', 'sh: lsm-action: not found\n', 127, 'failed', /was not found on the target/);
    rejects('', '', undefined, 'failed', /did not finish \(killed or timed out\): \(nothing on stderr\)/);
    rejects('{"action":"open","errno":0}\n', 'Segmentation fault\n', 139, 'failed', /exited with 139: Segmentation fault/);
  });

  it('refuses output that is not exactly one well-formed JSON line', () => {
    rejects('', '', 0, 'output', /printed 0 lines instead of one JSON line/);
    rejects('{"action":"open","errno":0}\n{"action":"open","errno":0}\n', '', 0, 'output', /printed 2 lines/);
    rejects('errno=0\n', '', 0, 'output', /not JSON: "errno=0"/);
    rejects('{"action":"open","errno":0\n', '', 0, 'output', /not JSON/);
    rejects('[1]\n', '', 0, 'output', /is not an object/);
    rejects('null\n', '', 0, 'output', /is not an object/);
    rejects('{"errno":0}\n', '', 0, 'output', /has no action/);
    rejects('{"action":"open"}\n', '', 0, 'output', /has no errno number/);
    rejects('{"action":"open","errno":"1"}\n', '', 0, 'output', /has no errno number/);
    rejects('{"action":"open","errno":-1}\n', '', 0, 'output', /has no errno number/);
    rejects('{"action":"open","errno":1}\n', '', 0, 'output', /has no errno name/);
    rejects('{"action":"open","errno":1,"name":"eperm"}\n', '', 0, 'output', /has no errno name/);
    rejects('{"action":"exec","errno":0,"exit":"3"}\n', '', 0, 'output', /exit status that is not a number/);
    rejects('{"action":"exec","errno":0,"signal":1.5}\n', '', 0, 'output', /signal that is not a number/);
    rejects('{"action":"open","errno":1,"name":"EPERM","message":7}\n', '', 0, 'output', /message that is not text/);
  });
});

describe('preflight', () => {
  it('says whether lsm-action is on the target PATH', () => {
    const base = 'release=6.12\nmachine=x86_64\nuid=0\nbtf=1\nlsm=bpf\ntracefs=/sys/kernel/tracing\nbpffs=1\nloader=1\n';
    assert.equal(parsePreflight(base + 'action=1\n').actionHelperInstalled, true);
    assert.equal(parsePreflight(base + 'action=0\n').actionHelperInstalled, false);
    assert.equal(parsePreflight(base).actionHelperInstalled, false);
  });
});
