// Starts the VS Code server (code-server's lib/vscode/out/server-main.js on Node 24) on loopback, in a
// process group of its own, so that stopping it also ends the extension host, pty host and file
// watchers it forks. Every folder it writes to is under the given data folder (or is one it is given,
// such as an extensions folder that installExtension filled with its CLI).
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NODE24, SERVER_MAIN } from './paths';

export interface ServerOptions {
  /** Fresh folder for user data, server data, extensions, the XDG folders and TMPDIR. */
  dataDir: string;
  /** 0 picks a free port (the server reports the one it bound). */
  port?: number;
  /** User settings, over DEFAULT_SETTINGS (this build keeps them in the server's user-data folder). */
  settings?: Record<string, unknown>;
  /** Added to the server's environment, which the extension host inherits. */
  env?: Record<string, string>;
  /** Each line the server (and the extension host through it) prints. */
  onLine?: (line: string) => void;
  startTimeoutMs?: number;
  /** Extensions folder, such as one that installExtension filled; default: a fresh one in dataDir. */
  extensionsDir?: string;
  /**
   * Workspace trust on, without its startup prompt: a folder not trusted before (any folder, with a
   * fresh data folder) opens in Restricted Mode. Default off (`--disable-workspace-trust`).
   */
  workspaceTrust?: boolean;
}

export interface VsCodeServer {
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  /** The server's last lines of output, for a failure report. */
  readonly lines: readonly string[];
  /** Kills the whole process group; safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * Quiet and offline: no welcome page, and no chat/AI features, whose agent host would start a Copilot
 * runtime process and wait for GitHub sign-in; no telemetry, experiments or update checks.
 */
export const DEFAULT_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'workbench.enableExperiments': false,
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
};

// Process groups still alive: a last-resort SIGKILL when this process exits without stopping them.
const liveGroups = new Set<number>();
process.on('exit', () => {
  for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
});

export async function startServer(opts: ServerOptions): Promise<VsCodeServer> {
  const dir = (name: string) => {
    const p = path.join(opts.dataDir, name);
    fs.mkdirSync(p, { recursive: true });
    return p;
  };
  const userSettings = path.join(dir('user-data'), 'User', 'settings.json');
  fs.mkdirSync(path.dirname(userSettings), { recursive: true });
  const trust = opts.workspaceTrust ? { 'security.workspace.trust.startupPrompt': 'never' } : {};
  fs.writeFileSync(userSettings, JSON.stringify({ ...DEFAULT_SETTINGS, ...trust, ...opts.settings }, null, 2));
  const args = [
    SERVER_MAIN,
    '--host',
    '127.0.0.1',
    '--port',
    String(opts.port ?? 0),
    '--without-connection-token',
    '--accept-server-license-terms',
    ...(opts.workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--telemetry-level',
    'off',
    '--user-data-dir',
    dir('user-data'),
    '--server-data-dir',
    dir('server-data'),
    '--extensions-dir',
    opts.extensionsDir ?? dir('extensions'),
    // A built workbench reads the URL payload (extensionDevelopmentPath, extensionTestsPath) only with
    // the smoke-test driver on; it also reports the test exit code to window.codeAutomationExit.
    '--enable-smoke-test-driver',
  ];
  const env = { ...isolatedEnv(dir), ...opts.env };
  // detached: the child calls setsid(), so its pid is also the id of a new process group.
  const child = spawn(NODE24, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  spawnError.catch(() => undefined);
  const pgid = child.pid;
  if (pgid === undefined) throw await spawnError.catch((e: Error) => e); // no process: spawn's error
  liveGroups.add(pgid);

  const lines: string[] = [];
  const exitPromise = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // The leader may be gone while the extension host it forked lives on: stop by group, not by child.
  const stop = async () => {
    if (!liveGroups.has(pgid)) return;
    await killGroup(pgid);
    await Promise.race([exitPromise, delay(2000, true)]);
    liveGroups.delete(pgid);
  };

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`VS Code server did not start in ${opts.startTimeoutMs ?? 60000} ms`)),
      opts.startTimeoutMs ?? 60000,
    );
    const onLine = (line: string) => {
      lines.push(line);
      if (lines.length > 500) lines.splice(0, lines.length - 200); // a long 'open' session
      opts.onLine?.(line);
      const m = /Extension host agent listening on (\d+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    readLines(child.stdout, onLine);
    readLines(child.stderr, onLine);
    spawnError.catch((e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
    void exitPromise.then(() => {
      clearTimeout(timer);
      reject(new Error('VS Code server exited while starting'));
    });
  }).catch(async (e: Error) => {
    await stop();
    throw new Error(`${e.message}\n${lines.slice(-30).join('\n')}`);
  });

  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    lines,
    stop,
  };
}

/**
 * Installs a .vsix into extensionsDir with the server's own command line (`--install-extension`), as a
 * person would with `code --install-extension`; offline. Its user data and logs go to dataDir.
 * Rejects with the CLI's output when it fails.
 */
export function installExtension(vsix: string, extensionsDir: string, dataDir: string): Promise<string> {
  const dir = (name: string) => {
    const p = path.join(dataDir, name);
    fs.mkdirSync(p, { recursive: true });
    return p;
  };
  const args = [
    SERVER_MAIN,
    '--accept-server-license-terms',
    '--user-data-dir',
    dir('user-data'),
    '--server-data-dir',
    dir('server-data'),
    '--extensions-dir',
    extensionsDir,
    '--install-extension',
    path.resolve(vsix),
  ];
  return new Promise((resolve, reject) => {
    execFile(NODE24, args, { env: isolatedEnv(dir), timeout: 60_000 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim();
      if (error) reject(new Error(`installing ${vsix} failed (${error.code ?? error.signal}):\n${output}`));
      else resolve(output);
    });
  });
}

/** The environment of the server and its CLI: everything they write goes below the data folder. */
function isolatedEnv(dir: (name: string) => string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // Nothing in the home folder (VS Code's device id goes to the XDG cache, for one).
    XDG_CONFIG_HOME: dir('xdg/config'),
    XDG_CACHE_HOME: dir('xdg/cache'),
    XDG_DATA_HOME: dir('xdg/data'),
    XDG_STATE_HOME: dir('xdg/state'),
    // The server's IPC sockets then go into the data folder and are removed with it.
    TMPDIR: dir('tmp'),
    // code-server's build otherwise queries open-vsx.org for the running extensions: no gallery at all.
    EXTENSIONS_GALLERY: '{}',
  };
}

/** SIGTERM to the group, SIGKILL to what is left after a grace period; returns when the group is gone. */
async function killGroup(pgid: number): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  if (await waitGroupGone(pgid, 3000)) return;
  signalGroup(pgid, 'SIGKILL');
  if (!(await waitGroupGone(pgid, 3000))) throw new Error(`process group ${pgid} survived SIGKILL`);
}

function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitGroupGone(pgid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!groupAlive(pgid)) return true;
    await delay(50);
  }
  return !groupAlive(pgid);
}

/**
 * Whether a member of the group still runs. Killed children stay zombies until the server reaps them
 * (or, once it is gone, init does), and kill(-pgid, 0) counts those: /proc tells them apart.
 */
function groupAlive(pgid: number): boolean {
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return signalGroup(pgid, 0);
  }
  return pids.some((pid) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(pgrp) === pgid && state !== 'Z' && state !== 'X';
    } catch {
      return false; // exited while we looked
    }
  });
}

function readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) onLine(p.replace(/\r$/, ''));
  });
  stream.on('end', () => {
    if (rest) onLine(rest);
  });
}

/** unref: a pending delay does not keep this process alive. */
export function delay(ms: number, unref = false): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    if (unref) t.unref();
  });
}
