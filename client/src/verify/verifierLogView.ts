// A program's verifier log as a read-only document (its own URI scheme, the verifier-log grammar): each
// `@ file:line` links to the source, and the editor opens on the instruction where it failed.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseVerifierLog, type VerifyResult } from '../../../engine/src';

export const LOG_SCHEME = 'bpf-verifier-log';

export class VerifierLogView {
  private readonly texts = new Map<string, string>();
  /** The source each log came from: its `@ file:line` names resolve next to it. */
  private readonly sources = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  private serial = 0;

  register(): vscode.Disposable {
    return vscode.Disposable.from(
      vscode.workspace.registerTextDocumentContentProvider(LOG_SCHEME, {
        onDidChange: this.changed.event,
        provideTextDocumentContent: (uri) => this.texts.get(uri.toString()) ?? '',
      }),
      vscode.languages.registerDocumentLinkProvider({ scheme: LOG_SCHEME }, { provideDocumentLinks: (doc) => this.links(doc) }),
      this.changed,
    );
  }

  /** The log with a header saying what it is; opened with the failing instruction selected. */
  async open(r: VerifyResult): Promise<vscode.TextEditor> {
    const header = [
      `# ${r.program || path.basename(r.file)} on ${r.kernel}: ${r.verdict}${r.message ? `: ${r.message}` : ''}`,
      ...(r.line !== null ? [`# failed at ${path.basename(r.failedFile ?? r.file)}:${r.line}`] : []),
      '',
    ];
    const text = `${header.join('\n')}\n${r.log}\n`;
    const name = `${r.program || path.basename(r.file)}-${r.kernel}.log`.replace(/[^\w.-]/g, '_');
    const uri = vscode.Uri.from({ scheme: LOG_SCHEME, path: `/${name}`, query: String(++this.serial) });
    this.texts.set(uri.toString(), text);
    this.sources.set(uri.toString(), r.file);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, 'bpf-verifier-log');
    const parsed = parseVerifierLog(r.log);
    const failingLine = parsed.failing ? parsed.failing.logLine + header.length : undefined;
    const editor = await vscode.window.showTextDocument(doc, { preview: true });
    if (failingLine !== undefined && failingLine < editor.document.lineCount) {
      const range = editor.document.lineAt(failingLine).range;
      editor.selection = new vscode.Selection(range.start, range.end);
      editor.revealRange(range, vscode.TextEditorRevealType.InCenter);
    }
    return editor;
  }

  private links(doc: vscode.TextDocument): vscode.DocumentLink[] {
    const source = this.sources.get(doc.uri.toString());
    if (!source) return [];
    const links: vscode.DocumentLink[] = [];
    for (let i = 0; i < doc.lineCount; i++) {
      const m = / @ (\S+):(\d+)$/.exec(doc.lineAt(i).text);
      if (!m || Number(m[2]) === 0) continue;
      const file = path.basename(m[1]) === path.basename(source) ? source : path.resolve(path.dirname(source), m[1]);
      const start = m.index + 3;
      const target = vscode.Uri.file(file).with({ fragment: `L${m[2]}` });
      links.push(new vscode.DocumentLink(new vscode.Range(i, start, i, start + m[1].length + 1 + m[2].length), target));
    }
    return links;
  }
}
