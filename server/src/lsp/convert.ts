// Analysis findings as LSP diagnostics. Each diagnostic carries its fixes in `data`, so code actions need
// no server-side cache (the client sends the diagnostics back with their data).
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import type { Finding, Fix } from '../analysis/findings';

export const DIAGNOSTIC_SOURCE = 'bpf-lsm';

export interface DiagnosticData {
  fixes: Fix[];
}

/** A Map: severities can come from the user's settings, and a plain object has `constructor` too. */
const SEVERITY = new Map<string, DiagnosticSeverity>([
  ['error', DiagnosticSeverity.Error],
  ['warning', DiagnosticSeverity.Warning],
  ['information', DiagnosticSeverity.Information],
  ['hint', DiagnosticSeverity.Hint],
]);

export function toDiagnostic(finding: Finding): Diagnostic {
  const diagnostic: Diagnostic = {
    range: finding.range,
    severity: SEVERITY.get(finding.severity) ?? DiagnosticSeverity.Warning,
    code: finding.code,
    source: DIAGNOSTIC_SOURCE,
    message: finding.message,
  };
  if (finding.fixes?.length) diagnostic.data = { fixes: finding.fixes } satisfies DiagnosticData;
  return diagnostic;
}
