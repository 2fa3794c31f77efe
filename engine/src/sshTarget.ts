// Where programs run: an SSH destination as the user writes it (a ~/.ssh/config alias, user@host,
// user@host:port, [v6::addr]:port), plus an optional identity file and ssh_config file.

export interface SshTargetSettings {
  /** `vm-alias`, `root@10.0.0.5`, `root@127.0.0.1:2222`, `root@[::1]:2222`. */
  destination: string;
  identityFile?: string;
  /** An ssh_config of its own (ssh -F), e.g. the local test VM's; default: the user's own. */
  configFile?: string;
  /** Prefix privileged commands with `sudo -n` (for non-root logins). */
  sudo?: boolean;
}

export interface SshTarget extends SshTargetSettings {
  /** What ssh gets as its destination argument (the port goes in -p). */
  host: string;
  port?: number;
  /** A short name for messages and the status bar. */
  label: string;
}

export function parseTarget(settings: SshTargetSettings): SshTarget {
  const destination = settings.destination.trim();
  if (!destination)
    throw new Error('No target is set: set bpfLsm.target.destination to an ssh destination (alias, user@host or user@host:port).');
  if (/[\s'"`;|&$<>]/.test(destination) || destination.startsWith('-')) {
    throw new Error(`'${destination}' is not an ssh destination: use an alias, user@host or user@host:port.`);
  }
  let host = destination;
  let port: number | undefined;
  const v6 = /^(.*@)?\[([^\]]+)\]:(\d+)$/.exec(destination);
  const v4 = /^(.*@)?([^:@[\]]+):(\d+)$/.exec(destination);
  const m = v6 ?? v4;
  if (m) {
    host = `${m[1] ?? ''}${m[2]}`;
    port = Number(m[3]);
    if (!(port > 0 && port < 65536)) throw new Error(`port ${m[3]} of '${destination}' is not a TCP port`);
  }
  return { ...settings, destination, host, port, label: destination };
}
