// The guest kernels the VM can boot: Debian 12's 6.1 and its 6.12 (both BPF LSM and BTF capable).
export const KERNEL_SERIES = ['6.12', '6.1'] as const;
export type KernelSeries = (typeof KERNEL_SERIES)[number];
export const DEFAULT_KERNEL: KernelSeries = '6.12';

/** The LSM order booted by default; "bpf" must be in it for BPF LSM programs to be called. */
export const DEFAULT_LSM = 'lockdown,yama,integrity,apparmor,bpf';

export function parseKernel(value: string | undefined): KernelSeries {
  if (value === undefined) return DEFAULT_KERNEL;
  const v = value.replace(/^v/, '');
  if ((KERNEL_SERIES as readonly string[]).includes(v)) return v as KernelSeries;
  throw new Error(`unknown kernel '${value}': use ${KERNEL_SERIES.join(' or ')}`);
}

/** Checks an lsm= list: comma-separated names only, nothing that could add kernel parameters. */
export function parseLsm(value: string | undefined): string {
  if (value === undefined) return DEFAULT_LSM;
  if (!/^[a-z0-9_]+(,[a-z0-9_]+)*$/.test(value)) throw new Error(`invalid --lsm list '${value}'`);
  return value;
}
