// "New LSM Program from Template": a template, a name and a parent folder, then a ready project opens.
// Arguments can be passed instead of answering the prompts (used by tests and other extensions).
import * as vscode from 'vscode';
import { listTemplates, projectNameProblem, renderProject, writeProject } from '../../common/templates';
import { registerCommand } from './commands';

export interface NewProgramArgs {
  template?: string;
  name?: string;
  folder?: string;
}

export function registerTemplatesCommand(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  const templatesDir = context.asAbsolutePath('bpf-templates');
  registerCommand(
    context,
    log,
    'bpfLsm.newProgramFromTemplate',
    async (args: NewProgramArgs = {}) => {
      const templates = listTemplates(templatesDir);
      const template =
        args.template ??
        (
          await vscode.window.showQuickPick(
            templates.map((t) => ({ label: t.label, detail: t.description, id: t.id })),
            { title: 'New BPF LSM program', placeHolder: 'What should the program do?' },
          )
        )?.id;
      if (!template) return undefined;
      const name =
        args.name ??
        (await vscode.window.showInputBox({
          title: 'Program name',
          prompt: 'Names the folder, the .bpf.c file and the BPF programs in it',
          value: 'lsm_guard',
          validateInput: (v) => projectNameProblem(v),
        }));
      if (!name) return undefined;
      const folder =
        args.folder ??
        (
          await vscode.window.showOpenDialog({
            canSelectFiles: false,
            canSelectFolders: true,
            openLabel: 'Create the project here',
            defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
          })
        )?.[0]?.fsPath;
      if (!folder) return undefined;
      const dir = writeProject(folder, name, renderProject(templatesDir, template, name));
      log.info(`created ${dir} from template ${template}`);
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(`${dir}/${name}.bpf.c`));
      await vscode.window.showTextDocument(doc);
      return dir;
    },
    'Could not create the program',
  );
}
