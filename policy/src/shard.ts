// The file × kernel matrix of a run, and its split into shards for CI (`--shard 2/4`). The order is
// canonical, by kernel then file path, whatever order the files were found in, so every machine of a CI
// matrix computes the same shards; a shard is a contiguous run of it, so it boots as few kernels as it
// can (a VM boot costs more than a file), and the shards' sizes differ by one at most.

/** A test file, or anything that carries one's path (PolicyTestFile). */
export type FileLike = string | { file: string };

export interface MatrixEntry<F extends FileLike> {
  file: F;
  kernel: string;
}

export interface ShardSpec {
  /** 1-based. */
  index: number;
  count: number;
}

export class ShardSpecError extends Error {
  override name = 'ShardSpecError';
}

function pathOf(f: FileLike): string {
  return typeof f === 'string' ? f : f.file;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Kernel series in version order ("6.1" < "6.12" < "7.2"); anything else after them, by its text. */
export function compareKernels(a: string, b: string): number {
  const pa = /^\d+(\.\d+)*$/.test(a) ? a.split('.').map(Number) : undefined;
  const pb = /^\d+(\.\d+)*$/.test(b) ? b.split('.').map(Number) : undefined;
  if (pa && pb) {
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
      const d = (pa[i] ?? -1) - (pb[i] ?? -1);
      if (d !== 0) return d;
    }
    return 0;
  }
  if (pa) return -1;
  if (pb) return 1;
  return compareText(a, b);
}

function compareEntries(a: MatrixEntry<FileLike>, b: MatrixEntry<FileLike>): number {
  return compareKernels(a.kernel, b.kernel) || compareText(pathOf(a.file), pathOf(b.file));
}

/**
 * Every (file, kernel) pair once, in the canonical order: by kernel, then by file path. A file listed
 * twice (by path) or a kernel listed twice for a file counts once.
 */
export function matrix<F extends FileLike>(files: readonly F[], kernelsOf: (f: F) => readonly string[]): MatrixEntry<F>[] {
  const seen = new Set<string>();
  const out: MatrixEntry<F>[] = [];
  for (const file of files) {
    for (const kernel of kernelsOf(file)) {
      const key = JSON.stringify([pathOf(file), kernel]);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ file, kernel });
    }
  }
  return out.sort(compareEntries);
}

/**
 * Shard `index` (1-based) of `count`: a contiguous part of the pairs in canonical order (they are sorted
 * here, so any order in gives the same shards), sizes within one of each other. Every pair is in exactly
 * one shard; a shard may be empty when there are more shards than pairs.
 */
export function shardOf<P extends MatrixEntry<FileLike>>(pairs: readonly P[], index: number, count: number): P[] {
  if (!Number.isInteger(count) || count < 1) throw new ShardSpecError(`a shard count must be a whole number of at least 1, not ${count}`);
  if (!Number.isInteger(index) || index < 1 || index > count)
    throw new ShardSpecError(`shard ${index}/${count}: the index is from 1 to ${count}`);
  const sorted = [...pairs].sort(compareEntries);
  const start = Math.floor(((index - 1) * sorted.length) / count);
  const end = Math.floor((index * sorted.length) / count);
  return sorted.slice(start, end);
}

/** Shard counts above this are a typo rather than a CI matrix. */
const MAX_SHARDS = 10000;

/** "2/4" → { index: 2, count: 4 }; throws ShardSpecError with what is wrong and what is expected. */
export function parseShard(text: string): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new ShardSpecError(`--shard ${text}: expected INDEX/COUNT, like 2/4 (the second of four shards)`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw new ShardSpecError(`--shard ${text}: the count must be at least 1`);
  if (count > MAX_SHARDS) throw new ShardSpecError(`--shard ${text}: at most ${MAX_SHARDS} shards`);
  if (index < 1) throw new ShardSpecError(`--shard ${text}: shards count from 1 (1/${count} to ${count}/${count})`);
  if (index > count) throw new ShardSpecError(`--shard ${text}: there are only ${count} shards (1/${count} to ${count}/${count})`);
  return { index, count };
}
