// The probe: a command run on the target after attaching, which an enforcing program makes fail with EPERM.

export interface ProbeResult {
  command: string;
  /** The command failed, saying EPERM ("Operation not permitted"). */
  denied: boolean;
  exitCode: number | undefined;
  /** stdout and stderr, trimmed. */
  output: string;
}

/** Whether a probe's outcome is a denial by an LSM: a failing exit and EPERM in what it printed. */
export function probeDenied(exitCode: number | undefined, output: string): boolean {
  return exitCode !== 0 && /Operation not permitted|EPERM/.test(output);
}
