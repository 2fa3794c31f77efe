// The remote engine (engine/src: TargetSession over SshConnection, no VS Code) against the real
// test VM: the system ssh with one master connection, quoting, host keys, preflight, vmlinux.h from the
// target's BTF, compile, deploy, attach (session-held and pinned), trace_pipe streaming, the probe,
// detach, a dropped connection, and the whole run in one call. The program is the "deny-file-open"
// template with a name only this test created.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AttachError } from '../../engine/src/attachSession';
import { fetchTargetBtf } from '../../engine/src/buildBpf';
import { SshError, type SshConnection } from '../../engine/src/sshConnection';
import { CompileError, TargetError, TargetSession } from '../../engine/src/targetSession';
import { killVmNow, startVm, stopVm, type RunningVm } from '../../vm/src/manager';
import { vmTarget } from '../../vm/src/ssh';
import { REPO_ROOT } from '../helpers/paths';

const NAME = `test-remote-${process.pid}`;
const WORK = '/tmp/remote-test';
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    killVmNow(NAME, { forget: true });
    process.exit(130);
  });

/** The deny-file-open template, denying a file name only this test uses. */
function denyProgram(dir: string, secret: string, body?: (text: string) => string, file = 'deny.bpf.c'): string {
  const template = fs.readFileSync(path.join(REPO_ROOT, 'bpf-templates', 'programs', 'deny-file-open.bpf.c'), 'utf8');
  let text = template.replace(/\{\{name\}\}/g, 'remote_test').replace(/"lsm-secret"/g, JSON.stringify(secret));
  if (body) text = body(text);
  const source = path.join(dir, file);
  fs.writeFileSync(source, text);
  return source;
}

/** Established TCP connections to the guest's port 22 (0016 in /proc/net/tcp{,6}; state 01): ssh connections it sees. */
async function sshConnectionsSeen(target: TargetSession): Promise<number> {
  const table = (await target.shell('cat /proc/net/tcp /proc/net/tcp6 2>/dev/null')).stdout;
  return table.split('\n').filter((l) => /^\s*\d+: [0-9A-F]+:0016 [0-9A-F]+:[0-9A-F]{4} 01 /.test(l)).length;
}

/** What `ssh -O check` says of the session's control path: the pid of a running master. */
function masterPid(conn: SshConnection): number {
  const r = spawnSync('ssh', ['-O', 'check', ...conn.baseArgs()], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 0, `ssh -O check: ${r.stderr}`);
  const pid = /^Master running \(pid=(\d+)\)/m.exec(r.stderr)?.[1];
  assert.ok(pid, `ssh -O check: ${r.stderr}`);
  return Number(pid);
}

describe('run on target, against the test VM (Linux 6.12, QEMU)', () => {
  let vm: RunningVm;
  let target: TargetSession;
  let local: string;
  const secret = `remote-secret-${randomBytes(5).toString('hex')}`;
  const other = `remote-other-${randomBytes(5).toString('hex')}`;

  before(async () => {
    vm = await startVm({ name: NAME, kernel: '6.12', lifetimeSeconds: 900, bootTimeoutMs: 240_000 });
    target = vm.session;
    local = fs.mkdtempSync(path.join(os.tmpdir(), 'remote-test-'));
    await target.check(['sh', '-c', `mkdir -p ${WORK} && echo s > ${WORK}/${secret} && echo o > ${WORK}/${other}`]);
  });

  after(async () => {
    await stopVm(NAME, { forget: true });
    if (local) fs.rmSync(local, { recursive: true, force: true });
  });

  it('passes arguments through the remote shell unchanged: spaces, quotes, $(), globs, newlines', async () => {
    const awkward = ['a b', "it's", '"dq"', '$(touch /tmp/pwned)', '`id`', '*', 'semi;colon', 'new\nline', '-n', ''];
    for (const arg of awkward) {
      const out = await target.check(['printf', '%s', arg]);
      assert.equal(out, arg);
    }
    const file = `${WORK}/name with 'quotes' and $(x)`;
    await target.check(['touch', file]);
    assert.equal((await target.check(['ls', file])).trim(), file);
    assert.equal((await target.exec(['test', '-e', '/tmp/pwned'])).exitCode, 1, 'a command substitution ran');
  });

  it('reuses one master connection (ControlMaster in a private folder): the guest sees one ssh connection', async () => {
    const conn = target.connection!;
    assert.equal(fs.statSync(conn.controlDir).mode & 0o777, 0o700);
    assert.equal(fs.readdirSync(conn.controlDir).filter((f) => !f.endsWith('.log')).length, 1, 'one control socket');
    const master = masterPid(conn);
    assert.equal(await sshConnectionsSeen(target), 1, 'the command that counts is the only connection');
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) await target.check(['true']);
    const perCommand = (performance.now() - t0) / 5;
    assert.equal(await sshConnectionsSeen(target), 1, 'five commands later, still one connection');
    assert.equal(masterPid(conn), master, 'the same master carried them');
    console.log(`ssh command over the master connection: ${perCommand.toFixed(0)} ms`);
  });

  it('refuses an unknown host key, shows its fingerprint, and records it only once accepted', async () => {
    const config = path.join(local, 'ssh_config');
    const knownHosts = path.join(local, 'known_hosts');
    fs.writeFileSync(knownHosts, '');
    fs.writeFileSync(
      config,
      fs
        .readFileSync(vm.state.sshConfig, 'utf8')
        .replace(/UserKnownHostsFile .*/, `UserKnownHostsFile ${knownHosts}`)
        .replace(/StrictHostKeyChecking .*/, 'StrictHostKeyChecking yes'),
    );
    const btfCache = path.join(local, 'btf');
    // Nobody to ask: the unknown key is an error.
    const unasked = new TargetSession(vmTarget(config), { btfCache });
    await assert.rejects(unasked.connect(), (e: Error) => e instanceof SshError && e.kind === 'unknown-host-key');
    await unasked.close();
    // Asked, and the fingerprint shown; accepted, ssh records it.
    let shown = '';
    const fresh = new TargetSession(vmTarget(config), {
      btfCache,
      confirmHostKey: async (label, keys) => {
        shown = `${label}: ${keys}`;
        return true;
      },
    });
    try {
      await fresh.connect();
      assert.match(shown, /^bpf-lsm-vm: .*SHA256:\S+ .*\((ED25519|ECDSA|RSA)\)/);
      await fresh.check(['true']);
      assert.match(fs.readFileSync(knownHosts, 'utf8'), /\[127\.0\.0\.1\]:\d+ ssh-/);
    } finally {
      await fresh.close();
    }
  });

  it('does not connect when the user declines the unknown host key', async () => {
    const config = path.join(local, 'ssh_config_declined');
    const knownHosts = path.join(local, 'known_hosts_declined');
    fs.writeFileSync(knownHosts, '');
    fs.writeFileSync(
      config,
      fs.readFileSync(vm.state.sshConfig, 'utf8').replace(/UserKnownHostsFile .*/, `UserKnownHostsFile ${knownHosts}`),
    );
    const declined = new TargetSession(vmTarget(config), { btfCache: path.join(local, 'btf'), confirmHostKey: async () => false });
    try {
      await assert.rejects(
        declined.connect(),
        (e: Error) =>
          e instanceof TargetError &&
          e.kind === 'host-key-rejected' &&
          e.message === 'Not connected: the host key of bpf-lsm-vm was not accepted.',
      );
      assert.equal(fs.readFileSync(knownHosts, 'utf8'), '');
    } finally {
      await declined.close();
    }
  });

  it('says clearly when the target cannot be reached', async () => {
    const nowhere = new TargetSession({ destination: 'root@127.0.0.1:1', configFile: '/dev/null' }, { btfCache: path.join(local, 'btf') });
    try {
      await assert.rejects(
        nowhere.connect(),
        (e: Error) => e instanceof SshError && e.kind === 'unreachable' && /could not reach root@127\.0\.0\.1:1/.test(e.message),
      );
    } finally {
      await nowhere.close();
    }
  });

  it('preflight reports the kernel, BTF, the active LSMs with bpf, tracefs and bpffs', async () => {
    const report = await target.preflight();
    assert.equal(report.kernelRelease, vm.state.release);
    assert.ok(report.btf && report.bpffs && report.bpfActive, JSON.stringify(report));
    assert.equal(report.tracefs, '/sys/kernel/tracing');
    assert.deepEqual(report.blockers, []);
    assert.deepEqual(report.warnings, []);
    assert.equal(await target.preflight(), report, 'cached for the session');
  });

  it("compiles against vmlinux.h made from the target's own BTF, cached per kernel build", async () => {
    const conn = await target.connect();
    const t0 = performance.now();
    const btf = await fetchTargetBtf(conn, path.join(local, 'btf'));
    const cold = performance.now() - t0;
    assert.ok(fs.statSync(path.join(btf.dir, 'vmlinux.h')).size > 1_000_000);
    const t1 = performance.now();
    assert.deepEqual(await fetchTargetBtf(conn, path.join(local, 'btf')), btf);
    console.log(`target BTF + vmlinux.h: ${cold.toFixed(0)} ms cold, ${(performance.now() - t1).toFixed(0)} ms cached`);
    assert.equal((await target.btf()).checksum, btf.checksum, "the session's BTF is the same kernel build");
    const broken = path.join(local, 'broken.bpf.c');
    fs.writeFileSync(broken, '#include "vmlinux.h"\nint x = undeclared_thing;\n');
    await assert.rejects(target.compile(broken), (e: Error) => {
      assert.ok(e instanceof CompileError, e.stack);
      assert.deepEqual(
        e.compiled.messages.map((m) => [m.line, m.severity]),
        [[2, 'error']],
      );
      assert.match(e.compiled.messages[0].message, /undeclared identifier 'undeclared_thing'/);
      return true;
    });
  });

  it('attaches, denies the file with EPERM, leaves others, streams the trace, and detaches', async () => {
    const source = denyProgram(local, secret);
    const compiled = await target.compile(source, { output: path.join(local, 'deny.bpf.o') });
    assert.equal(await target.deploy(compiled.object, `${WORK}/deny.bpf.o`), `${WORK}/deny.bpf.o`);
    const lines: string[] = [];
    const trace = await target.startTrace({ lines: (batch) => lines.push(...batch), status: () => undefined });
    assert.ok(trace);
    const session = await target.attach(`${WORK}/deny.bpf.o`);
    try {
      assert.deepEqual(session.attached, [{ name: 'remote_test_file_open', section: 'lsm/file_open' }]);
      const denied = await target.exec(['cat', `${WORK}/${secret}`]);
      assert.notEqual(denied.exitCode, 0);
      assert.match(denied.stderr, /Operation not permitted/);
      const probe = await target.probe(`cat ${WORK}/${secret}`);
      assert.equal(probe.denied, true, probe.output);
      assert.equal((await target.check(['cat', `${WORK}/${other}`])).trim(), 'o');
      await Promise.race([trace.firstLineSeen, sleep(20_000)]);
      assert.ok(
        lines.some((l) => l.includes(`remote_test: denied open of ${secret.slice(0, 10)}`)),
        lines.join('\n'),
      );
    } finally {
      assert.equal(await session.detach(), 0, session.output);
      await target.stopTrace();
    }
    assert.equal(target.attachedCount, 0, 'the ended session is forgotten');
    assert.equal((await target.check(['cat', `${WORK}/${secret}`])).trim(), 's', 'the file opens again after detach');
    // The remote trace reader ends with its session (trace_pipe admits one reader at a time).
    let readers = 1;
    for (let i = 0; i < 25 && readers > 0; i++) {
      readers = Number((await target.check(['sh', '-c', 'ps | grep -c "[c]at /sys/kernel/tracing/trace_pipe" || true'])).trim());
      if (readers > 0) await sleep(200);
    }
    assert.equal(readers, 0, 'the trace reader outlived its session');
  });

  it('detaches a session-held program when the connection drops', async () => {
    const session = await target.attach(`${WORK}/deny.bpf.o`);
    assert.notEqual((await target.exec(['cat', `${WORK}/${secret}`])).exitCode, 0);
    session.kill();
    let opened = false;
    for (let i = 0; i < 50 && !opened; i++) {
      opened = (await target.exec(['cat', `${WORK}/${secret}`])).exitCode === 0;
      if (!opened) await sleep(200);
    }
    assert.ok(opened, 'the program stayed attached after its session dropped');
  });

  it('keeps a pinned program attached after its session, until detach removes the pin', async () => {
    const pin = '/sys/fs/bpf/remote-test';
    const session = await target.attach(`${WORK}/deny.bpf.o`, { key: 'pinned', pinDir: pin });
    assert.equal(session.pinDir, pin);
    try {
      await session.detach();
      assert.notEqual((await target.exec(['cat', `${WORK}/${secret}`])).exitCode, 0, 'a pinned program must outlive its session');
      assert.equal(target.attachedCount, 1, 'a pinned attachment is still held');
    } finally {
      assert.equal(await target.detach('pinned'), 1);
    }
    assert.equal((await target.exec(['test', '-e', pin])).exitCode, 1, 'the pin is removed');
    let opened = false;
    for (let i = 0; i < 50 && !opened; i++) {
      opened = (await target.exec(['cat', `${WORK}/${secret}`])).exitCode === 0;
      if (!opened) await sleep(200);
    }
    assert.ok(opened, 'removing the pin did not detach the program');
  });

  it("reports a verifier rejection with the program and the verifier's reason", async () => {
    const source = denyProgram(local, secret, (t) => t.replace('return -EPERM;', 'return 1;'), 'bad.bpf.c');
    const compiled = await target.compile(source);
    const remote = await target.deploy(compiled.object, `${WORK}/bad.bpf.o`);
    await assert.rejects(target.attach(remote), (e: Error) => {
      assert.ok(e instanceof AttachError, e.stack);
      assert.equal(e.failure.program, 'remote_test_file_open');
      // 6.12 checks an LSM program's return range: the path that returns 1 is refused.
      assert.equal(e.failure.firstError, 'At program exit the register R0 has smin=1 smax=1 should have been in [-4095, 0]');
      return true;
    });
  });

  it('runs the whole thing in one call: compile, deploy, attach, probe; detach by key', async () => {
    const source = denyProgram(local, secret, undefined, 'whole.bpf.c');
    const outcome = await target.run(source, { probeCommand: `cat ${WORK}/${secret}` });
    try {
      assert.deepEqual(outcome.attached, [{ name: 'remote_test_file_open', section: 'lsm/file_open' }]);
      assert.equal(outcome.kernelRelease, vm.state.release);
      assert.equal(outcome.bpfActive, true);
      assert.equal(outcome.probe?.denied, true, outcome.probe?.output);
      assert.match(outcome.probe!.output, /Operation not permitted/);
      assert.deepEqual((await target.status()).attached, ['remote_test_file_open (lsm/file_open)']);
    } finally {
      assert.equal(await target.detach(source), 1);
    }
    assert.equal((await target.probe(`cat ${WORK}/${secret}`)).denied, false);
  });
});
