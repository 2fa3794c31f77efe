// A minimal client for QMP, the QEMU Machine Protocol: JSON objects, one a line, over the VM's unix
// socket. It reads the greeting, negotiates capabilities, runs one command at a time with a timeout,
// keeps the events QEMU sends, and polls query-migrate until a migration ends. Every wait is bounded
// and every failure is a QmpError saying which socket and which command.
import * as net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export type QmpErrorKind =
  /** The socket could not be opened (no QEMU, or not ours). */
  | 'connect'
  /** QEMU did not answer in time. */
  | 'timeout'
  /** QEMU answered with an error object. */
  | 'command'
  /** The connection closed (QEMU exited?). */
  | 'closed'
  /** Something that is not QMP came over the socket. */
  | 'protocol'
  /** A migration ended as failed or cancelled. */
  | 'migration';

export class QmpError extends Error {
  constructor(
    message: string,
    readonly kind: QmpErrorKind,
    /** QMP's error class (GenericError, CommandNotFound...) for kind 'command'. */
    readonly errorClass?: string,
  ) {
    super(message);
  }
}

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

/** What query-migrate returns (the fields used here); on a destination, `status` is the incoming one. */
export interface MigrationInfo {
  status?: string;
  'error-desc'?: string;
  'total-time'?: number;
  ram?: { transferred?: number; total?: number; duplicate?: number; normal?: number };
}

/** One message from the server, classified. */
export type QmpMessage =
  | { type: 'greeting'; version?: string }
  | { type: 'return'; id?: string; value: unknown }
  | { type: 'error'; id?: string; errorClass: string; desc: string }
  | { type: 'event'; event: QmpEvent };

/** Classifies one line QEMU sent; throws QmpError 'protocol' for anything that is not QMP. */
export function parseQmpLine(line: string): QmpMessage {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    throw new QmpError(`not QMP (invalid JSON): ${line.slice(0, 200)}`, 'protocol');
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw new QmpError(`not QMP: ${line.slice(0, 200)}`, 'protocol');
  const o = msg as Record<string, unknown>;
  const id = typeof o.id === 'string' ? o.id : undefined;
  if ('QMP' in o) {
    const v = (o.QMP as { version?: { qemu?: { major?: number; minor?: number; micro?: number } } } | null)?.version?.qemu;
    return { type: 'greeting', version: v ? `${v.major}.${v.minor}.${v.micro}` : undefined };
  }
  if ('return' in o) return { type: 'return', id, value: o.return };
  if ('error' in o) {
    const e = (o.error ?? {}) as { class?: unknown; desc?: unknown };
    return { type: 'error', id, errorClass: String(e.class ?? 'GenericError'), desc: String(e.desc ?? '(no description)') };
  }
  if (typeof o.event === 'string') return { type: 'event', event: o as unknown as QmpEvent };
  throw new QmpError(`not QMP: ${line.slice(0, 200)}`, 'protocol');
}

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

interface EventWaiter {
  name: string;
  match: (e: QmpEvent) => boolean;
  resolve: (e: QmpEvent) => void;
}

/** Events kept for a later waitEvent, oldest dropped first. */
const EVENT_BACKLOG = 100;

export class QmpClient {
  /** QEMU's version from the greeting, e.g. "7.2.22". */
  version: string | undefined;
  private buffer = '';
  private nextId = 0;
  private readonly pending = new Map<string, Pending>();
  private readonly events: QmpEvent[] = [];
  private readonly eventWaiters = new Set<EventWaiter>();
  private greeted: ((v: string | undefined) => void) | undefined;
  private closedError: QmpError | undefined;
  /** Rejects the greeting and event waits in progress when the connection fails. */
  private readonly waits = new Set<(err: Error) => void>();

  private constructor(
    private readonly socket: net.Socket,
    readonly socketPath: string,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (e) => this.fail(new QmpError(`QMP connection ${socketPath} lost: ${e.message} (did QEMU exit?)`, 'closed')));
    socket.on('close', () => this.fail(new QmpError(`QEMU closed the QMP connection ${socketPath} (did QEMU exit?)`, 'closed')));
  }

  /**
   * Opens the socket (retrying while it does not exist yet or refuses, as while QEMU starts, unless
   * `alive` says QEMU is gone), reads the greeting and negotiates capabilities, all within timeoutMs.
   */
  static async connect(socketPath: string, options: { timeoutMs?: number; alive?: () => boolean } = {}): Promise<QmpClient> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    let socket: net.Socket | undefined;
    while (!socket) {
      try {
        socket = await openSocket(socketPath, Math.max(1, deadline - Date.now()));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // ENOENT: not created yet; ECONNREFUSED: a socket file nobody listens on (yet, or any more).
        if (!(code === 'ENOENT' || code === 'ECONNREFUSED') || Date.now() >= deadline) {
          throw new QmpError(`cannot open QMP socket ${socketPath}: ${(e as Error).message}`, 'connect');
        }
        if (options.alive && !options.alive()) throw new QmpError(`cannot open QMP socket ${socketPath}: QEMU exited`, 'connect');
        await sleep(50);
      }
    }
    const client = new QmpClient(socket, socketPath);
    try {
      client.version = await client.withTimeout(
        new Promise<string | undefined>((resolve) => (client.greeted = resolve)),
        deadline - Date.now(),
        'greeting (QEMU serves one QMP client at a time: is another connected?)',
      );
      await client.execute('qmp_capabilities', undefined, Math.max(1, deadline - Date.now()));
    } catch (e) {
      client.close();
      throw e;
    }
    return client;
  }

  /** Runs a command; resolves with its `return` value, rejects with QmpError ('command', 'timeout', 'closed'). */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs = 10_000): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = `bpf-lsm-${++this.nextId}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new QmpError(`QMP '${command}' on ${this.socketPath}: no answer after ${timeoutMs} ms`, 'timeout'));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.write(JSON.stringify(args ? { execute: command, arguments: args, id } : { execute: command, id }) + '\n');
    });
  }

  /** The next event called `name` (and matching `match`), including ones that arrived before this call. */
  waitEvent(name: string, options: { timeoutMs?: number; match?: (e: QmpEvent) => boolean } = {}): Promise<QmpEvent> {
    const match = options.match ?? (() => true);
    const i = this.events.findIndex((e) => e.event === name && match(e));
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0]);
    if (this.closedError) return Promise.reject(this.closedError);
    let waiter: EventWaiter | undefined;
    const event = new Promise<QmpEvent>((resolve) => {
      waiter = { name, match, resolve };
      this.eventWaiters.add(waiter);
    });
    return this.withTimeout(event, options.timeoutMs ?? 10_000, `event ${name}`).finally(() => this.eventWaiters.delete(waiter!));
  }

  /**
   * Polls query-migrate until the migration (outgoing, or incoming on a destination) is `completed`;
   * rejects with QmpError 'migration' when it fails or is cancelled, 'timeout' after timeoutMs.
   */
  async waitMigration(options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<MigrationInfo> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    let last: MigrationInfo = {};
    while (Date.now() < deadline) {
      last = await this.execute<MigrationInfo>('query-migrate', undefined, Math.max(1, deadline - Date.now()));
      if (last.status === 'completed') return last;
      if (last.status === 'failed' || last.status === 'cancelled') {
        throw new QmpError(`migration ${last.status}: ${last['error-desc'] ?? 'QEMU gave no reason'}`, 'migration');
      }
      await sleep(options.intervalMs ?? 20);
    }
    throw new QmpError(`migration not completed after ${timeoutMs} ms (status: ${last.status ?? 'none'})`, 'timeout');
  }

  /** Ends the connection; pending commands reject with 'closed'. */
  close(): void {
    this.fail(new QmpError(`QMP connection ${this.socketPath} closed`, 'closed'));
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (!line) continue;
      let msg: QmpMessage;
      try {
        msg = parseQmpLine(line);
      } catch (e) {
        this.fail(e as QmpError);
        this.socket.destroy();
        return;
      }
      this.dispatch(msg);
    }
  }

  private dispatch(msg: QmpMessage): void {
    switch (msg.type) {
      case 'greeting':
        this.greeted?.(msg.version);
        this.greeted = undefined;
        return;
      case 'event': {
        const waiter = [...this.eventWaiters].find((w) => w.name === msg.event.event && w.match(msg.event));
        if (waiter) {
          this.eventWaiters.delete(waiter);
          waiter.resolve(msg.event);
        } else {
          this.events.push(msg.event);
          if (this.events.length > EVENT_BACKLOG) this.events.shift();
        }
        return;
      }
      default: {
        // Answers carry our id; one without (QEMU could not parse the request) goes to the oldest command.
        const id = msg.id ?? this.pending.keys().next().value;
        const p = id === undefined ? undefined : this.pending.get(id);
        if (!p) return;
        this.pending.delete(id!);
        clearTimeout(p.timer);
        if (msg.type === 'return') p.resolve(msg.value);
        else p.reject(new QmpError(`QMP '${p.command}' failed: ${msg.desc} (${msg.errorClass})`, 'command', msg.errorClass));
      }
    }
  }

  private fail(err: QmpError): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new QmpError(`QMP '${p.command}': ${err.message}`, err.kind));
    }
    this.pending.clear();
    for (const reject of [...this.waits]) reject(err);
  }

  /** Bounds a wait for the greeting or an event; it also ends when the connection fails. */
  private withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise<T>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.waits.delete(fail);
      };
      const fail = (err: Error) => {
        done();
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new QmpError(`QMP ${this.socketPath}: no ${what} after ${timeoutMs} ms`, 'timeout')),
        Math.max(1, timeoutMs),
      );
      this.waits.add(fail);
      promise.then((value) => {
        done();
        resolve(value);
      }, fail);
    });
  }
}

function openSocket(socketPath: string, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ path: socketPath });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`connect timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
