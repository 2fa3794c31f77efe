// `npm start`: the extension in a real VS Code (code-server's VS Code server) on the examples workspace,
// served on 127.0.0.1, with the local test VM booted as its Run on Target target. Ctrl+C stops both.
import * as path from 'node:path';
import { openVsCode } from './vscode/openVsCode';
import { killVmNow, startVm, stopVm } from '../vm/src/manager';
import { REPO_ROOT } from '../common/repoRoot';

const VM_NAME = 'studio';

async function main(): Promise<void> {
  process.once('exit', () => killVmNow(VM_NAME, { forget: true }));
  console.log('Booting the local test VM (Debian 6.12 kernel under QEMU)...');
  const vm = await startVm({ name: VM_NAME, kernel: '6.12', bootTimeoutMs: 240_000, log: (l) => console.log(`  ${l}`) });
  console.log(`Test VM ${vm.state.release} ready in ${vm.state.bootSeconds.toFixed(1)} s (ssh -F ${vm.state.sshConfig} bpf-lsm-vm)`);
  // The same checks Run on Target makes, through the same engine: a VM that cannot run programs stops here.
  const report = await vm.session.requireRunnable();
  console.log(
    `  target: kernel ${report.kernelRelease}, LSMs ${report.lsms.join(',')}${report.warnings.map((w) => `\n  warning: ${w}`).join('')}`,
  );
  const vs = await openVsCode({
    extensionPath: REPO_ROOT,
    workspace: path.join(REPO_ROOT, 'examples'),
    port: Number(process.env.PORT ?? 0),
    settings: { 'bpfLsm.target.destination': 'bpf-lsm-vm', 'bpfLsm.target.sshConfigFile': vm.state.sshConfig },
    log: () => undefined,
  });
  console.log(
    `\nBPF LSM Studio in VS Code:\n  ${vs.url}\n\nOpen examples/deny-open.bpf.c and run "BPF LSM: Run on Target". Ctrl+C stops VS Code and the VM.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('Stopping...');
  await vs.stop();
  await stopVm(VM_NAME, { forget: true });
}

main().catch((e: Error) => {
  console.error(`npm start: ${e.message}`);
  process.exitCode = 1;
});
