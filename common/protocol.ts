// Custom messages between the extension and the language server.

/** Client -> server: the configured target's kernel, so hooks are checked against what it really has. */
export const TARGET_KERNEL_NOTIFICATION = 'bpfLsm/targetKernel';

export interface TargetKernelParams {
  /** The target's BTF (a local copy of its /sys/kernel/btf/vmlinux), or '' to forget the target. */
  btfPath: string;
  /** Its `uname -r`, to choose the bpf_lsm rules of the nearest bundled release. */
  release: string;
  /** For messages: the ssh destination. */
  label: string;
}
