// Derives server/data/hook-tables.json from the kernel's lsm_hook_defs.h and bpf_lsm.c hook sets
// (../shared/kernel-hooks). Only derived facts are written: names, types, defaults, conditions, sets.
// Usage: node out/scripts/generate-hook-tables.js [KERNEL_HOOKS_DIR] [--check]
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseHookDefs } from '../server/src/hooks/hookDefsParser';
import { compareVersions, parseVersion } from '../server/src/hooks/versions';
import { emptySets, packTables, SET_NAMES, type StoredTables } from '../server/src/hooks/tableFormat';
import type { HookSets } from '../server/src/hooks/types';
import { REPO_ROOT } from '../common/repoRoot';

export const DEFAULT_SOURCE_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'kernel-hooks');
export const TABLES_PATH = path.join(REPO_ROOT, 'server', 'data', 'hook-tables.json');

function gitBlobHash(data: Buffer): string {
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

function readSets(file: string): HookSets | null {
  if (!fs.existsSync(file)) return null;
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { sets: Record<string, { hook: string }[]> };
  const sets = emptySets();
  for (const [kernelName, entries] of Object.entries(json.sets)) {
    const key = SET_NAMES[kernelName];
    if (!key) throw new Error(`${file}: unknown set ${kernelName}; teach SET_NAMES about it`);
    sets[key] = entries.map((e) => e.hook).sort();
  }
  return sets;
}

export function generateHookTables(sourceDir: string): StoredTables {
  const headers = fs.readdirSync(sourceDir).filter((f) => /^lsm_hook_defs-v.+\.h$/.test(f));
  if (headers.length === 0) throw new Error(`no lsm_hook_defs-v*.h files in ${sourceDir}`);
  const releases = headers.map((file) => {
    const release = file.slice('lsm_hook_defs-v'.length, -'.h'.length);
    const data = fs.readFileSync(path.join(sourceDir, file));
    const parsed = parseHookDefs(data.toString('utf8'));
    if (parsed.errors.length > 0) {
      const list = parsed.errors.map((e) => `${file}:${e.line}: ${e.message}`).join('\n');
      throw new Error(`cannot derive tables from a header with errors:\n${list}`);
    }
    return {
      release,
      headerBlob: gitBlobHash(data),
      hooks: parsed.hooks,
      sets: readSets(path.join(sourceDir, `bpf_lsm-sets-v${release}.json`)),
    };
  });
  releases.sort((a, b) => compareVersions(parseVersion(a.release)!, parseVersion(b.release)!));
  return packTables(
    releases,
    "Derived by scripts/generate-hook-tables.ts from each release's include/linux/lsm_hook_defs.h and " +
      'kernel/bpf/bpf_lsm.c hook sets. Do not edit by hand: run `npm run generate-tables`.',
  );
}

export function serialiseTables(tables: StoredTables): string {
  return `${JSON.stringify(tables, null, 1)}\n`;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const sourceDir = path.resolve(args.find((a) => !a.startsWith('--')) ?? DEFAULT_SOURCE_DIR);
  try {
    const text = serialiseTables(generateHookTables(sourceDir));
    if (check) {
      const same = fs.existsSync(TABLES_PATH) && fs.readFileSync(TABLES_PATH, 'utf8') === text;
      console.log(same ? `${TABLES_PATH} is up to date` : `${TABLES_PATH} differs from what ${sourceDir} gives`);
      process.exit(same ? 0 : 1);
    }
    fs.writeFileSync(TABLES_PATH, text);
    console.log(`wrote ${TABLES_PATH} (${text.length} bytes) from ${sourceDir}`);
  } catch (err) {
    console.error(`generate-hook-tables: ${(err as Error).message}`);
    process.exit(2);
  }
}
