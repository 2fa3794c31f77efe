// server/data/lsm-callables.json against the sources it was derived from: each committed release is derived
// again from its Debian linux-source package (.cache/debian-src/debs, else the archive while it serves that
// version) and must come out the same, so a change to scripts/lsmCallables.ts that is not regenerated
// (`npm run generate-callables`) fails here. A package that cannot be had is skipped and says why.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { obtainDeb } from '../../scripts/debianArchive';
import { deriveFromDeb, readCommittedCallables } from '../../scripts/generate-lsm-callables';
import { parseReleaseSource } from '../../scripts/kernelSource';

describe('lsm-callables.json is what the Debian sources give', () => {
  const committed = readCommittedCallables();
  it('is committed, with the four VM kernels', () => {
    assert.deepEqual(
      committed?.releases.map((r) => r.source),
      [
        'debian linux-source-6.1 6.1.192-3',
        'debian linux-source-6.12 6.12.117-1~deb12u1',
        'debian linux-source-7.2 7.2.13-1',
        'debian linux-source-7.3 7.3.4-1~bpo13+1',
      ],
    );
  });
  for (const release of committed?.releases ?? []) {
    it(`${release.release} (${release.source}) is up to date`, async (t) => {
      const source = parseReleaseSource(release.source);
      assert.equal(source?.kind, 'debian');
      if (source?.kind !== 'debian') return;
      const found = obtainDeb(source.package, source.version);
      if ('unavailable' in found) {
        if (process.env.CI) t.diagnostic(`CI: not compared: ${found.unavailable}`);
        return t.skip(`not compared: ${found.unavailable}`);
      }
      assert.deepEqual(await deriveFromDeb(found.deb), release, 'stale: run `npm run generate-callables`');
    });
  }
});
