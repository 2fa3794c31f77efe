// One case is one ssh round trip: a POSIX sh script (sent on stdin) that clears the trace buffer, runs
// the action, and prints the action's exit status, output, the trace lines and the new kernel warnings,
// each after a line with a per-case nonce. Files the script needs are opened before the trace is
// cleared, and the trace is read with shell builtins, so our own plumbing adds as little as possible
// to what the program under test prints.
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
  trace: string[];
  kernelWarnings: string[];
}

/** Kernel log lines that count as warnings for `kernel_warning` (and are shown with a case's output). */
const WARNING_PATTERN = 'WARNING|BUG:|Oops|Call Trace';

/** The script for one case. `argv` is the action's command line, `tracefs` the target's tracing folder. */
export function caseScript(argv: readonly string[], tracefs: string | null): CaseScript {
  const nonce = `@@bpf-lsm-test-${randomBytes(8).toString('hex')}`;
  const t = tracefs ? shellJoin([tracefs]) : '';
  const script = `set +e
N=${nonce}
d=$(mktemp -d /tmp/bpf-lsm-case.XXXXXX) || { echo "$N error could not create a temporary folder on the target"; exit 97; }
exec 3>"$d/out" 4>"$d/err" 5</dev/null
w=$(dmesg 2>/dev/null | wc -l)
${t ? `T=${t}\n: > "$T/trace" 2>/dev/null\n` : ''}${shellJoin(argv)} >&3 2>&4 <&5
rc=$?
tr=''
${t ? `while IFS= read -r l; do case "$l" in '#'*) ;; *) tr="$tr$l\n"; esac; done < "$T/trace"\n` : ''}exec 3>&- 4>&- 5<&-
echo "$N rc $rc"
echo "$N stdout"; cat "$d/out"; echo
echo "$N stderr"; cat "$d/err"; echo
echo "$N trace"; printf '%s' "$tr"
echo "$N dmesg"; dmesg 2>/dev/null | tail -n +$((w + 1)) | grep -E '${WARNING_PATTERN}'
echo "$N end"
rm -rf "$d"
`;
  return { script, nonce };
}

export class CaseScriptError extends Error {}

/**
 * Reads what the script printed. Throws CaseScriptError when the output is incomplete (the target died
 * or stopped answering mid-case) or when the script says it could not start.
 */
export function parseCaseOutput(stdout: string, nonce: string): CaseOutput {
  const sections = new Map<string, string>();
  let current: string | undefined;
  let lines: string[] = [];
  let rc: number | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith(`${nonce} `)) {
      if (current) sections.set(current, lines.join('\n'));
      const [name, ...rest] = line.slice(nonce.length + 1).split(' ');
      if (name === 'error') throw new CaseScriptError(rest.join(' '));
      if (name === 'rc') rc = Number(rest[0]);
      current = name === 'rc' ? undefined : name;
      lines = [];
      continue;
    }
    if (current) lines.push(line);
  }
  if (current) sections.set(current, lines.join('\n'));
  if (rc === undefined || !Number.isInteger(rc) || !sections.has('end')) {
    throw new CaseScriptError('the target stopped answering in the middle of the case (its output is incomplete)');
  }
  // `cat F; echo` adds one newline after each captured stream: take it off again.
  const captured = (name: string) => (sections.get(name) ?? '').replace(/\n$/, '');
  const nonEmpty = (name: string) => (sections.get(name) ?? '').split('\n').filter((l) => l.trim() !== '');
  return {
    exitCode: rc,
    stdout: captured('stdout'),
    stderr: captured('stderr'),
    trace: nonEmpty('trace'),
    kernelWarnings: nonEmpty('dmesg'),
  };
}
