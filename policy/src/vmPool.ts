// The local test VMs a policy-test run uses: at most `maxVms` at once across all kernels, each booted
// once with a snapshot of its just-booted state and reset to it before it runs another file. The CLI
// makes one pool per run; the editor keeps one and lets idle VMs stop after a while.
import type { TargetSession } from '../../engine/src';
import { parseKernel } from '../../vm/src/kernels';
import { killVmNow, resetVm, startVm, stopVm } from '../../vm/src/manager';

export interface VmPoolOptions {
  maxVms: number;
  /** Stop a VM nobody used for this long (0 = keep until dispose). */
  idleStopMs?: number;
  /** The guest powers itself off after this long whatever happens (a safety net). */
  lifetimeSeconds?: number;
  log?: (line: string) => void;
  /** Called when VMs start, stop, get busy or idle (the editor's status bar). */
  onChange?: () => void;
}

export interface VmLease {
  readonly kernel: string;
  readonly name: string;
  session: TargetSession;
  release: string;
}

interface PoolVm extends VmLease {
  busy: boolean;
  /** Something ran since the last boot or reset. */
  dirty: boolean;
  idleTimer?: NodeJS.Timeout;
}

export interface PoolVmInfo {
  name: string;
  kernel: string;
  busy: boolean;
}

let poolCount = 0;

export class VmPool {
  private readonly vms: PoolVm[] = [];
  private booting = 0;
  /** Names of VMs still booting: killNow must reach them too. */
  private readonly bootingNames = new Set<string>();
  private waiters: (() => void)[] = [];
  private readonly prefix = `lsmtest-${process.pid}-${++poolCount}`;
  private serial = 0;
  private disposed = false;

  constructor(private readonly options: VmPoolOptions) {}

  get running(): PoolVmInfo[] {
    return this.vms.map((v) => ({ name: v.name, kernel: v.kernel, busy: v.busy }));
  }

  /** A VM of that kernel series, clean (just booted or reset), for this caller alone until release(). */
  async acquire(kernel: string, signal?: AbortSignal): Promise<VmLease> {
    parseKernel(kernel);
    for (;;) {
      if (this.disposed) throw new Error('the VM pool was shut down');
      signal?.throwIfAborted();
      const idle = this.vms.find((v) => !v.busy && v.kernel === kernel);
      if (idle) {
        this.take(idle);
        if (idle.dirty) await this.reset(idle);
        return idle;
      }
      if (this.vms.length + this.booting < this.options.maxVms) return this.boot(kernel);
      const other = this.vms.find((v) => !v.busy);
      if (other) {
        await this.stop(other);
        continue;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Marks the lease used: the next file on it starts from a reset. */
  markDirty(lease: VmLease): void {
    (lease as PoolVm).dirty = true;
  }

  /** Back to the just-booted state (also the way back from a guest that stopped answering). */
  async reset(lease: VmLease): Promise<void> {
    const vm = lease as PoolVm;
    const t0 = Date.now();
    try {
      const running = await resetVm(vm.name);
      vm.session = running.session;
      vm.dirty = false;
      this.options.log?.(`${vm.name}: reset to its boot snapshot in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (err) {
      // A VM that cannot be restored is replaced by a fresh boot.
      this.options.log?.(`${vm.name}: reset failed (${(err as Error).message}); booting a new one`);
      await this.stop(vm);
      const fresh = await this.boot(vm.kernel);
      Object.assign(vm, { name: fresh.name, session: fresh.session, release: fresh.release, dirty: false });
      this.vms.splice(this.vms.indexOf(fresh as PoolVm), 1, vm);
    }
  }

  release(lease: VmLease): void {
    const vm = lease as PoolVm;
    if (!this.vms.includes(vm)) return;
    vm.busy = false;
    const idleMs = this.options.idleStopMs ?? 0;
    if (idleMs > 0) {
      vm.idleTimer = setTimeout(() => {
        if (!vm.busy) void this.stop(vm).catch(() => undefined);
      }, idleMs);
      vm.idleTimer.unref();
    }
    this.wake();
    this.changed();
  }

  /** Stops every VM (waiting for QEMU to exit). */
  async dispose(): Promise<void> {
    this.disposed = true;
    await Promise.all([...this.vms].map((v) => this.stop(v).catch(() => undefined)));
    this.wake();
  }

  /** Synchronous, for exit handlers: kills every VM's QEMU now. */
  killNow(): void {
    this.disposed = true;
    for (const name of [...this.vms.map((v) => v.name), ...this.bootingNames]) killVmNow(name, { forget: true });
    this.vms.length = 0;
  }

  private take(vm: PoolVm): void {
    vm.busy = true;
    clearTimeout(vm.idleTimer);
    this.changed();
  }

  private async boot(kernel: string): Promise<PoolVm> {
    this.booting++;
    const name = `${this.prefix}-${kernel}-${++this.serial}`;
    const t0 = Date.now();
    this.options.log?.(`${name}: booting kernel ${kernel}`);
    this.bootingNames.add(name);
    try {
      const running = await startVm({
        name,
        kernel: parseKernel(kernel),
        snapshot: true,
        lifetimeSeconds: this.options.lifetimeSeconds ?? 0,
      });
      if (this.disposed) {
        // Shut down while it booted: it must not outlive the pool.
        await stopVm(name, { forget: true });
        throw new Error('the VM pool was shut down');
      }
      const vm: PoolVm = { kernel, name, session: running.session, release: running.state.release, busy: true, dirty: false };
      this.vms.push(vm);
      this.options.log?.(`${name}: up (${running.state.release}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return vm;
    } finally {
      this.booting--;
      this.bootingNames.delete(name);
      this.changed();
    }
  }

  private async stop(vm: PoolVm): Promise<void> {
    clearTimeout(vm.idleTimer);
    const i = this.vms.indexOf(vm);
    if (i >= 0) this.vms.splice(i, 1);
    await stopVm(vm.name, { forget: true });
    this.options.log?.(`${vm.name}: stopped`);
    this.wake();
    this.changed();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private changed(): void {
    this.options.onChange?.();
  }
}
