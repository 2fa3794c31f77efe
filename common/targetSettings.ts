// Settings of the run-on-target commands (client only), with their defaults; mirrored in package.json.

export const TARGET_SECTION = 'bpfLsm.target';

export interface TargetSettings {
  /** ssh destination: a ~/.ssh/config alias, user@host or user@host:port. */
  destination: string;
  identityFile: string;
  /** An ssh_config file of its own (ssh -F), e.g. the local test VM's. */
  sshConfigFile: string;
  /** Run privileged commands with `sudo -n` (for non-root logins). */
  sudo: boolean;
  /** Keep programs attached after the session ends (pinned in bpffs) until Detach. */
  pin: boolean;
  /** A command run on the target after attaching, expected to be denied (EPERM). */
  probeCommand: string;
  /** Lines the trace panel keeps. */
  traceMaxLines: number;
}

export const DEFAULT_TARGET_SETTINGS: TargetSettings = {
  destination: '',
  identityFile: '',
  sshConfigFile: '',
  sudo: false,
  pin: false,
  probeCommand: '',
  traceMaxLines: 5000,
};

export function normaliseTargetSettings(raw: Partial<Record<keyof TargetSettings, unknown>>): TargetSettings {
  const str = (v: unknown, d: string) => (typeof v === 'string' ? v.trim() : d);
  const lines =
    typeof raw.traceMaxLines === 'number' && raw.traceMaxLines >= 100
      ? Math.min(raw.traceMaxLines, 100_000)
      : DEFAULT_TARGET_SETTINGS.traceMaxLines;
  return {
    destination: str(raw.destination, ''),
    identityFile: str(raw.identityFile, ''),
    sshConfigFile: str(raw.sshConfigFile, ''),
    sudo: raw.sudo === true,
    pin: raw.pin === true,
    probeCommand: typeof raw.probeCommand === 'string' ? raw.probeCommand : '',
    traceMaxLines: lines,
  };
}
