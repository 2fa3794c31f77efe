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

/** The nearest `name` in `dir` or above it (at most MAX_LEVELS up). */
function findUp(dir: string, name: string): string | undefined {
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
    const m = /^-(I|iquote)(.*)$/.exec(args[i]);
    if (!m) continue;
    const dir = m[2] !== '' ? m[2].replace(/^=/, '') : args[++i];
    if (dir) dirs.push(path.resolve(base, dir));
  }
  return dirs;
}

/** The include directories compile_commands.json gives `file` (its own entry), or none. */
export function compileCommandsIncludeDirs(file: string): string[] {
  const db = findUp(path.dirname(file), 'compile_commands.json');
  if (!db) return [];
  let entries: unknown;
  try {
    entries = JSON.parse(readTextFile(db, COMPILE_COMMANDS_LIMIT));
  } catch {
    return [];
  }
  if (!Array.isArray(entries)) return [];
  const target = path.resolve(file);
  for (const e of entries as Record<string, unknown>[]) {
    if (!e || typeof e !== 'object' || typeof e.file !== 'string') continue;
    const directory = typeof e.directory === 'string' ? path.resolve(path.dirname(db), e.directory) : path.dirname(db);
    if (path.resolve(directory, e.file) !== target) continue;
    const args = Array.isArray(e.arguments)
      ? e.arguments.filter((a): a is string => typeof a === 'string')
      : typeof e.command === 'string'
        ? splitCommand(e.command)
        : [];
    return includeDirsOfArgs(args, directory);
  }
  return [];
}

/**
 * The include directories the nearest .clangd adds (its `CompileFlags: Add:` flags, in the list or the
 * block form), relative to its directory. Not a YAML parser: only `-I`/`-iquote` words under `Add`.
 */
export function clangdIncludeDirs(file: string): string[] {
  const config = findUp(path.dirname(file), '.clangd');
  if (!config) return [];
  let text: string;
  try {
    text = readTextFile(config, CLANGD_LIMIT);
  } catch {
    return [];
  }
  const words: string[] = [];
  // `Add: [-I../include, "-iquote", inc]` or `Add:` followed by `  - -Iinclude` lines.
  for (const m of text.matchAll(/^\s*Add\s*:\s*(\[[^\]]*\]|[^\r\n]*(?:\r?\n\s*-\s[^\r\n]*)*)/gm)) {
    for (const w of m[1].replace(/^\[|\]$/g, '').split(/[,\r\n]/)) {
      const word = w
        .trim()
        .replace(/^-\s+/, '')
        .replace(/^["']|["']$/g, '');
      if (word) words.push(...word.split(/\s+/));
    }
  }
  return includeDirsOfArgs(words, path.dirname(config));
}

/** Every include directory the build tells of for `file`: compile_commands.json's, then .clangd's. */
export function buildIncludeDirs(file: string): string[] {
  return [...compileCommandsIncludeDirs(file), ...clangdIncludeDirs(file)];
}
