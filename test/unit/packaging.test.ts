// What the .vsix would hold (vsce ls, the allowlist in .vscodeignore), that every file the manifest
// points at is in it, and what vsce needs to package it without a question: the README shown in VS Code
// (the package script's --readme-path) has no link vsce would have to rewrite, and no made-up repository
// URL. test/e2e/packaged.ts runs the real `npm run package` and installs the result.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/paths';

const VSCE = path.join(REPO_ROOT, 'node_modules', '.bin', 'vsce');
const manifestText = fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8');
const manifest = JSON.parse(manifestText);

/** The flags of the `vsce package` step of the `package` script, without `--out FILE`. */
function packageFlags(): string[] {
  const step = (manifest.scripts.package as string)
    .split('&&')
    .map((s) => s.trim())
    .find((s) => s.startsWith('vsce package'));
  assert.ok(step, 'the package script has no `vsce package` step');
  const words = step.split(/\s+/).slice(2);
  const out = words.indexOf('--out');
  if (out >= 0) words.splice(out, 2);
  return words;
}

const flags = packageFlags();
const readmePath = flags[flags.indexOf('--readme-path') + 1];

describe('extension package', () => {
  const listed = execFileSync(VSCE, ['ls', '--no-dependencies', '--readme-path', readmePath], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

  it('holds the bundles, WASM, grammars, snippets, templates, walkthrough, schemas, icon, README and licence only', () => {
    for (const f of [
      'package.json',
      readmePath,
      'LICENSE',
      'images/icon.png',
      'dist/extension.js',
      'dist/server.js',
      'dist/tree-sitter-c.wasm',
      'dist/web-tree-sitter.wasm',
      'bpf-templates/templates.json',
    ]) {
      assert.ok(listed.includes(f), `${f} missing`);
    }
    const unexpected = listed.filter(
      (f) =>
        f !== readmePath &&
        !/^(package\.json|LICENSE|images\/icon\.png|dist\/[^/]+\.(js|wasm)|dist\/lsm-(loader|action)-[a-z0-9_]+|syntaxes\/|snippets\/|bpf-templates\/|walkthrough\/|schemas\/)/.test(
          f,
        ),
    );
    assert.deepEqual(unexpected, []);
    assert.ok(!listed.some((f) => f.endsWith('.map') || f.startsWith('node_modules/') || f.endsWith('.ts')));
    // The repository's README links to screenshots and source files the package does not hold.
    assert.ok(!listed.includes('README.md'));
  });

  it('contains every file the manifest refers to', () => {
    const c = manifest.contributes;
    const referenced = [
      manifest.main.replace(/^\.\//, ''),
      manifest.icon,
      ...c.grammars.map((g: { path: string }) => g.path),
      ...c.snippets.map((s: { path: string }) => s.path),
      ...c.walkthroughs.flatMap((w: { steps: { media: { markdown: string } }[] }) => w.steps.map((s) => s.media.markdown)),
      ...c.jsonValidation.map((v: { url: string }) => v.url),
    ].map((p: string) => p.replace(/^\.\//, ''));
    for (const f of referenced) assert.ok(listed.includes(f), `${f} is referenced by package.json but not packaged`);
  });

  it('declares every command under one category', () => {
    const commands = manifest.contributes.commands as { command: string; category: string }[];
    assert.ok(commands.length >= 3);
    assert.deepEqual([...new Set(commands.map((c) => c.category))], ['BPF LSM']);
    assert.ok(commands.every((c) => c.command.startsWith('bpfLsm.')));
  });

  it('is ready to publish: publisher, a 128x128 PNG icon, categories, keywords, no made-up URL', () => {
    assert.match(manifest.publisher, /^[a-z0-9][a-z0-9-]*$/);
    const png = fs.readFileSync(path.join(REPO_ROOT, manifest.icon));
    assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], `${manifest.icon} is not a PNG`);
    assert.equal(png.toString('ascii', 12, 16), 'IHDR');
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
    assert.ok(manifest.categories.length > 0 && manifest.keywords.length > 0 && manifest.keywords.length <= 30);
    // A repository, homepage or bugs URL only once there is a real one; vsce is told it is missing.
    assert.doesNotMatch(manifestText, /example\.(invalid|com|org)/);
    if (!manifest.repository) assert.ok(flags.includes('--allow-missing-repository'));
  });

  it('has a README that vsce takes as it is: no relative link, https images only', () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, readmePath), 'utf8');
    // vsce (MarkdownProcessor) rewrites or refuses links that are neither absolute, #anchors nor mailto:,
    // and accepts only https images.
    const links = [...readme.matchAll(/!?\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
    assert.deepEqual(
      links.filter((l) => !/^(\w+:\/\/|#|mailto:)/i.test(l)),
      [],
    );
    assert.deepEqual(
      [...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]).filter((l) => !/^https:/i.test(l)),
      [],
    );
    assert.doesNotMatch(readme, /<(img|video|svg)\b/i); // vsce checks these in HTML too; keep to Markdown
  });
});
