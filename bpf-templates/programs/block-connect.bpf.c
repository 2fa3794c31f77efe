// {{name}}: denies connect() to 127.0.0.2; other addresses and families go through.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#define EPERM 1
#define AF_INET 2

char LICENSE[] SEC("license") = "GPL";

/* 127.0.0.2 */
const volatile __u32 blocked_ipv4 = 0x7f000002;

SEC("lsm/socket_connect")
int BPF_PROG({{name}}_connect, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	struct sockaddr_in *addr = (struct sockaddr_in *)address;

	if (ret != 0)
		return ret;
	if (BPF_CORE_READ(address, sa_family) != AF_INET)
		return 0;
	if (BPF_CORE_READ(addr, sin_addr.s_addr) != bpf_htonl(blocked_ipv4))
		return 0;

	bpf_printk("{{name}}: denied connect to %pI4", &addr->sin_addr.s_addr);
	return -EPERM;
}
