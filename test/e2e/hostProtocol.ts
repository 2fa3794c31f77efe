// What the in-host mocha runner prints for the launchers to read: shared by both sides, and free of
// imports so that the launchers need not load mocha.

export const STARTED_MARKER = '[bpf-e2e] mocha started';
export const RESULT_MARKER = '[bpf-e2e] mocha result';
/** A test asks for a screenshot of the workbench as it is now: `[bpf-e2e] screenshot NAME`. */
export const SCREENSHOT_MARKER = '[bpf-e2e] screenshot ';
/**
 * Set by runVsCode: in the web workbench the extension host's console reaches the page mixed with the
 * workbench's own log, so each line of the runner's output then starts with OUTPUT_TAG.
 */
export const TAG_ENV = 'BPF_E2E_TAG_OUTPUT';
export const OUTPUT_TAG = '[bpf-e2e:out] ';

/** 'passes=N failures=N' from a result line, if it is one. */
export function parseResult(line: string): { passes: number; failures: number } | undefined {
  if (!line.startsWith(RESULT_MARKER)) return undefined;
  const m = /passes=(\d+) failures=(\d+)/.exec(line);
  return m ? { passes: Number(m[1]), failures: Number(m[2]) } : undefined;
}
