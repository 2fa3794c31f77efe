// What the analysis reports: findings with a stable code, an exact range and, where obvious, the edit
// that fixes them. Positions are 0-based lines and UTF-16 columns, as in LSP.

import type { Severity } from '../../../common/severity';
import type { Position, Range } from '../ctext/textIndex';
import type { CheckCode } from './checks/registry';

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

export type { CheckCode, Severity };

/** Another place that explains a finding: where a returned value was assigned, the branch it came from. */
export interface RelatedPlace {
  range: Range;
  message: string;
}

export interface Finding {
  code: CheckCode;
  severity: Severity;
  range: Range;
  message: string;
  fixes?: Fix[];
  /** LSP `relatedInformation` (same document); the CLI prints them as `note:` lines. */
  related?: RelatedPlace[];
}
