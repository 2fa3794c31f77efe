// Where a static finding and a kernel's verifier point at the same line for the same reason, one
// diagnostic names both: the language server's finding gains "the verifier agrees", and the verifier's
// own diagnostic for that refusal is not shown. A refusal the log puts on the program's first line (where
// clang places code it hoisted out of the body, `r0 = 1` for a `return 1;`) agrees with a finding of the
// same reason anywhere in that program. The language client's diagnostics pass through here
// (middleware), so they can be shown again, merged, whenever the verifier's results change.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { kernelsText, sameReason, type Refusal } from '../../../engine/src';

/** A program's lines in the document: its first (the `BPF_PROG(` line) up to the next program's. */
export interface ProgramLines {
  program: string;
  first: number;
  end: number;
}

interface Published {
  uri: vscode.Uri;
  diagnostics: vscode.Diagnostic[];
  next: (uri: vscode.Uri, diagnostics: vscode.Diagnostic[]) => void;
}

function codeOf(d: vscode.Diagnostic): string | undefined {
  const code = typeof d.code === 'object' ? d.code.value : d.code;
  return code === undefined ? undefined : String(code);
}

export class AgreeingDiagnostics {
  /** The language server's last diagnostics per document, as published. */
  private readonly published = new Map<string, Published>();
  /** The verifier's last refusals per document, and the 0-based lines each program spans. */
  private readonly refusals = new Map<string, { refusals: Refusal[]; spans: ProgramLines[] }>();

  /** The language client's `handleDiagnostics` middleware. */
  readonly handleDiagnostics = (
    uri: vscode.Uri,
    diagnostics: vscode.Diagnostic[],
    next: (uri: vscode.Uri, diagnostics: vscode.Diagnostic[]) => void,
  ): void => {
    this.published.set(uri.toString(), { uri, diagnostics, next });
    next(uri, this.merged(uri, diagnostics));
  };

  /** New verifier results for a document: the server's diagnostics are shown again, merged with them. */
  setRefusals(uri: vscode.Uri, refusals: Refusal[], spans: ProgramLines[]): void {
    this.refusals.set(uri.toString(), { refusals, spans });
    const p = this.published.get(uri.toString());
    if (p) p.next(p.uri, this.merged(p.uri, p.diagnostics));
  }

  /** Is this refusal already named by a static finding on its line (so the verifier's own is not shown)? */
  namedByStatic(uri: vscode.Uri, refusal: Refusal): boolean {
    const p = this.published.get(uri.toString());
    return !!p && p.diagnostics.some((d) => this.agrees(uri, d, refusal));
  }

  private agrees(uri: vscode.Uri, d: vscode.Diagnostic, r: Refusal): boolean {
    const code = codeOf(d);
    return (
      code !== undefined &&
      d.severity === vscode.DiagnosticSeverity.Error &&
      path.resolve(r.file) === path.resolve(uri.fsPath) &&
      sameReason(code, r.message) &&
      (d.range.start.line === r.line - 1 || this.onFirstLineOfItsProgram(uri, d, r))
    );
  }

  private onFirstLineOfItsProgram(uri: vscode.Uri, d: vscode.Diagnostic, r: Refusal): boolean {
    const span = this.refusals.get(uri.toString())?.spans.find((p) => p.program === r.program);
    return !!span && r.line - 1 === span.first && d.range.start.line > span.first && d.range.start.line < span.end;
  }

  private merged(uri: vscode.Uri, diagnostics: vscode.Diagnostic[]): vscode.Diagnostic[] {
    const refusals = this.refusals.get(uri.toString())?.refusals ?? [];
    if (refusals.length === 0) return diagnostics;
    return diagnostics.map((d) => {
      const r = refusals.find((x) => this.agrees(uri, d, x));
      if (!r) return d;
      // A copy of the client's own object: it keeps what the server attached (`data`: the quick fixes) and
      // its source, by which the server knows its own diagnostics when asked for code actions.
      const both = Object.assign(Object.create(Object.getPrototypeOf(d) as object) as vscode.Diagnostic, d);
      both.message = `${d.message}\nThe kernel's verifier agrees (${kernelsText(r.refusedBy, r.loadsOn)}): ${r.message}`;
      return both;
    });
  }
}
