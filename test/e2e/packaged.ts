// The .vsix as a user installs it: builds it with `npm run package` (which must not warn: in a terminal
// vsce would stop and ask), installs it with the VS Code server's `--install-extension` into a fresh
// extensions folder, and runs test/e2e/packagedSuite against that installed copy, once in a trusted
// workspace and once in Restricted Mode. An empty test-driver extension carries the suite, so the
// repository itself is never loaded as an extension.
//
//   node out/test/e2e/packaged.js [--vsix FILE] [--verbose]   (--vsix: test that file, build nothing)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../helpers/paths';
import { checkTools } from '../../scripts/vscode/paths';
import { runExtensionTestsDetailed } from './runVsCode';
import { installExtension } from '../../scripts/vscode/vscodeServer';

const PACKAGED_VSIX = path.join(REPO_ROOT, 'dist', 'bpf-lsm-studio.vsix');

/** Runs `npm run package`; fails on a non-zero exit or on any vsce warning. */
function buildVsix(): void {
  const r = spawnSync('npm', ['run', 'package'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`npm run package failed (${r.error?.message ?? `exit ${r.status}`}):\n${output}`);
  // Without a terminal vsce answers its own "Do you want to continue?" with yes: its warnings are the questions.
  const warnings = output.split('\n').filter((l) => /\bWARNING\b/.test(l));
  if (warnings.length) throw new Error(`npm run package warned, so it would ask in a terminal:\n${warnings.join('\n')}\n${output}`);
}

async function main(argv: string[]): Promise<number> {
  checkTools();
  const verbose = argv.includes('--verbose');
  const vsixArg = argv.indexOf('--vsix');
  const start = Date.now();
  let vsix = PACKAGED_VSIX;
  if (vsixArg >= 0) {
    vsix = path.resolve(argv[vsixArg + 1] ?? '');
  } else {
    buildVsix();
    console.log(
      `[packaged] npm run package: ${path.relative(REPO_ROOT, vsix)} (${(fs.statSync(vsix).size / 1e6).toFixed(2)} MB) in ${Date.now() - start} ms`,
    );
  }
  if (!fs.existsSync(vsix)) throw new Error(`no .vsix at ${vsix}`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-vsix-'));
  const removeTmp = () => fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  process.on('exit', removeTmp); // Ctrl+C mid-run
  try {
    // Outside the repository, so nothing can resolve files from its node_modules or dist.
    const extensionsDir = path.join(tmp, 'extensions');
    const installStart = Date.now();
    console.log(
      `[packaged] ${(await installExtension(vsix, extensionsDir, path.join(tmp, 'cli'))).split('\n').join(' ')} (${Date.now() - installStart} ms)`,
    );

    const driver = path.join(tmp, 'driver');
    fs.mkdirSync(driver);
    fs.writeFileSync(
      path.join(driver, 'package.json'),
      JSON.stringify({
        name: 'packaged-test-driver',
        publisher: 'bpf-lsm-test',
        version: '0.0.0',
        engines: { vscode: '*' },
        capabilities: { untrustedWorkspaces: { supported: true } },
      }),
    );

    let failed = 0;
    for (const trusted of [true, false]) {
      const mode = trusted ? 'trusted' : 'restricted';
      const r = await runExtensionTestsDetailed({
        extensionPath: driver,
        testsPath: path.join(__dirname, 'packagedSuite'),
        workspace: path.join(REPO_ROOT, 'test', 'e2e', 'workspace'),
        screenshotDir: path.join(REPO_ROOT, '.cache', 'e2e', 'screenshots', `packaged-${mode}`),
        server: {
          extensionsDir,
          workspaceTrust: !trusted,
          env: { BPF_E2E_EXTENSIONS_DIR: extensionsDir, BPF_E2E_EXPECT_TRUSTED: trusted ? '1' : '0' },
        },
        timeoutMs: 3 * 60_000,
        verbose,
      });
      const ok = r.exitCode === 0 && r.passes !== undefined;
      if (!ok) failed++;
      console.log(
        `[packaged] ${mode}: ${ok ? 'passed' : 'FAILED'} (${r.passes ?? 0} passed, ${r.failures ?? '?'} failed) ` +
          `in ${(r.timings.hostExit ?? 0) + (r.timings.cleanup ?? 0)} ms`,
      );
    }
    console.log(`[packaged] ${failed ? 'FAILED' : 'ok'} in ${Date.now() - start} ms`);
    return failed ? 1 : 0;
  } finally {
    removeTmp();
  }
}

// Exiting runs the 'exit' hooks: the server's process group is killed and the folders go.
for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)
  process.once(sig, () => process.exit(code));
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    console.error(`[packaged] ${e.message}`);
    process.exitCode = 2;
  },
);
