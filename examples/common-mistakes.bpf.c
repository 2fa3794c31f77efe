// Mistakes BPF LSM Studio catches before the program reaches a kernel. Open this file in VS Code,
// or run: npx bpf-lsm-lint examples/common-mistakes.bpf.c
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define EPERM 1

// A hook that does not exist, written with a kprobe macro.
SEC("lsm/target_exec")
int BPF_KPROBE(audit_exec, struct linux_binprm *bprm)
{
    return 0;
}

// A positive verdict: the kernel wants 0 or -errno.
SEC("lsm/file_open")
int BPF_PROG(deny_everything, struct file *file, int ret)
{
    if (ret != 0)
        return ret;
    return EPERM;
}

// No `int ret`: an earlier program's denial is lost.
SEC("lsm/path_unlink")
int BPF_PROG(audit_unlink, const struct path *dir, struct dentry *dentry)
{
    return 0;
}

// An unbraced if: the return below runs for every connection.
SEC("lsm/socket_connect")
int BPF_PROG(block_connect, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
    if (ret != 0)
        return ret;
    if (address->sa_family == 2)
        bpf_printk("lsm: blocking");
        return -EPERM;
    return 0;
}
