// The question put before a program that denies on every path is attached to a real machine (not one of
// the tool's test VMs, which a snapshot restores): the analysis's words, and an explicit "Attach Anyway".
import * as vscode from 'vscode';
import { describeLockout, type LockoutRisk } from '../../policy/src/lockoutGuard';

export async function confirmLockout(risks: LockoutRisk[], where: string): Promise<boolean> {
  const choice = await vscode.window.showWarningMessage(
    `A program denies on every path: attached to ${where}, it may lock you out (ssh included).`,
    { modal: true, detail: describeLockout(risks, where) },
    'Attach Anyway',
  );
  return choice === 'Attach Anyway';
}
