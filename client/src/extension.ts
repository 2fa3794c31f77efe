// The extension's entry point: one log, then each feature registers itself.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { failureReporter, registerCommand } from './commands';
import { activateLanguageClient } from './languageClient';
import { registerPolicyTests, type PolicyTests } from './policyTests/policyTests';
import { registerTargetCommands } from './targetCommands';
import { TargetController } from './targetController';
import { registerTemplatesCommand } from './templatesCommand';
import { AgreeingDiagnostics } from './verify/agreeingDiagnostics';
import { VerifyController } from './verify/verifyController';

let client: LanguageClient | undefined;

let controller: TargetController | undefined;

let policyTests: PolicyTests | undefined;

/** What the extension offers other extensions and its end-to-end tests. */
export interface BpfLsmApi {
  target: TargetController;
  /** The Testing view's policy tests: their items, run profiles and the last run's results. */
  policyTests: PolicyTests;
  /** Verify on Target: the kernels' verifiers on a file, shown in Problems and CodeLenses. */
  verify: VerifyController;
}

export async function activate(context: vscode.ExtensionContext): Promise<BpfLsmApi> {
  const log = vscode.window.createOutputChannel('BPF LSM Studio', { log: true });
  context.subscriptions.push(log);
  registerCommand(context, log, 'bpfLsm.showOutput', () => log.show());
  registerTemplatesCommand(context, log);
  controller = new TargetController(context, log, () => client);
  context.subscriptions.push(controller);
  registerTargetCommands(context, controller, log);
  const target = controller;
  policyTests = registerPolicyTests(context, log, () => target.settings());
  const tests = policyTests;
  const agreeing = new AgreeingDiagnostics();
  const verify = new VerifyController(context, log, target, () => tests.vms, agreeing);
  context.subscriptions.push(verify);
  try {
    client = await activateLanguageClient(context, log, { handleDiagnostics: agreeing.handleDiagnostics });
  } catch (err) {
    failureReporter(log)(err, 'BPF LSM Studio could not start its language server');
  }
  return { target: controller, policyTests, verify };
}

export async function deactivate(): Promise<void> {
  // Session-held programs are detached, the trace reader stopped and the test VMs' QEMU exited before the window goes.
  await Promise.all([controller?.shutdown(), policyTests?.shutdown()]);
  await client?.stop();
  client = undefined;
}
