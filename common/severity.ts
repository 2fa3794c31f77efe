// The severities a finding can have: defined once, used by the analysis, the settings, the language
// server's diagnostics, the CLI and the project configuration file.

export const SEVERITIES = ['error', 'warning', 'information', 'hint'] as const;

export type Severity = (typeof SEVERITIES)[number];

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}
