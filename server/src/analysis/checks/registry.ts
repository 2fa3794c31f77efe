// Every check and the finding codes it reports. analyze.ts runs them one by one, each isolated from the
// others' failures, and skips a check whose codes are all disabled.
import type { CheckCode, Finding } from '../findings';
import type { FileModel } from '../programs';
import type { ProgramCheck } from './context';
import { checkHookExists } from './hookExists';
import { checkDisabledHook, checkSectionSupported, checkSleepable } from './hookSets';
import { checkLicense } from './license';
import { checkMisleadingIndentation } from './misleadingIndentation';
import { checkPassthrough } from './passthrough';
import { checkReturnRange } from './returnRange';
import { checkSignature } from './signature';
import { checkMacro } from './wrongMacro';

export interface CheckEntry<Run> {
  /** Named after its main finding code; what a failure report calls it. */
  name: string;
  codes: readonly CheckCode[];
  run: Run;
}

/** Checks run once per LSM program. */
export const PROGRAM_CHECKS: CheckEntry<ProgramCheck>[] = [
  { name: 'unknown-hook', codes: ['unknown-hook', 'hook-not-in-kernel'], run: checkHookExists },
  { name: 'disabled-hook', codes: ['disabled-hook'], run: checkDisabledHook },
  { name: 'not-sleepable', codes: ['not-sleepable'], run: checkSleepable },
  { name: 'unsupported-section', codes: ['unsupported-section'], run: checkSectionSupported },
  { name: 'wrong-macro', codes: ['wrong-macro'], run: checkMacro },
  { name: 'signature-mismatch', codes: ['signature-mismatch'], run: checkSignature },
  { name: 'missing-ret-passthrough', codes: ['missing-ret-passthrough'], run: checkPassthrough },
  { name: 'return-out-of-range', codes: ['return-out-of-range'], run: checkReturnRange },
  { name: 'misleading-indentation', codes: ['misleading-indentation'], run: checkMisleadingIndentation },
];

/** Checks run once per file. */
export const FILE_CHECKS: CheckEntry<(model: FileModel) => Finding[]>[] = [{ name: 'license', codes: ['license'], run: checkLicense }];
