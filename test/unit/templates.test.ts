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

  for (const template of listTemplates(TEMPLATES)) {
    it(`${template.id}: builds with make and lints clean`, () => {
      const name = `demo_${template.id.replace(/-/g, '_')}`;
      const dir = writeProject(parent, name, renderProject(TEMPLATES, template.id, name));
      assert.deepEqual(fs.readdirSync(dir).sort(), ['.clangd', 'Makefile', 'README.md', `${name}.bpf.c`, `${name}.lsmtest.yaml`].sort());
      const source = fs.readFileSync(path.join(dir, `${name}.bpf.c`), 'utf8');
      assert.doesNotMatch(source, /\{\{/);
      const catalog = HookCatalog.bundled();
      assert.deepEqual(
        analyzer.analyze(source, catalog.target().target, catalog).findings.map((f) => f.message),
        [],
      );
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
    assert.throws(() => renderProject(TEMPLATES, 'deny-file-open', 'bad-name'), /letters, digits/);
    writeProject(parent, 'taken', []);
    assert.throws(() => writeProject(parent, 'taken', []), /already exists/);
  });
});
