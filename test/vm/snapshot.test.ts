// Resetting a test VM to its just-booted state by snapshot instead of rebooting. First the QMP client
// against a fake QMP server (no VM): capabilities, errors, timeouts, events, migration polling. Then a
// Linux 6.12 VM started with a snapshot: what is written after the snapshot is gone after a reset, in
// a new QEMU; a guest whose sshd stopped answering and one whose kernel crashed (QEMU exited) come
// back by reset, which needs nothing from the guest; stop deletes the snapshot.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { killVmNow, resetVm, RunningVm, snapshotVm, startVm, stopVm, vmStatus } from '../../vm/src/manager';
import { QmpClient, QmpError } from '../../vm/src/qmp';
import { isOurQemu, readState } from '../../vm/src/state';

const NAME = `test-snapshot-${process.pid}`;
// after() stops the VM; an interrupted run kills it here, and the guest's lifetime is the last net.
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    killVmNow(NAME, { forget: true });
    process.exit(130);
  });
process.once('exit', () => killVmNow(NAME, { forget: true }));

type Reply = Record<string, unknown>;

/**
 * A QMP server on a unix socket: sends the greeting, answers qmp_capabilities, and hands every other
 * request to `answer` (which returns the lines to send, or nothing to stay silent).
 */
async function fakeQmp(answer: (cmd: { execute: string; arguments?: Reply; id?: string }, sock: net.Socket) => Reply[] | void) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qmp-'));
  const socketPath = path.join(dir, 'qmp.sock');
  const clients: net.Socket[] = [];
  const server = net.createServer((sock) => {
    clients.push(sock);
    sock.write(JSON.stringify({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 22 } }, capabilities: [] } }) + '\r\n');
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const cmd = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        const replies = cmd.execute === 'qmp_capabilities' ? [{ return: {}, id: cmd.id }] : answer(cmd, sock);
        for (const r of replies ?? []) sock.write(JSON.stringify(r) + '\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    dropClients: () => clients.forEach((c) => c.destroy()),
    close: async () => {
      clients.forEach((c) => c.destroy());
      await new Promise((resolve) => server.close(resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('QMP client (fake QMP server, no VM)', () => {
  it('negotiates capabilities, returns results and reports QMP errors with their class', async () => {
    const server = await fakeQmp((cmd) =>
      cmd.execute === 'query-status'
        ? [
            { event: 'STOP', timestamp: { seconds: 1, microseconds: 0 } },
            { return: { running: true, status: 'running' }, id: cmd.id },
          ]
        : [{ error: { class: 'CommandNotFound', desc: `The command ${cmd.execute} has not been found` }, id: cmd.id }],
    );
    const qmp = await QmpClient.connect(server.socketPath);
    try {
      assert.equal(qmp.version, '7.2.22');
      assert.deepEqual(await qmp.execute('query-status'), { running: true, status: 'running' });
      await assert.rejects(
        qmp.execute('no-such-thing'),
        (e: Error) =>
          e instanceof QmpError && e.kind === 'command' && e.errorClass === 'CommandNotFound' && /no-such-thing/.test(e.message),
      );
      // The event came before anyone waited for it.
      assert.equal((await qmp.waitEvent('STOP', { timeoutMs: 1000 })).event, 'STOP');
    } finally {
      qmp.close();
      await server.close();
    }
  });

  it('times out an unanswered command or event, and fails what is pending when QEMU goes away', async () => {
    const server = await fakeQmp(() => undefined);
    const qmp = await QmpClient.connect(server.socketPath);
    try {
      await assert.rejects(
        qmp.execute('stop', undefined, 200),
        (e: Error) => e instanceof QmpError && e.kind === 'timeout' && /'stop'.*200 ms/.test(e.message),
      );
      await assert.rejects(qmp.waitEvent('RESUME', { timeoutMs: 100 }), (e: Error) => e instanceof QmpError && e.kind === 'timeout');
      const pending = qmp.execute('cont', undefined, 10_000);
      server.dropClients();
      await assert.rejects(pending, (e: Error) => e instanceof QmpError && e.kind === 'closed' && /did QEMU exit/.test(e.message));
      await assert.rejects(qmp.execute('cont'), (e: Error) => e instanceof QmpError && e.kind === 'closed');
    } finally {
      qmp.close();
      await server.close();
    }
  });

  it('polls query-migrate until completed, and reports a failed migration with its reason', async () => {
    let polls = 0;
    const states = ['setup', 'active', 'active', 'completed'];
    const server = await fakeQmp((cmd) => [{ return: { status: states[Math.min(polls++, states.length - 1)] }, id: cmd.id }]);
    const qmp = await QmpClient.connect(server.socketPath);
    try {
      assert.equal((await qmp.waitMigration({ intervalMs: 5 })).status, 'completed');
      assert.equal(polls, 4);
    } finally {
      qmp.close();
      await server.close();
    }
    const failing = await fakeQmp((cmd) => [{ return: { status: 'failed', 'error-desc': 'Unable to write to command' }, id: cmd.id }]);
    const q2 = await QmpClient.connect(failing.socketPath);
    try {
      await assert.rejects(
        q2.waitMigration(),
        (e: Error) => e instanceof QmpError && e.kind === 'migration' && /Unable to write/.test(e.message),
      );
    } finally {
      q2.close();
      await failing.close();
    }
  });

  it('waits for the socket to appear, then gives up with the path, or at once when QEMU is gone', async () => {
    const missing = path.join(os.tmpdir(), `no-qmp-${process.pid}.sock`);
    const t0 = Date.now();
    await assert.rejects(
      QmpClient.connect(missing, { timeoutMs: 300 }),
      (e: Error) => e instanceof QmpError && e.kind === 'connect' && e.message.includes(missing),
    );
    assert.ok(Date.now() - t0 >= 250, 'retried until the timeout');
    const t1 = Date.now();
    await assert.rejects(QmpClient.connect(missing, { timeoutMs: 10_000, alive: () => false }), /QEMU exited/);
    assert.ok(Date.now() - t1 < 1000);
    // A greeting that is not QMP.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qmp-'));
    const bogus = net.createServer((s) => s.write('SSH-2.0-dropbear\r\n'));
    await new Promise<void>((resolve) => bogus.listen(path.join(dir, 's'), resolve));
    try {
      await assert.rejects(QmpClient.connect(path.join(dir, 's')), (e: Error) => e instanceof QmpError && e.kind === 'protocol');
    } finally {
      await new Promise((resolve) => bogus.close(resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('reset by snapshot (Linux 6.12, QEMU)', () => {
  let vm: RunningVm;

  before(async () => {
    vm = await startVm({ name: NAME, kernel: '6.12', lifetimeSeconds: 900, bootTimeoutMs: 240_000, snapshot: true });
    const s = vm.state.snapshot!;
    console.log(`boot ${vm.state.bootSeconds.toFixed(1)} s; snapshot ${(s.bytes / 1e6).toFixed(0)} MB in ${s.ms.toFixed(0)} ms`);
  });

  after(async () => {
    await stopVm(NAME, { forget: true });
  });

  it('snapshots the just-booted guest into the instance folder and records it in the state', () => {
    const s = vm.state.snapshot!;
    assert.ok(s, 'startVm({ snapshot: true }) returned no snapshot');
    assert.equal(path.dirname(s.file), path.dirname(vm.state.sshConfig));
    assert.equal(fs.statSync(s.file).size, s.bytes);
    assert.ok(s.bytes > 10e6, `a ${s.bytes}-byte snapshot cannot hold a booted guest`);
    assert.deepEqual(readState(NAME)!.snapshot, s);
    assert.deepEqual(
      fs.readdirSync(path.dirname(s.file)).filter((f) => f.startsWith('snapshot')),
      ['snapshot.vmstate'],
      'no temp file left',
    );
  });

  it('reset discards what the guest did after the snapshot, in a new QEMU, with a new connected session', async () => {
    const old = vm;
    await old.session.check(['sh', '-c', 'echo written-after-snapshot > /tmp/after-snapshot']);
    assert.equal((await old.session.check(['cat', '/tmp/after-snapshot'])).trim(), 'written-after-snapshot');

    vm = await resetVm(NAME);
    assert.notEqual(vm.state.pid, old.state.pid);
    assert.equal(isOurQemu(old.state.pid, NAME), false, 'the old QEMU still runs');
    assert.ok(isOurQemu(vm.state.pid, NAME));
    assert.equal(old.session.connection, undefined, 'the old session was not closed');
    assert.equal((await vm.session.exec(['test', '-e', '/tmp/after-snapshot'])).exitCode, 1, '/tmp/after-snapshot survived the reset');
    assert.equal(await vm.session.check(['echo', 'ok']), 'ok\n');
    // The port was free again: the same ssh config works, and the state says where QEMU is now.
    assert.equal(vm.state.port, old.state.port);
    const state = readState(NAME)!;
    assert.equal(state.pid, vm.state.pid);
    assert.equal(state.resets, 1);
    assert.ok(state.resetSeconds! > 0);
    assert.equal((await vmStatus(NAME)).responsive, true);
    console.log(`reset to snapshot: ${state.resetSeconds!.toFixed(2)} s`);
  });

  it('reset brings back a guest whose sshd no longer answers', async () => {
    // Freeze every dropbear (the listener and this session's own) once this command has returned: new
    // connections are accepted by the guest's kernel and then never greeted.
    await vm.session.check(['sh', '-c', '(sleep 1; kill -STOP $(pidof dropbear)) </dev/null >/dev/null 2>&1 &']);
    await sleep(1500);
    assert.equal((await vmStatus(NAME)).responsive, false, 'the guest still answers ssh');

    const pid = vm.state.pid;
    vm = await resetVm(NAME);
    assert.equal(isOurQemu(pid, NAME), false);
    assert.equal(await vm.session.check(['echo', 'back']), 'back\n');
  });

  it('reset brings back a guest whose kernel crashed (QEMU exited), on a new port if the old one was taken', async () => {
    const { pid, port, sshConfig } = vm.state;
    await vm.session.check(['sh', '-c', '(sleep 1; echo c > /proc/sysrq-trigger) </dev/null >/dev/null 2>&1 &']);
    // panic=-1 asks for a reboot; -no-reboot turns it into QEMU's exit.
    for (let i = 0; i < 300 && isOurQemu(pid, NAME); i++) await sleep(100);
    assert.equal(isOurQemu(pid, NAME), false, 'QEMU did not exit after the guest panicked');
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      vm = await resetVm(NAME);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    assert.notEqual(vm.state.port, port);
    assert.equal(readState(NAME)!.port, vm.state.port);
    assert.match(fs.readFileSync(sshConfig, 'utf8'), new RegExp(`Port ${vm.state.port}\\n`));
    assert.equal(await vm.session.check(['echo', 'back']), 'back\n');
    assert.equal((await vm.session.exec(['test', '-e', '/tmp/after-snapshot'])).exitCode, 1);
  });

  it('a new snapshot replaces the old one; stop deletes it', async () => {
    await vm.session.check(['sh', '-c', 'echo kept > /tmp/in-second-snapshot']);
    const s = await snapshotVm(NAME);
    assert.equal(await vm.session.check(['echo', 'runs on']), 'runs on\n', 'the guest did not run on after the snapshot');
    await vm.session.check(['rm', '/tmp/in-second-snapshot']);
    vm = await resetVm(NAME);
    assert.equal((await vm.session.check(['cat', '/tmp/in-second-snapshot'])).trim(), 'kept');

    assert.equal(await stopVm(NAME), true);
    assert.equal(fs.existsSync(s.file), false, 'the snapshot outlived the VM');
    await assert.rejects(resetVm(NAME), /not running/);
  });
});
