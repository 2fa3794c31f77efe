// TAP version 13: one test point per case (a file whose run failed before its cases is one point, and
// so is a malformed file), a failure's messages, place and output in a YAML diagnostics block.
import { stringify } from 'yaml';
import type { CaseResult, FileProblem, FileRun } from '../model';
import { displayPath, oneLine, problemsByFile, runLabel, type ReportOptions } from './common';

/** A test point's description: one line, and no `#` that a TAP reader would take for a directive. */
function description(text: string): string {
  return oneLine(text).replace(/\\/g, '\\\\').replace(/#/g, '\\#');
}

/** A YAML diagnostics block, indented two spaces; strings double-quoted so that no line reads `...`. */
function diagnostics(fields: Record<string, unknown>): string[] {
  const body = stringify(fields, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0 }).trimEnd();
  return ['  ---', ...body.split('\n').map((l) => `  ${l}`), '  ...'];
}

function casePoint(n: number, run: FileRun, c: CaseResult, options: ReportOptions): string[] {
  const name = `${description(runLabel(run, options))} > ${description(c.name)}`;
  if (c.status === 'passed') return [`ok ${n} - ${name}`];
  if (c.status === 'skipped') return [`ok ${n} - ${name} # SKIP ${description(c.messages[0] ?? '')}`.trimEnd()];
  const fields: Record<string, unknown> = {
    message: c.messages[0] ?? c.status,
    severity: c.status === 'error' ? 'error' : 'fail',
  };
  if (c.messages.length > 1) fields.messages = c.messages;
  fields.at = { file: run.file, line: c.pos.line, column: c.pos.column };
  fields.kernel = run.kernel;
  if (run.release) fields.release = run.release;
  fields.duration_ms = c.durationMs;
  if (c.output) fields.output = c.output;
  return [`not ok ${n} - ${name}`, ...diagnostics(fields)];
}

export function reportTap(runs: readonly FileRun[], problems: readonly FileProblem[] = [], options: ReportOptions = {}): string {
  const points: string[][] = [];
  for (const run of runs) {
    if (run.cases.length === 0) {
      const fields = { message: run.error ?? 'no cases ran', severity: 'error', at: { file: run.file }, kernel: run.kernel };
      points.push([
        `${run.error ? 'not ok' : 'ok'} ${points.length + 1} - ${description(runLabel(run, options))}`,
        ...(run.error ? diagnostics(fields) : []),
      ]);
      continue;
    }
    for (const c of run.cases) points.push(casePoint(points.length + 1, run, c, options));
  }
  for (const [file, list] of problemsByFile(problems)) {
    const fields = {
      message: `malformed test file: ${list[0].message}`,
      severity: 'error',
      problems: list.map((p) => `${p.line}:${p.column}: ${p.message}`),
      at: { file, line: list[0].line, column: list[0].column },
    };
    points.push([`not ok ${points.length + 1} - ${description(displayPath(file, options))} (malformed)`, ...diagnostics(fields)]);
  }
  return ['TAP version 13', `1..${points.length}`, ...points.flat()].join('\n') + '\n';
}
