// The shape of a policy test file (`*.lsmtest.yaml`) once parsed and validated, and of what a run
// observed. testFile.ts builds these from YAML; the runner fills Observed; expectations.ts compares.

/** A position in the test file (1-based), for messages and the editor's gutter. */
export interface SourcePos {
  line: number;
  column: number;
}

/** An action done by the target's action helper (lsm-action), which reports the exact errno. */
export type { HelperAction } from '../../engine/src/actionHelper';
import type { HelperAction } from '../../engine/src/actionHelper';

/** A shell command on the target (its exit status and output are the result). */
export interface RunAction {
  kind: 'run';
  command: string;
}

export type Action = HelperAction | RunAction;

/** What a case expects; every field given must hold. `allowed` = the action succeeded (errno 0 / exit 0). */
export interface Expectation {
  allowed?: boolean;
  /** An errno name (EPERM, EACCES, ...). */
  errno?: string;
  exit?: number;
  /** Regular expressions (JavaScript syntax, unanchored). */
  stdout?: string;
  stderr?: string;
  /** Regex over the bpf_printk lines emitted while this case ran. */
  trace?: string;
  /** Whether the program loaded; `rejected` pairs with `verifier`, a regex over the verifier's log. */
  load?: 'loads' | 'rejected';
  verifier?: string;
  /** Regex over the kernel WARNING lines (dmesg) that appeared while this case ran. */
  kernel_warning?: string;
}

export interface PolicyCase {
  name: string;
  pos: SourcePos;
  action?: Action;
  /** The expectation for kernels without an override (undefined when only expect_on is given). */
  expect?: Expectation;
  /** Per kernel series ("6.12"): replaces `expect` on that kernel. */
  expectOn: Record<string, Expectation>;
}

export interface PolicyTestFile {
  /** Absolute path of the .lsmtest.yaml file. */
  file: string;
  /** Absolute path of the BPF program (resolved relative to the file). */
  program: string;
  /** Where `program:` is in the file, for a compile error shown against it (set by testFile.ts). */
  programPos?: SourcePos;
  /** Kernel series; undefined = the project's default test kernels. */
  kernels?: string[];
  setup?: string;
  teardown?: string;
  cases: PolicyCase[];
}

export interface FileProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

/** What the runner saw for one case on one kernel. */
export interface Observed {
  /** The program's load outcome on this kernel (same for every case of the file). */
  load: { loaded: true } | { loaded: false; verifierLog: string; message: string };
  /** The helper's result: 0 = success, else the errno number and its name. */
  errno?: { code: number; name: string };
  exit?: number;
  stdout?: string;
  stderr?: string;
  /** The bpf_printk lines emitted while the case ran (trace_pipe, between the case's markers). */
  trace: string[];
  /** Kernel WARNING lines that appeared while the case ran. */
  kernelWarnings: string[];
}

export type CaseStatus = 'passed' | 'failed' | 'error' | 'skipped';

export interface CaseResult {
  name: string;
  pos: SourcePos;
  status: CaseStatus;
  /** For failed/error: one line per unmet expectation ("expected errno EPERM, got success (0)"). */
  messages: string[];
  /** The case's output for test logs: action, result, trace lines. */
  output: string;
  durationMs: number;
}

/** One test file on one kernel. */
export interface FileRun {
  file: string;
  kernel: string;
  /** uname -r of the target. */
  release?: string;
  cases: CaseResult[];
  /** A problem that stopped the whole file (compile error, unreachable target): cases are 'error'. */
  error?: string;
  durationMs: number;
}
