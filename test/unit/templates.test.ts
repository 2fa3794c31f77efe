// Every template makes a project that builds with its own Makefile (real clang and bpftool) and that
// our linter finds nothing in.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listTemplates, projectNameProblem, renderProject, writeProject } from '../../common/templates';
import { Analyzer } from '../../server/src/analysis/analyze';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { REPO_ROOT } from '../helpers/paths';

const TEMPLATES = path.join(REPO_ROOT, 'bpf-templates');

describe('project templates', () => {
  let analyzer: Analyzer;
  let parent: string;
  before(async () => {
    analyzer = await Analyzer.create();
    parent = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-templates-'));
  });
  after(() => {
    analyzer.dispose();
    fs.rmSync(parent, { recursive: true, force: true });
  });

  // Linting and building are separate tests: the mutation run then charges make to no analysis mutant.
  for (const template of listTemplates(TEMPLATES)) {
    const name = `demo_${template.id.replace(/-/g, '_')}`;
    const sourceOf = (files: ReturnType<typeof renderProject>) => files.find((f) => f.relativePath === `${name}.bpf.c`)!.content;
    it(`${template.id}: lints clean`, () => {
      const source = sourceOf(renderProject(TEMPLATES, template.id, name));
      assert.doesNotMatch(source, /\{\{/);
      const catalog = HookCatalog.bundled();
      assert.deepEqual(
        analyzer.analyze(source, catalog.target().target, catalog).findings.map((f) => f.message),
        [],
      );
    });
    it(`${template.id}: builds with make`, () => {
      const files = renderProject(TEMPLATES, template.id, name);
      const dir = writeProject(parent, name, files);
      assert.deepEqual(fs.readdirSync(dir).sort(), ['.clangd', 'Makefile', 'README.md', `${name}.bpf.c`, `${name}.lsmtest.yaml`].sort());
      assert.equal(fs.readFileSync(path.join(dir, `${name}.bpf.c`), 'utf8'), sourceOf(files));
      const make = spawnSync('make', ['-C', dir], { encoding: 'utf8' });
      assert.equal(make.status, 0, make.stdout + make.stderr);
      assert.ok(fs.statSync(path.join(dir, `${name}.bpf.o`)).size > 0);
      assert.match(fs.readFileSync(path.join(dir, 'README.md'), 'utf8'), new RegExp(`# ${name}\\n`));
    });
  }

  it('refuses names that are not C identifiers and folders that exist', () => {
    assert.match(projectNameProblem('my prog')!, /letters, digits and _/);
    assert.match(projectNameProblem('1abc')!, /not starting with a digit/);
    assert.equal(projectNameProblem('guard_tmp'), null);
    assert.equal(projectNameProblem(''), 'Give the program a name.');
    assert.equal(projectNameProblem('a'.repeat(40)), null);
    assert.equal(projectNameProblem('a'.repeat(41)), 'Keep the name under 40 characters (BPF program names are cut at 15).');
    assert.throws(() => renderProject(TEMPLATES, 'no-such-template', 'p'), { message: "no template 'no-such-template'" });
    // The parent folder is made too.
    const nested = writeProject(path.join(parent, 'a', 'b'), 'p', [{ relativePath: 'x.txt', content: 'x' }]);
    assert.equal(fs.readFileSync(path.join(nested, 'x.txt'), 'utf8'), 'x');
    assert.throws(() => renderProject(TEMPLATES, 'deny-file-open', 'bad-name'), /letters, digits/);
    writeProject(parent, 'taken', []);
    assert.throws(() => writeProject(parent, 'taken', []), /already exists/);
  });
});
