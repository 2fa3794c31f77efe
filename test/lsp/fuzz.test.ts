import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fuzzServer } from './fuzz';

describe('language server fuzz (small; `npm run fuzz` runs the large one)', () => {
  for (const seed of [1, 2]) {
    it(`seed ${seed}: 400 random edits and requests, no crash, incremental equals fresh`, async () => {
      const r = await fuzzServer({ seed, edits: 400, documents: 6, requestEvery: 5, checkEvery: 10 });
      assert.ok(r.alive, 'server died');
      assert.deepEqual(r.mismatches, []);
      assert.ok(r.compared >= 20, `the documents kept only ${r.compared} diagnostics to compare`);
    });
  }
});
