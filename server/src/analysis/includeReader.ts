// Finds and reads the local headers of a file (`#include "shared.h"`) for the analysis (includes.ts), as
// the compiler would: the including file's own directory first, then the include directories, in order.
// Bounded: each header by size (the bounded reader refuses FIFOs, devices, binaries), and all of them by
// count, depth and total size; a header included twice (or in a cycle, a.h -> b.h -> a.h) is read once.
// What cannot be read is listed with the reason, never guessed at.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readTextFile, type ReadLimit } from '../ctext/boundedRead';
import { relativeInside } from '../ctext/relativeInside';
import { INCLUDE_LIMITS, isLibraryHeader, localIncludes, type ReadHeader, type ResolvedIncludes, type UnreadHeader } from './includes';

const HEADER_LIMIT: ReadLimit = { what: 'a C header', maxBytes: INCLUDE_LIMITS.headerBytes };

export interface IncludeSearch {
  /** Include directories (absolute), searched after the including file's directory. */
  dirs: readonly string[];
  /** The text of a file open in the editor (it wins over the disk), by absolute path. */
  openText?: (file: string) => string | undefined;
}

export interface ReadIncludes extends ResolvedIncludes {
  /** Every absolute path the result depends on: headers read, and where a missing one was looked for. */
  dependencies: string[];
}

interface Frame {
  dir: string;
  names: string[];
  next: number;
  depth: number;
  /** The analysed file's own include this frame was reached through (empty for the file itself). */
  via: string;
  /** The header whose includes these are, as shown (undefined for the analysed file). */
  includer?: string;
}

/** A name no file has: empty, a NUL or a line end in it, or absurdly long. */
function badName(name: string): string | null {
  if (name.trim() === '') return 'an empty name';
  if (/[\0\r\n]/.test(name)) return 'a name with a control character';
  if (name.length > INCLUDE_LIMITS.nameLength) return `a name over ${INCLUDE_LIMITS.nameLength} characters`;
  return null;
}

/** The first candidate that exists (any kind of file: the reader judges it), or null. */
function locate(name: string, dirs: readonly string[], openText: IncludeSearch['openText']): string | null {
  for (const dir of path.isAbsolute(name) ? [''] : dirs) {
    const candidate = path.resolve(dir, name);
    if (openText?.(candidate) !== undefined) return candidate;
    try {
      if (fs.statSync(candidate, { throwIfNoEntry: false })) return candidate;
    } catch {
      // ENOTDIR, EACCES on a directory: not here
    }
  }
  return null;
}

/** A header's path for messages: relative to the analysed file's directory when inside it. */
function shown(file: string, base: string): string {
  return relativeInside(base, file) ?? file;
}

/** The local headers of `file` (whose text is `text`), read depth-first in include order. */
export function readIncludes(file: string, text: string, search: IncludeSearch): ReadIncludes {
  const base = path.dirname(path.resolve(file));
  const headers: ReadHeader[] = [];
  const unread: UnreadHeader[] = [];
  const dependencies = new Set<string>();
  const seen = new Set<string>([path.resolve(file)]);
  let bytes = 0;
  // An explicit stack: include chains are user input and may be as deep as they like.
  const stack: Frame[] = [{ dir: base, names: localIncludes(text).map((d) => d.name), next: 0, depth: 0, via: '' }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next >= top.names.length) {
      stack.pop();
      continue;
    }
    const name = top.names[top.next++];
    const via = top.via || name;
    if (path.basename(name) === 'vmlinux.h') continue;
    const bad = badName(name);
    if (bad) {
      unread.push({ name: name.slice(0, 80), reason: bad, via });
      continue;
    }
    const dirs = [top.dir, ...search.dirs];
    const found = locate(name, dirs, search.openText);
    if (!found) {
      for (const d of path.isAbsolute(name) ? [''] : dirs) dependencies.add(path.resolve(d, name));
      if (!isLibraryHeader(name)) {
        // The analysed file's own includes are looked for beside it: said so, as its path is known to the user.
        const beside = top.includer === undefined ? 'this file' : top.includer;
        const where = `not found beside ${beside}${search.dirs.length > 0 ? ' or in the include paths' : ', and no include paths are set'}`;
        unread.push({ name, reason: where, via });
      }
      continue;
    }
    const real = realPath(found);
    if (seen.has(real)) continue;
    seen.add(real);
    dependencies.add(found);
    if (top.depth + 1 > INCLUDE_LIMITS.depth) {
      unread.push({ name, reason: `included more than ${INCLUDE_LIMITS.depth} levels deep`, via });
      continue;
    }
    if (headers.length >= INCLUDE_LIMITS.files) {
      unread.push({ name, reason: `over the limit of ${INCLUDE_LIMITS.files} headers per file`, via });
      continue;
    }
    let headerText: string;
    try {
      headerText = search.openText?.(found) ?? readTextFile(found, HEADER_LIMIT);
    } catch (err) {
      unread.push({ name, reason: (err as Error).message, via });
      continue;
    }
    if (headerText.length > INCLUDE_LIMITS.headerBytes) {
      unread.push({ name, reason: `over the ${INCLUDE_LIMITS.headerBytes / 1024 / 1024} MiB limit for a header`, via });
      continue;
    }
    // A header refused here does not count: a smaller one after it may still fit.
    if (bytes + headerText.length > INCLUDE_LIMITS.totalBytes) {
      unread.push({ name, reason: `over the ${INCLUDE_LIMITS.totalBytes / 1024 / 1024} MiB limit on the headers of one file`, via });
      continue;
    }
    bytes += headerText.length;
    const headerPath = shown(found, base);
    headers.push({ path: headerPath, text: headerText, via });
    stack.push({
      dir: path.dirname(found),
      names: localIncludes(headerText).map((d) => d.name),
      next: 0,
      depth: top.depth + 1,
      via,
      includer: headerPath,
    });
  }
  return { headers, unread, dependencies: [...dependencies] };
}

function realPath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}
