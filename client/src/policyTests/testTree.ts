// The Testing view's tree of policy tests: an item per *.lsmtest.yaml file, an item per case (its range on
// the case's line, so the gutter has a run button there), and under each case an item per kernel it runs
// on ("6.1", "6.12", or the real target), which holds that kernel's result. The case and the file show the
// worst of their children, so a case that passes on 6.12 and fails on 6.1 reads as failed, and expanding
// it says where. A malformed file is one item with its error.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeAction } from '../../../policy/src/describeAction';
import type { FileProblem, PolicyTestFile } from '../../../policy/src/model';
import { loadPolicyTestFile, parsePolicyTestFile } from '../../../policy/src/testFile';

/** The id of the kernel item that holds results from the real target (bpfLsm.test.onTarget). */
export const TARGET_ITEM_ID = 'target';

export type ItemData =
  | { kind: 'file'; path: string }
  | { kind: 'case'; path: string; caseName: string }
  | { kind: 'kernel'; path: string; caseName: string; kernel: string; /** Added by a run, not by the file's kernels. */ fromRun: boolean };

export interface TestFileEntry {
  uri: vscode.Uri;
  item: vscode.TestItem;
  /** Undefined when the file could not be parsed (its problems say why). */
  file?: PolicyTestFile;
  problems: FileProblem[];
}

/** "6.1" before "6.12", and the target last. */
function kernelSortText(kernel: string): string {
  const m = /^(\d+)\.(\d+)$/.exec(kernel);
  return m ? `${m[1].padStart(4, '0')}.${m[2].padStart(4, '0')}` : `~${kernel}`;
}

/** "deny-open.lsmtest.yaml:7:5: cases[1]: ..." per problem: what the item shows as its error. */
export function describeProblems(problems: FileProblem[]): string {
  return problems.map((p) => `${path.basename(p.file)}:${p.line}:${p.column}: ${p.message}`).join('\n');
}

export class PolicyTestTree {
  private readonly entries = new Map<string, TestFileEntry>();
  private readonly data = new WeakMap<vscode.TestItem, ItemData>();

  /** `kernelsOf`: the kernels a file runs on by default (its own, else the project's), for its kernel items. */
  constructor(
    private readonly controller: vscode.TestController,
    private readonly kernelsOf: (file: PolicyTestFile) => string[],
  ) {}

  /** Every known test file. */
  files(): TestFileEntry[] {
    return [...this.entries.values()];
  }

  entry(filePath: string): TestFileEntry | undefined {
    return this.entries.get(path.resolve(filePath));
  }

  dataOf(item: vscode.TestItem): ItemData | undefined {
    return this.data.get(item);
  }

  /** The file as saved on disk (a bounded read: a FIFO or a huge file is a problem, not a hang). */
  load(uri: vscode.Uri): TestFileEntry {
    return this.set(uri, loadPolicyTestFile(uri.fsPath));
  }

  /** The file as the editor holds it (unsaved edits included). */
  parse(uri: vscode.Uri, text: string): TestFileEntry {
    return this.set(uri, parsePolicyTestFile(text, uri.fsPath));
  }

  remove(uri: vscode.Uri): void {
    const entry = this.entries.get(uri.fsPath);
    if (!entry) return;
    this.entries.delete(uri.fsPath);
    this.controller.items.delete(entry.item.id);
  }

  /** Every file's kernel items again (the default kernels changed). */
  refreshKernels(): void {
    for (const entry of this.entries.values()) if (entry.file) this.setCases(entry.item, entry.file);
  }

  /**
   * The item holding a case's result on a kernel, made if the file's kernels did not list it (a run on
   * another kernel, or on the target, whose `label` is then given).
   */
  kernelItem(filePath: string, caseName: string, kernel: string, label?: string): vscode.TestItem | undefined {
    const entry = this.entry(filePath);
    const caseItem = entry?.item.children.get(caseName);
    if (!entry || !caseItem) return undefined;
    const existing = caseItem.children.get(kernel);
    if (existing) {
      if (label) existing.label = label;
      return existing;
    }
    const item = this.makeKernelItem(entry.uri, caseName, kernel, true);
    if (label) item.label = label;
    caseItem.children.add(item);
    return item;
  }

  private set(uri: vscode.Uri, parsed: { file?: PolicyTestFile; problems: FileProblem[] }): TestFileEntry {
    const id = uri.toString();
    let item = this.controller.items.get(id);
    if (!item) {
      item = this.controller.createTestItem(id, vscode.workspace.asRelativePath(uri, false), uri);
      // At the top of the file: the gutter's button there runs the whole file.
      item.range = new vscode.Range(0, 0, 0, 0);
      this.data.set(item, { kind: 'file', path: uri.fsPath });
      this.controller.items.add(item);
    }
    item.error = parsed.problems.length > 0 ? describeProblems(parsed.problems) : undefined;
    if (parsed.file) this.setCases(item, parsed.file);
    else item.children.replace([]);
    const entry: TestFileEntry = { uri, item, file: parsed.file, problems: parsed.problems };
    this.entries.set(uri.fsPath, entry);
    return entry;
  }

  private setCases(fileItem: vscode.TestItem, file: PolicyTestFile): void {
    const uri = fileItem.uri!;
    const kernels = this.kernelsOf(file);
    const cases = file.cases.map((c) => {
      const item = fileItem.children.get(c.name) ?? this.controller.createTestItem(c.name, c.name, uri);
      this.data.set(item, { kind: 'case', path: file.file, caseName: c.name });
      const at = new vscode.Position(Math.max(0, c.pos.line - 1), Math.max(0, c.pos.column - 1));
      item.range = new vscode.Range(at, at);
      item.description = c.action ? describeAction(c.action) : undefined;
      // The file's kernels, and those a run added (another kernel's profile, the target) with their results.
      const kept = [...item.children]
        .map(([, k]) => k)
        .filter((k) => {
          const d = this.data.get(k);
          return d?.kind === 'kernel' && d.fromRun && !kernels.includes(d.kernel);
        });
      item.children.replace([...kernels.map((k) => item.children.get(k) ?? this.makeKernelItem(uri, c.name, k, false)), ...kept]);
      return item;
    });
    fileItem.children.replace(cases);
  }

  private makeKernelItem(uri: vscode.Uri, caseName: string, kernel: string, fromRun: boolean): vscode.TestItem {
    // No range: the case's line has one run button, not one per kernel; the case's own range is the place.
    const item = this.controller.createTestItem(kernel, kernel, uri);
    item.sortText = kernelSortText(kernel);
    this.data.set(item, { kind: 'kernel', path: uri.fsPath, caseName, kernel, fromRun });
    return item;
  }
}
