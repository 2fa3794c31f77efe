// What the .vsix would hold (vsce ls, the allowlist in .vscodeignore) and that every file the manifest
// points at is in it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/paths';

describe('extension package', () => {
  const listed = execFileSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'vsce'), ['ls', '--no-dependencies'], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\n').map((l) => l.trim()).filter(Boolean);
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));

  it('holds the bundles, WASM, grammars, snippets, templates, walkthrough, README and licence only', () => {
    for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/extension.js', 'dist/server.js', 'dist/tree-sitter-c.wasm', 'dist/web-tree-sitter.wasm', 'bpf-templates/templates.json']) {
      assert.ok(listed.includes(f), `${f} missing`);
    }
    const unexpected = listed.filter((f) => !/^(package\.json|README\.md|LICENSE|dist\/[^/]+\.(js|wasm)|dist\/lsm-loader-[a-z0-9_]+|syntaxes\/|snippets\/|bpf-templates\/|walkthrough\/)/.test(f));
    assert.deepEqual(unexpected, []);
    assert.ok(!listed.some((f) => f.endsWith('.map') || f.startsWith('node_modules/') || f.endsWith('.ts')));
  });

  it('contains every file the manifest refers to', () => {
    const c = manifest.contributes;
    const referenced = [
      manifest.main.replace(/^\.\//, ''),
      ...c.grammars.map((g: { path: string }) => g.path),
      ...c.snippets.map((s: { path: string }) => s.path),
      ...c.walkthroughs.flatMap((w: { steps: { media: { markdown: string } }[] }) => w.steps.map((s) => s.media.markdown)),
    ].map((p: string) => p.replace(/^\.\//, ''));
    for (const f of referenced) assert.ok(listed.includes(f), `${f} is referenced by package.json but not packaged`);
  });

  it('declares every command under one category', () => {
    const commands = manifest.contributes.commands as { command: string; category: string }[];
    assert.ok(commands.length >= 3);
    assert.deepEqual([...new Set(commands.map((c) => c.category))], ['BPF LSM']);
    assert.ok(commands.every((c) => c.command.startsWith('bpfLsm.')));
  });
});
