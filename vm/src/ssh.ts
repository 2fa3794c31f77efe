// The guest as an ssh target, isolated from the user's own ssh setup: a generated ssh_config, our key
// only, and a known_hosts holding the guest's host key, so the host key is verified
// (StrictHostKeyChecking yes) rather than trusted on first use. Commands then go through the remote
// engine (engine/src) like any other target's: the VM is a target with its own ssh config.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SshTargetSettings } from '../../engine/src/sshTarget';

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
      // No agent, no forwarding. No multiplexing for a person's own ssh; the engine passes its own master.
      '  ForwardAgent no',
      '  ForwardX11 no',
      '  ControlMaster no',
      '  ControlPath none',
      '',
    ].join('\n'),
  );
  return config;
}

/** The ssh target of a VM whose ssh_config is at `configPath`. */
export function vmTarget(configPath: string): SshTargetSettings {
  return { destination: SSH_HOST, configFile: configPath };
}

/** The command line a person can paste to reach the VM. */
export function sshCommandLine(configPath: string): string {
  return `ssh -F ${configPath} ${SSH_HOST}`;
}
