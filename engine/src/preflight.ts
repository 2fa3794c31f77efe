// What a target must have before a program is sent to it: a kernel with BTF, `bpf` among the active LSMs
// (else a program attaches and enforces nothing), bpffs and tracefs mounted, and a way to attach.
// One ssh round trip runs a small script that mounts what is missing and reports key=value lines.
import type { SshConnection } from './sshConnection';

export interface PreflightReport {
  kernelRelease: string;
  machine: string;
  btf: boolean;
  lsms: string[];
  bpfActive: boolean;
  /** The lsm= boot parameter that adds bpf to the target's current list. */
  suggestedLsmParameter: string;
  tracefs: string | null;
  bpffs: boolean;
  /** `lsm-loader` on the target's PATH. */
  loaderInstalled: boolean;
  /** `lsm-action` (the policy tests' action helper) on the target's PATH. */
  actionHelperInstalled: boolean;
  /** `lsm-probe` (the hook prober) on the target's PATH. */
  proberInstalled: boolean;
  uid: number;
  /** Problems that stop a run, each with the next step. */
  blockers: string[];
  /** Problems that let it run but matter (bpf not active: nothing is enforced). */
  warnings: string[];
}

/** POSIX sh run on the target. Mounts are attempted only when missing; errors are reported, not fatal. */
const SCRIPT = `
echo "release=$(uname -r)"
echo "machine=$(uname -m)"
echo "uid=$(id -u)"
[ -r /sys/kernel/btf/vmlinux ] && echo btf=1 || echo btf=0
[ -r /sys/kernel/security/lsm ] || mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
echo "lsm=$(cat /sys/kernel/security/lsm 2>/dev/null)"
if [ ! -e /sys/kernel/tracing/trace_pipe ]; then mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null; fi
if [ -e /sys/kernel/tracing/trace_pipe ]; then echo tracefs=/sys/kernel/tracing
elif [ -e /sys/kernel/debug/tracing/trace_pipe ]; then echo tracefs=/sys/kernel/debug/tracing
else echo tracefs=; fi
grep -q ' /sys/fs/bpf bpf ' /proc/mounts || mount -t bpf bpf /sys/fs/bpf 2>/dev/null
grep -q ' /sys/fs/bpf bpf ' /proc/mounts && echo bpffs=1 || echo bpffs=0
command -v lsm-loader >/dev/null 2>&1 && echo loader=1 || echo loader=0
command -v lsm-action >/dev/null 2>&1 && echo action=1 || echo action=0
command -v lsm-probe >/dev/null 2>&1 && echo prober=1 || echo prober=0
`;

export function parsePreflight(output: string): PreflightReport {
  const kv = new Map(
    output
      .split('\n')
      .map((l) => l.split('=', 2) as [string, string])
      .filter((p) => p.length === 2)
      .map(([k, v]) => [k.trim(), v.trim()]),
  );
  const lsms = (kv.get('lsm') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bpfActive = lsms.includes('bpf');
  // capability is always on and not named in lsm=; keep the target's order and add bpf at the end.
  const suggestedLsmParameter = `lsm=${[...lsms.filter((l) => l !== 'capability' && l !== 'bpf'), 'bpf'].join(',')}`;
  const report: PreflightReport = {
    kernelRelease: kv.get('release') ?? '',
    machine: kv.get('machine') ?? '',
    uid: Number(kv.get('uid') ?? -1),
    btf: kv.get('btf') === '1',
    lsms,
    bpfActive,
    suggestedLsmParameter,
    tracefs: kv.get('tracefs') || null,
    bpffs: kv.get('bpffs') === '1',
    loaderInstalled: kv.get('loader') === '1',
    actionHelperInstalled: kv.get('action') === '1',
    proberInstalled: kv.get('prober') === '1',
    blockers: [],
    warnings: [],
  };
  if (!report.btf)
    report.blockers.push(
      `${report.kernelRelease} has no /sys/kernel/btf/vmlinux: BPF LSM needs a kernel built with CONFIG_DEBUG_INFO_BTF=y.`,
    );
  if (!report.bpffs) report.blockers.push('bpffs is not mounted at /sys/fs/bpf and could not be mounted (not root?).');
  if (lsms.length === 0)
    report.blockers.push('/sys/kernel/security/lsm cannot be read: is securityfs available, and is the login root (or sudo set)?');
  else if (!bpfActive) {
    report.warnings.push(
      `bpf is not an active LSM on this target (${lsms.join(',')}): programs will attach but enforce nothing. ` +
        `Boot the target with ${suggestedLsmParameter} (e.g. in GRUB_CMDLINE_LINUX, then update-grub and reboot).`,
    );
  }
  if (!report.tracefs) report.warnings.push('tracefs is not mounted: bpf_printk output cannot be shown.');
  return report;
}

export async function preflight(conn: SshConnection): Promise<PreflightReport> {
  const out = await conn.check(['sh', '-c', SCRIPT], { privileged: true, timeoutMs: 30_000 });
  return parsePreflight(out);
}
