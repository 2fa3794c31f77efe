// The remote engine: one target driven with no UI at all. It connects once (one ssh master connection),
// runs and caches the preflight and the target's BTF, compiles against that BTF, deploys the object and
// the loader, attaches (session-held or pinned), runs probes, streams trace_pipe and detaches. The
// editor's Run on Target, the VM tooling, the bench and the tests all drive targets through this class;
// each step returns typed results and fails with typed errors (SshError, TargetError, CompileError,
// AttachError) whose messages say what to do next.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type ActionResult, actionArgv, type HelperAction, parseActionResult } from './actionHelper';
import { type AttachedProgram, AttachSession, parseLoadFailure, type VerifierFailure } from './attachSession';
import { compileProgram, type CompileOptions, type CompilerMessage, fetchTargetBtf, type TargetBtf } from './buildBpf';
import { loadOnlyArgv, parseLoadOnly, type ProgramLoad } from './loadOnly';
import { preflight, type PreflightReport } from './preflight';
import { probeDenied, type ProbeResult } from './probe';
import { BTF_CHECKSUM_SCRIPT, parseProbeOutput, ProbeOutputError, type ProbedFacts } from './prober';
import { type RunOptions as SshRunOptions, type RunResult, SshConnection, SshError } from './sshConnection';
import { parseTarget, type SshTarget, type SshTargetSettings } from './sshTarget';
import { type TraceEvents, TraceStream, type TraceStreamOptions } from './traceStream';

/** Where objects (and a shipped loader, action helper or prober) are copied on the target. */
export const REMOTE_DIR = '/tmp/bpf-lsm-studio';
/** Where pinned links live on the target, one folder per object. */
export const PIN_ROOT = '/sys/fs/bpf/bpf-lsm-studio';

export interface EngineLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const SILENT: EngineLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface TargetSessionOptions {
  /** Where the target's BTF and vmlinux.h are cached, one folder per BTF checksum. */
  btfCache: string;
  /** A loader binary for the target's `uname -m`, copied over when the target has no lsm-loader on PATH. */
  shippedLoader?: (machine: string) => string | undefined;
  /** An lsm-action binary for the target's `uname -m`, copied over when the target has no lsm-action on PATH. */
  shippedActionHelper?: (machine: string) => string | undefined;
  /** An lsm-probe binary for the target's `uname -m`, copied over when the target has no lsm-probe on PATH. */
  shippedProber?: (machine: string) => string | undefined;
  /** Asked when the target's host key is unknown (with its fingerprints); true lets ssh record it. Default: refuse. */
  confirmHostKey?: (label: string, fingerprints: string) => Promise<boolean>;
  log?: EngineLog;
  /** Called whenever the set of attachments changes, including a session that ended by itself. */
  onAttachmentsChanged?: () => void;
}

export type TargetErrorKind = 'host-key-rejected' | 'blocked' | 'compile' | 'no-loader' | 'no-action-helper' | 'no-prober' | 'probe-failed';

/** A step that cannot go on, with the reason and the next step in its message. */
export class TargetError extends Error {
  constructor(
    message: string,
    readonly kind: TargetErrorKind,
  ) {
    super(message);
  }
}

/** clang refused the source; `messages` are its parsed diagnostics, `output` its whole stderr. */
export class CompileError extends TargetError {
  constructor(readonly compiled: CompiledObject) {
    super(`clang could not compile ${path.basename(compiled.source)}`, 'compile');
  }
}

export interface CompiledObject {
  source: string;
  /** The local object file. */
  object: string;
  messages: CompilerMessage[];
  /** clang's stderr. */
  output: string;
}

export interface AttachOptions {
  /** What the attachment is known by (a document, a test); attaching under a key detaches its previous programs. Default: the remote object. */
  key?: string;
  /** A short name for log lines (default: the key). */
  name?: string;
  /** Pin the links under PIN_ROOT (they outlive the session until detach). */
  pin?: boolean;
  /** Pin the links in this folder instead. */
  pinDir?: string;
  timeoutMs?: number;
}

export interface LoadOptions {
  /** The verifier's log level (1: its log, 2: every instruction's state with `; source @ file:line`). Default: a log only on a refusal. */
  logLevel?: number;
  timeoutMs?: number;
}

/** Each program of an object loaded on its own (nothing attached, nothing left loaded), and what the loader printed. */
export interface LoadReport {
  programs: ProgramLoad[];
  output: string;
}

/** The loader could not give a verdict per program: the object did not open, has no programs, or the loader is too old. */
export class LoadError extends Error {
  constructor(
    message: string,
    readonly failure: VerifierFailure,
  ) {
    super(message);
  }
}

export interface RunOptions extends AttachOptions, CompileOptions {
  /** Run this on the target once attached; its result says whether it was denied with EPERM. */
  probeCommand?: string;
}

export interface RunOutcome {
  attached: AttachedProgram[];
  kernelRelease: string;
  bpfActive: boolean;
  compiled: CompiledObject;
  session: AttachSession;
  probe?: ProbeResult;
}

export interface TargetStatus {
  target: string;
  kernel?: string;
  bpfActive?: boolean;
  /** `name (section)` of every program attached through this session. */
  attached: string[];
  /** Folders under PIN_ROOT on the target. */
  pinned: string[];
}

export class TargetSession {
  readonly target: SshTarget;
  private readonly log: EngineLog;
  private conn: SshConnection | undefined;
  private connecting: Promise<SshConnection> | undefined;
  private report: PreflightReport | undefined;
  private btfInfo: TargetBtf | undefined;
  private loaderPath: string | undefined;
  private actionHelperPath: string | undefined;
  private proberPath: string | undefined;
  private probed: Promise<{ facts: ProbedFacts; file: string }> | undefined;
  private workDir: string | undefined;
  private readonly sessions = new Map<string, AttachSession>();
  private trace: TraceStream | undefined;

  constructor(
    settings: SshTargetSettings,
    private readonly options: TargetSessionOptions,
  ) {
    this.target = parseTarget(settings);
    this.log = options.log ?? SILENT;
  }

  get label(): string {
    return this.target.label;
  }

  /** The open connection, if connect() succeeded (for ssh-level checks in tests). */
  get connection(): SshConnection | undefined {
    return this.conn;
  }

  /**
   * Opens the master connection once (later calls share it). An unknown host key goes to confirmHostKey.
   * `connectTimeoutSeconds` bounds this first connection (a booting VM is polled with a short one).
   */
  connect(options: { connectTimeoutSeconds?: number } = {}): Promise<SshConnection> {
    this.connecting ??= this.openConnection(options.connectTimeoutSeconds).catch((err: unknown) => {
      this.connecting = undefined;
      throw err;
    });
    return this.connecting;
  }

  private async openConnection(connectTimeoutSeconds: number | undefined): Promise<SshConnection> {
    const conn = new SshConnection(this.target);
    try {
      try {
        await conn.check(['true'], { timeoutMs: 30_000, connectTimeoutSeconds });
      } catch (err) {
        if (!(err instanceof SshError && err.kind === 'unknown-host-key' && this.options.confirmHostKey)) throw err;
        const keys = await conn.scanHostKeys();
        if (!(await this.options.confirmHostKey(this.target.label, keys))) {
          throw new TargetError(`Not connected: the host key of ${this.target.label} was not accepted.`, 'host-key-rejected');
        }
        conn.acceptNewHostKeys();
        await conn.check(['true'], { timeoutMs: 30_000 });
      }
    } catch (err) {
      await conn.close();
      throw err;
    }
    this.conn = conn;
    this.log.info(`connected to ${this.target.label}`);
    return conn;
  }

  /** Runs argv on the target (quoted for its shell); ssh failures reject with SshError. */
  async exec(argv: readonly string[], options: SshRunOptions = {}): Promise<RunResult> {
    return (await this.connect()).run(argv, options);
  }

  /** Like exec, but the command must succeed; returns its stdout. */
  async check(argv: readonly string[], options: SshRunOptions = {}): Promise<string> {
    return (await this.connect()).check(argv, options);
  }

  /** A shell script on the target (`sh -c`). */
  shell(script: string, options: SshRunOptions = {}): Promise<RunResult> {
    return this.exec(['sh', '-c', script], options);
  }

  /** The target's preflight, once per session; `fresh` runs it again. */
  async preflight(fresh = false): Promise<PreflightReport> {
    const conn = await this.connect();
    if (!this.report || fresh) {
      this.report = await preflight(conn);
      this.log.info(`target ${this.target.label}: kernel ${this.report.kernelRelease}, LSMs ${this.report.lsms.join(',') || '(none)'}`);
    }
    return this.report;
  }

  /** The preflight, failing with TargetError 'blocked' when the target cannot run BPF LSM programs at all. */
  async requireRunnable(): Promise<PreflightReport> {
    const report = await this.preflight();
    if (report.blockers.length > 0)
      throw new TargetError(`${this.target.label} cannot run BPF LSM programs: ${report.blockers.join(' ')}`, 'blocked');
    return report;
  }

  /** The target's BTF and the vmlinux.h made from it (cached on disk by checksum, and per session). */
  async btf(fresh = false): Promise<TargetBtf> {
    if (!this.btfInfo || fresh) this.btfInfo = await fetchTargetBtf(await this.connect(), this.options.btfCache);
    return this.btfInfo;
  }

  /** Compiles a program for the target; rejects with CompileError (clang's parsed messages) when clang fails. */
  async compile(source: string, options: CompileOptions & { output?: string } = {}): Promise<CompiledObject> {
    const report = await this.preflight();
    const btf = await this.btf();
    const object = options.output ?? path.join(this.localDir(), path.basename(source).replace(/\.c$/, '') + '.o');
    const r = await compileProgram(source, object, btf.dir, report.machine, options);
    const compiled: CompiledObject = { source, object, messages: r.messages, output: r.output };
    if (!r.ok) throw new CompileError(compiled);
    return compiled;
  }

  /** Copies a local object to the target (under REMOTE_DIR unless a path is given); returns the remote path. */
  async deploy(localObject: string, remoteObject = `${REMOTE_DIR}/${path.basename(localObject)}`): Promise<string> {
    const conn = await this.connect();
    await conn.check(['mkdir', '-p', path.posix.dirname(remoteObject)], { privileged: true });
    await conn.copyTo(localObject, remoteObject, true);
    return remoteObject;
  }

  /** lsm-loader on the target: its own if on PATH, else the shipped one for its machine, copied over once. */
  async loader(): Promise<string> {
    return (this.loaderPath ??= await this.toolOnTarget('lsm-loader', (r) => r.loaderInstalled, this.options.shippedLoader, 'no-loader'));
  }

  /** lsm-action (the policy tests' action helper) on the target, found or copied over like the loader. */
  async actionHelper(): Promise<string> {
    return (this.actionHelperPath ??= await this.toolOnTarget(
      'lsm-action',
      (r) => r.actionHelperInstalled,
      this.options.shippedActionHelper,
      'no-action-helper',
    ));
  }

  /**
   * Does one action with the action helper and returns the errno it got. Runs privileged (through sudo when
   * the target is so configured): the program under test, not file permissions, should be what denies.
   * Rejects with ActionHelperError when the helper reports no result.
   */
  async act(action: HelperAction, options: { timeoutMs?: number } = {}): Promise<ActionResult> {
    const argv = actionArgv(action, await this.actionHelper());
    const r = await this.exec(argv, { privileged: true, timeoutMs: options.timeoutMs ?? 60_000 });
    const result = parseActionResult(r.stdout, r.stderr, r.exitCode);
    this.log.info(`${argv.slice(1).join(' ')}: ${result.errno.code === 0 ? 'succeeded' : result.errno.name}`);
    return result;
  }

  /** lsm-probe (the hook prober) on the target, found or copied over like the loader. */
  async prober(): Promise<string> {
    return (this.proberPath ??= await this.toolOnTarget('lsm-probe', (r) => r.proberInstalled, this.options.shippedProber, 'no-prober'));
  }

  /**
   * What the target's kernel allows on each hook, asked of the kernel itself: lsm-probe loads minimal
   * programs on every hook (nothing is attached). Cached on disk by the target's BTF checksum (next to
   * its BTF, as `probe.json`) and per session; `fresh` probes again. Rejects with TargetError
   * 'probe-failed' (the prober's reason) or 'no-prober'. Callers at the same time share one probe.
   */
  probeHooks(fresh = false): Promise<{ facts: ProbedFacts; file: string }> {
    if (!this.probed || fresh)
      this.probed = this.runProber(fresh).catch((err: unknown) => {
        this.probed = undefined;
        throw err;
      });
    return this.probed;
  }

  private async runProber(fresh: boolean): Promise<{ facts: ProbedFacts; file: string }> {
    const sum = this.btfInfo?.checksum ?? (await this.check(['sh', '-c', BTF_CHECKSUM_SCRIPT])).split(/\s+/)[0];
    if (!/^[0-9a-f]{64}$/.test(sum)) throw new TargetError(`could not checksum the BTF of ${this.target.label}: ${sum}`, 'probe-failed');
    const file = path.join(this.options.btfCache, sum, 'probe.json');
    if (!fresh && fs.existsSync(file)) {
      try {
        const facts = parseProbeOutput(fs.readFileSync(file, 'utf8'));
        if (facts.btfChecksum === sum) return { facts, file };
      } catch (err) {
        if (!(err instanceof ProbeOutputError)) throw err;
        this.log.warn(`${file}: ${err.message}; probing again`);
      }
    }
    const prober = await this.prober();
    const r = await this.exec([prober], { privileged: true, timeoutMs: 120_000 });
    const said = (r.stderr.trim().split('\n').pop() ?? '').replace(/^lsm-probe: /, '');
    if (r.exitCode !== 0)
      throw new TargetError(
        `lsm-probe on ${this.target.label} ${r.exitCode === undefined ? 'did not finish' : `exited with ${r.exitCode}`}: ${said || '(nothing on stderr)'}`,
        'probe-failed',
      );
    let facts: ProbedFacts;
    try {
      facts = parseProbeOutput(r.stdout);
    } catch (err) {
      if (!(err instanceof ProbeOutputError)) throw err;
      throw new TargetError(`${err.message} on ${this.target.label}${said ? ` (${said})` : ''}`, 'probe-failed');
    }
    if (facts.btfChecksum !== sum)
      throw new TargetError(`the BTF of ${this.target.label} changed while it was probed; try again`, 'probe-failed');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Another process (a second window) may be writing the same file.
    fs.writeFileSync(`${file}.${process.pid}.tmp`, r.stdout);
    fs.renameSync(`${file}.${process.pid}.tmp`, file);
    this.log.info(
      `probed ${facts.hooks.length} hooks of ${this.target.label} (${facts.release}): ${facts.loads} loads in ${facts.ms} ms on the target`,
    );
    return { facts, file };
  }

  /** A tool on the target: its own if on PATH, else the one shipped for its machine, copied under REMOTE_DIR. */
  private async toolOnTarget(
    tool: string,
    installed: (report: PreflightReport) => boolean,
    shipped: ((machine: string) => string | undefined) | undefined,
    missing: TargetErrorKind,
  ): Promise<string> {
    const report = await this.preflight();
    if (installed(report)) return tool;
    const local = shipped?.(report.machine);
    if (!local || !fs.existsSync(local))
      throw new TargetError(`${this.target.label} has no ${tool} and none is shipped for ${report.machine}.`, missing);
    const remote = await this.deploy(local, `${REMOTE_DIR}/${tool}`);
    await this.check(['chmod', '+x', remote], { privileged: true });
    return remote;
  }

  /** Copies a local object over and attaches it under `key` (detaching what that key held before). */
  async attachObject(localObject: string, options: AttachOptions = {}): Promise<AttachSession> {
    const remoteObject = `${REMOTE_DIR}/${path.basename(localObject)}`;
    await this.detach(options.key ?? remoteObject);
    await this.deploy(localObject, remoteObject);
    return this.attach(remoteObject, options);
  }

  /** Loads and attaches every program of an object already on the target; AttachError says why the kernel refused. */
  async attach(remoteObject: string, options: AttachOptions = {}): Promise<AttachSession> {
    const key = options.key ?? remoteObject;
    const name = options.name ?? key;
    await this.detach(key);
    const conn = await this.connect();
    const loader = await this.loader();
    const pinDir =
      options.pinDir ??
      (options.pin ? `${PIN_ROOT}/${path.posix.basename(remoteObject, '.o').replace(/[^A-Za-z0-9_.-]/g, '_')}` : undefined);
    const session = await AttachSession.start(conn, loader, remoteObject, { pinDir, timeoutMs: options.timeoutMs });
    this.sessions.set(key, session);
    session.onExit(() => {
      if (this.sessions.get(key) !== session) return;
      if (!session.pinned) {
        this.sessions.delete(key);
        this.log.warn(`${name}: the attach session on ${this.target.label} ended; its programs are detached`);
      }
      this.options.onAttachmentsChanged?.();
    });
    this.log.info(
      `attached ${session.attached.map((p) => `${p.name} (${p.section})`).join(', ')} on ${this.target.label}${pinDir ? `, pinned in ${pinDir}` : ''}`,
    );
    this.options.onAttachmentsChanged?.();
    return session;
  }

  /** Copies a local object over and loads it without attaching (see load). */
  async loadObject(localObject: string, options: LoadOptions = {}): Promise<LoadReport> {
    return this.load(await this.deploy(localObject), options);
  }

  /**
   * Loads every program of an object already on the target, each on its own, and unloads it again: the
   * verifier's verdict per program without attaching anything (also for `lsm_cgroup/` programs, which
   * need a cgroup to attach to). A refused program is a result, not an error; LoadError when there is
   * no verdict at all.
   */
  async load(remoteObject: string, options: LoadOptions = {}): Promise<LoadReport> {
    const loader = await this.loader();
    const r = await this.exec(loadOnlyArgv(loader, remoteObject, options.logLevel), {
      privileged: true,
      timeoutMs: options.timeoutMs ?? 120_000,
    });
    const output = r.stdout + r.stderr;
    const programs = parseLoadOnly(r.stdout, r.stderr);
    if (programs) {
      this.log.info(
        `loaded ${remoteObject} on ${this.target.label}: ${programs.map((p) => `${p.name} ${p.loaded ? 'loads' : `refused (${p.failure.firstError})`}`).join(', ')}`,
      );
      return { programs, output };
    }
    const failure = parseLoadFailure(output);
    if (/usage: lsm-loader/.test(r.stderr) && !/--load-only/.test(r.stderr))
      throw new LoadError(
        `the lsm-loader on ${this.target.label} cannot load without attaching (it has no --load-only): update it`,
        failure,
      );
    throw new LoadError(
      `lsm-loader on ${this.target.label} ${r.exitCode === undefined ? 'did not finish' : `exited with ${r.exitCode}`}: ${failure.firstError}`,
      failure,
    );
  }

  /** The whole run: preflight (blockers stop it), compile, deploy, attach, and the probe if one is given. */
  async run(source: string, options: RunOptions = {}): Promise<RunOutcome> {
    const report = await this.requireRunnable();
    const compiled = await this.compile(source, options);
    const session = await this.attachObject(compiled.object, { key: source, name: path.basename(source), ...options });
    const outcome: RunOutcome = {
      attached: session.attached,
      kernelRelease: report.kernelRelease,
      bpfActive: report.bpfActive,
      compiled,
      session,
    };
    if (options.probeCommand) outcome.probe = await this.probe(options.probeCommand);
    return outcome;
  }

  /** Detaches the programs held under one key, or all; pinned ones lose their pins. Returns how many programs. */
  async detach(key?: string): Promise<number> {
    const keys = key !== undefined ? [key] : [...this.sessions.keys()];
    let count = 0;
    for (const k of keys) {
      const session = this.sessions.get(k);
      if (!session) continue;
      this.sessions.delete(k);
      await session.detach();
      // Only this session's pins: other programs pinned on the target are not ours to remove.
      if (session.pinDir && this.conn) await this.conn.check(['rm', '-rf', session.pinDir], { privileged: true });
      count += session.attached.length;
    }
    this.options.onAttachmentsChanged?.();
    return count;
  }

  /** The attachments held now, by key. */
  get attachments(): ReadonlyMap<string, AttachSession> {
    return this.sessions;
  }

  get attachedCount(): number {
    return [...this.sessions.values()].reduce((n, s) => n + s.attached.length, 0);
  }

  /** Runs the probe on the target and says whether it was denied with EPERM. */
  async probe(command: string, timeoutMs = 60_000): Promise<ProbeResult> {
    const r = await this.exec(['sh', '-c', command], { timeoutMs });
    const output = (r.stdout + r.stderr).trim();
    const result: ProbeResult = { command, denied: probeDenied(r.exitCode, output), exitCode: r.exitCode, output };
    this.log.info(`probe '${command}': exit ${r.exitCode}, ${result.denied ? 'denied with EPERM' : 'not denied'}: ${output}`);
    return result;
  }

  /**
   * Streams trace_pipe (earlier lines cleared) into `events`; undefined when the target has no tracefs.
   * `options.command` (diagnostics only) reads a generator such as `syntheticTraceCommand()` instead.
   */
  async startTrace(events: TraceEvents, options: TraceStreamOptions = {}): Promise<TraceStream | undefined> {
    if (this.trace?.running) return this.trace;
    const conn = await this.connect();
    const report = await this.preflight();
    if (!report.tracefs) return undefined;
    this.trace = new TraceStream(conn, report.tracefs, events, options);
    await this.trace.start();
    return this.trace;
  }

  get tracing(): boolean {
    return !!this.trace?.running;
  }

  async stopTrace(): Promise<void> {
    await this.trace?.stop();
    this.trace = undefined;
  }

  /** What is attached through this session, and what is pinned on the target. */
  async status(): Promise<TargetStatus> {
    const attached = [...this.sessions.values()].flatMap((x) => x.attached.map((p) => `${p.name} (${p.section})`));
    if (!this.conn) return { target: this.target.label, attached, pinned: [] };
    const report = await this.preflight();
    const pinned = (await this.conn.run(['sh', '-c', `ls ${PIN_ROOT} 2>/dev/null`], { privileged: true })).stdout
      .split('\n')
      .filter(Boolean);
    return { target: this.target.label, kernel: report.kernelRelease, bpfActive: report.bpfActive, attached, pinned };
  }

  /** Stops the trace, detaches session-held programs (pinned ones stay), closes the connection. */
  async close(): Promise<void> {
    await this.stopTrace();
    for (const session of this.sessions.values()) if (!session.pinned) await session.detach();
    this.sessions.clear();
    const conn = this.conn ?? (await this.connecting?.catch(() => undefined));
    this.conn = undefined;
    this.connecting = undefined;
    this.report = undefined;
    this.btfInfo = undefined;
    this.loaderPath = undefined;
    this.actionHelperPath = undefined;
    this.proberPath = undefined;
    this.probed = undefined;
    await conn?.close();
    if (this.workDir) fs.rmSync(this.workDir, { recursive: true, force: true });
    this.workDir = undefined;
  }

  /** For exit handlers that cannot wait: forgets the connection's private folder (the master ends with its link). */
  closeNow(): void {
    for (const session of this.sessions.values()) if (!session.pinned) session.kill();
    if (this.conn) fs.rmSync(this.conn.controlDir, { recursive: true, force: true });
    if (this.workDir) fs.rmSync(this.workDir, { recursive: true, force: true });
  }

  private localDir(): string {
    this.workDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-build-'));
    return this.workDir;
  }
}
