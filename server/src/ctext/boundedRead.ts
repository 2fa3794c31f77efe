// Reads the files a user points the linter or the server at (an lsm_hook_defs.h, a kernel BTF, C sources)
// within bounds: regular files only, and never more than a limit far above any real one. A FIFO,
// /dev/zero or a runaway file gets a one-line reason instead of a read that never ends. It sits with the
// hook tables, the lowest layer that reads files, so that btf/ and analysis/ can both use it.
import * as fs from 'node:fs';

/** Why a file cannot be used, as a phrase to follow its name: `no such file`, `is a directory...`. */
export class InputFileError extends Error {
  override name = 'InputFileError';
}

export interface ReadLimit {
  /** What the file should be, for messages: `a C file`, `a kernel BTF`. */
  what: string;
  maxBytes: number;
  /** The phrase for a file over maxBytes; by default its size and the limit. */
  tooLarge?: (bytes: number) => string;
}

const MiB = 1024 * 1024;

const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;

/** A kernel's lsm_hook_defs.h is about 25 KB (some 280 entries). */
export const HOOK_DEFS_LIMIT: ReadLimit = { what: 'an lsm_hook_defs.h', maxBytes: 4 * MiB };
/** A kernel's vmlinux BTF is 5 to 6 MB. */
export const BTF_LIMIT: ReadLimit = { what: 'a kernel BTF', maxBytes: 64 * MiB };

function errnoPhrase(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return `cannot read (${code ?? (err as Error).message})`;
}

function kindOf(stat: fs.Stats): string {
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'a special file';
}

/** Refuses anything but a regular file of at most limit.maxBytes, judged from stat (nothing is opened). */
function checkStat(stat: fs.Stats, limit: ReadLimit): void {
  if (stat.isDirectory()) throw new InputFileError(`is a directory, not ${limit.what}`);
  if (!stat.isFile()) throw new InputFileError(`is ${kindOf(stat)}, not ${limit.what}`);
  if (stat.size > limit.maxBytes) throw tooLarge(stat.size, limit);
}

function tooLarge(bytes: number, limit: ReadLimit): InputFileError {
  const phrase = limit.tooLarge?.(bytes) ?? `over the ${mib(limit.maxBytes)} limit for ${limit.what} (${mib(bytes)})`;
  return new InputFileError(`is ${phrase}`);
}

/**
 * The bytes of a regular file of at most limit.maxBytes; throws InputFileError with the reason otherwise.
 * The file is stat'ed before it is opened (a FIFO is never opened: that would wait for a writer), opened
 * non-blocking and checked again (it may have been swapped meanwhile), and read only up to the limit
 * (its size may have grown since, or be reported as 0 as procfs does).
 */
export function readBoundedFile(file: string, limit: ReadLimit): Buffer {
  let fd: number;
  try {
    checkStat(fs.statSync(file), limit);
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw err instanceof InputFileError ? err : new InputFileError(errnoPhrase(err));
  }
  try {
    const stat = fs.fstatSync(fd);
    checkStat(stat, limit);
    let data = Buffer.allocUnsafe(Math.min(limit.maxBytes + 1, Math.max(stat.size + 1, 64 * 1024)));
    let length = 0;
    for (;;) {
      if (length === data.length) {
        if (length > limit.maxBytes) throw tooLarge(length, limit);
        const grown = Buffer.allocUnsafe(Math.min(limit.maxBytes + 1, data.length * 2));
        data.copy(grown, 0, 0, length);
        data = grown;
      }
      const n = fs.readSync(fd, data, length, data.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return data.subarray(0, length);
  } catch (err) {
    throw err instanceof InputFileError ? err : new InputFileError(errnoPhrase(err));
  } finally {
    fs.closeSync(fd);
  }
}

/** A text file within the limit; refuses binary data (a NUL in the first 8 KiB). */
export function readTextFile(file: string, limit: ReadLimit): string {
  const data = readBoundedFile(file, limit);
  if (data.subarray(0, 8192).includes(0)) throw new InputFileError('is a binary file, not C source');
  return data.toString('utf8');
}
