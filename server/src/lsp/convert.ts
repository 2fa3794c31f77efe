// Analysis findings as LSP diagnostics. Each diagnostic carries its fixes in `data`, so code actions need
// no server-side cache (the client sends the diagnostics back with their data).
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import type { Severity } from '../../../common/severity';
import type { Finding, Fix } from '../analysis/findings';

export const DIAGNOSTIC_SOURCE = 'bpf-lsm';

export interface DiagnosticData {
  fixes: Fix[];
}

/** Every severity (common/severity.ts) as LSP's: the type checker refuses a severity left out. */
const LSP_SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** `uri`: the document the finding is in, which its related places are in too. */
export function toDiagnostic(finding: Finding, uri?: string): Diagnostic {
  const diagnostic: Diagnostic = {
    range: finding.range,
    // Object.hasOwn: a finding's severity may come from the user's settings (a plain object has `constructor` too).
    severity: Object.hasOwn(LSP_SEVERITY, finding.severity) ? LSP_SEVERITY[finding.severity] : DiagnosticSeverity.Warning,
    code: finding.code,
    source: DIAGNOSTIC_SOURCE,
    message: finding.message,
  };
  if (uri && finding.related?.length) {
    diagnostic.relatedInformation = finding.related.map((r) => ({ location: { uri, range: r.range }, message: r.message }));
  }
  if (finding.fixes?.length) diagnostic.data = { fixes: finding.fixes } satisfies DiagnosticData;
  return diagnostic;
}
