// The commands around the target: Run on Target, Run Probe, Detach, Status, and the trace panel's
// pause / clear / filter / stop. Each one reports failures to the user with the next step.
import * as vscode from 'vscode';
import { TARGET_SECTION } from '../../common/targetSettings';
import { registerCommand } from './commands';
import type { RunResult, TargetController } from './targetController';

export function registerTargetCommands(context: vscode.ExtensionContext, controller: TargetController, log: vscode.LogOutputChannel): void {
  const command = <A extends unknown[], R>(id: string, fn: (...args: A) => R | Promise<R>) => registerCommand(context, log, id, fn);

  command('bpfLsm.runOnTarget', async (options: { attachWithoutBpf?: boolean } = {}): Promise<RunResult | undefined> => {
    const doc = vscode.window.activeTextEditor?.document;
    if (!doc || doc.languageId !== 'c') throw new Error('Open the BPF C file to run (a .bpf.c file) first.');
    if (!controller.settings().destination) {
      const choice = await vscode.window.showErrorMessage(
        'No target is set: set bpfLsm.target.destination (an ssh alias, user@host or user@host:port).',
        'Open Settings',
      );
      if (choice) await vscode.commands.executeCommand('workbench.action.openSettings', TARGET_SECTION);
      return undefined;
    }
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Running ${vscode.workspace.asRelativePath(doc.uri)} on ${controller.settings().destination}`,
      },
      () => controller.run(doc, options),
    );
    if (!result) return undefined;
    const names = result.attached.map((p) => p.name).join(', ');
    const probe = result.probe
      ? result.probe.denied
        ? ` Probe '${result.probe.command}' was denied (EPERM), as expected.`
        : ` Probe '${result.probe.command}' was NOT denied: ${result.probe.output}`
      : '';
    const warn = result.bpfActive ? '' : ' bpf is not an active LSM there: nothing is enforced.';
    void vscode.window.showInformationMessage(
      `Attached ${names} on ${controller.settings().destination} (${result.kernelRelease}).${warn}${probe}`,
    );
    return result;
  });
  command('bpfLsm.runProbe', async (commandLine?: string) => {
    const probe =
      commandLine ??
      (controller.settings().probeCommand ||
        (await vscode.window.showInputBox({
          title: 'Probe command',
          prompt: 'Runs on the target; an enforcing program should make it fail with EPERM',
          value: 'cat /tmp/lsm-secret',
        })));
    if (!probe) return undefined;
    const r = await controller.runProbe(probe);
    const text = r.denied
      ? `'${probe}' was denied with EPERM: the program enforces.`
      : `'${probe}' was not denied (exit ${r.exitCode}): ${r.output}`;
    void (r.denied ? vscode.window.showInformationMessage(text) : vscode.window.showWarningMessage(text));
    return r;
  });
  command('bpfLsm.detach', async () => {
    const n = await controller.detach();
    void vscode.window.showInformationMessage(n ? `Detached ${n} program(s).` : 'Nothing was attached.');
    return n;
  });
  command('bpfLsm.targetStatus', async () => {
    const s = await controller.status();
    const lines = [
      `Target: ${s.target}${s.kernel ? `, kernel ${s.kernel}` : ''}`,
      s.bpfActive === false ? 'bpf is NOT an active LSM: attached programs enforce nothing.' : s.bpfActive ? 'bpf is an active LSM.' : '',
      `Attached by this window: ${s.attached.join(', ') || 'none'}`,
      `Pinned on the target: ${s.pinned.join(', ') || 'none'}`,
    ].filter(Boolean);
    void vscode.window.showInformationMessage(lines.join('\n'), { modal: false });
    return s;
  });
  command('bpfLsm.trace.show', async () => {
    await controller.startTrace();
    controller.panel.show();
  });
  command('bpfLsm.trace.stop', () => controller.stopTrace());
  command('bpfLsm.trace.clear', async () => controller.panel.clear());
  command('bpfLsm.trace.togglePause', async () => controller.panel.setPaused(!controller.panel.isPaused));
  command('bpfLsm.trace.filter', async (text?: string) => {
    const filter =
      text ??
      (await vscode.window.showInputBox({
        title: 'Filter the trace',
        prompt: 'Show lines containing this text (a program name, a word); empty shows all',
      }));
    if (filter !== undefined) controller.panel.setFilter(filter);
  });
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(TARGET_SECTION)) void controller.onSettingsChanged();
    }),
  );
}
