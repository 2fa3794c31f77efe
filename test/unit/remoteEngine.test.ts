// The remote engine without a target: it has no VS Code in it (editor, CLI, bench and tests share it),
// its ssh command lines, and what a session says before it ever connects.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { SshConnection } from '../../engine/src/sshConnection';
import { parseTarget } from '../../engine/src/sshTarget';
import { PIN_ROOT, REMOTE_DIR, TargetSession } from '../../engine/src/targetSession';
import { REPO_ROOT } from '../helpers/paths';

const ENGINE = path.join(REPO_ROOT, 'engine', 'src');

describe('the remote engine', () => {
  it('imports nothing of VS Code, and nothing outside its folder but Node and execa', () => {
    const files = fs.readdirSync(ENGINE).filter((f) => f.endsWith('.ts'));
    assert.ok(files.includes('targetSession.ts') && files.includes('index.ts'), files.join(' '));
    for (const f of files) {
      const text = fs.readFileSync(path.join(ENGINE, f), 'utf8');
      for (const m of text.matchAll(/^(?:import|export)\b[^;]*?from '([^']+)'/gms)) {
        const ok = m[1].startsWith('./') || m[1].startsWith('node:') || m[1] === 'execa';
        assert.ok(ok, `${f} imports '${m[1]}'`);
      }
      assert.doesNotMatch(text, /import\(['"]vscode['"]\)|require\(['"]vscode['"]\)/, f);
    }
  });

  it('builds the ssh command line: batch mode, its own master, host keys checked', () => {
    const conn = new SshConnection(parseTarget({ destination: 'root@10.0.0.5:2222', identityFile: '/k/id', configFile: '/c/cfg' }));
    try {
      assert.deepEqual(conn.baseArgs(), [
        '-F',
        '/c/cfg',
        '-o',
        'BatchMode=yes',
        '-o',
        'ControlMaster=no',
        '-o',
        `ControlPath=${conn.controlDir}/%C`,
        '-o',
        'ControlPersist=120',
        '-o',
        'ConnectTimeout=10',
        '-o',
        'ServerAliveInterval=5',
        '-o',
        'ServerAliveCountMax=3',
        '-i',
        '/k/id',
        '-o',
        'IdentitiesOnly=yes',
        '-p',
        '2222',
        'root@10.0.0.5',
      ]);
      assert.deepEqual(conn.baseArgs(['-tt'], false, true, 3).slice(4, 14), [
        '-o',
        'ControlMaster=no',
        '-o',
        'ControlPath=none',
        '-o',
        'ControlPersist=120',
        '-o',
        'ConnectTimeout=3',
        '-o',
        'ServerAliveInterval=5',
      ]);
      conn.acceptNewHostKeys();
      assert.ok(conn.baseArgs().join(' ').includes('-o StrictHostKeyChecking=accept-new'));
      assert.equal(fs.statSync(conn.controlDir).mode & 0o777, 0o700);
    } finally {
      void conn.close();
    }
  });

  it('quotes the remote command, through sudo -n only for privileged steps of a sudo target', () => {
    const plain = new SshConnection(parseTarget({ destination: 'vm' }));
    const sudo = new SshConnection(parseTarget({ destination: 'me@host', sudo: true }));
    try {
      assert.equal(plain.remoteCommand(['cat', "/tmp/it's"], true), "cat '/tmp/it'\\''s'");
      assert.equal(sudo.remoteCommand(['cat', '/sys/kernel/security/lsm']), 'cat /sys/kernel/security/lsm');
      assert.equal(sudo.remoteCommand(['mkdir', '-p', '/tmp/a b'], true), "sudo -n sh -c 'mkdir -p '\\''/tmp/a b'\\'''");
    } finally {
      void plain.close();
      void sudo.close();
    }
  });

  it('knows its target before connecting, and has nothing attached', async () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'remote-engine-'));
    const session = new TargetSession({ destination: 'root@127.0.0.1:2222' }, { btfCache: cache });
    try {
      assert.equal(session.label, 'root@127.0.0.1:2222');
      assert.equal(session.target.host, 'root@127.0.0.1');
      assert.equal(session.target.port, 2222);
      assert.equal(session.connection, undefined);
      assert.equal(session.attachedCount, 0);
      assert.equal(session.tracing, false);
      assert.deepEqual(await session.status(), { target: 'root@127.0.0.1:2222', attached: [], pinned: [] });
      assert.equal(await session.detach(), 0);
      assert.equal(REMOTE_DIR, '/tmp/bpf-lsm-studio');
      assert.equal(PIN_ROOT, '/sys/fs/bpf/bpf-lsm-studio');
    } finally {
      await session.close();
      fs.rmSync(cache, { recursive: true, force: true });
    }
    assert.throws(() => new TargetSession({ destination: 'a b' }, { btfCache: cache }), {
      message: "'a b' is not an ssh destination: use an alias, user@host or user@host:port.",
    });
  });
});
