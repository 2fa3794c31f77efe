// The window's test VMs: one VmPool, made at the first run and kept across runs (a second run on the same
// kernel starts from a snapshot reset, not a boot), shown in the status bar while any VM runs, stopped
// after bpfLsm.test.vmIdleMinutes idle, and always stopped with the window: dispose() waits for QEMU to
// exit, and a process exit that skips it kills them on the spot.
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { PolicyTestSettings } from '../../../common/settings';
import { VmPool, type PoolVmInfo } from '../../../policy/src/vmPool';

/** The guest powers itself off after this long whatever happens: no VM outlives a crashed window by long. */
const VM_LIFETIME_SECONDS = 3 * 3600;

export class TestVms implements vscode.Disposable {
  private pool: VmPool | undefined;
  /** Pools being stopped, until QEMU has exited (an exit meanwhile kills them). */
  private readonly stopping = new Set<VmPool>();
  /** The pool was made with settings that have changed since: replaced once nothing runs on it. */
  private stale = false;
  private readonly statusItem = vscode.window.createStatusBarItem('bpfLsm.testVms', vscode.StatusBarAlignment.Left, 49);
  private readonly onExit = () => this.killNow();

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly settings: () => PolicyTestSettings,
  ) {
    this.statusItem.name = 'BPF LSM test VMs';
    this.statusItem.command = 'workbench.view.testing.focus';
    process.on('exit', this.onExit);
  }

  /** VMs at once: the setting, else the number of cores. */
  maxVms(): number {
    return this.settings().maxVms || os.availableParallelism();
  }

  /** The pool to run on (made on first use, or anew when its settings changed and it is idle). */
  async acquirePool(): Promise<VmPool> {
    if (this.pool && this.stale && !this.pool.running.some((v) => v.busy)) await this.stop();
    if (!this.pool) {
      const s = this.settings();
      this.stale = false;
      const pool = new VmPool({
        maxVms: this.maxVms(),
        idleStopMs: s.vmIdleMinutes * 60_000,
        lifetimeSeconds: VM_LIFETIME_SECONDS,
        log: (line) => this.log.info(`test VMs: ${line}`),
        onChange: () => this.pool === pool && this.updateStatus(),
      });
      this.pool = pool;
    }
    return this.pool;
  }

  get running(): PoolVmInfo[] {
    return this.pool?.running ?? [];
  }

  /** bpfLsm.test.maxVms or vmIdleMinutes changed. */
  onSettingsChanged(): void {
    if (this.pool) this.stale = true;
  }

  /** Stops every test VM (waiting for QEMU to exit); the next run makes a new pool. */
  async stop(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    this.updateStatus();
    if (!pool) return;
    this.stopping.add(pool);
    try {
      await pool.dispose();
    } finally {
      this.stopping.delete(pool);
    }
  }

  /** Synchronous, for exit handlers: kills every VM's QEMU now. */
  killNow(): void {
    for (const pool of [...this.stopping, ...(this.pool ? [this.pool] : [])]) pool.killNow();
    this.pool = undefined;
  }

  private updateStatus(): void {
    const vms = this.running;
    if (vms.length === 0) {
      this.statusItem.hide();
      return;
    }
    const busy = vms.filter((v) => v.busy).length;
    this.statusItem.text = `$(vm) ${vms.length} test VM${vms.length === 1 ? '' : 's'}`;
    const idle = this.settings().vmIdleMinutes;
    const tooltip = new vscode.MarkdownString(
      [
        `**BPF LSM test VMs** (${busy} busy, ${vms.length - busy} idle)`,
        '',
        ...vms.map((v) => `- \`${v.name}\`: kernel ${v.kernel}, ${v.busy ? 'busy' : 'idle'}`),
        '',
        idle > 0 ? `Idle VMs stop after ${idle} min, and all stop with the window.` : 'They stop with the window.',
      ].join('\n'),
    );
    this.statusItem.tooltip = tooltip;
    this.statusItem.show();
  }

  /** Stops the VMs and waits for them (deactivate awaits this). */
  async shutdown(): Promise<void> {
    await this.stop();
    process.off('exit', this.onExit);
  }

  dispose(): void {
    void this.shutdown();
    this.statusItem.dispose();
  }
}
