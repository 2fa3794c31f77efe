// Where a target's hook table came from, as a value: what the code decides on. The text shown to the user
// is computed from it here, and only here; it is never compared.

export interface TableSource {
  /**
   * `bundled`: a table shipped with the extension; `btf`: a kernel's BTF file; `header`: the user's own
   * lsm_hook_defs.h; `probed`: hooks and their sets asked of a running kernel (lsm-probe), live or from a
   * facts file (server/src/hooks/probedKernel.ts).
   */
  kind: 'bundled' | 'btf' | 'header' | 'probed';
  /** The BTF file or header read (`btf`, `header`), or the facts file (`probed`, when read from one). */
  path?: string;
  /** The kernel release: the bundled table's; for a labelled BTF, that kernel's own `uname -r`; else the release whose rules apply. */
  release: string;
  /** Whose kernel, for a BTF that came from somewhere else than the user's settings (the Run on Target destination). */
  label?: string;
}

/** `bundled 6.12`, `BTF of /sys/kernel/btf/vmlinux`, `BTF of vm (6.12.117)`, `probed on vm (6.12.117)`, or the header's path. */
export function describeTableSource(source: TableSource): string {
  switch (source.kind) {
    case 'bundled':
      return `bundled ${source.release}`;
    case 'btf':
      return source.label !== undefined ? `BTF of ${source.label} (${source.release})` : `BTF of ${source.path ?? 'a kernel'}`;
    case 'header':
      return source.path ?? 'a kernel header';
    case 'probed':
      return `probed on ${source.label ?? source.path ?? 'a kernel'} (${source.release})`;
  }
}
