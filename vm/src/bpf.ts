// The host half of trying a BPF LSM program in the VM: vmlinux.h from the guest kernel's BTF,
// clang to a BPF object, and a loader session (lsm-loader in the guest) whose ssh connection
// holds the attachment: closing it detaches the program.
import { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cacheDir } from './paths';
import { requireCommand, runChecked } from './process';
import { shellQuote, Ssh } from './ssh';

/**
 * vmlinux.h for the running guest kernel: its BTF (/sys/kernel/btf/vmlinux) is copied to the host
 * and dumped as C by the host bpftool. Cached per kernel release.
 */
export async function vmlinuxHeader(ssh: Ssh, release: string): Promise<string> {
  const dir = path.join(cacheDir(), 'btf', release);
  const header = path.join(dir, 'vmlinux.h');
  if (fs.existsSync(header)) return dir;
  requireCommand('bpftool', 'bpftool');
  fs.mkdirSync(dir, { recursive: true });
  const btf = path.join(dir, 'vmlinux.btf');
  const r = await ssh.run('cat /sys/kernel/btf/vmlinux', { timeoutMs: 60_000 });
  if (r.code !== 0 || r.stdout.length === 0) throw new Error(`reading the guest's BTF failed: ${r.stderr.trim()}`);
  fs.writeFileSync(btf, r.stdout);
  const dump = await runChecked('bpftool', ['btf', 'dump', 'file', btf, 'format', 'c']);
  fs.writeFileSync(`${header}.tmp`, dump.stdout);
  fs.renameSync(`${header}.tmp`, header);
  return dir;
}

export interface CompileOptions {
  source: string;
  output: string;
  /** Folder holding vmlinux.h. */
  includeDir: string;
  /** -D definitions; string values are passed as C string literals. */
  defines?: Record<string, string>;
}

/** clang -O2 -g -target bpf, the usual way to build a CO-RE BPF object against vmlinux.h. */
export async function compileBpf(o: CompileOptions): Promise<void> {
  requireCommand('clang', 'clang');
  const defs = Object.entries(o.defines ?? {}).map(([k, v]) => `-D${k}=${JSON.stringify(v)}`);
  await runChecked('clang', [
    '-O2', '-g', '-target', 'bpf', '-D__TARGET_ARCH_x86', '-Wall', '-Werror',
    '-I', o.includeDir, ...defs, '-c', o.source, '-o', o.output,
  ]);
}

/** A running `lsm-loader OBJ` in the guest. Its programs stay attached until detach(). */
export class LoaderSession {
  private stdout = '';
  private stderr = '';
  private exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    child.stdin!.on('error', () => undefined);
    this.exited = new Promise((r) => child.on('close', (code) => r(code)));
  }

  /** Starts the loader on an object already in the guest; resolves once it printed "ready". */
  static async attach(ssh: Ssh, remoteObject: string, timeoutMs = 60_000): Promise<LoaderSession> {
    const s = new LoaderSession(ssh.spawn(`lsm-loader ${shellQuote(remoteObject)}`));
    const outcome = await Promise.race([
      new Promise<'ready'>((resolve) => {
        const check = () => /^ready$/m.test(s.stdout) && resolve('ready');
        s.child.stdout!.on('data', check);
      }),
      s.exited.then((code) => `exited with ${code}` as const),
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref()),
    ]);
    if (outcome !== 'ready') {
      s.child.kill('SIGKILL');
      throw new Error(`lsm-loader ${remoteObject}: ${outcome}\n${s.stdout}${s.stderr}`.trim());
    }
    return s;
  }

  /** "prog section" of every attached program, as the loader reported them. */
  get attached(): string[] {
    return [...this.stdout.matchAll(/^attached (.+)$/gm)].map((m) => m[1]);
  }

  get output(): string {
    return this.stdout + this.stderr;
  }

  /** Kills the local ssh client outright, as a dropped connection would; the guest must notice. */
  kill(): void {
    this.child.kill('SIGKILL');
  }

  /**
   * Closes the session's stdin: the loader sees EOF, destroys its links and exits, and ssh ends.
   * Resolves with the loader's exit status.
   */
  async detach(timeoutMs = 30_000): Promise<number | null> {
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
