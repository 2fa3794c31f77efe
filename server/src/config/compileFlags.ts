// The include directories a project's build gives a file, for reading its local headers: the `-I` and
// `-iquote` flags of its entry in the nearest compile_commands.json, and those a .clangd adds
// (`CompileFlags: Add: [-I...]`). Read bounded; a file that is missing or malformed gives nothing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readTextFile, type ReadLimit } from '../ctext/boundedRead';

/** A large project's compile_commands.json is a few MB. */
const COMPILE_COMMANDS_LIMIT: ReadLimit = { what: 'a compile_commands.json', maxBytes: 32 * 1024 * 1024 };
const CLANGD_LIMIT: ReadLimit = { what: 'a .clangd', maxBytes: 256 * 1024 };
/** Directories walked up from the file looking for either. */
const MAX_LEVELS = 32;

/**
 * What one run has found and read of compile_commands.json and .clangd files, for a caller that asks for
 * many files at once (the linter given 500 files reads a project's compile_commands.json once, not 500
 * times). Holds no file for longer than the caller keeps it: the language server, whose files change,
 * passes none.
 */
export class BuildFlagsCache {
  readonly found = new Map<string, string | undefined>();
  readonly compileDbs = new Map<string, CompileDb | null>();
  readonly clangd = new Map<string, string[]>();
}

/** A compile_commands.json's entries, and the first entry of each file (by absolute path). */
interface CompileDb {
  entries: Record<string, unknown>[];
  firstEntry: Map<string, number>;
}

/** The nearest `name` in `dir` or above it (at most MAX_LEVELS up). */
function findUp(dir: string, name: string, cache?: BuildFlagsCache): string | undefined {
  if (!cache) return findUpUncached(dir, name);
  const key = `${path.resolve(dir)}\0${name}`;
  if (!cache.found.has(key)) cache.found.set(key, findUpUncached(dir, name));
  return cache.found.get(key);
}

function findUpUncached(dir: string, name: string): string | undefined {
  let d = path.resolve(dir);
  for (let i = 0; i < MAX_LEVELS; i++) {
    const candidate = path.join(d, name);
    try {
      if (fs.statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate;
    } catch {
      // unreadable directory: go up
    }
    if (path.dirname(d) === d) return undefined;
    d = path.dirname(d);
  }
  return undefined;
}

/** Words of a shell command line: quotes and backslashes as a POSIX shell takes them, nothing more. */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  for (const m of command.matchAll(/(?:[^\s"'\\]|\\.|"(?:[^"\\]|\\.)*"|'[^']*')+/g)) {
    words.push(
      m[0].replace(/\\(.)|"((?:[^"\\]|\\.)*)"|'([^']*)'/g, (_s, esc?: string, dq?: string, sq?: string) =>
        esc !== undefined ? esc : dq !== undefined ? dq.replace(/\\(.)/g, '$1') : (sq ?? ''),
      ),
    );
  }
  return words;
}

/** `-I dir`, `-Idir`, `-iquote dir`, `-iquotedir`, `-I=dir`: the directories, resolved against `base`. */
export function includeDirsOfArgs(args: readonly string[], base: string): string[] {
  const dirs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const flag = /^-(?:I|iquote)/.exec(args[i]);
    if (!flag) continue;
    const attached = args[i].slice(flag[0].length);
    const dir = attached !== '' ? attached.replace(/^=/, '') : args[++i];
    if (dir) dirs.push(path.resolve(base, dir));
  }
  return dirs;
}

/** The include directories compile_commands.json gives `file` (its own entry), or none. */
export function compileCommandsIncludeDirs(file: string, cache?: BuildFlagsCache): string[] {
  const db = findUp(path.dirname(file), 'compile_commands.json', cache);
  if (!db) return [];
  let parsed = cache?.compileDbs.get(db);
  if (parsed === undefined) {
    parsed = readCompileDb(db);
    cache?.compileDbs.set(db, parsed);
  }
  const index = parsed?.firstEntry.get(path.resolve(file));
  if (!parsed || index === undefined) return [];
  const e = parsed.entries[index];
  const args = Array.isArray(e.arguments)
    ? e.arguments.filter((a): a is string => typeof a === 'string')
    : splitCommand(typeof e.command === 'string' ? e.command : '');
  return includeDirsOfArgs(args, entryDirectory(db, e));
}

function entryDirectory(db: string, e: Record<string, unknown>): string {
  return typeof e.directory === 'string' ? path.resolve(path.dirname(db), e.directory) : path.dirname(db);
}

/** A compile_commands.json read and indexed by file; null when it cannot be read or is no list. */
function readCompileDb(db: string): CompileDb | null {
  let entries: unknown = null;
  try {
    entries = JSON.parse(readTextFile(db, COMPILE_COMMANDS_LIMIT));
  } catch {
    // Unreadable, too large or not JSON: no entries.
  }
  if (!Array.isArray(entries)) return null;
  const firstEntry = new Map<string, number>();
  (entries as Record<string, unknown>[]).forEach((e, i) => {
    // Not an object with a file name (`null`, a number, a string): no entry. A primitive has no `file`.
    if (!e || typeof e.file !== 'string') return;
    const target = path.resolve(entryDirectory(db, e), e.file);
    if (!firstEntry.has(target)) firstEntry.set(target, i);
  });
  return { entries: entries as Record<string, unknown>[], firstEntry };
}

/**
 * The include directories the nearest .clangd adds (its `CompileFlags: Add:` flags, in the list or the
 * block form), relative to its directory. Not a YAML parser: only `-I`/`-iquote` words under `Add`.
 */
export function clangdIncludeDirs(file: string, cache?: BuildFlagsCache): string[] {
  const config = findUp(path.dirname(file), '.clangd', cache);
  if (!config) return [];
  const known = cache?.clangd.get(config);
  if (known) return known;
  const dirs = readClangdIncludeDirs(config);
  cache?.clangd.set(config, dirs);
  return dirs;
}

function readClangdIncludeDirs(config: string): string[] {
  let text: string;
  try {
    text = readTextFile(config, CLANGD_LIMIT);
  } catch {
    return [];
  }
  // `Add: [-I../include, "-iquote", inc]` or `Add:` followed by `  - -Iinclude` lines.
  const words = [...text.matchAll(/^\s*Add\s*:\s*(\[[^\]]*\]|[^\r\n]*(?:\r?\n\s*-\s[^\r\n]*)*)/gm)].flatMap((m) =>
    m[1]
      .replace(/^\[|\]$/g, '')
      .split(/[,\r\n]/)
      .flatMap((w) => {
        const word = w
          .trim()
          .replace(/^-\s+/, '')
          .replace(/^["']|["']$/g, '');
        return word ? word.split(/\s+/) : [];
      }),
  );
  return includeDirsOfArgs(words, path.dirname(config));
}

/** Every include directory the build tells of for `file`: compile_commands.json's, then .clangd's. */
export function buildIncludeDirs(file: string, cache?: BuildFlagsCache): string[] {
  return [...compileCommandsIncludeDirs(file, cache), ...clangdIncludeDirs(file, cache)];
}
