// The .vsix as a user installs it: builds it with `npm run package` (which must not warn: in a terminal
// vsce would stop and ask), installs it with the VS Code server's `--install-extension` into a fresh
// extensions folder, and runs test/e2e/packagedSuite against that installed copy, once in a trusted
// workspace and once in Restricted Mode. An empty test-driver extension carries the suite, so the
// repository itself is never loaded as an extension.
// In the trusted run the installed extension runs a policy test file on a 6.12 test VM, made by the VM
// scripts it ships: the VM cache is the repository's (BPF_LSM_VM_CACHE, so the images built there are
// reused) and bpfLsm.test.maxVms is 1. After each run, with VS Code gone, no QEMU of that extension
// host's VM pool may be left (its deactivate stops them), and the installed folder must be as installed.
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
/** The workspace: test/e2e/workspace, and a policy test file of the packaged suite's own (relative path). */
const POLICY_TEST = 'installed-policy/deny-open.lsmtest.yaml';

/** Every file below a folder with its size and mtime: what an install must still hold after the runs. */
function listing(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((e) => {
      const p = path.join(e.parentPath, e.name);
      const st = fs.lstatSync(p);
      return `${path.relative(dir, p)} ${e.isDirectory() ? 'dir' : st.size} ${st.mtimeMs}`;
    })
    .sort();
}

/** QEMU processes (pids) of the VM pools of extension host `hostPid`: -name bpf-lsm-vm-lsmtest-PID-N-M. */
function poolQemus(hostPid: number): number[] {
  const mark = `bpf-lsm-vm-lsmtest-${hostPid}-`;
  return fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return fs
          .readFileSync(`/proc/${p}/cmdline`, 'utf8')
          .split('\0')
          .some((a) => a.startsWith(mark));
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

/**
 * After VS Code has gone: the extension host's VM pool left no QEMU running (a leftover is killed, so
 * it does not run on for hours, and reported) and no instance folder in the cache.
 */
async function checkVmsStopped(hostFile: string, vmCache: string): Promise<string[]> {
  if (!fs.existsSync(hostFile)) return ['the suite did not say which extension host ran it'];
  const { pid } = JSON.parse(fs.readFileSync(hostFile, 'utf8')) as { pid: number };
  // stopVm waits for QEMU to exit, but a process that is being killed can linger in /proc for a moment.
  let left = poolQemus(pid);
  for (let i = 0; i < 20 && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    left = poolQemus(pid);
  }
  const problems: string[] = [];
  if (left.length > 0) {
    problems.push(`QEMU of the extension host's VM pool still running after VS Code exited: pid ${left.join(', ')} (killed now)`);
    for (const p of left) process.kill(p, 'SIGKILL');
  }
  const instances = path.join(vmCache, 'instances');
  const dirs = fs.existsSync(instances) ? fs.readdirSync(instances).filter((d) => d.startsWith(`lsmtest-${pid}-`)) : [];
  if (dirs.length > 0) problems.push(`VM instance folders left in ${instances}: ${dirs.join(', ')}`);
  return problems;
}

/** Runs `npm run package`; fails on a non-zero exit or on any vsce warning. */
function buildVsix(): void {
  const r = spawnSync('npm', ['run', 'package'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`npm run package failed (${r.error?.message ?? `exit ${r.status}`}):\n${output}`);
  // Without a terminal vsce answers its own "Do you want to continue?" with yes: its warnings are the questions.
  const warnings = output.split('\n').filter((l) => /\bWARNING\b/.test(l));
  if (warnings.length) throw new Error(`npm run package warned, so it would ask in a terminal:\n${warnings.join('\n')}\n${output}`);
}

/** Lines only in `before` (-) or only in `after` (+). */
function diff(before: string[], after: string[]): string[] {
  const a = new Set(after);
  const b = new Set(before);
  return [...before.filter((l) => !a.has(l)).map((l) => `- ${l}`), ...after.filter((l) => !b.has(l)).map((l) => `+ ${l}`)];
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

    // A copy, so that nothing the runs write (or the extension's own files) lands in the repository.
    const workspace = path.join(tmp, 'workspace');
    fs.cpSync(path.join(REPO_ROOT, 'test', 'e2e', 'workspace'), workspace, { recursive: true });
    fs.cpSync(path.join(REPO_ROOT, 'test', 'e2e', 'packagedSuite', 'workspace'), workspace, { recursive: true });
    const vmCache = path.join(REPO_ROOT, '.cache', 'vm');
    // The extension's own folder (VS Code may rewrite extensions.json beside it).
    const installDir = path.join(
      extensionsDir,
      fs.readdirSync(extensionsDir).find((d) => d.startsWith('bpf-lsm-studio.'))!,
    );
    const installed = listing(installDir);
    // What a real target without them gets deployed: the loader, the action helper and the prober, prebuilt.
    for (const tool of ['lsm-loader', 'lsm-action', 'lsm-probe']) {
      const binary = path.join(installDir, 'dist', `${tool}-x86_64`);
      if (!fs.existsSync(binary) || (fs.statSync(binary).mode & 0o111) === 0)
        throw new Error(`the installed extension has no executable ${path.relative(installDir, binary)}`);
    }

    let failed = 0;
    for (const trusted of [true, false]) {
      const mode = trusted ? 'trusted' : 'restricted';
      const hostFile = path.join(tmp, `host-${mode}.json`);
      const r = await runExtensionTestsDetailed({
        extensionPath: driver,
        testsPath: path.join(__dirname, 'packagedSuite'),
        workspace,
        screenshotDir: path.join(REPO_ROOT, '.cache', 'e2e', 'screenshots', `packaged-${mode}`),
        settings: { 'bpfLsm.test.maxVms': 1 },
        server: {
          extensionsDir,
          workspaceTrust: !trusted,
          env: {
            BPF_E2E_EXTENSIONS_DIR: extensionsDir,
            BPF_E2E_EXPECT_TRUSTED: trusted ? '1' : '0',
            BPF_E2E_POLICY_TEST: POLICY_TEST,
            BPF_E2E_HOST_FILE: hostFile,
            BPF_LSM_VM_CACHE: vmCache,
          },
        },
        // A first run may build the 6.12 image and boots its VM (under TCG where KVM does not work).
        timeoutMs: 10 * 60_000,
        verbose,
      });
      const problems = await checkVmsStopped(hostFile, vmCache);
      for (const p of problems) console.log(`[packaged] ${mode}: ${p}`);
      const ok = r.exitCode === 0 && r.passes !== undefined && problems.length === 0;
      if (!ok) failed++;
      console.log(
        `[packaged] ${mode}: ${ok ? 'passed' : 'FAILED'} (${r.passes ?? 0} passed, ${r.failures ?? '?'} failed) ` +
          `in ${(r.timings.hostExit ?? 0) + (r.timings.cleanup ?? 0)} ms`,
      );
    }
    const changed = diff(installed, listing(installDir));
    if (changed.length > 0) {
      failed++;
      console.log(`[packaged] the runs changed the installed extension's folder ${installDir}:\n  ${changed.join('\n  ')}`);
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
