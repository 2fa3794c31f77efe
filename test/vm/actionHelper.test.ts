// The policy tests' action helper (vm/helper/lsm-action.c) through TargetSession.act, against the test VM:
// every action kind, first with no program (everything allowed), then with test/vm/fixtures/deny-actions.bpf.c
// attached, which denies one variant of each with EPERM (names "lsm-action-deny-*", port 47001, SIGUSR2,
// hash maps, PTRACE_ATTACH, all only from the helper itself); the other variants must still be allowed, and
// errnos that are not the program's (ENOENT, EEXIST) come through exactly. Then: what the actions left
// behind, usage errors, and a shipped helper deployed to a target that has none.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ActionHelperError, type ActionResult, type HelperAction } from '../../engine/src/actionHelper';
import { REMOTE_DIR, TargetError, TargetSession } from '../../engine/src/targetSession';
import { killVmNow, startVm, stopVm, type RunningVm } from '../../vm/src/manager';
import { cacheDir } from '../../vm/src/paths';
import { vmTarget } from '../../vm/src/ssh';
import { REPO_ROOT } from '../helpers/paths';

const NAME = `test-action-${process.pid}`;
const DIR = '/tmp/lsm-action-test';
const PROGRAM = path.join(REPO_ROOT, 'test', 'vm', 'fixtures', 'deny-actions.bpf.c');
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    killVmNow(NAME, { forget: true });
    process.exit(130);
  });

const f = (name: string): string => `${DIR}/lsm-action-${name}`;

/** A fresh test folder: the files the actions work on, created while no program is attached. */
const PREPARE = `rm -rf ${DIR} && mkdir -p ${DIR} && cd ${DIR} &&
for n in allow-file deny-file allow-unlink deny-unlink allow-chmod deny-chmod allow-rename allow-rename2; do
  echo x > lsm-action-$n && chmod 644 lsm-action-$n; done &&
for n in allow deny; do printf '#!/bin/sh\\nexit 3\\n' > lsm-action-$n-exit.sh && chmod 755 lsm-action-$n-exit.sh; done &&
mkdir lsm-action-allow-mnt lsm-action-deny-mnt`;

interface Case {
  action: HelperAction;
  /** Denied with EPERM once the program is attached (and only then). */
  denied?: true;
  /** An errno the action gets with or without the program. */
  errno?: string;
  /** exec: the program's exit status when it ran. */
  exit?: number;
}

const net = (kind: 'connect' | 'bind', protocol: 'tcp' | 'udp', address: string, port: number): HelperAction => ({
  kind,
  protocol,
  address,
  port,
  family: address.includes(':') ? 6 : 4,
});

const CASES: Case[] = [
  { action: { kind: 'open', path: f('allow-file'), flags: [] } },
  { action: { kind: 'open', path: f('deny-file'), flags: ['O_WRONLY', 'O_APPEND'] }, denied: true },
  { action: { kind: 'open', path: f('allow-created'), flags: ['O_WRONLY', 'O_CREAT', 'O_TRUNC'] } },
  { action: { kind: 'open', path: f('allow-missing'), flags: [] }, errno: 'ENOENT' },
  { action: { kind: 'exec', path: f('allow-exit.sh'), args: ['an argument'] }, exit: 3 },
  { action: { kind: 'exec', path: f('deny-exit.sh'), args: [] }, denied: true, exit: 3 },
  { action: { kind: 'exec', path: f('allow-missing'), args: [] }, errno: 'ENOENT' },
  { action: net('connect', 'tcp', '127.0.0.1', 47002) },
  { action: net('connect', 'tcp', '127.0.0.1', 47001), denied: true },
  { action: net('connect', 'tcp', '::1', 47002) },
  { action: net('connect', 'tcp', '::1', 47001), denied: true },
  { action: net('connect', 'udp', '127.0.0.1', 47002) },
  { action: net('connect', 'udp', '::1', 47001), denied: true },
  { action: net('bind', 'tcp', '127.0.0.1', 47002) },
  { action: net('bind', 'tcp', '::1', 47001), denied: true },
  { action: net('bind', 'udp', '::1', 47002) },
  { action: net('bind', 'udp', '127.0.0.1', 47001), denied: true },
  { action: { kind: 'unlink', path: f('allow-unlink') } },
  { action: { kind: 'unlink', path: f('deny-unlink') }, denied: true },
  { action: { kind: 'mkdir', path: f('allow-dir'), mode: 0o750 } },
  { action: { kind: 'mkdir', path: f('deny-dir'), mode: 0o750 }, denied: true },
  { action: { kind: 'mkdir', path: f('allow-file'), mode: 0o755 }, errno: 'EEXIST' },
  { action: { kind: 'rename', from: f('allow-rename'), to: f('allow-renamed') } },
  { action: { kind: 'rename', from: f('allow-rename2'), to: f('deny-renamed') }, denied: true },
  { action: { kind: 'chmod', path: f('allow-chmod'), mode: 0o600 } },
  { action: { kind: 'chmod', path: f('deny-chmod'), mode: 0o600 }, denied: true },
  { action: { kind: 'mount', source: 'none', target: f('allow-mnt'), fstype: 'tmpfs' } },
  { action: { kind: 'mount', source: 'none', target: f('deny-mnt'), fstype: 'tmpfs' }, denied: true },
  { action: { kind: 'kill', signal: 'SIGTERM' } },
  { action: { kind: 'kill', signal: 'SIGUSR2' }, denied: true },
  { action: { kind: 'ptrace' }, denied: true }, // its allowed case is the run without the program
  { action: { kind: 'bpf', map: 'array' } },
  { action: { kind: 'bpf', map: 'hash' }, denied: true },
];

/** Runs every case; returns one line per case that did not get what it expected. */
async function runCases(target: TargetSession, attached: boolean): Promise<string[]> {
  const wrong: string[] = [];
  for (const c of CASES) {
    const want = c.errno ?? (attached && c.denied ? 'EPERM' : '');
    let got: ActionResult;
    try {
      got = await target.act(c.action, { timeoutMs: 30_000 });
    } catch (e) {
      wrong.push(`${JSON.stringify(c.action)}: ${(e as Error).message}`);
      continue;
    }
    const exit = want === '' ? c.exit : undefined; // reported only when execve succeeded
    const expected: ActionResult = { errno: { code: ERRNO[want], name: want } };
    if (exit !== undefined) expected.exit = exit;
    if (want !== '') expected.message = MESSAGE[want];
    try {
      assert.deepEqual(got, expected);
    } catch {
      wrong.push(`${JSON.stringify(c.action)}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
    }
  }
  return wrong;
}

const ERRNO: Record<string, number> = { '': 0, EPERM: 1, ENOENT: 2, EEXIST: 17 };
const MESSAGE: Record<string, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EEXIST: 'File exists',
};

describe('the action helper through TargetSession.act, against the test VM (Linux 6.12, QEMU)', () => {
  let vm: RunningVm | undefined;
  let target: TargetSession;
  let local: string;

  before(async () => {
    local = fs.mkdtempSync(path.join(os.tmpdir(), 'action-test-'));
    vm = await startVm({ name: NAME, kernel: '6.12', lifetimeSeconds: 900, bootTimeoutMs: 240_000 });
    target = vm.session;
  });

  after(async () => {
    await target?.detach().catch(() => undefined);
    await stopVm(NAME, { forget: true });
    if (local) fs.rmSync(local, { recursive: true, force: true });
  });

  /** lsm-action processes still running on the target (none may outlive an action). */
  async function helperProcesses(): Promise<string> {
    return (await target.check(['sh', '-c', 'ps | grep "[l]sm-action" || true'])).trim();
  }

  it("uses the image's own lsm-action (on PATH)", async () => {
    assert.equal(await target.actionHelper(), 'lsm-action');
    assert.equal((await target.preflight()).actionHelperInstalled, true);
  });

  it('without a program, every action is allowed (errno 0), and other errnos come through', async () => {
    await target.check(['sh', '-c', PREPARE]);
    const t0 = performance.now();
    assert.deepEqual(await runCases(target, false), []);
    console.log(`${CASES.length} actions without a program: ${((performance.now() - t0) / CASES.length).toFixed(0)} ms each`);
    assert.equal(await helperProcesses(), '');
  });

  it('with the program attached, each action is allowed or denied with the exact errno', async () => {
    await target.check(['sh', '-c', PREPARE]);
    const compiled = await target.compile(PROGRAM, { output: path.join(local, 'deny-actions.bpf.o') });
    const session = await target.attachObject(compiled.object, { key: 'deny-actions' });
    let wrong: string[];
    try {
      assert.equal(session.attached.length, 12, JSON.stringify(session.attached));
      wrong = await runCases(target, true);
    } finally {
      await target.detach('deny-actions');
    }
    assert.deepEqual(wrong, []);
    assert.equal(await helperProcesses(), '', 'a child of the helper outlived it');
  });

  it('left exactly what the allowed actions did, and nothing mounted', async () => {
    const listing = await target.check(['sh', '-c', `cd ${DIR} && for n in *; do echo "$n $(stat -c %a "$n")"; done`]);
    assert.deepEqual(listing.trim().split('\n'), [
      'lsm-action-allow-chmod 600',
      'lsm-action-allow-created 644',
      'lsm-action-allow-dir 750',
      'lsm-action-allow-exit.sh 755',
      'lsm-action-allow-file 644',
      'lsm-action-allow-mnt 755',
      'lsm-action-allow-rename2 644',
      'lsm-action-allow-renamed 644',
      'lsm-action-deny-chmod 644',
      'lsm-action-deny-exit.sh 755',
      'lsm-action-deny-file 644',
      'lsm-action-deny-mnt 755',
      'lsm-action-deny-unlink 644',
    ]);
    assert.equal((await target.exec(['grep', '-q', DIR, '/proc/mounts'])).exitCode, 1, 'a mount was left behind');
  });

  it('rejects a usage error with the reason the helper gave', async () => {
    await assert.rejects(
      target.act({ kind: 'open', path: f('allow-file'), flags: ['O_BOGUS'] }),
      (e: Error) =>
        e instanceof ActionHelperError &&
        e.kind === 'usage' &&
        e.message === 'lsm-action refused its command line: open: unknown flag in FLAGS',
    );
    await assert.rejects(
      target.act({ kind: 'kill', signal: 'SIGNOPE' }),
      (e: Error) => e instanceof ActionHelperError && e.kind === 'usage' && /kill: unknown SIGNAL/.test(e.message),
    );
  });

  it('deploys the shipped helper to a target without one, and says when none is shipped', async () => {
    const built = path.join(cacheDir(), 'helper', 'lsm-action');
    assert.ok(fs.existsSync(built), `${built} missing: run vm/setup.sh`);
    const shipped = new TargetSession(vmTarget(vm!.state.sshConfig), {
      btfCache: path.join(local, 'btf'),
      shippedActionHelper: (machine) => (machine === 'x86_64' ? built : undefined),
    });
    const none = new TargetSession(vmTarget(vm!.state.sshConfig), { btfCache: path.join(local, 'btf') });
    await target.check(['mv', '/usr/sbin/lsm-action', '/usr/sbin/lsm-action.hidden']);
    try {
      assert.equal(await shipped.actionHelper(), `${REMOTE_DIR}/lsm-action`);
      assert.deepEqual(await shipped.act({ kind: 'open', path: f('missing'), flags: [] }), {
        errno: { code: 2, name: 'ENOENT' },
        message: 'No such file or directory',
      });
      await assert.rejects(
        none.act({ kind: 'ptrace' }),
        (e: Error) =>
          e instanceof TargetError &&
          e.kind === 'no-action-helper' &&
          e.message === 'bpf-lsm-vm has no lsm-action and none is shipped for x86_64.',
      );
    } finally {
      await target.check(['mv', '/usr/sbin/lsm-action.hidden', '/usr/sbin/lsm-action']);
      await shipped.close();
      await none.close();
    }
  });
});
