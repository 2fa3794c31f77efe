// Reproducers: shrinking a failing input while it still fails the same way (delta debugging over lines,
// then characters, or over any list), and writing it to .cache/fuzz/ with what is needed to replay it.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../helpers/paths';

export const REPRODUCER_DIR = path.join(REPO_ROOT, '.cache', 'fuzz');

/**
 * Delta debugging (ddmin) over a list: removes chunks, keeping each removal after which `fails` still
 * holds. Stops at a 1-minimal list or when the budget is spent.
 */
export async function minimizeList<T>(
  items: T[],
  fails: (candidate: T[]) => boolean | Promise<boolean>,
  deadline: number,
  maxTries = Infinity,
): Promise<T[]> {
  let current = items;
  let n = 2;
  let tries = 0;
  while (current.length >= 2 && performance.now() < deadline && tries < maxTries) {
    const chunk = Math.ceil(current.length / n);
    let reduced = false;
    for (let start = 0; start < current.length && performance.now() < deadline && tries < maxTries; start += chunk) {
      const candidate = [...current.slice(0, start), ...current.slice(start + chunk)];
      tries++;
      if (await fails(candidate)) {
        current = candidate;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (n >= current.length) break;
      n = Math.min(n * 2, current.length);
    }
  }
  return current;
}

/** Shrinks a text by lines, then by characters, while `fails` holds; within `budgetMs`. */
export async function minimizeText(
  text: string,
  fails: (candidate: string) => boolean | Promise<boolean>,
  budgetMs: number,
): Promise<string> {
  const deadline = performance.now() + budgetMs;
  const joined = (units: string[]) => fails(units.join(''));
  const byLines = (await minimizeList(text.split(/(?<=\n)/), joined, deadline)).join('');
  // Then characters; a long text in chunks of 64 first, so that the budget goes further.
  const chunks = byLines.length > 20_000 ? (await minimizeList(byLines.match(/[^]{1,64}/g) ?? [], joined, deadline)).join('') : byLines;
  return (await minimizeList([...chunks], joined, deadline)).join('');
}

/** A file name for a class: readable words and a short hash, so distinct classes never collide. */
export function slug(cls: string): string {
  const words = cls
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
  return `${words}-${createHash('sha1').update(cls).digest('hex').slice(0, 8)}`;
}

export interface SavedReproducer {
  /** The JSON file that replays it (`node out/test/fuzz/run.js --replay FILE`). */
  json: string;
  /** The input itself (the shrunk one when shrinking worked), for reading. */
  input?: string;
}

/**
 * Writes `meta` (with everything needed to replay) as JSON and each input as a file of its own (`ext` such
 * as `.bpf.c`; the first is the one named in reports). Returns paths relative to the repository.
 */
export function saveReproducer(
  dir: string,
  prefix: string,
  cls: string,
  meta: object,
  ...inputs: { text: string | Uint8Array; ext: string }[]
): SavedReproducer {
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `${prefix}-${slug(cls)}`);
  fs.writeFileSync(`${base}.json`, `${JSON.stringify({ cls, ...meta }, null, 1)}\n`);
  const saved: SavedReproducer = { json: path.relative(REPO_ROOT, `${base}.json`) };
  for (const input of inputs) {
    fs.writeFileSync(`${base}${input.ext}`, input.text);
    saved.input ??= path.relative(REPO_ROOT, `${base}${input.ext}`);
  }
  return saved;
}
