/* A plain C file (no section macro call, no vmlinux.h or bpf_helpers.h, not *.bpf.c): BPF LSM Studio leaves it to the
 * C tools, although the same text in a .bpf.c file has an unknown hook and no licence. */
#include <stdio.h>

__attribute__((section("lsm/target_exec"))) int prog(unsigned long long *ctx)
{
	return 0;
}
