// Two programs on one hook: what `int ret` really carries. Both deny opening files named "lsm-chain";
// each returns -EACCES when the verdict it receives in `ret` is already a denial, else -EPERM. The open
// fails with EPERM and one trace line says "saw ret=0": the kernel runs the programs of a hook until one
// returns non-zero, so a later program never sees (nor overrides) an earlier denial; `ret` is 0 whenever
// a program runs. Checked on every VM kernel by `bpf-lsm-test examples/`.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#define EPERM 1
#define EACCES 13

char LICENSE[] SEC("license") = "GPL";

static __always_inline int is_chain_file(struct file *file)
{
    const char want[] = "lsm-chain";
    char name[sizeof(want) + 1] = {};

    bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(file, f_path.dentry, d_name.name));
    for (int i = 0; i < sizeof(want); i++)
        if (name[i] != want[i])
            return 0;
    return 1;
}

SEC("lsm/file_open")
int BPF_PROG(chain_first, struct file *file, int ret)
{
    if (!is_chain_file(file))
        return ret;
    bpf_printk("chain: chain_first saw ret=%d", ret);
    return ret != 0 ? -EACCES : -EPERM;
}

SEC("lsm/file_open")
int BPF_PROG(chain_second, struct file *file, int ret)
{
    if (!is_chain_file(file))
        return ret;
    bpf_printk("chain: chain_second saw ret=%d", ret);
    return ret != 0 ? -EACCES : -EPERM;
}
