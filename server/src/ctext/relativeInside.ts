// Whether a file lies inside a folder, and its path from there: for names shown relative to a folder
// when they are inside it. A name that only starts with two dots (`..hidden.c`) is inside.
import * as path from 'node:path';

/** `file`'s path relative to `base` when strictly inside it (not `base` itself), else undefined. */
export function relativeInside(base: string, file: string): string | undefined {
  const rel = path.relative(base, file);
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return undefined;
  return rel;
}
