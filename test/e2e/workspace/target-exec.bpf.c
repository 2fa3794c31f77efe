// A blog's "LSM_TARGET_EXEC" program: the hook does not exist, and BPF_KPROBE is a kprobe macro.
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>

SEC("lsm/target_exec") // expect: unknown-hook
int BPF_KPROBE(lsm_target_exec_hook, struct linux_binprm *bprm) { // expect: wrong-macro
    bpf_printk("LSM: Attempted execve for %s\n", bprm->file->f_path.dentry->d_name.name);
    return 0;
}

char _license[] SEC("license") = "GPL";
