// The run-on-target layer of the extension (client/src/remote, no VS Code needed) against the real test
// VM: the system ssh with one master connection, quoting, host keys, preflight, vmlinux.h from the
// target's BTF, compile, attach (session-held), trace_pipe streaming, the probe, detach, and a dropped
// connection. The program is the "deny-file-open" template with a name only this test created.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AttachError, AttachSession } from '../../client/src/remote/attachSession';
import { compileProgram, fetchTargetBtf } from '../../client/src/remote/buildBpf';
import { preflight } from '../../client/src/remote/preflight';
import { SshConnection, SshError } from '../../client/src/remote/sshConnection';
import { parseTarget } from '../../client/src/remote/sshTarget';
import { TraceStream } from '../../client/src/remote/traceStream';
import { killVmNow, startVm, stopVm, type RunningVm } from '../../vm/src/manager';
import { sleep } from '../../vm/src/process';
import { REPO_ROOT } from '../helpers/paths';

const NAME = `test-remote-${process.pid}`;
const WORK = '/tmp/remote-test';
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { killVmNow(NAME, { forget: true }); process.exit(130); });

/** The deny-file-open template, denying a file name only this test uses. */
function denyProgram(dir: string, secret: string, body?: (text: string) => string): string {
  const template = fs.readFileSync(path.join(REPO_ROOT, 'bpf-templates', 'programs', 'deny-file-open.bpf.c'), 'utf8');
  let text = template.replace(/\{\{name\}\}/g, 'remote_test').replace(/"lsm-secret"/g, JSON.stringify(secret));
  if (body) text = body(text);
  const file = path.join(dir, 'deny.bpf.c');
  fs.writeFileSync(file, text);
  return file;
}

describe('run on target, against the test VM (Linux 6.12, QEMU)', () => {
  let vm: RunningVm;
  let conn: SshConnection;
  let local: string;
  let includeDir: string;
  const secret = `remote-secret-${randomBytes(5).toString('hex')}`;
  const other = `remote-other-${randomBytes(5).toString('hex')}`;

  before(async () => {
    vm = await startVm({ name: NAME, kernel: '6.12', lifetimeSeconds: 900, bootTimeoutMs: 240_000 });
    conn = new SshConnection(parseTarget({ destination: 'bpf-lsm-vm', configFile: vm.state.sshConfig }));
    local = fs.mkdtempSync(path.join(os.tmpdir(), 'remote-test-'));
    await conn.check(['sh', '-c', `mkdir -p ${WORK} && echo s > ${WORK}/${secret} && echo o > ${WORK}/${other}`]);
  });

  after(async () => {
    await conn?.close();
    await stopVm(NAME, { forget: true });
    if (local) fs.rmSync(local, { recursive: true, force: true });
  });

  it('passes arguments through the remote shell unchanged: spaces, quotes, $(), globs, newlines', async () => {
    const awkward = ['a b', "it's", '"dq"', '$(touch /tmp/pwned)', '`id`', '*', 'semi;colon', 'new\nline', '-n', ''];
    for (const arg of awkward) {
      const out = await conn.check(['printf', '%s', arg]);
      assert.equal(out, arg);
    }
    const file = `${WORK}/name with 'quotes' and $(x)`;
    await conn.check(['touch', file]);
    assert.equal((await conn.check(['ls', file])).trim(), file);
    assert.equal((await conn.run(['test', '-e', '/tmp/pwned'])).exitCode, 1, 'a command substitution ran');
  });

  it('reuses one master connection (ControlMaster in a private folder)', async () => {
    assert.equal(fs.statSync(conn.controlDir).mode & 0o777, 0o700);
    assert.equal(fs.readdirSync(conn.controlDir).filter((f) => !f.endsWith('.log')).length, 1, 'one control socket');
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) await conn.check(['true']);
    const perCommand = (performance.now() - t0) / 5;
    console.log(`ssh command over the master connection: ${perCommand.toFixed(0)} ms`);
  });

  it('refuses an unknown host key, shows its fingerprint, and records it only once accepted', async () => {
    const config = path.join(local, 'ssh_config');
    const knownHosts = path.join(local, 'known_hosts');
    fs.writeFileSync(knownHosts, '');
    fs.writeFileSync(config, fs.readFileSync(vm.state.sshConfig, 'utf8')
      .replace(/UserKnownHostsFile .*/, `UserKnownHostsFile ${knownHosts}`)
      .replace(/StrictHostKeyChecking .*/, 'StrictHostKeyChecking yes'));
    const fresh = new SshConnection(parseTarget({ destination: 'bpf-lsm-vm', configFile: config }));
    try {
      await assert.rejects(fresh.check(['true']), (e: Error) => e instanceof SshError && e.kind === 'unknown-host-key');
      assert.match(await fresh.scanHostKeys(), /SHA256:\S+ .*\((ED25519|ECDSA|RSA)\)/);
      fresh.acceptNewHostKeys();
      await fresh.check(['true']);
      assert.match(fs.readFileSync(knownHosts, 'utf8'), /\[127\.0\.0\.1\]:\d+ ssh-/);
    } finally {
      await fresh.close();
    }
  });

  it('says clearly when the target cannot be reached', async () => {
    const nowhere = new SshConnection(parseTarget({ destination: 'root@127.0.0.1:1', configFile: '/dev/null' }));
    try {
      await assert.rejects(nowhere.check(['true']), (e: Error) => e instanceof SshError && e.kind === 'unreachable' && /could not reach root@127\.0\.0\.1:1/.test(e.message));
    } finally {
      await nowhere.close();
    }
  });

  it('preflight reports the kernel, BTF, the active LSMs with bpf, tracefs and bpffs', async () => {
    const report = await preflight(conn);
    assert.equal(report.kernelRelease, vm.state.release);
    assert.ok(report.btf && report.bpffs && report.bpfActive, JSON.stringify(report));
    assert.equal(report.tracefs, '/sys/kernel/tracing');
    assert.deepEqual(report.blockers, []);
    assert.deepEqual(report.warnings, []);
  });

  it('compiles against vmlinux.h made from the target\'s own BTF, cached per kernel build', async () => {
    const t0 = performance.now();
    const btf = await fetchTargetBtf(conn, path.join(local, 'btf'));
    const cold = performance.now() - t0;
    includeDir = btf.dir;
    assert.ok(fs.statSync(path.join(btf.dir, 'vmlinux.h')).size > 1_000_000);
    const t1 = performance.now();
    assert.deepEqual(await fetchTargetBtf(conn, path.join(local, 'btf')), btf);
    console.log(`target BTF + vmlinux.h: ${cold.toFixed(0)} ms cold, ${(performance.now() - t1).toFixed(0)} ms cached`);
    const broken = path.join(local, 'broken.bpf.c');
    fs.writeFileSync(broken, '#include "vmlinux.h"\nint x = undeclared_thing;\n');
    const r = await compileProgram(broken, path.join(local, 'broken.o'), btf.dir, 'x86_64');
    assert.equal(r.ok, false);
    assert.deepEqual(r.messages.map((m) => [m.line, m.severity]), [[2, 'error']]);
    assert.match(r.messages[0].message, /undeclared identifier 'undeclared_thing'/);
  });

  it('attaches, denies the file with EPERM, leaves others, streams the trace, and detaches', async () => {
    const source = denyProgram(local, secret);
    const object = path.join(local, 'deny.bpf.o');
    assert.ok((await compileProgram(source, object, includeDir, 'x86_64')).ok);
    await conn.copyTo(object, `${WORK}/deny.bpf.o`);
    const lines: string[] = [];
    const trace = new TraceStream(conn, '/sys/kernel/tracing', { line: (l) => lines.push(l), status: () => undefined });
    await trace.start();
    const session = await AttachSession.start(conn, 'lsm-loader', `${WORK}/deny.bpf.o`);
    try {
      assert.deepEqual(session.attached, [{ name: 'remote_test_file_open', section: 'lsm/file_open' }]);
      const denied = await conn.run(['cat', `${WORK}/${secret}`]);
      assert.notEqual(denied.exitCode, 0);
      assert.match(denied.stderr, /Operation not permitted/);
      assert.equal((await conn.check(['cat', `${WORK}/${other}`])).trim(), 'o');
      await Promise.race([trace.firstLineSeen, sleep(20_000)]);
      assert.ok(lines.some((l) => l.includes(`remote_test: denied open of ${secret.slice(0, 10)}`)), lines.join('\n'));
    } finally {
      assert.equal(await session.detach(), 0, session.output);
      await trace.stop();
    }
    assert.equal((await conn.check(['cat', `${WORK}/${secret}`])).trim(), 's', 'the file opens again after detach');
    // The remote trace reader ends with its session (trace_pipe admits one reader at a time).
    let readers = 1;
    for (let i = 0; i < 25 && readers > 0; i++) {
      readers = Number((await conn.check(['sh', '-c', 'ps | grep -c "[c]at /sys/kernel/tracing/trace_pipe" || true'])).trim());
      if (readers > 0) await sleep(200);
    }
    assert.equal(readers, 0, 'the trace reader outlived its session');
  });

  it('detaches a session-held program when the connection drops', async () => {
    const session = await AttachSession.start(conn, 'lsm-loader', `${WORK}/deny.bpf.o`);
    assert.notEqual((await conn.run(['cat', `${WORK}/${secret}`])).exitCode, 0);
    session.kill();
    let opened = false;
    for (let i = 0; i < 50 && !opened; i++) {
      opened = (await conn.run(['cat', `${WORK}/${secret}`])).exitCode === 0;
      if (!opened) await sleep(200);
    }
    assert.ok(opened, 'the program stayed attached after its session dropped');
  });

  it('keeps a pinned program attached after its session, until the pin is removed', async () => {
    const pin = '/sys/fs/bpf/remote-test';
    const session = await AttachSession.start(conn, 'lsm-loader', `${WORK}/deny.bpf.o`, { pinDir: pin });
    assert.equal(session.pinDir, pin);
    try {
      await session.detach();
      assert.notEqual((await conn.run(['cat', `${WORK}/${secret}`])).exitCode, 0, 'a pinned program must outlive its session');
    } finally {
      await conn.check(['rm', '-rf', pin]);
    }
    let opened = false;
    for (let i = 0; i < 50 && !opened; i++) {
      opened = (await conn.run(['cat', `${WORK}/${secret}`])).exitCode === 0;
      if (!opened) await sleep(200);
    }
    assert.ok(opened, 'removing the pin did not detach the program');
  });

  it('reports a verifier rejection with the program and the verifier\'s reason', async () => {
    const source = denyProgram(local, secret, (t) => t.replace('return -EPERM;', 'return 1;'));
    const object = path.join(local, 'bad.bpf.o');
    assert.ok((await compileProgram(source, object, includeDir, 'x86_64')).ok);
    await conn.copyTo(object, `${WORK}/bad.bpf.o`);
    await assert.rejects(AttachSession.start(conn, 'lsm-loader', `${WORK}/bad.bpf.o`), (e: Error) => {
      assert.ok(e instanceof AttachError, e.stack);
      assert.equal(e.failure.program, 'remote_test_file_open');
      assert.match(e.failure.firstError, /R0|should have been in|return/i);
      return true;
    });
  });
});
