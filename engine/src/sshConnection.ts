// Runs commands on a target with the system `ssh`, so ~/.ssh/config, agents and ProxyJump apply. One
// master connection (OpenSSH ControlMaster, socket in a private folder) carries every command, so repeated
// steps pay no new handshake. Host keys are always checked: an unknown key is reported for the user to
// accept (then ssh records it with accept-new); a changed key is an error.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ResultPromise } from 'execa' with { 'resolution-mode': 'import' };
import { shellJoin } from './shellQuote';
import type { SshTarget } from './sshTarget';

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
  signal: string | undefined;
}

export interface RunOptions {
  input?: string | Buffer;
  /** Through `sudo -n` when the target is configured so. */
  privileged?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** ssh's ConnectTimeout if this command opens the master connection (default 10 s). */
  connectTimeoutSeconds?: number;
  /**
   * argv is one POSIX sh script, sent as the remote command itself (the login shell runs it; no second
   * shell to start): for scripts that run often, such as a policy test's cases.
   */
  script?: boolean;
}

export class SshError extends Error {
  constructor(
    message: string,
    readonly kind: 'unknown-host-key' | 'changed-host-key' | 'unreachable' | 'auth' | 'command',
    readonly result?: RunResult,
  ) {
    super(message);
  }
}

const SSH_FAILURE = 255;

/** What ssh itself prints when it fails; a remote command may also exit 255, with its own stderr. */
const SSH_MESSAGE =
  /^ssh: |Host key verification failed|No \S+ host key is known|REMOTE HOST IDENTIFICATION|Permission denied \(|Too many authentication failures|Connection (refused|closed|timed out|reset)|Could not resolve hostname|kex_exchange_identification|Control socket|mux_client|Broken pipe|Timeout, server/m;

/** True when ssh itself failed (exit 255 with ssh's own words or none), not the remote command. */
export function isSshFailure(r: Pick<RunResult, 'exitCode' | 'stderr'>): boolean {
  return r.exitCode === SSH_FAILURE && (r.stderr.trim() === '' || SSH_MESSAGE.test(r.stderr));
}

/** What went wrong, from ssh's stderr: a changed or unknown host key, a refused login, or no connection. */
export function classifySshFailure(r: RunResult, where: string): SshError {
  const err = r.stderr;
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED/.test(err)) {
    return new SshError(
      `The host key of ${where} has changed: this may be an attack or a reinstalled machine. Check it and update known_hosts yourself; nothing was run.`,
      'changed-host-key',
      r,
    );
  }
  if (/Host key verification failed|No \S+ host key is known/.test(err)) {
    return new SshError(`The host key of ${where} is not known yet.`, 'unknown-host-key', r);
  }
  if (/Permission denied|Too many authentication failures/.test(err)) {
    return new SshError(`ssh could not log in to ${where}: ${err.trim()}`, 'auth', r);
  }
  return new SshError(`ssh could not reach ${where}: ${err.trim() || 'connection failed'}`, 'unreachable', r);
}

async function execaModule() {
  return import('execa');
}

export class SshConnection {
  readonly controlDir: string;
  private acceptNewHostKey = false;

  constructor(readonly target: SshTarget) {
    // A short private path: unix socket paths are limited to ~100 bytes.
    this.controlDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpflsm-'));
    fs.chmodSync(this.controlDir, 0o700);
  }

  /**
   * ssh options shared by every invocation. Commands never become the master themselves (see ensureMaster);
   * a `dedicated` session has its own connection instead of the shared one.
   */
  baseArgs(extra: string[] = [], master = false, dedicated = false, connectTimeoutSeconds = 10): string[] {
    const t = this.target;
    return [
      ...(t.configFile ? ['-F', t.configFile] : []),
      '-o',
      'BatchMode=yes',
      '-o',
      `ControlMaster=${master ? 'yes' : 'no'}`,
      '-o',
      `ControlPath=${dedicated ? 'none' : `${this.controlDir}/%C`}`,
      '-o',
      'ControlPersist=120',
      '-o',
      `ConnectTimeout=${connectTimeoutSeconds}`,
      '-o',
      'ServerAliveInterval=5',
      '-o',
      'ServerAliveCountMax=3',
      ...(this.acceptNewHostKey ? ['-o', 'StrictHostKeyChecking=accept-new'] : []),
      ...(t.identityFile ? ['-i', t.identityFile, '-o', 'IdentitiesOnly=yes'] : []),
      ...(t.port ? ['-p', String(t.port)] : []),
      ...extra,
      t.host,
    ];
  }

  /** The remote command line: argv quoted for the remote shell, with `sudo -n` when configured. */
  remoteCommand(argv: readonly string[], privileged = false, script = false): string {
    const command = script ? argv.join('\n') : shellJoin(argv);
    return privileged && this.target.sudo ? `sudo -n sh -c ${shellJoin([command])}` : command;
  }

  private get socketPresent(): boolean {
    // After close() the folder is gone: no socket.
    return fs.existsSync(this.controlDir) && fs.readdirSync(this.controlDir).some((f) => !f.endsWith('.log'));
  }

  /**
   * Starts the master connection once. It runs detached (-f) with its messages in a log file (-E) and no
   * stdio of ours: a master that inherited a command's pipes would keep that command from ever ending.
   */
  async ensureMaster(connectTimeoutSeconds?: number): Promise<void> {
    if (this.socketPresent) return;
    const { execa } = await execaModule();
    const log = path.join(this.controlDir, 'master.log');
    fs.rmSync(log, { force: true });
    const r = await execa('ssh', ['-E', log, '-f', '-N', ...this.baseArgs([], true, false, connectTimeoutSeconds)], {
      reject: false,
      stdio: 'ignore',
      timeout: 60_000,
    });
    if (r.exitCode !== 0) {
      const stderr = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
      throw classifySshFailure(
        { stdout: '', stderr: stderr || `ssh exited with ${r.exitCode ?? r.signal}`, exitCode: r.exitCode, signal: r.signal },
        this.target.label,
      );
    }
  }

  /**
   * Runs argv on the target; rejects with SshError when ssh itself fails. A master connection that went
   * away under the command (a dropped link) is re-established and the command tried once more.
   */
  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    try {
      return await this.runOnce(argv, options);
    } catch (err) {
      if (!(err instanceof SshError) || err.kind !== 'unreachable' || err.result?.stderr.trim() || this.socketPresent) throw err;
      return this.runOnce(argv, options);
    }
  }

  private async runOnce(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    await this.ensureMaster(options.connectTimeoutSeconds);
    const { execa } = await execaModule();
    const r = await execa('ssh', [...this.baseArgs(), '--', this.remoteCommand(argv, options.privileged, options.script)], {
      input: options.input,
      reject: false,
      timeout: options.timeoutMs,
      cancelSignal: options.signal,
      stripFinalNewline: false,
      encoding: 'utf8',
    });
    const result: RunResult = { stdout: r.stdout as string, stderr: r.stderr as string, exitCode: r.exitCode, signal: r.signal };
    if (isSshFailure(result)) throw classifySshFailure(result, this.target.label);
    if (r.timedOut)
      throw new SshError(
        `'${options.script ? 'a script' : argv.join(' ')}' on ${this.target.label} timed out after ${options.timeoutMs} ms`,
        'command',
        result,
      );
    return result;
  }

  /** Like run, but the command must succeed; returns its stdout. */
  async check(argv: readonly string[], options: RunOptions = {}): Promise<string> {
    const r = await this.run(argv, options);
    if (r.exitCode !== 0) {
      const status = r.exitCode === undefined ? `signal ${r.signal}` : `exit ${r.exitCode}`;
      throw new SshError(
        `'${argv.join(' ')}' failed on ${this.target.label} (${status}): ${r.stderr.trim() || r.stdout.trim()}`,
        'command',
        r,
      );
    }
    return r.stdout;
  }

  /** The whole stdout of a command as bytes (a kernel's BTF, a file), for output too big or binary for run. */
  async readBinary(argv: readonly string[], options: { privileged?: boolean; timeoutMs?: number } = {}): Promise<Buffer> {
    await this.ensureMaster();
    const { execa } = await execaModule();
    const r = await execa('ssh', [...this.baseArgs(), '--', this.remoteCommand(argv, options.privileged)], {
      encoding: 'buffer',
      reject: false,
      timeout: options.timeoutMs,
      maxBuffer: 512 * 1024 * 1024,
      stdin: 'ignore',
    });
    const stderr = Buffer.from(r.stderr as Uint8Array).toString();
    const result: RunResult = { stdout: '', stderr, exitCode: r.exitCode, signal: r.signal };
    if (isSshFailure(result)) throw classifySshFailure(result, this.target.label);
    if (r.exitCode !== 0)
      throw new SshError(
        `'${argv.join(' ')}' failed on ${this.target.label} (${r.timedOut ? 'timed out' : `exit ${r.exitCode ?? r.signal}`}): ${stderr.trim()}`,
        'command',
        result,
      );
    return Buffer.from(r.stdout as Uint8Array);
  }

  /** Copies a local file to the target through the ssh channel (no scp or sftp needed there). */
  async copyTo(localFile: string, remoteFile: string, privileged = false): Promise<void> {
    await this.check(['sh', '-c', `cat > ${shellJoin([remoteFile])}`], { input: fs.readFileSync(localFile), privileged });
  }

  /**
   * A long-running remote command whose output streams back. With `tty`, ssh -tt gives the remote
   * command a terminal, so it gets SIGHUP when the connection drops or the local side is killed. A
   * `dedicated` session gets its own connection: a stream that must not stop when other commands come and
   * go (through an OpenSSH master, a dropbear server was seen ending a streaming session when another
   * session on the same connection closed).
   */
  async spawn(
    argv: readonly string[],
    options: { tty?: boolean; privileged?: boolean; dedicated?: boolean } = {},
  ): Promise<{ subprocess: ResultPromise }> {
    if (!options.dedicated) await this.ensureMaster();
    const { execa } = await execaModule();
    const extra = options.tty ? ['-tt'] : ['-T'];
    // Wrapped in an object: a subprocess is a thenable, and returning it would await its end.
    const subprocess = execa(
      'ssh',
      [...this.baseArgs(extra, false, options.dedicated), '--', this.remoteCommand(argv, options.privileged)],
      {
        reject: false,
        buffer: false,
        stdin: 'pipe',
      },
    );
    return { subprocess };
  }

  /** After the user accepted the host key shown to them: let ssh record a new (never a changed) key. */
  acceptNewHostKeys(): void {
    this.acceptNewHostKey = true;
  }

  /** The host's keys and fingerprints, to show before accepting (ssh-keyscan on the resolved host). */
  async scanHostKeys(): Promise<string> {
    const { execa } = await execaModule();
    const resolved = await execa('ssh', ['-G', ...this.baseArgs()], { reject: false, stdin: 'ignore' });
    const get = (key: string) => new RegExp(`^${key} (.+)$`, 'm').exec(resolved.stdout as string)?.[1];
    const hostname = get('hostname') ?? this.target.host.replace(/^.*@/, '');
    const port = get('port') ?? '22';
    // Three key types only: small servers (dropbear) limit unauthenticated connections per address.
    let scan = await execa('ssh-keyscan', ['-p', port, '-T', '15', '-t', 'ed25519,ecdsa,rsa', hostname], { reject: false });
    for (let attempt = 1; !scan.stdout && attempt < 3; attempt++) {
      await new Promise((r) => setTimeout(r, 1000 * attempt));
      scan = await execa('ssh-keyscan', ['-p', port, '-T', '15', '-t', 'ed25519,ecdsa,rsa', hostname], { reject: false });
    }
    if (!scan.stdout) return `no host key could be read from ${hostname}:${port}`;
    const fp = await execa('ssh-keygen', ['-l', '-f', '-'], { input: scan.stdout as string, reject: false });
    return (fp.stdout as string).trim();
  }

  /** Ends the master connection and removes its private folder. */
  async close(): Promise<void> {
    const { execa } = await execaModule();
    if (this.socketPresent) await execa('ssh', ['-O', 'exit', ...this.baseArgs()], { reject: false, timeout: 5000, stdio: 'ignore' });
    fs.rmSync(this.controlDir, { recursive: true, force: true });
  }
}
