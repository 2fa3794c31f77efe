// SSH into the guest with the system OpenSSH client, isolated from the user's own ssh setup: a
// generated ssh_config, our key only, and a known_hosts holding the guest's host key, so the
// host key is verified (StrictHostKeyChecking yes) rather than trusted on first use.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run, RunOptions, RunResult } from './process';

export const SSH_HOST = 'bpf-lsm-vm';

export interface SshFilesOptions {
  dir: string;
  port: number;
  hostKeyPub: string;
  clientKey: string;
}

/** Writes ssh_config and known_hosts into dir; returns the ssh_config path. */
export function writeSshFiles(o: SshFilesOptions): string {
  fs.mkdirSync(o.dir, { recursive: true });
  const knownHosts = path.join(o.dir, 'known_hosts');
  fs.writeFileSync(knownHosts, `[127.0.0.1]:${o.port} ${o.hostKeyPub}\n`);
  const config = path.join(o.dir, 'ssh_config');
  fs.writeFileSync(
    config,
    [
      `Host ${SSH_HOST}`,
      '  HostName 127.0.0.1',
      `  Port ${o.port}`,
      '  User root',
      `  IdentityFile ${o.clientKey}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${knownHosts}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  CheckHostIP no',
      '  BatchMode yes',
      '  ConnectTimeout 5',
      '  ServerAliveInterval 5',
      '  ServerAliveCountMax 3',
      '  LogLevel ERROR',
      // No agent, no forwarding, no multiplexing: each command is its own plain session.
      '  ForwardAgent no',
      '  ForwardX11 no',
      '  ControlMaster no',
      '  ControlPath none',
      '',
    ].join('\n'),
  );
  return config;
}

/** Runs commands in one VM. Each call is a separate ssh connection. */
export class Ssh {
  constructor(readonly configPath: string) {}

  /** The command line a person can paste to reach the VM. */
  get commandLine(): string {
    return `ssh -F ${this.configPath} ${SSH_HOST}`;
  }

  private args(remoteCommand: string, extra: string[] = []): string[] {
    return ['-F', this.configPath, ...extra, SSH_HOST, remoteCommand];
  }

  /** Runs a shell command line in the guest (busybox sh). */
  run(remoteCommand: string, opts: RunOptions & { connectTimeoutSeconds?: number } = {}): Promise<RunResult> {
    const extra = opts.connectTimeoutSeconds ? ['-o', `ConnectTimeout=${opts.connectTimeoutSeconds}`] : [];
    return run('ssh', this.args(remoteCommand, extra), opts);
  }

  /** Like run, but throws (with the remote stderr) unless the command exits 0. Returns stdout. */
  async check(remoteCommand: string, opts: RunOptions = {}): Promise<string> {
    const r = await this.run(remoteCommand, opts);
    if (r.code !== 0) {
      throw new Error(`in VM: '${remoteCommand}' failed (exit ${r.code ?? r.signal}): ${r.stderr.trim()}`);
    }
    return r.stdout.toString();
  }

  /** A long-lived session with piped stdio; closing its stdin ends the remote command's input. */
  spawn(remoteCommand: string): ChildProcess {
    return spawn('ssh', this.args(remoteCommand), { stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** Copies a local file into the guest through the ssh channel (the guest has no scp/sftp). */
  async copyTo(localFile: string, remoteFile: string): Promise<void> {
    await this.check(`cat > ${shellQuote(remoteFile)}`, { input: fs.readFileSync(localFile) });
  }
}

/** Quotes one word for the guest's sh. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
