// Opens VS Code (the VS Code server of the code-server package, on loopback) with an extension loaded in
// development mode, for a person's browser: what `npm start` serves. The end-to-end harness
// (test/e2e/runVsCode.ts) drives the same server with tests.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkTools } from './paths';
import { startServer } from './vscodeServer';
import { workbenchUrl } from './workbench';

export interface OpenOptions {
  extensionPath: string;
  workspace: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** User settings for this VS Code (e.g. the target of Run on Target). */
  settings?: Record<string, unknown>;
  log?: (line: string) => void;
}

export interface OpenVsCode {
  url: string;
  stop(): Promise<void>;
}

export function checkInputs(opts: { extensionPath: string; workspace: string; testsPath?: string }): void {
  const need = (what: string, p: string) => {
    if (!fs.existsSync(p)) throw new Error(`${what} not found: ${p}`);
  };
  need('extension manifest', path.join(opts.extensionPath, 'package.json'));
  need('workspace folder', opts.workspace);
  if (opts.testsPath !== undefined) {
    const t = opts.testsPath;
    if (![t, `${t}.js`, path.join(t, 'index.js')].some((p) => fs.existsSync(p))) throw new Error(`tests module not found: ${t}`);
  }
}

/** Starts the server for a person's browser: the extension runs in development mode, no tests. */
export async function openVsCode(opts: OpenOptions): Promise<OpenVsCode> {
  checkTools();
  checkInputs(opts);
  const log = opts.log ?? ((line: string) => console.log(line));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-e2e-open-'));
  const server = await startServer({ dataDir: tmp, port: opts.port, settings: opts.settings, onLine: (l) => log(`[server] ${l}`) }).catch(
    (e) => {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw e;
    },
  );
  return {
    url: workbenchUrl({ origin: server.origin, workspace: opts.workspace, extensionPath: opts.extensionPath }),
    stop: async () => {
      await server.stop();
      fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
