// One way to register a command: a failure is logged with its stack and shown to the user with a way
// to the log, and the command returns undefined instead of rejecting into VS Code's generic error.
import * as vscode from 'vscode';

export type ReportFailure = (err: unknown, prefix?: string) => void;

/** Logs `err` with its stack and shows its message (after `prefix`) with a "Show Output" button. */
export function failureReporter(log: vscode.LogOutputChannel): ReportFailure {
  return (err, prefix) => {
    const e = err instanceof Error ? err : new Error(String(err));
    log.error(e.stack ?? e.message);
    const text = prefix ? `${prefix}: ${e.message}` : e.message;
    void vscode.window.showErrorMessage(text, 'Show Output').then((choice) => choice && log.show());
  };
}

/** Registers `id`; what `fn` throws reaches the user (with `failurePrefix` before it) and the log. */
export function registerCommand<A extends unknown[], R>(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  id: string,
  fn: (...args: A) => R | Promise<R>,
  failurePrefix?: string,
): void {
  const report = failureReporter(log);
  context.subscriptions.push(
    vscode.commands.registerCommand(id, async (...args: A): Promise<R | undefined> => {
      try {
        return await fn(...args);
      } catch (err) {
        report(err, failurePrefix);
        return undefined;
      }
    }),
  );
}
