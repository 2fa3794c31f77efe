// Opens the VS Code workbench served by the VS Code server in Debian's chromium, headless, through
// playwright-core. Only loopback is reachable: other hosts fail to resolve and other requests are
// aborted, so nothing the workbench would fetch from the internet (webview CDN, voice, ...) leaves.
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM } from './paths';

export interface WorkbenchTarget {
  /** http://127.0.0.1:PORT of the VS Code server. */
  origin: string;
  /** Folder opened in the workbench. */
  workspace: string;
  /** Loaded as an extension under development. */
  extensionPath?: string;
  /** Module whose run() the extension host calls, then exits with its outcome. */
  testsPath?: string;
}

/** The workbench URL; the payload is how the web workbench receives extensionDevelopmentPath & co. */
export function workbenchUrl(t: WorkbenchTarget): string {
  const url = new URL(t.origin);
  const remote = (p: string) => `vscode-remote://${url.host}${path.resolve(p)}`;
  const payload: [string, string][] = [];
  if (t.extensionPath) payload.push(['extensionDevelopmentPath', remote(t.extensionPath)]);
  if (t.testsPath) payload.push(['extensionTestsPath', remote(t.testsPath)]);
  url.searchParams.set('folder', path.resolve(t.workspace));
  if (payload.length) url.searchParams.set('payload', JSON.stringify(payload));
  return url.toString();
}

const CHROMIUM_ARGS = [
  '--no-sandbox', // root in a container: chromium's sandbox cannot start
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** A fresh chromium profile in the empty folder dir; call close() even on failure. */
export async function launchBrowser(dir: string, headless = true): Promise<Browser> {
  const context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 900 },
    // Crash reports and dconf would otherwise go to ~/.config and ~/.cache.
    env: { ...process.env, XDG_CONFIG_HOME: path.join(dir, 'xdg-config'), XDG_CACHE_HOME: path.join(dir, 'xdg-cache') },
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await context.close().catch(() => undefined);
  };
  try {
    await context.route(/.*/, (route) => (isLoopback(route.request().url()) ? route.continue() : route.abort('blockedbyclient')));
    const page = context.pages()[0] ?? (await context.newPage());
    return { context, page, close };
  } catch (e) {
    await close();
    throw e;
  }
}

function isLoopback(u: string): boolean {
  const { protocol, hostname } = new URL(u);
  if (!/^(https?|wss?):$/.test(protocol)) return true; // data:, blob: and the like stay in the page
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
}

/** Resolves once the workbench has rendered its main parts. */
export async function waitForWorkbench(page: Page, timeoutMs: number): Promise<void> {
  await page.waitForSelector('.monaco-workbench .part.editor', { timeout: timeoutMs });
}
