// Helpers for tests that run inside the extension host.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { OUTPUT_TAG, SCREENSHOT_MARKER, TAG_ENV } from '../hostProtocol';
import type { BpfLsmApi } from '../../../client/src/extension';

export const EXTENSION_ID = 'bpf-lsm-studio.bpf-lsm-studio';

export async function api(): Promise<BpfLsmApi> {
  const ext = vscode.extensions.getExtension<BpfLsmApi>(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not installed in this VS Code`);
  return ext.activate();
}

export function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the suite needs the test/e2e/workspace folder open');
  return vscode.Uri.file(path.join(folder.uri.fsPath, name));
}

export async function open(uri: vscode.Uri): Promise<vscode.TextEditor> {
  return vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `probe` returns a value that `done` accepts, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, done: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await sleep(150);
    last = await probe();
  }
  return last;
}

export function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' ? String(d.code.value) : String(d.code);
}

/** Our diagnostics of a document, once the server has published some. */
export function bpfDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'bpf-lsm');
}

/** Asks the launcher for a screenshot of the workbench now, and leaves it time to take it. */
export async function screenshot(name: string): Promise<void> {
  console.log(`${process.env[TAG_ENV] ? OUTPUT_TAG : ''}${SCREENSHOT_MARKER}${name}`);
  await sleep(2500);
}
