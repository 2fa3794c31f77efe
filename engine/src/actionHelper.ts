// The policy tests' action helper on the target, `lsm-action` (vm/helper/lsm-action.c): the command line
// for one action, and the one JSON line it prints back with the exact errno the action got. Pure: the
// session that runs it is TargetSession.act.

/** An action the helper does (policy/src/model.ts re-exports it: the test files' actions are these). */
export type HelperAction =
  | { kind: 'open'; path: string; flags: string[] } // flags: O_RDONLY (default), O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND
  | { kind: 'exec'; path: string; args: string[] }
  | { kind: 'connect' | 'bind'; address: string; port: number; protocol: 'tcp' | 'udp'; family: 4 | 6 }
  | { kind: 'unlink'; path: string }
  | { kind: 'mkdir'; path: string; mode: number }
  | { kind: 'rename'; from: string; to: string }
  | { kind: 'chmod'; path: string; mode: number }
  | { kind: 'mount'; source: string; target: string; fstype: string }
  | { kind: 'kill'; signal: string } // signals a child the helper starts for the purpose
  | { kind: 'ptrace' } // PTRACE_ATTACH to a child the helper starts
  | { kind: 'bpf'; map: 'array' | 'hash' }; // BPF_MAP_CREATE

/** What the action got. */
export interface ActionResult {
  /** `{ code: 0, name: '' }` when the action succeeded, else the errno and its name (EPERM). */
  errno: { code: number; name: string };
  /** exec only, when execve succeeded: the program's exit status (128 + N when signal N ended it). */
  exit?: number;
  /** exec only: the signal that ended the program. */
  signal?: number;
  /** The errno's text (strerror), when not 0. */
  message?: string;
  /** With case marks: the kernel's taint changed while the action ran (a WARN, an oops). */
  tainted?: boolean;
  /** With case marks and readTrace: the trace lines between the case's begin and done marks. */
  trace?: string[];
}

/** Case marks for a policy test: the helper writes them around the action itself (see lsm-action.c). */
export interface CaseMarks {
  nonce: string;
  tracefs: string;
  /** Also return the trace lines between the marks. */
  readTrace?: boolean;
}

export type ActionHelperErrorKind = 'usage' | 'preparation' | 'failed' | 'output';

/**
 * The helper did not report a result: it refused its command line ('usage', exit 2), could not set the
 * action up ('preparation', exit 3: fork, pipe, socket), did not finish or was not found ('failed'), or
 * printed something that is not its JSON line ('output').
 */
export class ActionHelperError extends Error {
  constructor(
    message: string,
    readonly kind: ActionHelperErrorKind,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

function octal(mode: number, what: string): string {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new RangeError(`${what}: mode ${mode} is not 0..0o7777`);
  return '0' + mode.toString(8);
}

/** The helper's command line for one action (helperPath first). Throws RangeError on values it cannot take. */
export function actionArgv(action: HelperAction, helperPath: string, marks?: CaseMarks): string[] {
  const argv = actionArgs(action).slice(1);
  const options = marks ? ['--mark', marks.nonce, '--tracefs', marks.tracefs, ...(marks.readTrace ? ['--read-trace'] : [])] : [];
  return [helperPath, ...options, ...argv];
}

function actionArgs(action: HelperAction): string[] {
  const helperPath = 'lsm-action';
  switch (action.kind) {
    case 'open':
      return [helperPath, 'open', action.path, ...(action.flags.length > 0 ? [action.flags.join('|')] : [])];
    case 'exec':
      return [helperPath, 'exec', action.path, ...action.args];
    case 'connect':
    case 'bind': {
      if (!Number.isInteger(action.port) || action.port < 0 || action.port > 65535)
        throw new RangeError(`${action.kind}: port ${action.port} is not 0..65535`);
      // The helper tells the family from the address itself; a mismatch would test something else.
      if ((action.family === 6) !== action.address.includes(':'))
        throw new RangeError(`${action.kind}: ${action.address} is not an IPv${action.family} address`);
      return [helperPath, action.kind, action.protocol, action.address, String(action.port)];
    }
    case 'unlink':
      return [helperPath, 'unlink', action.path];
    case 'mkdir':
      return [helperPath, 'mkdir', action.path, octal(action.mode, 'mkdir')];
    case 'rename':
      return [helperPath, 'rename', action.from, action.to];
    case 'chmod':
      return [helperPath, 'chmod', action.path, octal(action.mode, 'chmod')];
    case 'mount':
      return [helperPath, 'mount', action.source, action.target, action.fstype];
    case 'kill':
      return [helperPath, 'kill', action.signal];
    case 'ptrace':
      return [helperPath, 'ptrace'];
    case 'bpf':
      return [helperPath, 'bpf', action.map];
    default: {
      const unknown: never = action;
      throw new RangeError(`unknown action ${JSON.stringify(unknown)}`);
    }
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Reads what the helper printed and how it exited; throws ActionHelperError when there is no result. */
export function parseActionResult(stdout: string, stderr: string, exitCode: number | undefined): ActionResult {
  const fail = (message: string, kind: ActionHelperErrorKind): never => {
    throw new ActionHelperError(message, kind, stdout, stderr);
  };
  const said = firstLine(stderr.replace(/^lsm-action: /, '')) || '(nothing on stderr)';
  if (exitCode === 2) fail(`lsm-action refused its command line: ${said}`, 'usage');
  if (exitCode === 3) fail(`lsm-action could not set up the action: ${said}`, 'preparation');
  if (exitCode === 127) fail(`lsm-action was not found on the target: ${said}`, 'failed');
  if (exitCode !== 0)
    fail(`lsm-action ${exitCode === undefined ? 'did not finish (killed or timed out)' : `exited with ${exitCode}`}: ${said}`, 'failed');

  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== 1)
    fail(`lsm-action printed ${lines.length} lines instead of one JSON line: ${JSON.stringify(stdout.slice(0, 200))}`, 'output');
  let parsed: unknown;
  try {
    parsed = JSON.parse(lines[0]);
  } catch {
    fail(`lsm-action printed something that is not JSON: ${JSON.stringify(lines[0].slice(0, 200))}`, 'output');
  }
  const r = parsed as Record<string, unknown>;
  const bad = (why: string): never => fail(`lsm-action's result ${lines[0].slice(0, 200)} ${why}`, 'output');
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return bad('is not an object');
  if (typeof r.action !== 'string') bad('has no action');
  if (!isCount(r.errno)) bad('has no errno number');
  const code = r.errno as number;
  if (code !== 0 && !(typeof r.name === 'string' && /^E[A-Z0-9]+$/.test(r.name))) bad('has no errno name');
  if (r.exit !== undefined && !isCount(r.exit)) bad('has an exit status that is not a number');
  if (r.signal !== undefined && !isCount(r.signal)) bad('has a signal that is not a number');
  if (r.message !== undefined && typeof r.message !== 'string') bad('has a message that is not text');
  if (r.tainted !== undefined && typeof r.tainted !== 'boolean') bad('has a taint that is not true or false');
  if (r.trace !== undefined && !(Array.isArray(r.trace) && r.trace.every((l) => typeof l === 'string')))
    bad('has trace lines that are not text');

  const result: ActionResult = { errno: { code, name: code === 0 ? '' : (r.name as string) } };
  if (r.exit !== undefined) result.exit = r.exit as number;
  if (r.signal !== undefined) result.signal = r.signal as number;
  if (code !== 0 && r.message !== undefined) result.message = r.message as string;
  if (r.tainted === true) result.tainted = true;
  if (r.trace !== undefined) result.trace = r.trace as string[];
  return result;
}
