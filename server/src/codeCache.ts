// Loads a bundled CommonJS script through V8's code cache, kept in a per-user cache folder, so that a
// start after the first skips compiling the bundle and the functions the last run compiled (node 22's
// module.enableCompileCache does the same; node 20 has only vm.Script's cachedData). The cache only ever
// saves time: a missing, stale, corrupt or unwritable cache is the same as none, and V8 checks what it
// is given (its version, flags and the source's length) and rejects what does not fit.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import * as zlib from 'node:zlib';
import { threadId } from 'node:worker_threads';

/**
 * `$XDG_CACHE_HOME/bpf-lsm-studio/code-cache`, or `~/.cache/...`; undefined (no cache) when the user's
 * home is unknown, or node's own NODE_DISABLE_COMPILE_CACHE is set. A relative XDG_CACHE_HOME is ignored,
 * as the XDG spec says. Never the package's folder, which may be read-only or shared between users.
 */
export function codeCacheDir(env: NodeJS.ProcessEnv, home: string): string | undefined {
  if (env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  const xdg = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : home && path.join(home, '.cache');
  return xdg ? path.join(xdg, 'bpf-lsm-studio', 'code-cache') : undefined;
}

export interface CachedScript {
  /** What the script put in module.exports. */
  exports: unknown;
  /** Whether the cache was used (false: none yet, rejected, or no cache folder). */
  cacheUsed: boolean;
  /** Writes the cache if it was not used; call after the run, so that it holds what the run compiled. */
  save(): void;
}

/** Runs `file` (a CommonJS bundle needing only node's built-in modules) as a module, through the cache in `dir`. */
export function runCachedScript(file: string, dir: string | undefined): CachedScript {
  const bytes = fs.readFileSync(file);
  const text = bytes.toString('utf8');
  const source = text.startsWith('#!') ? text.replace(/^#!.*/, '') : text;
  const key = contentKey(bytes);
  const name = path.basename(file, '.js');
  const cacheFile = dir && path.join(dir, `${name}-${key}.v8cache`);
  let cachedData: Buffer | undefined;
  try {
    if (cacheFile) cachedData = fs.readFileSync(cacheFile);
  } catch {
    // none yet, or unreadable: compiled from source
  }
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new vm.Script(wrapped, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const cacheUsed = cachedData !== undefined && !script.cachedDataRejected;
  const module = { exports: {} as unknown };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, path.dirname(file));
  return {
    exports: module.exports,
    cacheUsed,
    save() {
      if (cacheUsed || !cacheFile || !dir) return;
      try {
        writeCache(dir, cacheFile, name, script.createCachedData());
      } catch {
        // an unwritable cache folder: the next start compiles again
      }
    },
  };
}

/**
 * The cache's key: the script's content (V8 checks only the source's length, and a rebuilt bundle may
 * keep it), then node's version and the machine: CRC-32s and the length where node has zlib.crc32 (20.15
 * on), else SHA-1 (loading node:crypto costs more than all the rest of the lookup).
 */
function contentKey(bytes: Buffer): string {
  const runtime = Buffer.from(`${process.version} ${process.arch}`);
  const crc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
  if (crc32) return [crc32(bytes), bytes.length, crc32(runtime)].map((n) => n.toString(16).padStart(8, '0')).join('');
  const sha1 = (data: Uint8Array) =>
    (createRequire(__filename)('node:crypto') as typeof import('node:crypto')).createHash('sha1').update(data).digest('hex');
  return `${sha1(bytes).slice(0, 16)}${sha1(runtime).slice(0, 8)}`;
}

/** Writes the cache file whole (a reader never sees half of it) and drops older ones of the same script. */
function writeCache(dir: string, cacheFile: string, name: string, data: Buffer): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${cacheFile}.${process.pid}-${threadId}.tmp`;
  try {
    fs.writeFileSync(tmp, data, { mode: 0o600 });
    fs.renameSync(tmp, cacheFile);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  for (const other of fs.readdirSync(dir)) {
    const file = path.join(dir, other);
    const stale = /^(.*)-[0-9a-f]{24}\.v8cache$/.exec(other)?.[1] === name && file !== cacheFile;
    if (stale || isAbandonedWrite(other, file)) fs.rmSync(file, { force: true });
  }
}

/**
 * A temporary file a writer left when it was killed mid-write (a worker thread is ended at once when its
 * server exits). A minute old: no writer takes that long, so it is not one still being written.
 */
function isAbandonedWrite(name: string, file: string): boolean {
  if (!/\.v8cache\.[\d-]+\.tmp$/.test(name)) return false;
  try {
    return Date.now() - fs.statSync(file).mtimeMs > 60_000;
  } catch {
    return false;
  }
}

/** The default cache folder of this user (see codeCacheDir). */
export function userCodeCacheDir(): string | undefined {
  let home = '';
  try {
    home = os.homedir();
  } catch {
    // no home (a user without a passwd entry): no cache
  }
  return codeCacheDir(process.env, home);
}
