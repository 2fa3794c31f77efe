// Denies opening any file named "lsm-secret"; every other open goes through. test/e2e/packaged.ts runs
// deny-open.lsmtest.yaml on it through the extension installed from the .vsix.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#define EPERM 1

char LICENSE[] SEC("license") = "GPL";

SEC("lsm/file_open")
int BPF_PROG(deny_secret_open, struct file *file, int ret)
{
	const char want[] = "lsm-secret";
	char name[sizeof(want) + 1] = {};	/* one more: a longer name must not match its prefix */

	if (ret != 0)
		return ret;

	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(file, f_path.dentry, d_name.name));
	for (int i = 0; i < sizeof(want); i++)
		if (name[i] != want[i])
			return 0;

	bpf_printk("lsm: denied open of %s", name);
	return -EPERM;
}
