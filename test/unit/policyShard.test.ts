// The file × kernel matrix and its shards (`bpf-lsm-test --shard K/N`): over the real test files of
// test/fixtures/policy/valid, every pair in exactly one shard for every N, sizes within one, and the same
// shards whatever order the files were found in.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { PolicyTestFile } from '../../policy/src/model';
import { compareKernels, matrix, parseShard, shardOf, ShardSpecError } from '../../policy/src/shard';
import { findPolicyTestFiles, loadPolicyTestFile } from '../../policy/src/testFile';
import { FIXTURES } from '../helpers/paths';

const DEFAULT_KERNELS = ['6.1', '6.6', '6.12'];
const files: PolicyTestFile[] = findPolicyTestFiles([path.join(FIXTURES, 'policy', 'valid')]).map((f) => {
  const r = loadPolicyTestFile(f);
  assert.deepEqual(r.problems, []);
  return r.file!;
});
const kernelsOf = (f: PolicyTestFile) => f.kernels ?? DEFAULT_KERNELS;
const key = (p: { file: PolicyTestFile | string; kernel: string }) => `${typeof p.file === 'string' ? p.file : p.file.file} [${p.kernel}]`;

/** A seeded shuffle, so that a failing order can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('the file × kernel matrix', () => {
  const pairs = matrix(files, kernelsOf);

  it('has every kernel of every file, once', () => {
    const expected = files.flatMap((f) => kernelsOf(f).map((k) => `${f.file} [${k}]`));
    assert.ok(files.length >= 5 && expected.length >= 14, `${files.length} files, ${expected.length} pairs`);
    assert.deepEqual(pairs.map(key).sort(), [...expected].sort());
    assert.equal(new Set(pairs.map(key)).size, pairs.length);
  });

  it('is ordered by kernel version, then file path', () => {
    const kernels = pairs.map((p) => p.kernel);
    assert.deepEqual([...new Set(kernels)], ['6.1', '6.6', '6.12', '7.2']);
    for (let i = 1; i < pairs.length; i++) {
      const [a, b] = [pairs[i - 1], pairs[i]];
      assert.ok(
        compareKernels(a.kernel, b.kernel) < 0 || (a.kernel === b.kernel && a.file.file < b.file.file),
        `${key(a)} before ${key(b)}`,
      );
    }
  });

  it('is the same whatever order the files come in, and counts a file or kernel given twice once', () => {
    for (let seed = 1; seed <= 5; seed++) assert.deepEqual(matrix(shuffled(files, seed), kernelsOf).map(key), pairs.map(key));
    assert.deepEqual(matrix([...files, ...files], (f) => [...kernelsOf(f), ...kernelsOf(f)]).map(key), pairs.map(key));
  });

  it('takes paths as well as parsed files', () => {
    assert.deepEqual(matrix(['b.lsmtest.yaml', 'a.lsmtest.yaml'], () => ['6.12', '6.1']).map(key), [
      'a.lsmtest.yaml [6.1]',
      'b.lsmtest.yaml [6.1]',
      'a.lsmtest.yaml [6.12]',
      'b.lsmtest.yaml [6.12]',
    ]);
  });

  it('kernel order: versions numerically, then anything else', () => {
    assert.deepEqual(['7.2', 'target', '6.12', '6.1', '10.0', '6.1.5', '6.6'].sort(compareKernels), [
      '6.1',
      '6.1.5',
      '6.6',
      '6.12',
      '7.2',
      '10.0',
      'target',
    ]);
  });
});

describe('shards', () => {
  const pairs = matrix(files, kernelsOf);

  for (let count = 1; count <= 7; count++) {
    it(`${count} shard${count === 1 ? '' : 's'}: together the whole matrix, each pair exactly once, sizes within one`, () => {
      const shards = Array.from({ length: count }, (_, i) => shardOf(pairs, i + 1, count));
      const all = shards.flat().map(key);
      assert.deepEqual([...all].sort(), pairs.map(key).sort());
      assert.equal(new Set(all).size, pairs.length, 'a pair is in two shards');
      const sizes = shards.map((s) => s.length);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `sizes ${sizes.join(', ')}`);
      // Whatever order the pairs or the files come in, a shard is the same.
      for (let seed = 1; seed <= 3; seed++) {
        const reordered = matrix(shuffled(files, seed * 7 + count), kernelsOf);
        const again = Array.from({ length: count }, (_, i) => shardOf(shuffled(reordered, seed), i + 1, count).map(key));
        assert.deepEqual(
          again,
          shards.map((s) => s.map(key)),
        );
      }
    });
  }

  it('a shard keeps to few kernels (a VM boot costs more than a file)', () => {
    const kernels = (i: number, n: number) => new Set(shardOf(pairs, i, n).map((p) => p.kernel)).size;
    for (let i = 1; i <= 4; i++) assert.ok(kernels(i, 4) <= 2, `shard ${i}/4 boots ${kernels(i, 4)} kernels`);
  });

  it('more shards than pairs: the extra ones are empty', () => {
    const two = matrix(['a'], () => ['6.1', '6.12']);
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((i) => shardOf(two, i, 5).map(key)),
      [[], [], ['a [6.1]'], [], ['a [6.12]']],
    );
  });

  it('refuses an index or count out of range', () => {
    assert.throws(() => shardOf(pairs, 0, 3), ShardSpecError);
    assert.throws(() => shardOf(pairs, 4, 3), /from 1 to 3/);
    assert.throws(() => shardOf(pairs, 1, 0), /at least 1/);
    assert.throws(() => shardOf(pairs, 1.5, 3), ShardSpecError);
  });
});

describe('parseShard', () => {
  it('reads INDEX/COUNT', () => {
    assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
    assert.deepEqual(parseShard('1/1'), { index: 1, count: 1 });
    assert.deepEqual(parseShard(' 3 / 7 '), { index: 3, count: 7 });
  });

  it('says what is wrong and what is expected', () => {
    const message = (text: string) => {
      try {
        parseShard(text);
      } catch (err) {
        assert.ok(err instanceof ShardSpecError);
        return err.message;
      }
      assert.fail(`${text} was accepted`);
    };
    assert.equal(message('2'), '--shard 2: expected INDEX/COUNT, like 2/4 (the second of four shards)');
    assert.equal(message('a/b'), '--shard a/b: expected INDEX/COUNT, like 2/4 (the second of four shards)');
    assert.equal(message('-1/4'), '--shard -1/4: expected INDEX/COUNT, like 2/4 (the second of four shards)');
    assert.equal(message('2.5/4'), '--shard 2.5/4: expected INDEX/COUNT, like 2/4 (the second of four shards)');
    assert.equal(message('0/4'), '--shard 0/4: shards count from 1 (1/4 to 4/4)');
    assert.equal(message('5/4'), '--shard 5/4: there are only 4 shards (1/4 to 4/4)');
    assert.equal(message('1/0'), '--shard 1/0: the count must be at least 1');
    assert.equal(message('1/99999'), '--shard 1/99999: at most 10000 shards');
    assert.equal(message(''), '--shard : expected INDEX/COUNT, like 2/4 (the second of four shards)');
  });
});
