// Runs an extension's mocha suite inside a real VS Code extension host, headless: the VS Code server
// from code-server (Node 24) on loopback, and its web workbench in Debian's chromium. Also opens
// VS Code with the extension loaded for a person, on a printed URL.
//
//   node out/test/e2e/runVsCode.js test --extension DIR --tests MODULE --workspace DIR [--screenshots DIR]
//   node out/test/e2e/runVsCode.js open --extension DIR --workspace DIR [--port N]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as util from 'node:util';
import { OUTPUT_TAG, SCREENSHOT_MARKER, STARTED_MARKER, TAG_ENV, parseResult } from './hostProtocol';
import { checkInputs, openVsCode } from '../../scripts/vscode/openVsCode';
import { checkTools } from '../../scripts/vscode/paths';
import { startServer, type ServerOptions, type VsCodeServer } from '../../scripts/vscode/vscodeServer';
import { launchBrowser, waitForWorkbench, workbenchUrl, type Browser } from '../../scripts/vscode/workbench';

/** The extension's output channel (client/src/extension.ts). */
const EXTENSION_LOG = 'BPF LSM Studio';

export interface RunOptions {
  /** Folder with the extension's package.json. */
  extensionPath: string;
  /** Module (or folder with index.js) exporting run(): Promise<void>. */
  testsPath: string;
  /** Folder opened in VS Code while the tests run. */
  workspace: string;
  /** User settings for the run (the extension's own, say), over vscodeServer's DEFAULT_SETTINGS. */
  settings?: Record<string, unknown>;
  /** Saves PNGs of the workbench here: once loaded, at the end, and on a timeout or error. */
  screenshotDir?: string;
  /** Whole run, from launch to the extension host's exit. */
  timeoutMs?: number;
  /** Also print the server's and the workbench's own logs (otherwise only their errors, on failure). */
  verbose?: boolean;
  /** Server options: an extensions folder installed beforehand, workspace trust on, environment. */
  server?: Pick<ServerOptions, 'extensionsDir' | 'workspaceTrust' | 'env'>;
  /** Where output goes; default stdout. */
  log?: (line: string) => void;
}

/** Milliseconds from launch, for the timing line. */
export interface Timings {
  server: number;
  browser?: number;
  workbench?: number;
  testsStarted?: number;
  hostExit?: number;
  /** Closing the browser and the server, removing the folders. */
  cleanup?: number;
}

export interface RunResult {
  /** The extension host's exit code: 0 when run() resolved. */
  exitCode: number;
  timings: Timings;
  passes?: number;
  failures?: number;
}

/**
 * Resolves with the extension host's exit code (0: every test passed); rejects when VS Code could not
 * run the suite at all (no server, no workbench, timeout). Always stops the browser and the server's
 * process group and removes its temporary folders.
 */
export async function runExtensionTests(opts: RunOptions): Promise<number> {
  return (await runExtensionTestsDetailed(opts)).exitCode;
}

export async function runExtensionTestsDetailed(opts: RunOptions): Promise<RunResult> {
  checkTools();
  checkInputs(opts);
  const log = opts.log ?? ((line: string) => console.log(line));
  const start = Date.now();
  const since = () => Date.now() - start;
  const timeoutMs = opts.timeoutMs ?? 5 * 60_000;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-e2e-'));
  const removeTmp = () => fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  process.on('exit', removeTmp); // if this process is made to exit mid-run
  const result: RunResult = { exitCode: -1, timings: { server: 0 } };
  let server: VsCodeServer | undefined;
  let browser: Browser | undefined;
  let shot = 0;
  const screenshot = async (name: string) => {
    if (!opts.screenshotDir || !browser) return;
    fs.mkdirSync(opts.screenshotDir, { recursive: true });
    const file = path.join(opts.screenshotDir, `${String(++shot).padStart(2, '0')}-${name}.png`);
    await browser.page.screenshot({ path: file }).then(
      () => log(`[e2e] screenshot ${file}`),
      () => undefined,
    );
  };
  // The workbench log (codeAutomationLog) carries the extension host's console among its own lines.
  // The in-host runner tags its own; while the suite runs, the rest is printed too (the tests' and the
  // extension's console output, and a little of the workbench's); the errors are kept for a report.
  const workbenchErrors: string[] = [];
  let suiteRunning = false;
  // Workbench chatter of VS Code 1.139 that lands between the markers; missing one here costs a line.
  const chatter = /^(Ignoring fetching additional builtin extensions|Updating additional builtin extensions cache|\[AccountPolicyGate\])/;
  const onWorkbenchLog = (type: string, args: unknown) => {
    const text = util.format(...(Array.isArray(args) ? args : [args]));
    for (const line of text.split('\n')) {
      if (line.startsWith(OUTPUT_TAG)) onHostLine(line.slice(OUTPUT_TAG.length));
      else if (opts.verbose || (suiteRunning && !chatter.test(line))) log(`[vscode ${type}] ${line}`);
    }
    if (!text.includes(OUTPUT_TAG) && (type === 'error' || type === 'warn')) workbenchErrors.push(`[vscode ${type}] ${text}`);
  };
  const onHostLine = (line: string) => {
    if (line.startsWith(SCREENSHOT_MARKER)) {
      void screenshot(
        line
          .slice(SCREENSHOT_MARKER.length)
          .trim()
          .replace(/[^A-Za-z0-9_-]/g, '-'),
      );
      return;
    }
    if (line.startsWith(STARTED_MARKER)) {
      suiteRunning = true;
      result.timings.testsStarted ??= since();
    }
    const counts = parseResult(line);
    if (counts) {
      suiteRunning = false;
      Object.assign(result, counts);
    }
    log(line);
  };
  const reportWorkbenchErrors = () => {
    if (opts.verbose || workbenchErrors.length === 0) return;
    log(`[e2e] errors and warnings in the workbench log (the last ${Math.min(workbenchErrors.length, 50)}):`);
    for (const l of workbenchErrors.slice(-50)) log(l.split('\n').slice(0, 12).join('\n'));
  };

  let timer: NodeJS.Timeout | undefined;
  try {
    server = await startServer({
      ...opts.server,
      dataDir: path.join(tmp, 'server'),
      settings: opts.settings,
      env: { ...opts.server?.env, [TAG_ENV]: '1' },
      onLine: (line) => {
        if (opts.verbose) log(`[server] ${line}`);
      },
    });
    result.timings.server = since();
    browser = await launchBrowser(path.join(tmp, 'browser'));
    result.timings.browser = since();
    const page = browser.page;

    // The smoke-test driver hands the extension host's log lines and, once its run() settled, its
    // exit code to these two functions on window (as VS Code's own browser test runner does).
    const exit = new Promise<number>((resolve, reject) => {
      void page.exposeFunction('codeAutomationLog', onWorkbenchLog).catch(reject);
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code)).catch(reject);
      page.once('crash', () => reject(new Error('the workbench page crashed')));
      page.once('close', () => reject(new Error('the workbench page closed before the tests ended')));
      timer = setTimeout(() => reject(new Error(`no result after ${timeoutMs} ms`)), timeoutMs);
    });
    exit.catch(() => undefined); // it may settle while page.goto is awaited; it is awaited below
    if (opts.verbose) page.on('pageerror', (e) => log(`[page error] ${e.message}`));

    const url = workbenchUrl({
      origin: server.origin,
      workspace: opts.workspace,
      extensionPath: opts.extensionPath,
      testsPath: opts.testsPath,
    });
    log(`[e2e] VS Code server on ${server.origin} after ${result.timings.server} ms; opening the workbench`);
    await page.goto(url);
    await Promise.race([waitForWorkbench(page, timeoutMs), exit]);
    result.timings.workbench = since();
    await screenshot('workbench');

    result.exitCode = await exit;
    result.timings.hostExit = since();
    await screenshot('end');
    // Without a mocha result the suite never ran (a module that did not load, say): show why.
    if (result.exitCode !== 0 && result.passes === undefined) reportWorkbenchErrors();
    if (result.exitCode !== 0) reportExtensionLog(tmp, log);
    return result;
  } catch (e) {
    await screenshot('error');
    reportWorkbenchErrors();
    reportExtensionLog(tmp, log);
    if (server && !opts.verbose) log(`[e2e] last server output:\n${server.lines.slice(-20).join('\n')}`);
    throw e;
  } finally {
    const cleanupStart = Date.now();
    clearTimeout(timer);
    await browser?.close();
    await server?.stop();
    removeTmp();
    process.off('exit', removeTmp);
    result.timings.cleanup = Date.now() - cleanupStart;
  }
}

/**
 * The extension's output channel (its log file in the server's user data), printed when a test failed: a
 * command that "returned nothing" said why there, and the folder is gone once the run ends.
 */
function reportExtensionLog(tmp: string, log: (line: string) => void): void {
  let files: string[];
  try {
    files = fs.readdirSync(tmp, { recursive: true, encoding: 'utf8' }).filter((f) => path.basename(f) === `${EXTENSION_LOG}.log`);
  } catch {
    return;
  }
  if (files.length === 0) log(`[e2e] no "${EXTENSION_LOG}" output channel log under ${tmp}`);
  for (const file of files) {
    const lines = fs.readFileSync(path.join(tmp, file), 'utf8').trimEnd().split('\n');
    log(`[e2e] the "${EXTENSION_LOG}" output channel (the last ${Math.min(lines.length, 60)} of ${lines.length} lines):`);
    for (const line of lines.slice(-60)) log(`  ${line}`);
  }
}

// --- command line ---------------------------------------------------------------------------------

function parseArgs(argv: string[]): { mode: string; flags: Map<string, string> } {
  const [mode = '', ...rest] = argv;
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const next = rest[i + 1];
    if (next === undefined || next.startsWith('--')) flags.set(a.slice(2), 'true');
    else {
      flags.set(a.slice(2), next);
      i++;
    }
  }
  return { mode, flags };
}

function required(flags: Map<string, string>, name: string): string {
  const v = flags.get(name);
  if (!v) throw new Error(`--${name} is required`);
  return path.resolve(v);
}

let stopRequested: (() => void) | undefined;

async function main(argv: string[]): Promise<number> {
  const { mode, flags } = parseArgs(argv);
  if (mode === 'test') {
    const r = await runExtensionTestsDetailed({
      extensionPath: required(flags, 'extension'),
      testsPath: required(flags, 'tests'),
      workspace: required(flags, 'workspace'),
      screenshotDir: flags.has('screenshots') ? path.resolve(flags.get('screenshots')!) : undefined,
      timeoutMs: flags.has('timeout') ? Number(flags.get('timeout')) : undefined,
      verbose: flags.has('verbose'),
    });
    const t = r.timings;
    console.log(
      `[e2e] timings (ms from launch): server ${t.server}, browser ${t.browser}, workbench ${t.workbench}, ` +
        `tests started ${t.testsStarted ?? '-'}, extension host exit ${t.hostExit}; cleanup ${t.cleanup} ms`,
    );
    console.log(`[e2e] extension host exit code ${r.exitCode}`);
    if (r.passes !== undefined) console.log(`e2e: ${r.passes} passed, ${r.failures} failed`);
    return r.exitCode === 0 ? 0 : 1;
  }
  if (mode === 'open') {
    const vs = await openVsCode({
      extensionPath: required(flags, 'extension'),
      workspace: required(flags, 'workspace'),
      port: flags.has('port') ? Number(flags.get('port')) : undefined,
    });
    console.log(`\nVS Code with the extension in development mode:\n  ${vs.url}\n(Ctrl+C stops the server)\n`);
    await new Promise<void>((resolve) => {
      stopRequested = resolve;
    });
    await vs.stop();
    return 0;
  }
  console.error(
    'usage: runVsCode.js test --extension DIR --tests MODULE --workspace DIR [--screenshots DIR] [--timeout MS] [--verbose]\n' +
      '       runVsCode.js open --extension DIR --workspace DIR [--port N]',
  );
  return 2;
}

if (require.main === module) {
  // Ctrl+C / SIGTERM: 'open' stops its server; otherwise exit, so the 'exit' hooks kill the server's
  // process group, playwright kills chromium and the temporary folders go.
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.on(sig, () => (stopRequested ? stopRequested() : process.exit(code)));
  }
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      const verbose = process.argv.includes('--verbose');
      console.error(`[e2e] ${e instanceof Error ? (verbose ? e.stack : e.message) : String(e)}`);
      process.exitCode = 2;
    },
  );
}
