// The one way to turn a request (kernel release, own header, own BTF, a probed kernel) into the target files are checked
// against: used by the language server (lsp/targetProvider.ts) and the CLI (cli/lint.ts) alike. Files are
// read bounded (a FIFO or /dev/zero must not hang either). What went wrong comes back as typed problems,
// in the order the inputs are read; each caller says them in its own words (settings or flags) and
// decides whether to go on: the server falls back to the bundled tables, the CLI exits 2.
import { btfHookTableFromFile } from '../btf/btfCache';
import { HOOK_DEFS_LIMIT, readTextFile } from '../ctext/boundedRead';
import { KernelSelectionError, type BtfHooks, type HookCatalog, type KernelTarget } from './catalog';
import type { HeaderError } from './hookDefsParser';
import { probedKernel, probedTarget, readFactsFile, readProbeOutput } from './probedKernel';

export interface TargetRequest {
  /** A kernel release (`6.12`, `6.1.20`); empty or absent: the newest bundled release. */
  kernel?: string;
  /** The user's own lsm_hook_defs.h. */
  hookDefsPath?: string;
  /** A kernel BTF file; its hooks win over the header's. */
  btfPath?: string;
  /** Whose kernel the BTF is, and its `uname -r` (the Run on Target destination). */
  btfLabel?: { label: string; release: string };
  /** A hook facts file (`bpf-lsm-lint --save-facts`): a probed kernel, in place of all of the above. */
  factsPath?: string;
  /** lsm-probe's output on the kernel whose BTF is btfPath (TargetSession.probeHooks): that probed kernel is the target. */
  probePath?: string;
}

export type TargetProblem =
  /** The header could not be read (not a regular file, too large, missing...): the bundled tables are used. */
  | { kind: 'hook-defs-unreadable'; path: string; reason: string }
  /** The BTF could not be used (unreadable, corrupt, no bpf_lsm_ hooks): the header or the bundled tables are used. */
  | { kind: 'btf-unusable'; path: string; reason: string }
  /** The kernel is not a release, or predates BPF LSM: the newest bundled release is used. */
  | { kind: 'bad-kernel'; reason: string }
  /** The header was read (and no BTF used); `used`: whether any of its entries parsed, and so make the table. */
  | { kind: 'header-errors'; path: string; errors: HeaderError[]; used: boolean }
  /** The facts file cannot be used (unreadable, not a facts file, another version): what the rest of the request says is used. */
  | { kind: 'facts-unusable'; path: string; reason: string }
  /** The probe cannot be used with the BTF (unreadable, another kernel's): the BTF is used with its release's rules. */
  | { kind: 'probe-unusable'; path: string; reason: string };

export interface ResolvedTarget {
  target: KernelTarget;
  /** In the order the inputs are read: header, BTF, kernel, header's entries. */
  problems: TargetProblem[];
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
}

export function resolveTarget(request: TargetRequest, catalog: HookCatalog): ResolvedTarget {
  const problems: TargetProblem[] = [];
  if (request.factsPath) {
    try {
      return { target: probedTarget(readFactsFile(request.factsPath), catalog, request.factsPath), problems };
    } catch (err) {
      problems.push({ kind: 'facts-unusable', path: request.factsPath, reason: oneLine(err) });
    }
  }
  let hookDefs: { path: string; text: string } | undefined;
  if (request.hookDefsPath) {
    try {
      hookDefs = { path: request.hookDefsPath, text: readTextFile(request.hookDefsPath, HOOK_DEFS_LIMIT) };
    } catch (err) {
      problems.push({ kind: 'hook-defs-unreadable', path: request.hookDefsPath, reason: oneLine(err) });
    }
  }
  let btf: BtfHooks | undefined;
  if (request.btfPath) {
    let table;
    try {
      // InputFileError (not a regular file, too large...) and BtfError (corrupt, no bpf_lsm_ hooks) say why.
      table = btfHookTableFromFile(request.btfPath);
      btf = { path: request.btfPath, hooks: table.hooks, kfuncs: table.kfuncs, ...request.btfLabel };
    } catch (err) {
      problems.push({ kind: 'btf-unusable', path: request.btfPath, reason: oneLine(err) });
    }
    if (table && request.probePath) {
      try {
        const { output, probedAt } = readProbeOutput(request.probePath);
        const label = request.btfLabel?.label ?? request.btfPath;
        const target = probedTarget(probedKernel(output, table, label, probedAt), catalog);
        // The same object: probedHookOf keys on it.
        target.btfKfuncs = table.kfuncs;
        return { target, problems };
      } catch (err) {
        problems.push({ kind: 'probe-unusable', path: request.probePath, reason: oneLine(err) });
      }
    }
  }
  let kernel = request.kernel || undefined;
  try {
    catalog.select(kernel);
  } catch (err) {
    if (!(err instanceof KernelSelectionError)) throw err;
    problems.push({ kind: 'bad-kernel', reason: err.message });
    kernel = undefined;
  }
  const { target, headerErrors } = catalog.target({ kernel, hookDefs, btf });
  if (hookDefs && !btf) {
    problems.push({ kind: 'header-errors', path: hookDefs.path, errors: headerErrors, used: target.source.kind === 'header' });
  }
  return { target, problems };
}
