// `npm run test:e2e`: boots the local test VM, then runs the end-to-end suite in a real VS Code
// (code-server's VS Code server, headless Chromium) with the extension's target set to that VM, saving
// screenshots; stops the VM whatever happens.
import * as path from 'node:path';
import { killVmNow, startVm, stopVm } from '../../vm/src/manager';
import { REPO_ROOT } from '../helpers/paths';
import { runExtensionTestsDetailed } from './runVsCode';

const NAME = `e2e-${process.pid}`;

async function main(): Promise<number> {
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      killVmNow(NAME, { forget: true });
      process.exit(130);
    });
  const vm = await startVm({ name: NAME, kernel: '6.12', lifetimeSeconds: 1200, bootTimeoutMs: 240_000 });
  console.log(`[e2e] test VM ${vm.state.release} ready on 127.0.0.1:${vm.state.port} in ${vm.state.bootSeconds.toFixed(1)} s`);
  try {
    const r = await runExtensionTestsDetailed({
      extensionPath: REPO_ROOT,
      testsPath: path.join(REPO_ROOT, 'out', 'test', 'e2e', 'suite'),
      workspace: path.join(REPO_ROOT, 'test', 'e2e', 'workspace'),
      screenshotDir: path.join(REPO_ROOT, '.cache', 'e2e', 'screenshots'),
      settings: {
        'bpfLsm.target.destination': 'bpf-lsm-vm',
        'bpfLsm.target.sshConfigFile': vm.state.sshConfig,
        // The policy tests boot one VM of their own (the machine that runs the suite may have 2 cores).
        'bpfLsm.test.maxVms': 1,
      },
      timeoutMs: 8 * 60_000,
    });
    const t = r.timings;
    console.log(
      `[e2e] timings (ms from launch): server ${t.server}, browser ${t.browser}, workbench ${t.workbench}, tests started ${t.testsStarted ?? '-'}, extension host exit ${t.hostExit}`,
    );
    if (r.passes !== undefined) console.log(`e2e: ${r.passes} passed, ${r.failures} failed`);
    return r.exitCode === 0 && r.passes !== undefined ? 0 : 1;
  } finally {
    await stopVm(NAME, { forget: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    console.error(`[e2e] ${e.stack ?? e.message}`);
    process.exitCode = 2;
  },
);
