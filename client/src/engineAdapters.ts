// What the editor hands the engine and takes back from it, in one place for Run on Target and the policy
// tests: the target settings as the engine takes them, and clang's messages as diagnostics.
import * as vscode from 'vscode';
import type { TargetSettings } from '../../common/targetSettings';
import type { CompilerMessage, SshTargetSettings } from '../../engine/src';

/** Run on Target's settings as the engine takes them. */
export function sshTargetSettings(s: TargetSettings): SshTargetSettings {
  return { destination: s.destination, identityFile: s.identityFile || undefined, configFile: s.sshConfigFile || undefined, sudo: s.sudo };
}

/** One clang message (not a note) as a diagnostic at its line and column. */
export function compilerDiagnostic(m: CompilerMessage, source: string): vscode.Diagnostic {
  const pos = new vscode.Position(Math.max(0, m.line - 1), Math.max(0, m.column - 1));
  const d = new vscode.Diagnostic(
    new vscode.Range(pos, pos),
    m.message,
    m.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
  );
  d.source = source;
  return d;
}
