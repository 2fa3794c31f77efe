// `npm run bench`: prints the project's speed and memory figures. Targets are printed beside them;
// nothing here fails a build.
import { REPO_ROOT } from '../common/repoRoot';
import { benchAnalysis } from './analysis';
import { benchBtf } from './btf';
import { benchClangd } from './clangd';
import { benchLinter } from './linter';
import { benchPolicy } from './policy';
import { benchProber } from './prober';
import { benchRemote } from './remote';
import { benchServer } from './server';
import { benchTables } from './tables';
import { benchTrace } from './trace';
import { benchVerify } from './verify';
import { benchVmReset } from './vmReset';

async function main(): Promise<void> {
  console.log(`BPF LSM Studio benchmarks  (node ${process.version}, ${process.platform}/${process.arch})`);
  await benchAnalysis(REPO_ROOT);
  await benchServer();
  await benchClangd();
  benchLinter();
  benchBtf();
  await benchTables();
  if (process.env.BENCH_SKIP_VM) console.log('\n== Run on target ==\nskipped: BENCH_SKIP_VM is set');
  else {
    await benchRemote();
    await benchVerify();
    await benchVmReset();
    await benchPolicy();
    await benchProber();
  }
  await benchTrace({ vm: !process.env.BENCH_SKIP_VM });
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exitCode = 1;
});
