// What the reporters share: how a file and a run are named, case counts, and text made safe for one line.
import * as path from 'node:path';
import { relativeInside } from '../../../server/src/ctext/relativeInside';
import type { CaseStatus, FileProblem, FileRun } from '../model';

export interface ReportOptions {
  /** Files are named relative to this folder when they are inside it (default: the current folder). */
  relativeTo?: string;
}

/** A file's name in a report: relative to `relativeTo` when inside it, else absolute. */
export function displayPath(file: string, options: ReportOptions = {}): string {
  const base = path.resolve(options.relativeTo ?? process.cwd());
  return relativeInside(base, path.resolve(file)) ?? file;
}

/** `deny-open.lsmtest.yaml [6.12]`: a file on a kernel. */
export function runLabel(run: FileRun, options: ReportOptions = {}): string {
  return `${displayPath(run.file, options)} [${run.kernel}]`;
}

export type Counts = Record<CaseStatus, number>;

export function countCases(runs: readonly FileRun[]): Counts {
  const counts: Counts = { passed: 0, failed: 0, error: 0, skipped: 0 };
  for (const run of runs) for (const c of run.cases) counts[c.status]++;
  return counts;
}

/** Problems grouped by file, files in order of first appearance. */
export function problemsByFile(problems: readonly FileProblem[]): Map<string, FileProblem[]> {
  const byFile = new Map<string, FileProblem[]>();
  for (const p of problems) {
    const list = byFile.get(p.file);
    if (list) list.push(p);
    else byFile.set(p.file, [p]);
  }
  return byFile;
}

/** Control characters (a case name's newline, a terminal escape) as visible escapes: one line, inert. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

/** 12 ms, 1.5 s. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
