// lsm-action: does ONE action on the target and reports the exact errno it got, so a policy test can
// check what a BPF LSM program let through. Linked statically (vm/scripts/build-helper.sh) to run in
// the busybox guest and on any target of the same machine.
//
//   lsm-action open PATH [FLAGS]               FLAGS: O_RDONLY (default), O_WRONLY, O_RDWR, O_CREAT,
//                                              O_TRUNC, O_APPEND, O_EXCL, O_DIRECTORY, O_NOFOLLOW
//                                              joined by '|', e.g. 'O_WRONLY|O_CREAT' (mode 0644)
//   lsm-action exec PATH [ARG...]              fork + execve(PATH, [PATH, ARG...]); waits for it
//   lsm-action connect tcp|udp ADDRESS PORT    IPv4 or IPv6 literal (127.0.0.1, ::1); a tcp connect
//                                              first opens its own listener there (if it can), and
//                                              gives up after 5 s (EINPROGRESS) when nobody answers
//   lsm-action bind tcp|udp ADDRESS PORT
//   lsm-action unlink PATH
//   lsm-action mkdir PATH MODE                 MODE in octal (0755)
//   lsm-action rename FROM TO
//   lsm-action chmod PATH MODE
//   lsm-action mount SOURCE TARGET FSTYPE      unmounted again at once when it succeeds
//   lsm-action kill SIGNAL                     SIGTERM, TERM or 15: signals a child started for it
//   lsm-action ptrace                          PTRACE_ATTACH to a child started for it
//   lsm-action bpf array|hash                  BPF_MAP_CREATE of a one-entry map
//
// Before the action, for policy tests (one process per case, so a case costs about what its action does):
//   --mark NONCE --tracefs DIR   write "NONCE begin" / "NONCE done" to DIR/trace_marker around the
//                                action (the trace lines between them are the case's), and report
//                                "tainted":true when the kernel's taint changed meanwhile (a WARN)
//   --read-trace                 also report those trace lines, read from DIR/trace: "trace":[...]
//
// Output: one JSON line on stdout, nothing else there (an exec'd program writes to our stderr):
//   {"action":"open","errno":0}
//   {"action":"open","errno":1,"name":"EPERM","message":"Operation not permitted"}
//   {"action":"exec","errno":0,"exit":3}            exit: the program's status (128+N if killed by
//   {"action":"exec","errno":0,"exit":137,"signal":9}  signal N), only when execve succeeded
// Exit status: 0 the action was attempted (allowed or denied), 2 usage error, 3 the helper's own
// preparation failed (fork, pipe, socket): the reason is on stderr. Every child is reaped before
// exit, and children die with the helper (PR_SET_PDEATHSIG) or on their own after a few seconds.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

// How long a child started for kill/ptrace lives if nobody kills it (a policy may deny SIGKILL too).
#define CHILD_SECONDS 10
// A tcp connect to a host that never answers would otherwise wait minutes for SYN retries.
#define CONNECT_TIMEOUT_SECONDS 5

static const char *action;

// The case marks (--mark/--tracefs/--read-trace): everything they open is opened before the begin mark
// or after the done mark, so only the action's own work lies between them.
static const char *mark_nonce, *tracefs;
static int read_trace, marker_fd = -1, case_open;
static char taint_before[32];

static void read_small(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);
  buf[n > 0 ? n : 0] = '\0';
  if (fd >= 0) close(fd);
}

static void begin_case(void) {
  if (!mark_nonce) return;
  read_small("/proc/sys/kernel/tainted", taint_before, sizeof(taint_before));
  char path[4096];
  snprintf(path, sizeof(path), "%s/trace_marker", tracefs);
  marker_fd = open(path, O_WRONLY | O_CLOEXEC);
  if (marker_fd >= 0) dprintf(marker_fd, "%s begin\n", mark_nonce);
  case_open = 1;
}

static int usage(const char *why) {
  fprintf(stderr,
          "lsm-action: %s\n"
          "usage: lsm-action [--mark NONCE --tracefs DIR [--read-trace]] open PATH [FLAGS] | exec PATH [ARG...] | connect|bind tcp|udp ADDRESS PORT\n"
          "       | unlink PATH | mkdir PATH MODE | rename FROM TO | chmod PATH MODE\n"
          "       | mount SOURCE TARGET FSTYPE | kill SIGNAL | ptrace | bpf array|hash\n",
          why);
  return 2;
}

static int prep_failed(const char *what) {
  fprintf(stderr, "lsm-action: %s %s: %s\n", action, what, strerror(errno));
  return 3;
}

static void print_json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

// Ends the case (done mark, taint, the trace lines between the marks) and prints what it adds to the
// result line. Called once, when the action's outcome is known.
static void end_case(void) {
  if (!case_open) return;
  case_open = 0;
  if (marker_fd >= 0) {
    dprintf(marker_fd, "%s done\n", mark_nonce);
    close(marker_fd);
  }
  char taint_after[32];
  read_small("/proc/sys/kernel/tainted", taint_after, sizeof(taint_after));
  if (strcmp(taint_before, taint_after) != 0) printf(",\"tainted\":true");
  if (!read_trace) return;
  char path[4096], begin[128], done[128];
  snprintf(path, sizeof(path), "%s/trace", tracefs);
  snprintf(begin, sizeof(begin), "%s begin", mark_nonce);
  snprintf(done, sizeof(done), "%s done", mark_nonce);
  FILE *f = fopen(path, "re");
  printf(",\"trace\":[");
  if (f) {
    char *line = NULL;
    size_t cap = 0;
    int inside = 0, first = 1;
    while (getline(&line, &cap, f) > 0) {
      line[strcspn(line, "\n")] = '\0';
      if (strstr(line, begin)) inside = 1;
      else if (strstr(line, done)) break;
      else if (inside) {
        if (!first) putchar(',');
        print_json_string(line);
        first = 0;
      }
    }
    free(line);
    fclose(f);
  }
  putchar(']');
}

// The one line of output. `extra` is already JSON (",\"exit\":3") or empty.
static int report(int err, const char *extra) {
  printf("{\"action\":\"%s\",\"errno\":%d", action, err);
  if (err) {
    const char *name = strerrorname_np(err);  // NULL for a number glibc does not know
    if (name) printf(",\"name\":\"%s\",\"message\":", name);
    else printf(",\"name\":\"E%d\",\"message\":", err);
    print_json_string(strerror(err));
  }
  printf("%s", extra);
  end_case();
  printf("}\n");
  return fflush(stdout) == 0 ? 0 : 3;
}

static int report_result(int result) { return report(result < 0 ? errno : 0, ""); }

// A child that only waits: killed by the helper, or gone by itself after CHILD_SECONDS.
static pid_t start_sleeper(void) {
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0);  // the helper died before prctl took effect
    sleep(CHILD_SECONDS);
    _exit(0);
  }
  return pid;
}

// Kills and reaps a child, looping past the stops a tracer sees.
static void end_child(pid_t pid) {
  int status;
  kill(pid, SIGKILL);
  while (waitpid(pid, &status, 0) == pid && !WIFEXITED(status) && !WIFSIGNALED(status)) {
  }
}

static int parse_number(const char *s, int base, long max, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, base);
  if (errno || end == s || *end || v < 0 || v > max) return -1;
  *out = v;
  return 0;
}

static int do_open(char **args, int n) {
  static const struct {
    const char *name;
    int flag;
  } known[] = {{"O_RDONLY", O_RDONLY}, {"O_WRONLY", O_WRONLY},       {"O_RDWR", O_RDWR},
               {"O_CREAT", O_CREAT},   {"O_TRUNC", O_TRUNC},         {"O_APPEND", O_APPEND},
               {"O_EXCL", O_EXCL},     {"O_DIRECTORY", O_DIRECTORY}, {"O_NOFOLLOW", O_NOFOLLOW}};
  int flags = O_RDONLY;
  if (n > 1) {
    char copy[256];
    if (snprintf(copy, sizeof(copy), "%s", args[1]) >= (int)sizeof(copy)) return usage("open: FLAGS too long");
    char *save = NULL;
    for (char *word = strtok_r(copy, "|", &save); word; word = strtok_r(NULL, "|", &save)) {
      size_t i = 0;
      while (i < sizeof(known) / sizeof(known[0]) && strcmp(word, known[i].name) != 0) i++;
      if (i == sizeof(known) / sizeof(known[0])) return usage("open: unknown flag in FLAGS");
      flags |= known[i].flag;
    }
  }
  int fd = open(args[0], flags | O_CLOEXEC, 0644);
  int err = fd < 0 ? errno : 0;
  if (fd >= 0) close(fd);
  return report(err, "");
}

static int do_exec(char **args, int n) {
  (void)n;
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) return prep_failed("pipe");
  fflush(stdout);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return prep_failed("fork");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(STDERR_FILENO, STDOUT_FILENO);  // our stdout carries the JSON line only
    execve(args[0], args, environ);
    int err = errno;  // the pipe closed on a successful execve, so the parent reads 0 bytes
    if (write(pipefd[1], &err, sizeof(err)) != sizeof(err)) _exit(126);
    _exit(127);
  }
  close(pipefd[1]);
  int err = 0;
  ssize_t got;
  do got = read(pipefd[0], &err, sizeof(err));
  while (got < 0 && errno == EINTR);
  close(pipefd[0]);
  if (got != sizeof(err)) err = 0;

  int status;
  pid_t waited;
  do waited = waitpid(pid, &status, 0);
  while (waited < 0 && errno == EINTR);
  if (waited < 0) return prep_failed("waitpid");
  if (err) return report(err, "");
  char extra[48];
  if (WIFSIGNALED(status))
    snprintf(extra, sizeof(extra), ",\"exit\":%d,\"signal\":%d", 128 + WTERMSIG(status), WTERMSIG(status));
  else snprintf(extra, sizeof(extra), ",\"exit\":%d", WEXITSTATUS(status));
  return report(0, extra);
}

// connect and bind: args are tcp|udp ADDRESS PORT.
static int do_socket(char **args, int n) {
  (void)n;
  int type;
  if (strcmp(args[0], "tcp") == 0) type = SOCK_STREAM;
  else if (strcmp(args[0], "udp") == 0) type = SOCK_DGRAM;
  else return usage("connect/bind: the protocol must be tcp or udp");
  long port;
  if (parse_number(args[2], 10, 65535, &port) < 0) return usage("connect/bind: PORT must be 0..65535");

  struct sockaddr_storage ss = {0};
  socklen_t len;
  struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, args[1], &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons((unsigned short)port);
    len = sizeof(*in4);
  } else if (inet_pton(AF_INET6, args[1], &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((unsigned short)port);
    len = sizeof(*in6);
  } else return usage("connect/bind: ADDRESS must be an IPv4 or IPv6 literal");

  int one = 1, listener = -1;
  int is_connect = strcmp(action, "connect") == 0;
  if (is_connect && type == SOCK_STREAM) {
    // Someone to answer, so an allowed connect succeeds instead of ECONNREFUSED. A policy that
    // denies this bind too is fine: the connect is what is reported.
    listener = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener >= 0) {
      setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      if (bind(listener, (struct sockaddr *)&ss, len) < 0 || listen(listener, 1) < 0) {
        close(listener);
        listener = -1;
      }
    }
  }
  int fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    if (listener >= 0) close(listener);
    return prep_failed("socket");
  }
  int result;
  if (is_connect) {
    struct timeval timeout = {.tv_sec = CONNECT_TIMEOUT_SECONDS};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    result = connect(fd, (struct sockaddr *)&ss, len);
  } else {
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    result = bind(fd, (struct sockaddr *)&ss, len);
  }
  int err = result < 0 ? errno : 0;
  close(fd);
  if (listener >= 0) close(listener);
  return report(err, "");
}

static int do_unlink(char **args, int n) {
  (void)n;
  return report_result(unlink(args[0]));
}

static int do_mkdir(char **args, int n) {
  (void)n;
  long mode;
  if (parse_number(args[1], 8, 07777, &mode) < 0) return usage("mkdir: MODE must be octal, 0..7777");
  return report_result(mkdir(args[0], (mode_t)mode));
}

static int do_rename(char **args, int n) {
  (void)n;
  return report_result(rename(args[0], args[1]));
}

static int do_chmod(char **args, int n) {
  (void)n;
  long mode;
  if (parse_number(args[1], 8, 07777, &mode) < 0) return usage("chmod: MODE must be octal, 0..7777");
  return report_result(chmod(args[0], (mode_t)mode));
}

static int do_mount(char **args, int n) {
  (void)n;
  int result = mount(args[0], args[1], args[2], 0, NULL);
  int err = result < 0 ? errno : 0;
  if (result == 0 && umount2(args[1], 0) < 0) umount2(args[1], MNT_DETACH);  // leave nothing mounted
  return report(err, "");
}

static int parse_signal(const char *s) {
  static const struct {
    const char *name;
    int sig;
  } known[] = {{"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL}, {"USR1", SIGUSR1},
               {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"ALRM", SIGALRM},
               {"ABRT", SIGABRT}, {"PIPE", SIGPIPE}, {"TSTP", SIGTSTP}, {"WINCH", SIGWINCH}};
  long number;
  if (parse_number(s, 10, 64, &number) == 0) return (int)number;
  if (strncmp(s, "SIG", 3) == 0) s += 3;
  for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
    if (strcmp(s, known[i].name) == 0) return known[i].sig;
  return -1;
}

static int do_kill(char **args, int n) {
  (void)n;
  int sig = parse_signal(args[0]);
  if (sig < 0) return usage("kill: unknown SIGNAL");
  pid_t pid = start_sleeper();
  if (pid < 0) return prep_failed("fork");
  int err = kill(pid, sig) < 0 ? errno : 0;
  end_child(pid);
  return report(err, "");
}

static int do_ptrace(char **args, int n) {
  (void)args, (void)n;
  pid_t pid = start_sleeper();
  if (pid < 0) return prep_failed("fork");
  int err = ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0 ? errno : 0;
  if (!err) {
    int status;  // detaching needs the tracee stopped: wait for the attach's SIGSTOP
    if (waitpid(pid, &status, 0) == pid && WIFSTOPPED(status)) ptrace(PTRACE_DETACH, pid, NULL, NULL);
  }
  end_child(pid);
  return report(err, "");
}

static int do_bpf(char **args, int n) {
  (void)n;
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  if (strcmp(args[0], "array") == 0) attr.map_type = BPF_MAP_TYPE_ARRAY;
  else if (strcmp(args[0], "hash") == 0) attr.map_type = BPF_MAP_TYPE_HASH;
  else return usage("bpf: the map type must be array or hash");
  attr.key_size = 4;
  attr.value_size = 4;
  attr.max_entries = 1;
  strncpy(attr.map_name, "lsm_action", sizeof(attr.map_name) - 1);
  long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
  int err = fd < 0 ? errno : 0;
  if (fd >= 0) close((int)fd);
  return report(err, "");
}

static const struct {
  const char *name;
  int min_args, max_args;  // max_args < 0: no limit
  int (*run)(char **args, int n);
} ACTIONS[] = {
    {"open", 1, 2, do_open},     {"exec", 1, -1, do_exec},    {"connect", 3, 3, do_socket}, {"bind", 3, 3, do_socket},
    {"unlink", 1, 1, do_unlink}, {"mkdir", 2, 2, do_mkdir},   {"rename", 2, 2, do_rename},  {"chmod", 2, 2, do_chmod},
    {"mount", 3, 3, do_mount},   {"kill", 1, 1, do_kill},     {"ptrace", 0, 0, do_ptrace},  {"bpf", 1, 1, do_bpf},
};

int main(int argc, char **argv) {
  while (argc > 2 && strncmp(argv[1], "--", 2) == 0) {
    if (strcmp(argv[1], "--read-trace") == 0) {
      read_trace = 1;
      argv++, argc--;
      continue;
    }
    if (argc < 4) return usage("an option needs a value");
    if (strcmp(argv[1], "--mark") == 0 && strlen(argv[2]) < 100) mark_nonce = argv[2];
    else if (strcmp(argv[1], "--tracefs") == 0) tracefs = argv[2];
    else return usage("unknown option");
    argv += 2, argc -= 2;
  }
  if (!mark_nonce != !tracefs) return usage("--mark and --tracefs go together");
  if (read_trace && !mark_nonce) return usage("--read-trace needs --mark and --tracefs");
  if (argc < 2) return usage("no action given");
  for (size_t i = 0; i < sizeof(ACTIONS) / sizeof(ACTIONS[0]); i++) {
    if (strcmp(argv[1], ACTIONS[i].name) != 0) continue;
    int n = argc - 2;
    if (n < ACTIONS[i].min_args || (ACTIONS[i].max_args >= 0 && n > ACTIONS[i].max_args)) {
      char why[64];
      snprintf(why, sizeof(why), "%s: wrong number of arguments", argv[1]);
      return usage(why);
    }
    action = ACTIONS[i].name;
    begin_case();
    return ACTIONS[i].run(argv + 2, n);
  }
  return usage("unknown action");
}
