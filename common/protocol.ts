// Custom messages between the extension and the language server, declared once: the method and the
// parameters' type. Client and server each build their own library's NotificationType from a spec
// (vscode-languageclient and vscode-languageserver carry different vscode-jsonrpc versions), so the
// two sides cannot disagree on a method name or a payload.

/** A notification's method, with its parameters as a type. */
export interface NotificationSpec<P> {
  readonly method: string;
  /** Never set: carries P for the type checker. */
  readonly params?: P;
}

export interface TargetKernelParams {
  /** The target's BTF (a local copy of its /sys/kernel/btf/vmlinux), or '' to forget the target. */
  btfPath: string;
  /** Its `uname -r`, to choose the bpf_lsm rules of the nearest bundled release. */
  release: string;
  /** For messages: the ssh destination. */
  label: string;
  /**
   * What the target's kernel said about each hook (lsm-probe's output, cached by TargetSession.probeHooks
   * next to the BTF), when it was probed: its disabled, sleepable and bool sets then come from it.
   */
  probePath?: string;
}

/** Client -> server: the configured target's kernel, so hooks are checked against what it really has. */
export const TargetKernelNotification: NotificationSpec<TargetKernelParams> = { method: 'bpfLsm/targetKernel' };
