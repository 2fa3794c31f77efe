// Bundles the extension client, the language server, the command-line linter, the policy-test runner and bpf-lsm-verify into dist/, and copies
// the WASM files they load next to them. `--watch` rebuilds on change; `--production` minifies.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

// Packages found the way Node finds them, not at ./node_modules: the mutation run builds in a sandbox
// whose node_modules is found in a folder above it.
const require = createRequire(import.meta.url);
const webTreeSitterCjs = require.resolve('web-tree-sitter');
const treeSitterCDir = path.dirname(require.resolve('tree-sitter-c/package.json'));

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  // web-tree-sitter's ESM build reads import.meta.url, which a CommonJS bundle lacks: take its CJS build.
  alias: { 'web-tree-sitter': webTreeSitterCjs },
};

const entries = [
  { entryPoints: ['client/src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  // The language server: a small entry (dist/server.js) that runs each thread's bundle from a code cache.
  { entryPoints: ['server/src/serverBin.ts'], outfile: 'dist/server.js' },
  { entryPoints: ['server/src/lsp/serverMain.ts'], outfile: 'dist/serverMain.js' },
  { entryPoints: ['server/src/lsp/analysisWorker.ts'], outfile: 'dist/analysisWorker.js' },
  // bpf-lsm-lint: a small entry (dist/cli.js) that runs the linter's bundle (dist/lint.js) from a code cache.
  { entryPoints: ['server/src/cli/bin.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { entryPoints: ['server/src/cli/lintProcess.ts'], outfile: 'dist/lint.js' },
  { entryPoints: ['policy/src/cli.ts'], outfile: 'dist/bpf-lsm-test.js', banner: { js: '#!/usr/bin/env node' } },
  { entryPoints: ['policy/src/verifyCli.ts'], outfile: 'dist/bpf-lsm-verify.js', banner: { js: '#!/usr/bin/env node' } },
].filter((e) => fs.existsSync(e.entryPoints[0]));

fs.mkdirSync('dist', { recursive: true });
for (const wasm of [path.join(path.dirname(webTreeSitterCjs), 'web-tree-sitter.wasm'), path.join(treeSitterCDir, 'tree-sitter-c.wasm')]) {
  fs.copyFileSync(wasm, `dist/${path.basename(wasm)}`);
}

const contexts = await Promise.all(entries.map((e) => esbuild.context({ ...common, ...e })));
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  for (const bin of ['dist/cli.js', 'dist/bpf-lsm-test.js', 'dist/bpf-lsm-verify.js']) if (fs.existsSync(bin)) fs.chmodSync(bin, 0o755);
}
