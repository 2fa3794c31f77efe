// An attachment on the target: `lsm-loader OBJ` runs over its own ssh session and holds the links, so
// the programs stay attached exactly as long as that session (a closed window or a dropped connection
// detaches them). With a pin directory the links outlive the session until the pins are removed.
import type { ResultPromise } from 'execa' with { 'resolution-mode': 'import' };
import type { SshConnection } from './sshConnection';

export interface AttachedProgram {
  name: string;
  section: string;
}

export interface VerifierFailure {
  /** The program libbpf named, if any. */
  program?: string;
  /** The verifier's (or libbpf's) first error line. */
  firstError: string;
  /** Everything the loader printed. */
  log: string;
}

export class AttachError extends Error {
  constructor(
    message: string,
    readonly failure: VerifierFailure,
  ) {
    super(message);
  }
}

/** Finds the line that says why the kernel refused a program in libbpf's output. */
export function parseLoadFailure(log: string): VerifierFailure {
  const program = /libbpf: prog '([^']+)': (?:BPF program load failed|failed to load)/.exec(log)?.[1];
  const verifier = /-- BEGIN PROG LOAD LOG --\n([\s\S]*?)\n-- END PROG LOAD LOG --/.exec(log)?.[1];
  if (verifier) {
    const lines = verifier
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const processed = lines.findIndex((l) => /^processed \d+ insns/.test(l));
    // Newer verifiers (Debian's 7.3) follow their message with an explained block ("Verification failed:",
    // "Reason:", source and instruction context) before the statistics: the message is the line before it.
    const explained = lines.findIndex((l) => /^Verification failed:/.test(l));
    // The verifier states its reason just before its statistics line; without one, the last line.
    const reason = explained > 0 ? lines[explained - 1] : processed > 0 ? lines[processed - 1] : lines[lines.length - 1];
    if (reason) return { program, firstError: reason, log };
  }
  // libbpf's line that names the cause ("extern ... not found in kernel or module BTFs"), not its summary.
  const lines = log.split('\n').filter((l) => !/^libbpf: failed to load object /.test(l));
  const libbpf = lines.find((l) => /libbpf: .*(failed|error|invalid|not supported|not found|-E[A-Z]+)/i.test(l));
  return { program, firstError: (libbpf ?? log.trim().split('\n').pop() ?? 'the loader failed').replace(/^libbpf: /, ''), log };
}

/** `attached PROG SECTION` lines of lsm-loader, one per program it attached (or pinned). */
export function parseAttached(stdout: string): AttachedProgram[] {
  return [...stdout.matchAll(/^attached (\S+) (\S+)$/gm)].map((m) => ({ name: m[1], section: m[2] }));
}

/** The loader's command line: hold the links on the session, or pin them under `pinDir` and exit. */
export function loaderArgv(loader: string, remoteObject: string, pinDir?: string): string[] {
  return pinDir ? [loader, '--pin', pinDir, remoteObject] : [loader, remoteObject];
}

export class AttachSession {
  private stdout = '';
  private stderr = '';
  private readonly exited: Promise<number | undefined>;
  private exitListeners: ((code: number | undefined) => void)[] = [];
  closed = false;

  /** `pinDir`: where the links are pinned (they outlive the session until it is removed), or undefined. */
  private constructor(
    private readonly child: ResultPromise,
    readonly remoteObject: string,
    readonly pinDir: string | undefined,
  ) {
    child.stdout!.on('data', (d: Buffer | string) => (this.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer | string) => (this.stderr += d.toString()));
    child.stdin!.on('error', () => undefined);
    this.exited = child
      .then(
        (r) => r.exitCode,
        () => undefined,
      )
      .then((code) => {
        this.closed = true;
        for (const l of this.exitListeners) l(code);
        return code;
      });
  }

  /** Loads and attaches every program of an object already on the target. */
  static async start(
    conn: SshConnection,
    loader: string,
    remoteObject: string,
    options: { pinDir?: string; timeoutMs?: number } = {},
  ): Promise<AttachSession> {
    const argv = loaderArgv(loader, remoteObject, options.pinDir);
    const session = new AttachSession((await conn.spawn(argv, { privileged: true })).subprocess, remoteObject, options.pinDir);
    const outcome = await Promise.race([
      new Promise<'ready'>((resolve) => {
        const check = () => /^ready$/m.test(session.stdout) && resolve('ready');
        session.child.stdout!.on('data', check);
        check();
      }),
      session.exited.then(() => 'exited' as const),
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), options.timeoutMs ?? 120_000).unref()),
    ]);
    if (outcome === 'ready') return session;
    session.child.kill('SIGKILL');
    await session.exited;
    const failure = parseLoadFailure(session.output);
    throw new AttachError(
      outcome === 'timeout'
        ? 'the loader did not report back in time'
        : `the kernel refused ${failure.program ?? 'the object'}: ${failure.firstError}`,
      failure,
    );
  }

  get pinned(): boolean {
    return this.pinDir !== undefined;
  }

  get attached(): AttachedProgram[] {
    return parseAttached(this.stdout);
  }

  get output(): string {
    return this.stdout + this.stderr;
  }

  onExit(listener: (code: number | undefined) => void): void {
    this.exitListeners.push(listener);
  }

  /** Drops the ssh session without a goodbye, as a lost connection would. */
  kill(): void {
    this.child.kill('SIGKILL');
  }

  /** Ends the session: the loader sees EOF, destroys its links and exits. */
  async detach(timeoutMs = 30_000): Promise<number | undefined> {
    if (this.closed) return this.exited;
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
