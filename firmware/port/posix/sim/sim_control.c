/* sim_control.c — see sim_control.h. */
#define _DEFAULT_SOURCE 1
#include "sim_control.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app/app.h"
#include "hal.h"
#include "posix_sys.h"
#include "sim_io.h"
#include "sim_meter.h"
#include "sim_wifi.h"

#define CLIENTS 4
#define LINE_MAX_LEN 256
#define BUTTON_STEPS 8

typedef struct {
  int fd;
  char buf[LINE_MAX_LEN];
  size_t len;
} client_t;

static struct {
  int listen_fd;
  bool stdin_open;
  client_t stdin_c;
  client_t clients[CLIENTS];
  const board_profile_t *board;
  bool hung;
  struct {
    uint64_t at_us;
    bool pressed;
  } steps[BUTTON_STEPS];
  int nsteps;
} c = {.listen_fd = -1};

static void set_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL, 0);
  if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int sim_control_init(const char *addr, const board_profile_t *board) {
  c.board = board;
  c.stdin_open = true;
  c.stdin_c.fd = 0; /* left blocking: O_NONBLOCK would leak into the shell sharing the terminal */
  for (int i = 0; i < CLIENTS; i++) c.clients[i].fd = -1;
  if (!addr) return 0;
  const char *colon = strrchr(addr, ':');
  char ip[64];
  if (!colon || (size_t)(colon - addr) >= sizeof(ip)) {
    fprintf(stderr, "openbl602-sim: --control wants IP:PORT\n");
    return -1;
  }
  memcpy(ip, addr, (size_t)(colon - addr));
  ip[colon - addr] = '\0';
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)atoi(colon + 1));
  if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
    fprintf(stderr, "openbl602-sim: --control: bad address %s\n", ip);
    return -1;
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 4) != 0) {
    fprintf(stderr, "openbl602-sim: --control: cannot listen on %s: %s\n", addr, strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
  }
  set_nonblock(fd);
  c.listen_fd = fd;
  return 0;
}

bool sim_control_hung(void) {
  return c.hung;
}

static void schedule(uint64_t at_us, bool pressed) {
  if (c.nsteps < BUTTON_STEPS) {
    c.steps[c.nsteps].at_us = at_us;
    c.steps[c.nsteps].pressed = pressed;
    c.nsteps++;
  }
}

void sim_control_tick(uint64_t now_us) {
  if (c.board->button_count == 0) return;
  const board_button_t *b = &c.board->buttons[0];
  while (c.nsteps > 0 && c.steps[0].at_us <= now_us) {
    sim_io_set_input(b->pin, c.steps[0].pressed ? b->active_high : !b->active_high);
    memmove(&c.steps[0], &c.steps[1], sizeof(c.steps[0]) * (size_t)(c.nsteps - 1));
    c.nsteps--;
  }
}

static int reply(char *out, size_t cap, const char *fmt, const char *arg) {
  snprintf(out, cap, fmt, arg);
  return SIM_CONTROL_RUN;
}

int sim_control_exec(const char *line, char *out, size_t cap) {
  char cmd[32] = "", a1[64] = "", a2[64] = "";
  int n = sscanf(line, "%31s %63s %63s", cmd, a1, a2);
  if (n <= 0) return reply(out, cap, "err empty command\n", "");
  uint64_t now = hal_time_us64();
  if (strcmp(cmd, "load") == 0 && n >= 2) {
    double w = atof(a1), pf = n >= 3 ? atof(a2) : 1.0;
    if (w < 0 || w > 8000 || pf <= 0 || pf > 1) return reply(out, cap, "err load wants 0..8000 W, pf 0..1\n", "");
    sim_meter_set_load(w, pf);
    return reply(out, cap, "ok load %s\n", a1);
  }
  if (strcmp(cmd, "voltage") == 0 && n >= 2) {
    double v = atof(a1);
    if (v < 0 || v > 300) return reply(out, cap, "err voltage wants 0..300\n", "");
    sim_meter_set_voltage(v);
    return reply(out, cap, "ok voltage %s\n", a1);
  }
  if (strcmp(cmd, "press") == 0 || strcmp(cmd, "hold") == 0) {
    long ms = n >= 2 ? atol(a1) : 100;
    if (ms < 1 || ms > 120000) return reply(out, cap, "err duration 1..120000 ms\n", "");
    if (c.board->button_count == 0) return reply(out, cap, "err this board has no button\n", "");
    schedule(now, true);
    schedule(now + (uint64_t)ms * 1000u, false);
    return reply(out, cap, "ok %s\n", cmd);
  }
  if (strcmp(cmd, "double") == 0) {
    if (c.board->button_count == 0) return reply(out, cap, "err this board has no button\n", "");
    schedule(now, true);
    schedule(now + 100000u, false);
    schedule(now + 250000u, true);
    schedule(now + 350000u, false);
    return reply(out, cap, "ok double\n", "");
  }
  if (strcmp(cmd, "net") == 0 && n >= 2) {
    if (strcmp(a1, "down") == 0) {
      sim_wifi_set_link(false);
    } else if (strcmp(a1, "up") == 0) {
      sim_wifi_set_link(true);
    } else {
      return reply(out, cap, "err net down|up\n", "");
    }
    return reply(out, cap, "ok net %s\n", a1);
  }
  if (strcmp(cmd, "hang") == 0) {
    c.hung = true;
    return reply(out, cap, "ok hang\n", "");
  }
  if (strcmp(cmd, "powercut") == 0) {
    _exit(99); /* no flush, no MQTT goodbye: the plug lost power */
  }
  if (strcmp(cmd, "cutflash") == 0 && n >= 2) {
    long ops = atol(a1);
    if (ops < -1) return reply(out, cap, "err cutflash N (N >= 0 flash writes/erases; -1 disarms)\n", "");
    /* the power goes during the (N+1)th write or erase from now: half of it done, then exit 99 */
    posix_sys_arm_cut(ops, -1, true);
    return reply(out, cap, "ok cutflash %s\n", a1);
  }
  if (strcmp(cmd, "state") == 0) {
    char js[800];
    int len = app_state_json(js, sizeof(js));
    if (len < 0) return reply(out, cap, "err state too large\n", "");
    return reply(out, cap, "ok %s\n", js);
  }
  if (strcmp(cmd, "outputs") == 0) {
    bool relay = false, led = false;
    unsigned switches = 0;
    if (c.board->relay_count) {
      relay = sim_io_output(c.board->relays[0].pin) != c.board->relays[0].active_low;
      switches = sim_io_output_switches(c.board->relays[0].pin);
    }
    if (c.board->led_count) led = sim_io_output(c.board->leds[0].pin) != c.board->leds[0].active_low;
    snprintf(out, cap, "ok relay=%d led=%d relay_switches=%u\n", relay ? 1 : 0, led ? 1 : 0, switches);
    return SIM_CONTROL_RUN;
  }
  if (strcmp(cmd, "quit") == 0) {
    snprintf(out, cap, "ok quit\n");
    return SIM_CONTROL_QUIT;
  }
  return reply(out, cap, "err unknown command: %s\n", cmd);
}

/* Reads what is there; runs each complete line. Returns QUIT if a line asked for it; -1 on EOF/error. */
static int serve(client_t *cl, bool is_stdin, int *quit) {
  for (int reads = 0;; reads++) {
    if (is_stdin && reads > 0) return 0; /* stdin is blocking: one read per readiness */
    ssize_t n = read(cl->fd, cl->buf + cl->len, sizeof(cl->buf) - 1 - cl->len);
    if (n == 0) return -1;
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
    cl->len += (size_t)n;
    char *nl;
    while ((nl = memchr(cl->buf, '\n', cl->len)) != NULL) {
      *nl = '\0';
      char out[1024];
      if (sim_control_exec(cl->buf, out, sizeof(out)) == SIM_CONTROL_QUIT) *quit = 1;
      if (is_stdin) {
        fputs(out, stdout);
        fflush(stdout);
      } else {
        (void)send(cl->fd, out, strlen(out), MSG_NOSIGNAL);
      }
      size_t used = (size_t)(nl - cl->buf) + 1;
      memmove(cl->buf, cl->buf + used, cl->len - used);
      cl->len -= used;
    }
    if (cl->len == sizeof(cl->buf) - 1) cl->len = 0; /* an overlong line: dropped */
  }
}

int sim_control_poll(int timeout_ms, const int *extra, size_t n_extra) {
  struct pollfd p[2 + CLIENTS + 16];
  int np = 0;
  if (c.stdin_open) p[np++] = (struct pollfd){.fd = 0, .events = POLLIN};
  if (c.listen_fd >= 0) p[np++] = (struct pollfd){.fd = c.listen_fd, .events = POLLIN};
  for (int i = 0; i < CLIENTS; i++) {
    if (c.clients[i].fd >= 0) p[np++] = (struct pollfd){.fd = c.clients[i].fd, .events = POLLIN};
  }
  int own = np;
  for (size_t i = 0; i < n_extra && i < 16; i++) p[np++] = (struct pollfd){.fd = extra[i], .events = POLLIN};
  if (poll(p, (nfds_t)np, timeout_ms) <= 0) return SIM_CONTROL_RUN;
  bool control_ready = false;
  for (int i = 0; i < own; i++) control_ready = control_ready || p[i].revents != 0;
  if (!control_ready) return SIM_CONTROL_RUN; /* a core socket woke us: the loop serves it */
  int quit = 0;
  int k = 0;
  if (c.stdin_open) {
    if (p[k].revents && serve(&c.stdin_c, true, &quit) < 0) c.stdin_open = false; /* EOF: keep running */
    k++;
  }
  if (c.listen_fd >= 0) {
    int fd = accept(c.listen_fd, NULL, NULL);
    if (fd >= 0) {
      set_nonblock(fd);
      int slot = -1;
      for (int i = 0; i < CLIENTS; i++) {
        if (c.clients[i].fd < 0) slot = i;
      }
      if (slot < 0) {
        close(fd);
      } else {
        c.clients[slot].fd = fd;
        c.clients[slot].len = 0;
      }
    }
  }
  for (int i = 0; i < CLIENTS; i++) {
    if (c.clients[i].fd >= 0 && serve(&c.clients[i], false, &quit) < 0) {
      close(c.clients[i].fd);
      c.clients[i].fd = -1;
    }
  }
  return quit ? SIM_CONTROL_QUIT : SIM_CONTROL_RUN;
}
