// Hook-table generation: from ../shared (every release), from a linux-headers-ABI-common package (the
// header alone) and from a linux-source-X.Y package (its tarball streamed through xz up to bpf_lsm.c), with
// the parsing alone for scale. The packages are the .debs in .cache/debian-src/debs; nothing is downloaded.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cachedDeb, DEBIAN_DEBS_DIR } from '../scripts/debianArchive';
import { deriveRelease, generateHookTables, readCommittedTables, storedReleases } from '../scripts/generate-hook-tables';
import { readKernelDeb, type KernelInput } from '../scripts/kernelSource';
import { KERNEL_HOOKS_DIR, kernelHooksAvailable } from '../test/helpers/paths';
import { report, summarise, time } from './stats';

async function timeAsync(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return samples;
}

export async function benchTables(): Promise<void> {
  console.log('\n== Hook tables (npm run generate-tables) ==');
  const committed = readCommittedTables();
  if (kernelHooksAvailable())
    report(
      'all releases: ../shared re-derived, the rest kept',
      time(10, () => generateHookTables(KERNEL_HOOKS_DIR, { committed }), 2),
    );
  else console.log(`skipped ../shared: ${KERNEL_HOOKS_DIR} is missing`);

  const headers = fs.existsSync(DEBIAN_DEBS_DIR)
    ? fs
        .readdirSync(DEBIAN_DEBS_DIR)
        .filter((f) => /^linux-headers-.+-common_.+\.deb$/.test(f))
        .sort()
        .reverse()
    : [];
  if (headers.length > 0) {
    const deb = path.join(DEBIAN_DEBS_DIR, headers[0]);
    const mib = (fs.statSync(deb).size / 1048576).toFixed(0);
    report(
      `${headers[0].split('_')[0]} (${mib} MiB): header only`,
      summarise(await timeAsync(3, async () => deriveRelease(await readKernelDeb(deb)))),
    );
  } else {
    console.log(`skipped headers package: no linux-headers-*-common .deb in ${DEBIAN_DEBS_DIR}`);
  }

  const newest = committed
    ? storedReleases(committed)
        .filter((r) => r.source.kind === 'debian')
        .pop()
    : undefined;
  const source = newest?.source.kind === 'debian' ? newest.source : undefined;
  const deb = source ? cachedDeb(source.package, source.version) : null;
  if (!source || !deb) {
    const what = source ? `${source.package} ${source.version}` : 'a linux-source package';
    console.log(`skipped source package: ${what} is not in ${DEBIAN_DEBS_DIR} (the unit tests download it)`);
    return;
  }
  let input: KernelInput | undefined;
  const mib = (fs.statSync(deb).size / 1048576).toFixed(0);
  report(
    `${source.package} (${mib} MiB): header + bpf_lsm.c`,
    summarise(await timeAsync(2, async () => deriveRelease((input = await readKernelDeb(deb))))),
  );
  report(
    '  of which parsing the two files',
    time(50, () => deriveRelease(input!), 5),
  );
}
