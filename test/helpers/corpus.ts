// Benchmark inputs, generated: a 30-line LSM program and a 5,000-line file with 100 programs.

const PROGRAM = (i: number) => `SEC("lsm/file_open")
int BPF_PROG(deny_open_${i}, struct file *file, int ret)
{
    char name[16] = {};
    const unsigned char *p;

    if (ret != 0)
        return ret;

    p = BPF_CORE_READ(file, f_path.dentry, d_name.name);
    bpf_probe_read_kernel_str(name, sizeof(name), p);
    if (name[0] != 'l' || name[1] != 's' || name[2] != 'm')
        return 0;
    bpf_printk("lsm: denying open of %s", name);
    return -EPERM;
}
`;

const HEADER = `#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#define EPERM 1

char LICENSE[] SEC("license") = "GPL";

`;

/** About 30 lines: one program with the usual includes. */
export function smallProgram(): string {
  return HEADER + PROGRAM(0) + '\n\n\n\n';
}

/** `programs` programs padded with helper code to `lines` lines in all. */
export function largeFile(programs = 100, lines = 5000): string {
  const parts = [HEADER];
  const perProgram = Math.floor((lines - HEADER.split('\n').length) / programs) - 1;
  for (let i = 0; i < programs; i++) {
    const prog = PROGRAM(i);
    const pad = perProgram - prog.split('\n').length;
    const helper = [`static __always_inline int helper_${i}(int x)`, '{'];
    for (let k = 0; k < pad - 4; k++) helper.push(`    x = x * 3 + ${k}; /* filler */`);
    helper.push('    return x;', '}', '');
    parts.push(helper.join('\n'), prog);
  }
  const text = parts.join('\n');
  const missing = lines - text.split('\n').length;
  if (missing < 0) throw new Error(`corpus has ${-missing} lines too many`);
  return text + '\n'.repeat(missing);
}
