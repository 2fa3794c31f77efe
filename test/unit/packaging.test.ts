// What the .vsix would hold (vsce ls, the allowlist in .vscodeignore), that every file the manifest
// points at is in it, and what vsce needs to package it without a question: the README shown in VS Code
// (the package script's --readme-path) has no link vsce would have to rewrite, and no made-up repository
// URL. Both packages carry the local test VMs (the build scripts, the guest files, the loader, helper and
// prober sources and their prebuilt binaries) and bpf-lsm-test; the npm package (.npmignore) is also unpacked
// into a folder of its own, where its CLI must run without the repository. test/e2e/packaged.ts runs the
// real `npm run package` and installs the result.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
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

/** Files below a folder of the repository, as repository paths. */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(path.join(REPO_ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(REPO_ROOT, path.join(e.parentPath, e.name)));
}

/** What vm/setup.sh needs to build a test VM image, and nothing else of vm/ (no TypeScript, no tests). */
const VM_FILES = [
  'vm/setup.sh',
  ...filesUnder('vm/scripts').filter((f) => f.endsWith('.sh')),
  ...filesUnder('vm/guest'),
  ...filesUnder('vm/loader').filter((f) => f.endsWith('.c')),
  ...filesUnder('vm/helper').filter((f) => f.endsWith('.c')),
  ...filesUnder('vm/prober').filter((f) => f.endsWith('.c')),
].sort();

/**
 * The prebuilt static loader, action helper and hook prober, which `npm run package` puts into dist/.
 * Required once built; a fresh clone has none until then (test/e2e/packaged.ts builds the package and
 * checks that the installed extension has them).
 */
const PREBUILT = ['lsm-loader', 'lsm-action', 'lsm-probe']
  .map((name) => `dist/${name}-${os.machine()}`)
  .filter((f) => fs.existsSync(path.join(REPO_ROOT, f)));

const vmPart = (files: string[]) => files.filter((f) => f.startsWith('vm/')).sort();

describe('extension package', () => {
  const listed = execFileSync(VSCE, ['ls', '--no-dependencies', '--readme-path', readmePath], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

  it('holds the bundles, WASM, grammars, snippets, templates, walkthrough, schemas, icon, README, licence and the VM build files only', () => {
    for (const f of [
      'package.json',
      readmePath,
      'LICENSE',
      'images/icon.png',
      'dist/extension.js',
      'dist/server.js',
      'dist/serverMain.js',
      'dist/analysisWorker.js',
      'dist/bpf-lsm-test.js',
      'dist/tree-sitter-c.wasm',
      'dist/web-tree-sitter.wasm',
      'bpf-templates/templates.json',
      'schemas/lsmtest.schema.json',
      ...PREBUILT,
    ]) {
      assert.ok(listed.includes(f), `${f} missing`);
    }
    const unexpected = listed.filter(
      (f) =>
        f !== readmePath &&
        !/^(package\.json|LICENSE|images\/icon\.png|dist\/[^/]+\.(js|wasm)|dist\/lsm-(loader|action|probe)-[a-z0-9_]+|syntaxes\/|snippets\/|bpf-templates\/|walkthrough\/|schemas\/|vm\/)/.test(
          f,
        ),
    );
    assert.deepEqual(unexpected, []);
    assert.deepEqual(vmPart(listed), VM_FILES);
    assert.ok(!listed.some((f) => f.endsWith('.map') || f.startsWith('node_modules/') || f.endsWith('.ts') || /(^|\/)test\//.test(f)));
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
      ...c.yamlValidation.map((v: { url: string }) => v.url),
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

describe('npm package', () => {
  const npm = (args: string[]) => execFileSync('npm', [...args, '--json', '--ignore-scripts'], { cwd: REPO_ROOT, encoding: 'utf8' });
  const packed = (JSON.parse(npm(['pack', '--dry-run'])) as { files: { path: string }[] }[])[0].files.map((f) => f.path);

  it('holds the three command-line tools, their WASM and schema, the VM build files and the prebuilt binaries only', () => {
    assert.deepEqual(manifest.bin, {
      'bpf-lsm-lint': 'dist/cli.js',
      'bpf-lsm-test': 'dist/bpf-lsm-test.js',
      'bpf-lsm-verify': 'dist/bpf-lsm-verify.js',
    });
    const expected = [
      'package.json',
      'README.md',
      'LICENSE',
      'dist/cli.js',
      'dist/lint.js',
      'dist/bpf-lsm-test.js',
      'dist/bpf-lsm-verify.js',
      'dist/tree-sitter-c.wasm',
      'dist/web-tree-sitter.wasm',
      // policy/src/testFile.ts reads it at run time, from the package's root.
      'schemas/lsmtest.schema.json',
      ...PREBUILT,
      ...VM_FILES,
    ];
    assert.deepEqual(
      expected.filter((f) => !packed.includes(f)),
      [],
      'missing from the npm package',
    );
    // Other machines' prebuilt binaries may be there too (the `package` script names them by machine).
    assert.deepEqual(
      packed.filter((f) => !expected.includes(f) && !/^dist\/lsm-(loader|action|probe)-[a-z0-9_]+$/.test(f)),
      [],
      'unexpected in the npm package',
    );
  });

  describe('unpacked into a folder of its own, as npm installs it', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-npm-pack-'));
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));
    const pkg = path.join(tmp, 'package');
    const work = path.join(tmp, 'work');
    const listPackage = () => filesUnder(path.relative(REPO_ROOT, pkg)).sort();
    let before: string[] = [];

    /** Runs the unpacked bpf-lsm-test in `work`, with no repository around and a cache folder of its own. */
    const bpfLsmTest = (...args: string[]) => {
      const env: NodeJS.ProcessEnv = { ...process.env, HOME: path.join(tmp, 'home'), XDG_CACHE_HOME: path.join(tmp, 'xdg-cache') };
      delete env.BPF_LSM_VM_CACHE;
      return spawnSync(process.execPath, [path.join(pkg, 'dist', 'bpf-lsm-test.js'), ...args], { cwd: work, env, encoding: 'utf8' });
    };

    it('unpacks from `npm pack` without node_modules', () => {
      const [{ filename }] = JSON.parse(npm(['pack', '--pack-destination', tmp])) as { filename: string }[];
      execFileSync('tar', ['-xzf', path.join(tmp, filename), '-C', tmp]);
      fs.mkdirSync(work);
      before = listPackage();
      assert.ok(before.includes(path.relative(REPO_ROOT, path.join(pkg, 'dist', 'bpf-lsm-test.js'))));
      assert.ok(!fs.existsSync(path.join(pkg, 'node_modules')));
    });

    it('bpf-lsm-test --help prints its usage', () => {
      const r = bpfLsmTest('--help');
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^usage: bpf-lsm-test /);
    });

    it('bpf-lsm-test reports a malformed test file at its line and exits 2, without a VM', () => {
      fs.writeFileSync(path.join(work, 'deny.bpf.c'), '// never compiled: the test file is rejected first\n');
      fs.writeFileSync(
        path.join(work, 'broken.lsmtest.yaml'),
        [
          'program: deny.bpf.c',
          'kernels: ["6.12"]',
          'cases:',
          '  - name: opens',
          '    open: /etc/passwd',
          '    expect: { errnoo: EPERM }',
          '',
        ].join('\n'),
      );
      const r = bpfLsmTest('broken.lsmtest.yaml');
      assert.equal(r.status, 2, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, /^broken\.lsmtest\.yaml:6:\d+: error: .*errnoo/m);
      // Nothing is written into the package's folder (installed globally, it may be read-only).
      assert.deepEqual(listPackage(), before);
      assert.ok(!fs.existsSync(path.join(pkg, '.cache')));
    });
  });
});
