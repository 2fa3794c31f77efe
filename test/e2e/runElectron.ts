// The same extension test suites in desktop VS Code, through @vscode/test-electron, for machines that
// can download VS Code (developer laptops; not CI, whose network reaches only package registries).
//
//   node out/test/e2e/runElectron.js --extension DIR --tests MODULE --workspace DIR [--version 1.91.0]
//
// Without --version, test-electron picks the newest stable release that satisfies the extension's
// engines.vscode. Downloads go to .cache/e2e/vscode-test (git-ignored).
import * as path from 'node:path';
import { runTests, TestRunFailedError } from '@vscode/test-electron';
import { E2E_CACHE } from '../../scripts/vscode/paths';

export interface ElectronRunOptions {
  extensionPath: string;
  testsPath: string;
  workspace: string;
  /** 'stable', 'insiders' or a release such as '1.91.0'. */
  version?: string;
}

/** Resolves with VS Code's exit code: 0 when every test passed. */
export async function runExtensionTestsInElectron(opts: ElectronRunOptions): Promise<number> {
  try {
    return await runTests({
      extensionDevelopmentPath: path.resolve(opts.extensionPath),
      extensionTestsPath: path.resolve(opts.testsPath),
      // Only the extension under development: other extensions on the machine could change results.
      launchArgs: [path.resolve(opts.workspace), '--disable-extensions', '--disable-workspace-trust'],
      cachePath: path.join(E2E_CACHE, 'vscode-test'),
      ...(opts.version ? { version: opts.version } : {}),
    });
  } catch (e) {
    // runTests rejects on a non-zero exit; a failing suite is a result, not an error.
    if (e instanceof TestRunFailedError && e.code !== undefined) return e.code;
    throw e;
  }
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const [extensionPath, testsPath, workspace] = ['extension', 'tests', 'workspace'].map((n) => flag(argv, n));
  if (!extensionPath || !testsPath || !workspace) {
    console.error('usage: runElectron.js --extension DIR --tests MODULE --workspace DIR [--version V]');
    process.exit(2);
  }
  runExtensionTestsInElectron({ extensionPath, testsPath, workspace, version: flag(argv, 'version') }).then(
    (code) => {
      process.exitCode = code === 0 ? 0 : 1;
    },
    (e: unknown) => {
      console.error(`[e2e] ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 2;
    },
  );
}
