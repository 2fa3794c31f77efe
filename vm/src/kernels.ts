// The guest kernels the VM can boot, all Debian's, all BPF LSM and BTF capable (vm/scripts/lib.sh
// says where each comes from): Debian 12's 6.12 and 6.1 (bookworm, bookworm-security), and Debian's
// newest, 7.2 (sid) and 7.3 (trixie-backports), each the newest package of its series when fetched.
export const KERNEL_SERIES = ['6.12', '6.1', '7.2', '7.3'] as const;
export type KernelSeries = (typeof KERNEL_SERIES)[number];
export const DEFAULT_KERNEL: KernelSeries = '6.12';

/** The LSM order booted by default; "bpf" must be in it for BPF LSM programs to be called. */
export const DEFAULT_LSM = 'lockdown,yama,integrity,apparmor,bpf';
/**
 * The `lsm` value that boots without an lsm= parameter: the kernel's own CONFIG_LSM list (which names
 * bpf in Debian's 7.2 and 7.3, not in 6.1 or 6.12).
 */
export const KERNEL_DEFAULT_LSM = 'default';

export function parseKernel(value: string | undefined): KernelSeries {
  if (value === undefined) return DEFAULT_KERNEL;
  const v = value.replace(/^v/, '');
  if ((KERNEL_SERIES as readonly string[]).includes(v)) return v as KernelSeries;
  throw new Error(`unknown kernel '${value}': use ${KERNEL_SERIES.join(', ')}`);
}

/**
 * Checks an lsm= list: comma-separated names only, nothing that could add kernel parameters; or
 * 'default' alone, for no lsm= at all.
 */
export function parseLsm(value: string | undefined): string {
  if (value === undefined) return DEFAULT_LSM;
  if (!/^[a-z0-9_]+(,[a-z0-9_]+)*$/.test(value) || (value !== KERNEL_DEFAULT_LSM && value.split(',').includes(KERNEL_DEFAULT_LSM))) {
    throw new Error(`invalid --lsm list '${value}' (names separated by commas, or '${KERNEL_DEFAULT_LSM}' alone for the kernel's own)`);
  }
  return value;
}

/** The kernel parameter for an lsm value: none for 'default'. */
export function lsmParameter(lsm: string): string | undefined {
  return lsm === KERNEL_DEFAULT_LSM ? undefined : `lsm=${lsm}`;
}

/** How a VM booted its LSMs, for messages: `lsm=LIST`, or the kernel's default. */
export function describeLsm(lsm: string): string {
  return lsmParameter(lsm) ?? "the kernel's default LSMs (no lsm=)";
}
