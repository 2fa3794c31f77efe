// {{name}}: logs each exec with its file name to trace_pipe; denies nothing.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

SEC("lsm/bprm_check_security")
int BPF_PROG({{name}}_exec, struct linux_binprm *bprm, int ret)
{
	char filename[64] = {};

	if (ret != 0)
		return ret;

	bpf_probe_read_kernel_str(filename, sizeof(filename), BPF_CORE_READ(bprm, filename));
	bpf_printk("{{name}}: exec %s by pid %d", filename, bpf_get_current_pid_tgid() >> 32);
	return 0;
}
