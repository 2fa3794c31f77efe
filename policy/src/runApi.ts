// What a policy-test run is asked to do and what it reports as it goes: the contract between the runner
// (runner.ts) and its front ends (the bpf-lsm-test CLI, the editor's Testing view, the tests, the bench).
import type { CompiledObject, SshTargetSettings } from '../../engine/src';
import type { LockoutRisk } from './lockoutGuard';
import type { CaseResult, FileProblem, FileRun, PolicyTestFile } from './model';

export interface RunRequest {
  /** Parsed test files (testFile.ts). */
  files: PolicyTestFile[];
  /** Kernel series to run on, overriding each file's `kernels`; undefined = the file's, else defaultKernels. */
  kernels?: string[];
  /** Used for files that name no kernels. */
  defaultKernels: string[];
  /** A real target over ssh instead of the local VMs (kernels are then whatever it runs). */
  target?: SshTargetSettings;
  /** Files × kernels split: run only shard `index` (1-based) of `count`. */
  shard?: { index: number; count: number };
  /** Only these cases (by file path → case names); undefined = every case. */
  only?: Map<string, Set<string>>;
  signal?: AbortSignal;
  /**
   * On a real target (not one of the tool's test VMs), programs that deny on every path are not attached
   * unless this says yes: true (the CLI's --allow-lockout), or a question put to the user (the editor).
   */
  allowLockout?: boolean | ((risks: LockoutRisk[], target: string) => Promise<boolean>);
}

export interface RunEvents {
  /** A file starts on a kernel (the VM is up and reset). */
  fileStarted?(file: PolicyTestFile, kernel: string): void;
  caseStarted?(file: PolicyTestFile, kernel: string, caseName: string): void;
  caseFinished?(file: PolicyTestFile, kernel: string, result: CaseResult): void;
  fileFinished?(run: FileRun): void;
  /** clang's messages when a program does not compile (the editor shows them in Problems). */
  compileFailed?(file: PolicyTestFile, kernel: string, compiled: CompiledObject): void;
  /** Progress for logs: VM boots, resets, restarts. */
  log?(line: string): void;
}

export interface RunSummary {
  runs: FileRun[];
  /** Malformed files and infrastructure failures (no VM image, ssh refused): exit 2. */
  problems: FileProblem[];
  infrastructureErrors: string[];
  passed: number;
  failed: number;
  durationMs: number;
}
