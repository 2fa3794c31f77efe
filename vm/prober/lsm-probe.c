// lsm-probe: asks the running kernel itself what BPF LSM allows on each hook. It reads the kernel's BTF
// (/sys/kernel/btf/vmlinux), and for every bpf_lsm_<hook> function loads minimal programs with
// BPF_PROG_LOAD (BPF_PROG_TYPE_LSM, attach_btf_id = the function): as lsm/ (BPF_LSM_MAC), as lsm.s/
// (BPF_F_SLEEPABLE) and as lsm_cgroup/ (BPF_LSM_CGROUP), each a two-instruction `r0 = K; exit` with K
// 0, 1 or -1. What the verifier accepts is that kernel's disabled set, sleepable set and return ranges;
// its log says why it refused. Loading attaches nothing: no program is ever called, nothing is enforced,
// and every program is closed (freed) at once. Linked statically (vm/scripts/build-prober.sh) with
// libbpf, so it runs in the busybox guest and on any target of the same machine; no clang on the target.
//
//   lsm-probe            probe every bpf_lsm_ function of the running kernel
//   lsm-probe HOOK...    only these hooks (names without bpf_lsm_), for a quick look
//
// Output: one JSON object on stdout (parsed by engine/src/prober.ts), one line per hook:
//   {"prober":"lsm-probe","version":1,"release":"6.12.117+deb12-amd64","machine":"x86_64",
//    "btf_sha256":"<hex>","btf_bytes":4918287,"hooks":[
//      {"name":"file_open","ret":"int","lsm":[0,-1],"lsm_s":true,"cgroup":[0,1],
//       "refused":{"lsm 1":"EINVAL: At program exit the register R0 has smin=1 smax=1 should have been in [-4095, 0]",...}},
//      {"name":"getprocattr","ret":"int","disabled":"attach_btf_id 123 points to disabled hook bpf_lsm_getprocattr","lsm_s":false},
//      {"name":"verify_prog","ret":"int","not_hook":"attach_btf_id 456 points to wrong type name bpf_lsm_verify_prog"}
//    ],"lsm_cgroup":true,"loads":1798,"ms":972}
// Per hook: "ret" is the return type in BTF (int, void, the type's name, or ? for one without a name);
// "lsm" and "cgroup" list the return values (of 0, 1, -1) whose program loads; "lsm_s" whether a
// sleepable program loads (absent when no lsm/ program loads at all; on a disabled hook, whose every load
// is refused, whether the hook is in the kernel's sleepable list); "refused" holds the verifier's
// reason per refused "KIND RET" (the errno's name, then the last meaningful line of its log). "cgroup"
// is absent when the kernel has no BPF_LSM_CGROUP ("lsm_cgroup":false). Hooks compiled out of this
// kernel are not in its BTF, and so not in the output. "loads" counts the load attempts, "ms" the whole
// run. A hook takes at most 7 loads (lsm/ and lsm_cgroup/ with each value, lsm.s/ once with a value
// lsm/ took); a bpf_lsm_ function the kernel says is no hook stops at the first refusal, and a disabled
// hook after one more (lsm.s/), since its refusal holds for every kind and value.
// Exit status: 0 probed, 1 the BTF cannot be read or BPF programs cannot be loaded at all (the reason
// on stderr), 2 usage.
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"
#define PREFIX "bpf_lsm_"
#define PREFIX_LEN (sizeof(PREFIX) - 1)
// A refusal's log for a two-instruction program is a few lines; the reason is the last of them.
#define LOG_SIZE 8192

// ---------------------------------------------------------------------------------------------
// SHA-256 (FIPS 180-4), to name the BTF as the engine's cache does (sha256sum of the same file).

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
    0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
    0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
    0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
    0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
    0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const unsigned char *p) {
  uint32_t w[64], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (int i = 0; i < 16; i++) w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
    uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
  }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

static void sha256_hex(const unsigned char *data, size_t len, char out[65]) {
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  size_t i = 0;
  for (; i + 64 <= len; i += 64) sha256_block(h, data + i);
  unsigned char tail[128] = {0};
  size_t rest = len - i;
  memcpy(tail, data + i, rest);
  tail[rest] = 0x80;
  size_t tail_len = rest + 9 <= 64 ? 64 : 128;
  uint64_t bits = (uint64_t)len * 8;
  for (int j = 0; j < 8; j++) tail[tail_len - 1 - j] = (unsigned char)(bits >> (8 * j));
  for (size_t j = 0; j < tail_len; j += 64) sha256_block(h, tail + j);
  for (int j = 0; j < 8; j++) snprintf(out + 8 * j, 9, "%08x", h[j]);
}

// ---------------------------------------------------------------------------------------------
// Reading the BTF once: its bytes are hashed and parsed from the same buffer.

static unsigned char *read_file(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 8 << 20, n = 0;
  unsigned char *buf = malloc(cap);
  for (;;) {
    if (!buf) break;
    if (n == cap) {
      unsigned char *bigger = realloc(buf, cap *= 2);
      if (!bigger) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = bigger;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      free(buf);
      buf = NULL;
      break;
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  int saved = errno;
  close(fd);
  errno = saved;
  *len = n;
  return buf;
}

// ---------------------------------------------------------------------------------------------
// JSON output.

static void json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c == '\n') fputs("\\n", stdout);
    else if (c == '\t') fputs("\\t", stdout);
    else if (c < 0x20 || c == 0x7f) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

// ---------------------------------------------------------------------------------------------
// One load.

enum kind { LSM, LSM_S, CGROUP };
static const char *const KIND_NAME[] = {"lsm", "lsm.s", "cgroup"};
static const int RETURNS[] = {0, 1, -1};
#define NRETURNS 3

static char log_buf[LOG_SIZE];
static unsigned loads;

/** The last line of the verifier's log that says something (not an instruction, not the statistics). */
static void reason_of(const char *log, char *out, size_t size) {
  const char *best = NULL;
  size_t best_len = 0;
  for (const char *line = log; *line;) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    const char *p = line;
    while (p < line + len && *p >= '0' && *p <= '9') p++;
    int insn = p > line && p < line + len && *p == ':';
    int stats = !strncmp(line, "processed ", 10) || !strncmp(line, "verification time", 17) || !strncmp(line, "stack depth", 11) ||
                !strncmp(line, "Func#", 5) || !strncmp(line, "-- ", 3) || !strncmp(line, "mark_precise", 12);
    if (len > 0 && !insn && !stats) best = line, best_len = len;
    if (!end) break;
    line = end + 1;
  }
  if (best_len >= size) best_len = size - 1;
  if (best) memcpy(out, best, best_len);
  out[best ? best_len : 0] = '\0';
}

/**
 * Loads `r0 = ret; exit` as kind on the function btf_id. Returns 1 when it loads; else 0, with the errno's
 * name and the verifier's reason in why.
 */
static int try_load(__u32 btf_id, enum kind kind, int ret, char *why, size_t why_size) {
  struct bpf_insn insns[2] = {
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = ret},
      {.code = BPF_JMP | BPF_EXIT},
  };
  // log_level 0 with a buffer: libbpf loads without a log, and only a refusal is loaded again with one.
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .attach_btf_id = btf_id,
              .expected_attach_type = kind == CGROUP ? BPF_LSM_CGROUP : BPF_LSM_MAC, .prog_flags = kind == LSM_S ? BPF_F_SLEEPABLE : 0,
              .log_buf = log_buf, .log_size = sizeof(log_buf), .log_level = 0);
  log_buf[0] = '\0';
  loads++;
  int fd = bpf_prog_load(BPF_PROG_TYPE_LSM, NULL, "GPL", insns, 2, &opts);
  if (fd >= 0) {
    close(fd);
    return 1;
  }
  int err = errno;
  char reason[512];
  reason_of(log_buf, reason, sizeof(reason));
  const char *name = strerrorname_np(err);
  snprintf(why, why_size, "%s%s%s", name ? name : "errno", reason[0] ? ": " : "", reason[0] ? reason : "");
  if (!name) snprintf(why, why_size, "errno %d%s%s", err, reason[0] ? ": " : "", reason);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// One hook.

struct refusal {
  enum kind kind;
  int ret;
  char why[600];
};

static int has_lsm_cgroup = -1; // unknown until the first cgroup load says

static void print_list(const char *key, const int accepted[NRETURNS]) {
  printf(",\"%s\":[", key);
  int first = 1;
  for (int i = 0; i < NRETURNS; i++)
    if (accepted[i]) printf("%s%d", first ? "" : ",", RETURNS[i]), first = 0;
  putchar(']');
}

static void probe_hook(const struct btf *btf, __u32 id, const char *name, int *first_hook) {
  const struct btf_type *proto = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
  const char *ret = "?";
  if (proto && btf_is_func_proto(proto)) {
    if (proto->type == 0) ret = "void";
    else {
      const struct btf_type *r = btf__type_by_id(btf, proto->type);
      const char *rn = r ? btf__name_by_offset(btf, r->name_off) : NULL;
      ret = rn && *rn ? rn : "?";
    }
  }
  printf("%s\n{\"name\":", *first_hook ? "" : ",");
  *first_hook = 0;
  json_string(name + PREFIX_LEN);
  fputs(",\"ret\":", stdout);
  json_string(ret);

  struct refusal refused[2 * NRETURNS + 1];
  int nrefused = 0;
  char why[600];
  int lsm[NRETURNS] = {0}, cgroup[NRETURNS] = {0};
  int any_lsm = 0, accepted_ret = 0;
  for (int i = 0; i < NRETURNS; i++) {
    if (try_load(id, LSM, RETURNS[i], why, sizeof(why))) {
      lsm[i] = 1;
      if (!any_lsm) accepted_ret = RETURNS[i];
      any_lsm = 1;
      continue;
    }
    // The kernel's own words: a disabled hook (6.9+) and a bpf_lsm_ function that is no hook are refused
    // whatever the kind or return value.
    const char *reason = strchr(why, ':') ? strchr(why, ':') + 2 : "";
    if (i == 0 && (strstr(why, "disabled hook") || strstr(why, "wrong type name"))) {
      int disabled = strstr(why, "disabled hook") != NULL;
      fputs(disabled ? ",\"disabled\":" : ",\"not_hook\":", stdout);
      json_string(reason);
      // The verifier checks sleepability before the disabled list: a sleepable load refused as disabled
      // passed that check, so the hook is in the kernel's sleepable list all the same.
      if (disabled) {
        char s_why[600];
        try_load(id, LSM_S, 0, s_why, sizeof(s_why));
        if (strstr(s_why, "disabled hook")) fputs(",\"lsm_s\":true", stdout);
        else if (strstr(s_why, "not sleepable")) fputs(",\"lsm_s\":false", stdout);
      }
      fputs("}", stdout);
      return;
    }
    refused[nrefused].kind = LSM, refused[nrefused].ret = RETURNS[i];
    snprintf(refused[nrefused++].why, sizeof(why), "%s", why);
  }
  print_list("lsm", lsm);
  if (any_lsm) {
    int ok = try_load(id, LSM_S, accepted_ret, why, sizeof(why));
    printf(",\"lsm_s\":%s", ok ? "true" : "false");
    if (!ok) {
      refused[nrefused].kind = LSM_S, refused[nrefused].ret = accepted_ret;
      snprintf(refused[nrefused++].why, sizeof(why), "%s", why);
    }
  }
  if (has_lsm_cgroup != 0) {
    int before = nrefused;
    for (int i = 0; i < NRETURNS; i++) {
      if (try_load(id, CGROUP, RETURNS[i], why, sizeof(why))) {
        cgroup[i] = 1;
        has_lsm_cgroup = 1;
        continue;
      }
      refused[nrefused].kind = CGROUP, refused[nrefused].ret = RETURNS[i];
      snprintf(refused[nrefused++].why, sizeof(why), "%s", why);
    }
    // A kernel before 6.0 refuses BPF_LSM_CGROUP itself (EINVAL before the verifier, no log): decided
    // on the first hook, whose plain lsm/ program loaded.
    if (has_lsm_cgroup == -1 && any_lsm && nrefused - before == NRETURNS && !strchr(refused[before].why, ':')) {
      has_lsm_cgroup = 0;
      nrefused = before;
    } else {
      if (has_lsm_cgroup == -1 && any_lsm) has_lsm_cgroup = 1;
      print_list("cgroup", cgroup);
    }
  }
  if (nrefused > 0) {
    fputs(",\"refused\":{", stdout);
    for (int i = 0; i < nrefused; i++) {
      printf("%s\"%s %d\":", i ? "," : "", KIND_NAME[refused[i].kind], refused[i].ret);
      json_string(refused[i].why);
    }
    putchar('}');
  }
  putchar('}');
}

static int wanted(const char *hook, int argc, char **argv) {
  if (argc <= 1) return 1;
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], hook)) return 1;
  return 0;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-' || !argv[i][0]) {
      fprintf(stderr, "usage: lsm-probe [HOOK...]\n");
      return 2;
    }
  }
  long long start = now_ms();
  // Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK.
  struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
  setrlimit(RLIMIT_MEMLOCK, &unlimited);

  size_t len;
  unsigned char *data = read_file(VMLINUX_BTF, &len);
  if (!data || len == 0) {
    fprintf(stderr, "lsm-probe: cannot read %s: %s (a kernel built with CONFIG_DEBUG_INFO_BTF=y has it)\n", VMLINUX_BTF,
            data ? "it is empty" : strerror(errno));
    return 1;
  }
  char sum[65];
  sha256_hex(data, len, sum);
  struct btf *btf = btf__new(data, (__u32)len);
  if (!btf) {
    fprintf(stderr, "lsm-probe: %s is not BTF that libbpf can read: %s\n", VMLINUX_BTF, strerror(errno));
    return 1;
  }

  // The bpf_lsm_ functions, in BTF order.
  __u32 count = btf__type_cnt(btf), nids = 0;
  __u32 *ids = calloc(count, sizeof(*ids));
  if (!ids) {
    fprintf(stderr, "lsm-probe: out of memory\n");
    return 1;
  }
  for (__u32 id = 1; id < count; id++) {
    const struct btf_type *t = btf__type_by_id(btf, id);
    if (!btf_is_func(t)) continue;
    const char *name = btf__name_by_offset(btf, t->name_off);
    if (name && !strncmp(name, PREFIX, PREFIX_LEN) && wanted(name + PREFIX_LEN, argc, argv)) ids[nids++] = id;
  }
  if (nids == 0) {
    if (argc > 1) fprintf(stderr, "lsm-probe: %s has none of the hooks named (check the names: without bpf_lsm_)\n", VMLINUX_BTF);
    else fprintf(stderr, "lsm-probe: %s has no bpf_lsm_ functions: is the kernel built with CONFIG_BPF_LSM=y?\n", VMLINUX_BTF);
    return 1;
  }
  // Probing needs the right to load BPF programs: EPERM before any verifier log means there is none.
  char why[600];
  if (!try_load(ids[0], LSM, 0, why, sizeof(why)) && !strcmp(why, "EPERM")) {
    fprintf(stderr, "lsm-probe: the kernel does not let this user load BPF programs (EPERM): run it as root (or with CAP_BPF and CAP_PERFMON)\n");
    return 1;
  }

  struct utsname u;
  uname(&u);
  printf("{\"prober\":\"lsm-probe\",\"version\":1,\"release\":");
  json_string(u.release);
  fputs(",\"machine\":", stdout);
  json_string(u.machine);
  printf(",\"btf_sha256\":\"%s\",\"btf_bytes\":%zu,\"hooks\":[", sum, len);
  int first_hook = 1;
  for (__u32 i = 0; i < nids; i++) {
    const struct btf_type *t = btf__type_by_id(btf, ids[i]);
    probe_hook(btf, ids[i], btf__name_by_offset(btf, t->name_off), &first_hook);
  }
  printf("\n],\"lsm_cgroup\":%s,\"loads\":%u,\"ms\":%lld}\n", has_lsm_cgroup == 1 ? "true" : "false", loads, now_ms() - start);
  free(ids);
  btf__free(btf);
  free(data);
  return 0;
}
