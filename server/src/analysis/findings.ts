// What the analysis reports: findings with a stable code, an exact range and, where obvious, the edit
// that fixes them. Positions are 0-based lines and UTF-16 columns, as in LSP.

import type { Position, Range } from '../ctext/textIndex';

export type { Position, Range };

export interface TextEdit {
  range: Range;
  newText: string;
}

export interface Fix {
  title: string;
  edits: TextEdit[];
  /** The fix a user most likely wants (LSP `isPreferred`). */
  preferred?: boolean;
}

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export const CHECK_CODES = [
  'unknown-hook',
  'hook-not-in-kernel',
  'signature-mismatch',
  'missing-ret-passthrough',
  'return-out-of-range',
  'disabled-hook',
  'not-sleepable',
  'unsupported-section',
  'license',
  'wrong-macro',
  'misleading-indentation',
] as const;

export type CheckCode = (typeof CHECK_CODES)[number];

export interface Finding {
  code: CheckCode;
  severity: Severity;
  range: Range;
  message: string;
  fixes?: Fix[];
}
