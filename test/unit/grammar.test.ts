import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/paths';

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('C grammar provenance (server/parser.info)', () => {
  const info = fs.readFileSync(path.join(REPO_ROOT, 'server', 'parser.info'), 'utf8');
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  const entries = [...info.matchAll(/^(\S+)\s+(\S+)\s+(\S+\.wasm)\s+sha256 ([0-9a-f]{64})/gm)];

  it('records both WASM files', () => assert.equal(entries.length, 2));

  for (const [, pkgName, version, file, hash] of entries) {
    it(`${file}: pinned version and hash match what is installed and bundled`, () => {
      assert.equal(pkg.devDependencies[pkgName], version);
      assert.equal(sha256(path.join(REPO_ROOT, 'node_modules', pkgName, file)), hash);
      assert.equal(sha256(path.join(REPO_ROOT, 'dist', file)), hash);
    });
  }
});
