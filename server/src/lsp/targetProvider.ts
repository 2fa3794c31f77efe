// Turns the settings into the kernel target the documents are checked against (hooks/resolveTarget.ts,
// which the CLI uses too), and says its problems in the settings' words. A bad kernel setting or a
// broken user header is reported once (per distinct problem), and the bundled tables are used instead.
import type { BpfLsmSettings } from '../../../common/settings';
import type { HookCatalog, KernelTarget } from '../hooks/catalog';
import { resolveTarget as resolve, type TargetProblem as Problem } from '../hooks/resolveTarget';

export interface TargetProblem {
  /** The same text is shown to the user once. */
  message: string;
  severity: 'error' | 'warning';
}

export interface ResolvedTarget {
  target: KernelTarget;
  problems: TargetProblem[];
}

/**
 * `btfLabel`: whose kernel the BTF is, when it came from the Run on Target destination, not the settings;
 * with `probePath` when that kernel was probed (its hooks' sets then come from the probe).
 */
export function resolveTarget(
  settings: BpfLsmSettings,
  catalog: HookCatalog,
  btfLabel?: { label: string; release: string; probePath?: string },
): ResolvedTarget {
  const { probePath, ...label } = btfLabel ?? { label: '', release: '' };
  const { target, problems } = resolve(
    {
      kernel: settings.kernel,
      hookDefsPath: settings.hookDefsPath,
      btfPath: settings.btfPath,
      ...(btfLabel ? { btfLabel: label } : {}),
      ...(probePath ? { probePath } : {}),
    },
    catalog,
  );
  const hookDefsRead = !problems.some((p) => p.kind === 'hook-defs-unreadable') && settings.hookDefsPath !== '';
  const say = (p: Problem): TargetProblem | undefined => {
    switch (p.kind) {
      case 'hook-defs-unreadable':
        return { severity: 'error', message: `bpfLsm.hookDefsPath: cannot read ${p.path} (${p.reason}); using the bundled hook tables.` };
      case 'btf-unusable':
        return {
          severity: 'error',
          message: `bpfLsm.btfPath: ${p.path}: ${p.reason}; using ${hookDefsRead ? settings.hookDefsPath : 'the bundled hook tables'} instead.`,
        };
      case 'bad-kernel':
        return { severity: 'error', message: `bpfLsm.kernel: ${p.reason}. Using the newest bundled release.` };
      case 'facts-unusable':
        return { severity: 'error', message: `${p.path}: ${p.reason}; using the bundled hook tables.` };
      case 'probe-unusable':
        return {
          severity: 'warning',
          message: `What the target's kernel said about its hooks (${p.path}) cannot be used: ${p.reason}. Its BTF and the rules of its release are used.`,
        };
      case 'header-errors': {
        if (p.errors.length === 0) return undefined;
        const shown = p.errors
          .slice(0, 5)
          .map((e) => `line ${e.line}: ${e.message}`)
          .join('; ');
        const more = p.errors.length > 5 ? ` (and ${p.errors.length - 5} more)` : '';
        const fallback = p.used ? 'the entries that parsed are used' : 'using the bundled hook tables instead';
        return {
          severity: p.used ? 'warning' : 'error',
          message: `${p.path} has ${p.errors.length} problem(s): ${shown}${more}; ${fallback}.`,
        };
      }
    }
  };
  return { target, problems: problems.flatMap((p) => say(p) ?? []) };
}
