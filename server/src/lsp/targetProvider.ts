// Turns the settings into the kernel target the documents are checked against. A bad kernel setting or
// a broken user header is reported once (per distinct problem), and the bundled tables are used instead.
import * as fs from 'node:fs';
import type { BpfLsmSettings } from '../../../common/settings';
import { BtfError } from '../btf/btfReader';
import { btfHookTableFromFile } from '../btf/btfCache';
import { HookCatalog, type KernelTarget } from '../hooks/catalog';
import type { HookDef } from '../hooks/types';

export interface TargetProblem {
  /** The same text is shown to the user once. */
  message: string;
  severity: 'error' | 'warning';
}

export interface ResolvedTarget {
  target: KernelTarget;
  problems: TargetProblem[];
}

export function resolveTarget(settings: BpfLsmSettings, catalog: HookCatalog): ResolvedTarget {
  const problems: TargetProblem[] = [];
  let hookDefs: { path: string; text: string } | undefined;
  if (settings.hookDefsPath) {
    try {
      const data = fs.readFileSync(settings.hookDefsPath);
      if (data.subarray(0, 8192).includes(0)) throw new Error('it is a binary file');
      hookDefs = { path: settings.hookDefsPath, text: data.toString('utf8') };
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
      problems.push({
        severity: 'error',
        message: `bpfLsm.hookDefsPath: cannot read ${settings.hookDefsPath} (${why}); using the bundled hook tables.`,
      });
    }
  }
  let btf: { source: string; hooks: HookDef[] } | undefined;
  if (settings.btfPath) {
    try {
      const table = btfHookTableFromFile(settings.btfPath);
      btf = { source: `BTF of ${settings.btfPath}`, hooks: table.hooks };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'ENOENT' ? 'no such file' : e instanceof BtfError ? e.message : `cannot read it (${e.message})`;
      problems.push({ severity: 'error', message: `bpfLsm.btfPath: ${settings.btfPath}: ${why}; using ${hookDefs ? settings.hookDefsPath : 'the bundled hook tables'} instead.` });
    }
  }
  let kernel: string | undefined = settings.kernel || undefined;
  try {
    catalog.select(kernel);
  } catch (err) {
    problems.push({ severity: 'error', message: `bpfLsm.kernel: ${(err as Error).message}. Using the newest bundled release.` });
    kernel = undefined;
  }
  const { target, headerErrors } = catalog.target({ kernel, hookDefs, btf });
  if (hookDefs && !btf && headerErrors.length > 0) {
    const shown = headerErrors.slice(0, 5).map((e) => `line ${e.line}: ${e.message}`).join('; ');
    const more = headerErrors.length > 5 ? ` (and ${headerErrors.length - 5} more)` : '';
    const fallback = target.source === hookDefs.path ? 'the entries that parsed are used' : 'using the bundled hook tables instead';
    problems.push({
      severity: target.source === hookDefs.path ? 'warning' : 'error',
      message: `${hookDefs.path} has ${headerErrors.length} problem(s): ${shown}${more}; ${fallback}.`,
    });
  }
  return { target, problems };
}
