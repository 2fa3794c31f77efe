// The committed hook tables of the releases taken from Debian's packages (7.2, 7.3) are what those packages
// give today. Its own file: each comparison unpacks a kernel source package (seconds of xz), which the
// mutation run leaves out (test/mutation/mocharc.json); the derivation itself is tested on ../shared's
// headers in hookTables.test.ts.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { obtainDeb } from '../../scripts/debianArchive';
import { buildTables, deriveRelease, serialiseTables, storedReleases, TABLES_PATH } from '../../scripts/generate-hook-tables';
import { readKernelDeb } from '../../scripts/kernelSource';
import type { StoredTables } from '../../server/src/hooks/tableFormat';

const committed = JSON.parse(fs.readFileSync(TABLES_PATH, 'utf8')) as StoredTables;

describe('committed hook tables from Debian packages', { concurrency: true }, () => {
  for (const r of storedReleases(committed)) {
    if (r.source.kind !== 'debian') continue;
    const { package: pkg, version } = r.source;
    it(`keep ${r.release} as ${pkg} ${version} gives it`, async (t) => {
      const found = obtainDeb(pkg, version);
      if ('unavailable' in found) {
        const why = `not compared: ${found.unavailable}; \`npm run generate-tables -- --debian ${pkg}\` moves it to the archive's newest`;
        if (process.env.CI) t.diagnostic(`CI: ${why}`);
        t.skip(why);
        return;
      }
      const fresh = deriveRelease(await readKernelDeb(found.deb));
      assert.equal(fresh.release, r.release);
      assert.ok(
        serialiseTables(buildTables([fresh])) === serialiseTables(buildTables([r])),
        `${TABLES_PATH} is stale for ${r.release}: run \`npm run generate-tables -- --debian ${pkg}=${version}\``,
      );
    });
  }
});
