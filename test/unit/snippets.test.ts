// Every snippet is a correct BPF LSM program for the newest kernel: no finding from our linter, and
// clang compiles it against this machine's vmlinux.h.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Analyzer } from '../../server/src/analysis/analyze';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { compileProgram } from '../../engine/src/buildBpf';
import { expandSnippet, vmlinuxHeaderDir } from '../helpers/bpfBuild';
import { REPO_ROOT } from '../helpers/paths';

type Snippets = Record<string, { prefix: string[]; body: string[]; description: string }>;
const snippets = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'snippets', 'bpf-lsm.code-snippets.json'), 'utf8')) as Snippets;
const includes = expandSnippet(snippets['BPF LSM: includes and licence'].body);

describe('snippets', () => {
  let analyzer: Analyzer;
  let dir: string;
  before(async () => {
    analyzer = await Analyzer.create();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-snippets-'));
  });
  after(() => {
    analyzer.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('cover the programs users start from', () => {
    const hooks = Object.values(snippets)
      .map((s) => /SEC\("([^"]+)"\)/.exec(s.body.join('\n'))?.[1])
      .filter(Boolean);
    assert.deepEqual(hooks.sort(), [
      'license',
      'license',
      'lsm.s/file_open',
      'lsm/bprm_check_security',
      'lsm/file_mprotect',
      'lsm/file_open',
      'lsm/path_unlink',
      'lsm/sb_mount',
      'lsm/socket_connect',
      'lsm/task_alloc',
      'lsm_cgroup/socket_bind',
    ]);
  });

  // Linting and compiling are separate tests: the mutation run then charges clang to no analysis mutant.
  for (const [name, snippet] of Object.entries(snippets)) {
    if (!snippet.body.some((l) => l.includes('BPF_PROG'))) continue;
    const source = `${includes}\n${expandSnippet(snippet.body)}\n`;
    it(`${name}: lints clean for the newest kernel`, () => {
      const catalog = HookCatalog.bundled();
      const findings = analyzer.analyze(source, catalog.target().target, catalog).findings;
      assert.deepEqual(
        findings.map((f) => `${f.code}: ${f.message}`),
        [],
      );
    });
    it(`${name}: compiles with clang without a warning`, async () => {
      const file = path.join(dir, `${snippet.prefix[0]}.bpf.c`);
      fs.writeFileSync(file, source);
      const built = await compileProgram(
        file,
        file.replace(/\.c$/, '.o'),
        vmlinuxHeaderDir(),
        os.arch() === 'arm64' ? 'aarch64' : 'x86_64',
      );
      assert.ok(built.ok, built.output);
      assert.deepEqual(built.messages, []);
    });
  }
});
