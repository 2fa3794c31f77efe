// Project templates (bpf-templates/): a program, its policy tests, a Makefile, README and .clangd, with {{name}},
// {{template}} and {{probe}} filled in. Pure file-system code, shared by the extension and the tests.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TemplateInfo {
  id: string;
  label: string;
  description: string;
  /** Program source, relative to the templates folder. */
  program: string;
  /** A command that shows the program at work once attached. */
  probe: string;
  /** Its policy tests (`*.lsmtest.yaml`), relative to the templates folder. */
  test?: string;
}

export interface ProjectFile {
  relativePath: string;
  content: string;
}

const PROJECT_FILES = ['Makefile', 'README.md', '.clangd'];

export function listTemplates(templatesDir: string): TemplateInfo[] {
  return JSON.parse(fs.readFileSync(path.join(templatesDir, 'templates.json'), 'utf8')) as TemplateInfo[];
}

/** Why a project name cannot be used (it becomes a file name and a C identifier prefix), or null. */
export function projectNameProblem(name: string): string | null {
  if (!name) return 'Give the program a name.';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    return 'Use letters, digits and _ only, not starting with a digit: it prefixes C function names.';
  if (name.length > 40) return 'Keep the name under 40 characters (BPF program names are cut at 15).';
  return null;
}

export function renderProject(templatesDir: string, templateId: string, name: string): ProjectFile[] {
  const problem = projectNameProblem(name);
  if (problem) throw new Error(problem);
  const template = listTemplates(templatesDir).find((t) => t.id === templateId);
  if (!template) throw new Error(`no template '${templateId}'`);
  const fill = (text: string) =>
    text
      .replace(/\{\{name\}\}/g, name)
      .replace(/\{\{template\}\}/g, template.label)
      .replace(/\{\{probe\}\}/g, template.probe);
  const read = (rel: string) => fs.readFileSync(path.join(templatesDir, rel), 'utf8');
  return [
    { relativePath: `${name}.bpf.c`, content: fill(read(template.program)) },
    ...(template.test ? [{ relativePath: `${name}.lsmtest.yaml`, content: fill(read(template.test)) }] : []),
    ...PROJECT_FILES.map((f) => ({ relativePath: f, content: fill(read(path.join('project', f))) })),
  ];
}

/** Writes the files into a new folder `parent/name`; refuses to touch an existing folder. */
export function writeProject(parent: string, name: string, files: ProjectFile[]): string {
  const dir = path.join(parent, name);
  if (fs.existsSync(dir)) throw new Error(`${dir} already exists; choose another name or folder`);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of files) fs.writeFileSync(path.join(dir, f.relativePath), f.content);
  return dir;
}
