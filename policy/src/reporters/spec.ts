// The human-readable report: a heading per file on a kernel, a line per case (✓ passed, ✗ failed,
// ! error, - skipped) with a failure's messages indented under it, the malformed files, and a summary.
import type { CaseResult, FileProblem, FileRun } from '../model';
import { countCases, displayPath, formatDuration, oneLine, plural, runLabel, type ReportOptions } from './common';

const MARKS: Record<CaseResult['status'], string> = { passed: '✓', failed: '✗', error: '!', skipped: '-' };

function caseLines(c: CaseResult, fileError: string | undefined): string[] {
  const note =
    c.status === 'skipped' ? ` (skipped${c.messages[0] ? `: ${oneLine(c.messages[0])}` : ''})` : c.status === 'error' ? ' (error)' : '';
  const out = [
    `  ${MARKS[c.status]} ${oneLine(c.name)}${note} ${c.status === 'skipped' ? '' : `(${formatDuration(c.durationMs)})`}`.trimEnd(),
  ];
  if (c.status === 'failed' || c.status === 'error')
    for (const m of c.messages) if (m !== fileError) out.push(...m.split('\n').map((l) => `      ${oneLine(l)}`));
  return out;
}

export function reportSpec(runs: readonly FileRun[], problems: readonly FileProblem[] = [], options: ReportOptions = {}): string {
  const out: string[] = [];
  for (const run of runs) {
    out.push(`${oneLine(runLabel(run, options))}${run.release ? ` (${oneLine(run.release)})` : ''}`);
    if (run.error !== undefined) out.push(...run.error.split('\n').map((l, i) => `  ${i === 0 ? 'error: ' : '       '}${oneLine(l)}`));
    for (const c of run.cases) out.push(...caseLines(c, run.error));
    out.push('');
  }
  if (problems.length > 0) {
    out.push('malformed test files:');
    for (const p of problems) out.push(`  ${oneLine(displayPath(p.file, options))}:${p.line}:${p.column}: ${oneLine(p.message)}`);
    out.push('');
  }
  const counts = countCases(runs);
  // A run that stopped before its cases (a compile error, no VM) counts as an error of its own.
  counts.error += runs.filter((r) => r.error !== undefined && r.cases.length === 0).length;
  const malformed = new Set(problems.map((p) => p.file)).size;
  const parts = [`${counts.passed} passed`, `${counts.failed} failed`];
  if (counts.error > 0) parts.push(plural(counts.error, 'error'));
  if (counts.skipped > 0) parts.push(`${counts.skipped} skipped`);
  if (malformed > 0) parts.push(plural(malformed, 'malformed file'));
  // No total time: runs go in parallel, and the sum of their times is no one's wait.
  out.push(`${parts.join(', ')} (${plural(runs.length, 'file×kernel run')})`);
  return `${out.join('\n')}\n`;
}
