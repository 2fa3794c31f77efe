// lsm-loader: loads a BPF object, attaches every program in it, and keeps the attachments alive
// until stdin closes or a SIGTERM/SIGINT/SIGHUP arrives, so an attachment lives exactly as long as
// the ssh session that made it. Debian 12's bpftool (7.1) cannot auto-attach, hence this tool.
//
//   lsm-loader OBJ              attach, print one line per program, hold until stdin EOF / signal
//   lsm-loader --pin DIR OBJ    attach, pin each link as DIR/<program>, exit (rm the pin to detach)
//   lsm-loader --load-only OBJ  load each program on its own (the verifier runs), attach nothing, exit
//   --log-level N               the verifier's log level (1: its log; 2: every instruction's state)
//
// Output lines (stdout) are meant for scripts: "attached <prog> <section>", then "ready",
// and "detached" on the way out. libbpf's own messages (verifier log) go to stderr. --load-only prints
// "loaded <prog> <section> insns=N verified_insns=N" or "rejected <prog> <section> <errno>" per program,
// then "unloaded"; it exits 1 when any program was refused. On stderr, "lsm-loader: program <prog>
// <section>" starts what libbpf says about each program (a refusal ends with "lsm-loader: loading <prog>
// failed: ..."). With a log level the verifier's log of a program that loads is printed too, between
// libbpf's "-- BEGIN/END PROG LOAD LOG --" lines.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LINKS 64

static volatile sig_atomic_t stop_signal;
static int log_level = -1;  // -1: libbpf's default (no log, level 1 after a failure)

static void on_signal(int sig) { stop_signal = sig; }

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args) {
  // libbpf prints the log of a program that loaded at debug level: kept when a log was asked for.
  if (level == LIBBPF_DEBUG && !(log_level > 0 && strstr(fmt, "BEGIN PROG LOAD LOG"))) return 0;
  return vfprintf(stderr, fmt, args);
}

static int usage(void) {
  fprintf(stderr, "usage: lsm-loader [--pin DIR | --load-only] [--log-level N] OBJECT.bpf.o\n");
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

static void set_log_level(struct bpf_object *obj) {
  struct bpf_program *prog;
  if (log_level < 0) return;
  bpf_object__for_each_program(prog, obj) bpf_program__set_log_level(prog, (__u32)log_level);
}

// Loads each program of the object on its own (the others not loaded), so that every program gets its
// own verdict, and closes it again: nothing stays loaded. Returns the exit status.
static int load_only(const char *path) {
  int status = 0, count = 0, index = 0;
  for (;; index++) {
    struct bpf_object *obj = bpf_object__open_file(path, NULL);
    if (!obj) {
      fprintf(stderr, "lsm-loader: cannot open %s: %s\n", path, strerror(errno));
      return 1;
    }
    set_log_level(obj);
    struct bpf_program *prog, *chosen = NULL;
    int i = 0;
    bpf_object__for_each_program(prog, obj) {
      if (i++ == index) chosen = prog;
      else bpf_program__set_autoload(prog, false);
    }
    if (!chosen) {
      bpf_object__close(obj);
      break;
    }
    count++;
    const char *name = bpf_program__name(chosen), *section = bpf_program__section_name(chosen);
    fprintf(stderr, "lsm-loader: program %s %s\n", name, section);  // what follows on stderr is about it
    int err = bpf_object__load(obj);
    if (err) {
      fprintf(stderr, "lsm-loader: loading %s failed: %s\n", name, strerror(-err));
      printf("rejected %s %s %d\n", name, section, -err);
      status = 1;
    } else {
      struct bpf_prog_info info;
      __u32 len = sizeof(info);
      memset(&info, 0, sizeof(info));
      if (bpf_obj_get_info_by_fd(bpf_program__fd(chosen), &info, &len) == 0)
        printf("loaded %s %s insns=%u verified_insns=%u\n", name, section, info.xlated_prog_len / 8, info.verified_insns);
      else
        printf("loaded %s %s\n", name, section);
    }
    bpf_object__close(obj);
  }
  if (count == 0) {
    fprintf(stderr, "lsm-loader: %s has no programs\n", path);
    return 1;
  }
  printf("unloaded\n");
  return status;
}

int main(int argc, char **argv) {
  const char *pin_dir = NULL, *path = NULL;
  bool only_load = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--pin") == 0 && i + 1 < argc) pin_dir = argv[++i];
    else if (strcmp(argv[i], "--load-only") == 0) only_load = true;
    else if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
      char *end;
      long level = strtol(argv[++i], &end, 10);
      if (*end || level < 0 || level > 7) return usage();  // the kernel's BPF_LOG_LEVEL1 | LEVEL2 | STATS
      log_level = (int)level;
    } else if (argv[i][0] == '-') return usage();
    else if (!path) path = argv[i];
    else return usage();
  }
  if (!path || (pin_dir && only_load)) return usage();

  setvbuf(stdout, NULL, _IOLBF, 0);  // each line reaches the ssh client as soon as printed
  libbpf_set_print(print_libbpf);
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  if (only_load) return load_only(path);

  struct bpf_object *obj = bpf_object__open_file(path, NULL);
  if (!obj) {
    fprintf(stderr, "lsm-loader: cannot open %s: %s\n", path, strerror(errno));
    return 1;
  }
  set_log_level(obj);
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
