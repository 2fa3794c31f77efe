// The real verifier on a file: compile with -g against the target's BTF, load each program without
// attaching (lsm-loader --load-only) with the verifier's log and statistics on, and say per program
// whether it was verified, with the kernel's figures, or where and why it was refused. The CLI
// (bpf-lsm-verify), the extension's Verify on Target and the bench all go through verifySource.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lineOfInsn, type ObjectLineInfo, readObjectLineInfo } from './btfLineInfo';
import type { ProgramLoad } from './loadOnly';
import { CompileError, type TargetSession } from './targetSession';
import { blamedInsn, extractVerifierLog, INSN_LIMIT, parseVerifierLog, type PathInsn } from './verifierLog';

export type Verdict = 'verified' | 'rejected' | 'compile-error';

/** A source line of the failing path (1-based). */
export interface PathLine {
  file: string;
  line: number;
  text: string;
}

export interface VerifyResult {
  /** The source file as given. */
  file: string;
  /** The program (function) name; '' for a compile error, which has no programs. */
  program: string;
  section: string;
  /** What the caller calls the kernel (a VM's series such as 6.12, or a target's release). */
  kernel: string;
  verdict: Verdict;
  /** Where it failed (1-based), in `failedFile`; null when verified or not known. */
  line: number | null;
  column: number | null;
  /** The file the failing line is in (the source, or a header it includes). */
  failedFile: string | null;
  /** The verifier's (or clang's) message; null when verified. */
  message: string | null;
  /** Instructions the verifier processed. */
  insns: number | null;
  /** total_states and peak_states of the verifier's statistics. */
  states: number | null;
  peakStates: number | null;
  /** The kernel's own "verification time" (under TCG many times real time). */
  ms: number | null;
  /** Source lines of the failing path, in order, the failing one last. */
  failingPath: PathLine[];
  /** Within 10 % of the kernel's 1M processed-instruction limit. */
  nearLimit: boolean;
  /** The verifier's whole log (or clang's output for a compile error). */
  log: string;
  /** At log level 2: the instructions the verifier processed per source line (every visit counts). */
  lineCounts?: LineCount[];
}

export interface LineCount {
  file: string;
  line: number;
  insns: number;
}

export interface VerifyOptions {
  /** The kernel's name in the results (default: the target's release). */
  kernel?: string;
  /** 1 (default): the failing path and statistics; 2: every instruction's state, for per-line figures. */
  logLevel?: 1 | 2;
  timeoutMs?: number;
}

/** BPF_LOG_STATS: the kernel adds "verification time" and the stack depth to its log. */
const LOG_STATS = 4;

/** Compiles and loads one file on one target; every program gets a result (a compile error one row). */
export async function verifySource(session: TargetSession, source: string, options: VerifyOptions = {}): Promise<VerifyResult[]> {
  const kernel = options.kernel ?? (await session.preflight()).kernelRelease;
  let object: string;
  try {
    object = (await session.compile(source)).object;
  } catch (err) {
    if (!(err instanceof CompileError)) throw err;
    return [compileErrorResult(source, kernel, err)];
  }
  const report = await session.loadObject(object, { logLevel: (options.logLevel ?? 1) | LOG_STATS, timeoutMs: options.timeoutMs });
  let lineInfo: ObjectLineInfo | undefined;
  const objectLines = () => (lineInfo ??= readObjectLineInfo(fs.readFileSync(object)));
  const lineCounts = options.logLevel === 2;
  return report.programs.map((p) => programResult(source, kernel, p, objectLines, { lineCounts }));
}

function compileErrorResult(source: string, kernel: string, err: CompileError): VerifyResult {
  const first = err.compiled.messages.find((m) => m.severity === 'error');
  return {
    file: source,
    program: '',
    section: '',
    kernel,
    verdict: 'compile-error',
    line: first?.line ?? null,
    column: first?.column ?? null,
    failedFile: first ? path.resolve(path.dirname(source), first.file) : null,
    message: first?.message ?? (err.compiled.output.trim().split('\n').pop() || err.message),
    insns: null,
    states: null,
    peakStates: null,
    ms: null,
    failingPath: [],
    nearLimit: false,
    log: err.compiled.output,
  };
}

/** One program's result from the loader's verdict and the verifier's log. */
export function programResult(
  source: string,
  kernel: string,
  load: ProgramLoad,
  objectLines: () => ObjectLineInfo,
  options: { lineCounts?: boolean } = {},
): VerifyResult {
  const log = (load.loaded ? load.log : extractVerifierLog(load.failure.log)) ?? '';
  const parsed = parseVerifierLog(log);
  const insns = parsed.stats?.insns ?? (load.loaded ? (load.verifiedInsns ?? null) : null);
  const base: VerifyResult = {
    file: source,
    program: load.name,
    section: load.section,
    kernel,
    verdict: load.loaded ? 'verified' : 'rejected',
    line: null,
    column: null,
    failedFile: null,
    message: null,
    insns,
    states: parsed.stats?.totalStates ?? null,
    peakStates: parsed.stats?.peakStates ?? null,
    ms: parsed.timeUsec !== undefined ? parsed.timeUsec / 1000 : null,
    failingPath: [],
    nearLimit: insns !== null && insns >= INSN_LIMIT * 0.9,
    log: load.loaded ? log : log || load.failure.log,
  };
  const sourceLines = readSourceLines(source);
  const located = new Map<number, PathLine | undefined>();
  const locate = (insn: PathInsn): PathLine | undefined => {
    if (!located.has(insn.index) || insn.source?.line !== undefined)
      located.set(insn.index, locateInsn(source, sourceLines, load.name, insn, objectLines));
    return located.get(insn.index);
  };
  if (options.lineCounts) base.lineCounts = countByLine(parsed.path, locate);
  if (load.loaded) return base;
  // Without a verifier log (libbpf refused before the kernel saw it), libbpf's reason.
  base.message = parsed.message ?? load.failure.firstError;
  const blamed = blamedInsn(parsed);
  const at = blamed && locate(blamed);
  if (at) {
    base.line = at.line;
    base.failedFile = at.file;
    const info = at.file === source ? columnOf(objectLines(), load.name, at.line) : undefined;
    base.column = info ?? (at.file === source && sourceLines[at.line - 1] !== undefined ? firstColumn(sourceLines[at.line - 1]) : 1);
  }
  // The path's source lines, each once, in the order first met, the blamed line last.
  const seen = new Set<string>();
  const pathLines: PathLine[] = [];
  for (const insn of parsed.path) {
    if (!insn.source) continue;
    const where = locate(insn);
    if (!where) continue;
    const key = `${where.file}:${where.line}`;
    if (seen.has(key)) continue;
    seen.add(key);
    pathLines.push(where);
  }
  if (at) {
    const key = `${at.file}:${at.line}`;
    base.failingPath = [...pathLines.filter((l) => `${l.file}:${l.line}` !== key), at];
  } else base.failingPath = pathLines;
  return base;
}

/** Instructions processed per source line: each instruction line of a level-2 log is one visit. */
function countByLine(path: PathInsn[], locate: (insn: PathInsn) => PathLine | undefined): LineCount[] {
  const counts = new Map<string, LineCount>();
  for (const insn of path) {
    const at = locate(insn);
    if (!at) continue;
    const key = `${at.file}:${at.line}`;
    const c = counts.get(key);
    if (c) c.insns++;
    else counts.set(key, { file: at.file, line: at.line, insns: 1 });
  }
  return [...counts.values()].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

function readSourceLines(source: string): string[] {
  try {
    return fs.readFileSync(source, 'utf8').split(/\r?\n/);
  } catch {
    return [];
  }
}

/**
 * The source line of an instruction: the kernel's `@ file:line` where it printed one (6.2+), else the
 * object's BTF line info for the instruction's index (6.1), else the one source line whose text is the
 * annotation's.
 */
function locateInsn(
  source: string,
  lines: string[],
  program: string,
  insn: PathInsn,
  objectLines: () => ObjectLineInfo,
): PathLine | undefined {
  const a = insn.source;
  if (!a) return undefined;
  if (a.file && a.line) {
    const file = sourceFileNamed(source, a.file);
    return { file, line: a.line, text: a.text };
  }
  const info = lineOfInsn(objectLines(), program, insn.index);
  if (info && info.text.trim() === a.text.trim()) return { file: sourceFileNamed(source, info.file), line: info.line, text: a.text };
  const wanted = a.text.trim();
  const matches = lines.flatMap((l, i) => (l.trim() === wanted ? [i + 1] : []));
  return matches.length === 1 ? { file: source, line: matches[0], text: a.text } : undefined;
}

/** The kernel prints the file as clang recorded it (often the base name): the source itself, or a file next to it. */
function sourceFileNamed(source: string, named: string): string {
  if (path.basename(named) === path.basename(source)) return source;
  const near = path.resolve(path.dirname(source), named);
  return fs.existsSync(near) ? near : named;
}

/** The first column clang recorded for a line of the program (1-based). */
function columnOf(info: ObjectLineInfo, program: string, line: number): number | undefined {
  const prog = info.programs.find((p) => p.name === program);
  const records = prog ? (info.lines.get(prog.section) ?? []) : [];
  const cols = records.filter((r) => r.line === line && r.column > 0).map((r) => r.column);
  return cols.length > 0 ? Math.min(...cols) : undefined;
}

function firstColumn(text: string): number {
  return text.length - text.trimStart().length + 1;
}
