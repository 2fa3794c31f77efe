// lsm-loader: loads a BPF object, attaches every program in it, and keeps the attachments alive
// until stdin closes or a SIGTERM/SIGINT/SIGHUP arrives, so an attachment lives exactly as long as
// the ssh session that made it. Debian 12's bpftool (7.1) cannot auto-attach, hence this tool.
//
//   lsm-loader OBJ              attach, print one line per program, hold until stdin EOF / signal
//   lsm-loader --pin DIR OBJ    attach, pin each link as DIR/<program>, exit (rm the pin to detach)
//
// Output lines (stdout) are meant for scripts: "attached <prog> <section>", then "ready",
// and "detached" on the way out. libbpf's own messages (verifier log) go to stderr.
#include <bpf/libbpf.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LINKS 64

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) { stop_signal = sig; }

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  return vfprintf(stderr, fmt, args);
}

static int usage(void) {
  fprintf(stderr, "usage: lsm-loader [--pin DIR] OBJECT.bpf.o\n");
  return 2;
}

// Blocks until stdin reaches EOF (the ssh channel closed) or a signal sets stop_signal.
static void hold(void) {
  char buf[256];
  struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
  while (!stop_signal) {
    int n = poll(&pfd, 1, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("poll");
      return;
    }
    if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) return;
    ssize_t r = read(STDIN_FILENO, buf, sizeof(buf));  // input is ignored, only EOF matters
    if (r == 0) return;
    if (r < 0 && errno != EINTR && errno != EAGAIN) return;
  }
}

int main(int argc, char **argv) {
  const char *pin_dir = NULL, *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--pin") == 0 && i + 1 < argc) pin_dir = argv[++i];
    else if (argv[i][0] == '-') return usage();
    else if (!path) path = argv[i];
    else return usage();
  }
  if (!path) return usage();

  setvbuf(stdout, NULL, _IOLBF, 0);  // each line reaches the ssh client as soon as printed
  libbpf_set_print(print_libbpf);
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  struct bpf_object *obj = bpf_object__open_file(path, NULL);
  if (!obj) {
    fprintf(stderr, "lsm-loader: cannot open %s: %s\n", path, strerror(errno));
    return 1;
  }
  int err = bpf_object__load(obj);
  if (err) {
    fprintf(stderr, "lsm-loader: loading %s failed: %s\n", path, strerror(-err));
    bpf_object__close(obj);
    return 1;
  }

  struct bpf_link *links[MAX_LINKS];
  int n_links = 0, status = 0;
  struct bpf_program *prog;
  bpf_object__for_each_program(prog, obj) {
    if (n_links == MAX_LINKS) {
      fprintf(stderr, "lsm-loader: more than %d programs\n", MAX_LINKS);
      status = 1;
      break;
    }
    struct bpf_link *link = bpf_program__attach(prog);
    if (!link) {
      fprintf(stderr, "lsm-loader: attaching %s failed: %s\n", bpf_program__name(prog), strerror(errno));
      status = 1;
      break;
    }
    links[n_links++] = link;
    if (pin_dir) {
      char pin[4096];
      snprintf(pin, sizeof(pin), "%s/%s", pin_dir, bpf_program__name(prog));
      err = bpf_link__pin(link, pin);
      if (err) {
        fprintf(stderr, "lsm-loader: pinning %s failed: %s\n", pin, strerror(-err));
        status = 1;
        break;
      }
    }
    printf("attached %s %s\n", bpf_program__name(prog), bpf_program__section_name(prog));
  }
  if (status == 0 && n_links == 0) {
    fprintf(stderr, "lsm-loader: %s has no programs\n", path);
    status = 1;
  }

  if (status == 0) {
    printf("ready\n");
    if (!pin_dir) hold();
  }
  // Destroying a pinned link only drops our reference: the pin keeps it attached. After a
  // failure, pins already made are removed so nothing stays attached half-way.
  for (int i = 0; i < n_links; i++) {
    if (pin_dir && status != 0) bpf_link__unpin(links[i]);
    bpf_link__destroy(links[i]);
  }
  bpf_object__close(obj);
  if (!pin_dir || status != 0) printf("detached\n");
  return status;
}
