// {{name}}: denies opening files named "lsm-secret"; every other open goes through.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#define EPERM 1

char LICENSE[] SEC("license") = "GPL";

SEC("lsm/file_open")
int BPF_PROG({{name}}_file_open, struct file *file, int ret)
{
	const char target[] = "lsm-secret";
	char name[sizeof(target) + 1] = {};	/* one more: a longer name must not match its prefix */

	/* An earlier program denied already: keep its verdict. */
	if (ret != 0)
		return ret;

	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(file, f_path.dentry, d_name.name));
	for (int i = 0; i < sizeof(target); i++)
		if (name[i] != target[i])
			return 0;

	bpf_printk("{{name}}: denied open of %s", name);
	return -EPERM;
}
