// Turns the settings into the kernel target the documents are checked against. A bad kernel setting or
// a broken user header is reported once (per distinct problem), and the bundled tables are used instead.
import type { BpfLsmSettings } from '../../../common/settings';
import { btfHookTableFromFile } from '../btf/btfCache';
import { HOOK_DEFS_LIMIT, readTextFile } from '../ctext/boundedRead';
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

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
}

export function resolveTarget(settings: BpfLsmSettings, catalog: HookCatalog): ResolvedTarget {
  const problems: TargetProblem[] = [];
  let hookDefs: { path: string; text: string } | undefined;
  if (settings.hookDefsPath) {
    // Bounded: a FIFO or /dev/zero here must not hang the server (see boundedRead.ts).
    try {
      hookDefs = { path: settings.hookDefsPath, text: readTextFile(settings.hookDefsPath, HOOK_DEFS_LIMIT) };
    } catch (err) {
      problems.push({
        severity: 'error',
        message: `bpfLsm.hookDefsPath: cannot read ${settings.hookDefsPath} (${oneLine(err)}); using the bundled hook tables.`,
      });
    }
  }
  let btf: { source: string; hooks: HookDef[] } | undefined;
  if (settings.btfPath) {
    try {
      const table = btfHookTableFromFile(settings.btfPath);
      btf = { source: `BTF of ${settings.btfPath}`, hooks: table.hooks };
    } catch (err) {
      // InputFileError (not a regular file, too large...) and BtfError (corrupt, no bpf_lsm_ hooks) say why.
      problems.push({ severity: 'error', message: `bpfLsm.btfPath: ${settings.btfPath}: ${oneLine(err)}; using ${hookDefs ? settings.hookDefsPath : 'the bundled hook tables'} instead.` });
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
