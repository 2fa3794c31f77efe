// One case is one ssh round trip whose cost is close to running the action alone: a POSIX sh script,
// sent as the remote command itself, that marks the case's start and end in the kernel's trace buffer
// (the lines between the marks are the case's), runs the action with its output in files opened
// beforehand, and prints the exit status and output after lines carrying a per-case nonce, with shell
// builtins only. The trace buffer is read in the case only when the case checks its trace (the others
// get their lines when the file's cases are over); kernel warnings are read from dmesg only when the
// case expects one or the kernel's taint changed while it ran (the first WARN taints it).
import { randomBytes } from 'node:crypto';
import { shellJoin } from '../../engine/src';

export interface CaseScript {
  script: string;
  nonce: string;
}

export interface CaseOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
  kernelWarnings: string[];
  /** The case's trace lines, when the script was asked to read them. */
  trace?: string[];
}

export interface CaseScriptOptions {
  /** The target's tracing folder (trace_marker), if it has one. */
  tracefs: string | null;
  /** A folder on the target for the action's output files (made once per test file). */
  workDir: string;
  /** Read the kernel log's new warnings even if the taint did not change. */
  kernelLog: boolean;
  /** Print the case's trace lines (from the trace buffer, between its marks). */
  readTrace?: boolean;
}

/** Kernel log lines that count as warnings for `kernel_warning` (and are shown with a case's output). */
const WARNING_PATTERN = 'WARNING|BUG:|Oops|Call Trace';

/** Reads a file to stdout with builtins (no cat to exec), the last line even without a newline. */
const echoFile = (file: string) => `while IFS= read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; done < ${file}`;

export function caseScript(argv: readonly string[], options: CaseScriptOptions): CaseScript {
  const nonce = `@@bpf-lsm-test-${randomBytes(8).toString('hex')}`;
  const d = shellJoin([options.workDir]);
  const marks = options.tracefs !== null;
  const lines = [
    'set +e',
    `N=${nonce}`,
    'read t0 < /proc/sys/kernel/tainted',
    options.kernelLog ? 'w=$(dmesg 2>/dev/null | wc -l)' : 'w=',
    // Everything the script opens is opened before the start mark: a program that traces every open
    // must see only the action's own opens between the marks.
    // A failed `exec` redirection ends a POSIX shell: check the folder first, to say why.
    `[ -d ${d} ] && [ -w ${d} ] || { echo "$N error cannot write the case's output under ${options.workDir}"; exit 97; }`,
    `exec 3>${d}/out 4>${d}/err 5</dev/null`,
    ...(marks ? [`exec 6>>${shellJoin([`${options.tracefs}/trace_marker`])} && echo "$N begin" >&6`] : []),
    `${shellJoin(argv)} >&3 2>&4 <&5`,
    'rc=$?',
    ...(marks ? ['echo "$N done" >&6', 'exec 6>&-'] : []),
    'exec 3>&- 4>&- 5<&-',
    'read t1 < /proc/sys/kernel/tainted',
    'echo "$N rc $rc"',
    `echo "$N stdout"; ${echoFile(`${d}/out`)}`,
    `echo "$N stderr"; ${echoFile(`${d}/err`)}`,
    ...(marks && options.readTrace
      ? [
          'echo "$N trace"; in=',
          `while IFS= read -r l; do case "$l" in *"$N begin"*) in=1 ;; *"$N done"*) in= ;; *) [ -n "$in" ] && printf '%s\\n' "$l" ;; esac; done < ${shellJoin([`${options.tracefs}/trace`])}`,
        ]
      : []),
    'echo "$N dmesg"',
    `if [ -n "$w" ] || [ "$t0" != "$t1" ]; then dmesg 2>/dev/null | tail -n +$((\${w:-0} + 1)) | grep -E '${WARNING_PATTERN}'; fi`,
    'echo "$N end"',
  ];
  return { script: `${lines.join('\n')}\n`, nonce };
}

export class CaseScriptError extends Error {}

/**
 * Reads what the script printed. Throws CaseScriptError when the output is incomplete (the target died
 * or stopped answering mid-case) or when the script says it could not start.
 */
export function parseCaseOutput(stdout: string, nonce: string): CaseOutput {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  let rc: number | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith(`${nonce} `)) {
      const [name, ...rest] = line.slice(nonce.length + 1).split(' ');
      if (name === 'error') throw new CaseScriptError(rest.join(' '));
      if (name === 'rc') rc = Number(rest[0]);
      current = [];
      sections.set(name, current);
      continue;
    }
    current?.push(line);
  }
  if (rc === undefined || !Number.isInteger(rc) || !sections.has('end')) {
    throw new CaseScriptError('the target stopped answering in the middle of the case (its output is incomplete)');
  }
  // Each captured stream ends with the newline our reader adds after its last line.
  const captured = (name: string) => (sections.get(name) ?? []).join('\n').replace(/\n$/, '');
  return {
    exitCode: rc,
    stdout: captured('stdout'),
    stderr: captured('stderr'),
    kernelWarnings: (sections.get('dmesg') ?? []).filter((l) => l.trim() !== ''),
    trace: sections.get('trace')?.filter((l) => l.trim() !== ''),
  };
}

/** The trace lines a case emitted: those between its begin and done marks in the trace buffer's lines. */
export function traceOfCase(stream: readonly string[], nonce: string): { lines: string[]; complete: boolean } {
  const begin = stream.findIndex((l) => l.includes(`${nonce} begin`));
  if (begin < 0) return { lines: [], complete: false };
  const done = stream.findIndex((l, i) => i > begin && l.includes(`${nonce} done`));
  return { lines: stream.slice(begin + 1, done < 0 ? undefined : done), complete: done >= 0 };
}
