/* sim_main.c — openbl602-sim: the real firmware core as a Linux process (docs/protocol.md §12).
 *
 *   openbl602-sim --id NAME --http 127.0.0.1:PORT --flash FILE [--mqtt mqtt://[user:pass@]HOST:PORT]
 *                 [--load 60W | --profile FILE.csv] [--voltage 230] [--control 127.0.0.1:PORT] [--board NAME]
 *                 [--mdns-port 5353] [--time-scale 1.0]
 *
 * One thread runs what the plug's two tasks run (metering/relay/button and network), plus the chip model
 * that feeds BL0937 pulses to the metering code through the GPIO port, plus the control interface. */
#define _DEFAULT_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "app/app.h"
#include "board/board.h"
#include "hal.h"
#include "posix_io.h"
#include "posix_sys.h"
#include "sim_control.h"
#include "sim_io.h"
#include "sim_meter.h"
#include "sim_wifi.h"

static void usage(void) {
  fprintf(stderr,
          "usage: openbl602-sim --id NAME --http IP:PORT --flash FILE [--mqtt mqtt://[user:pass@]HOST:PORT]\n"
          "                     [--load WATTS[W] | --profile FILE.csv] [--voltage VOLTS] [--control IP:PORT]\n"
          "                     [--board NAME] [--mdns-port PORT (5353; 0 = no mDNS)] [--time-scale X]\n"
          "                     [--unconfigured (no Wi-Fi on a new flash file: setup mode)]\n"
          "control commands (stdin or --control): load W [pf] | voltage V | press [ms] | double | hold ms |\n"
          "  net down|up | hang | powercut | cutflash N | state | outputs | quit\n");
  fputs(sim_meter_fault_usage(), stderr);
}

static int split_host_port(const char *s, char *host, size_t hcap, uint16_t *port) {
  const char *colon = strrchr(s, ':');
  if (!colon || colon == s || (size_t)(colon - s) >= hcap) return -1;
  char *end = NULL;
  long p = strtol(colon + 1, &end, 10);
  if (!end || *end || p < 1 || p > 65535) return -1;
  memcpy(host, s, (size_t)(colon - s));
  host[colon - s] = '\0';
  *port = (uint16_t)p;
  return 0;
}

/* mqtt://[user:pass@]host:port */
static int parse_mqtt_url(const char *url, char *user, char *pass, char *host, uint16_t *port) {
  const char *p = url;
  if (strncmp(p, "mqtt://", 7) == 0) p += 7;
  const char *at = strrchr(p, '@');
  user[0] = pass[0] = '\0';
  if (at) {
    const char *colon = memchr(p, ':', (size_t)(at - p));
    size_t ulen = colon ? (size_t)(colon - p) : (size_t)(at - p);
    if (ulen > 32) return -1;
    memcpy(user, p, ulen);
    user[ulen] = '\0';
    if (colon) {
      size_t plen = (size_t)(at - colon - 1);
      if (plen > 63) return -1;
      memcpy(pass, colon + 1, plen);
      pass[plen] = '\0';
    }
    p = at + 1;
  }
  if (strchr(p, ':') == NULL) {
    if (strlen(p) == 0 || strlen(p) > 63) return -1;
    strcpy(host, p);
    *port = 1883;
    return 0;
  }
  return split_host_port(p, host, 64, port);
}

/* The stable locally-administered MAC of protocol.md §1: 0x02, then SHA-256(id)[0..4]. */
static void mac_from_id(const char *id, uint8_t mac[6]) {
  hal_sha256_ctx_t c;
  uint8_t d[32];
  hal_sha256_init(&c);
  hal_sha256_update(&c, id, strlen(id));
  hal_sha256_final(&c, d);
  mac[0] = 0x02;
  memcpy(mac + 1, d, 5);
}

/* The plug only listens once its (simulated) Wi-Fi has joined; a port that is taken must fail the start
 * right away with a clear message instead of leaving a plug nobody can reach. */
static int check_port_free(const char *ip, uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  inet_pton(AF_INET, ip, &sa.sin_addr);
  int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 1) == 0 ? 0 : -1;
  close(fd);
  return rc;
}

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

int main(int argc, char **argv) {
  const char *id = NULL, *http = NULL, *flash = NULL, *mqtt = NULL, *load = NULL, *profile = NULL;
  const char *control = NULL, *board_name = NULL;
  long mdns_port = 5353;
  double time_scale = 1.0;
  bool unconfigured = false;
  double volts = 230.0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage();
      return 0;
    }
    if (strcmp(a, "--unconfigured") == 0) { /* a plug fresh from the box: no Wi-Fi → setup mode */
      unconfigured = true;
      continue;
    }
    if (!v) {
      fprintf(stderr, "openbl602-sim: %s needs a value\n", a);
      usage();
      return 2;
    }
    if (strcmp(a, "--id") == 0) id = v;
    else if (strcmp(a, "--http") == 0) http = v;
    else if (strcmp(a, "--flash") == 0) flash = v;
    else if (strcmp(a, "--mqtt") == 0) mqtt = v;
    else if (strcmp(a, "--load") == 0) load = v;
    else if (strcmp(a, "--profile") == 0) profile = v;
    else if (strcmp(a, "--voltage") == 0) volts = atof(v);
    else if (strcmp(a, "--control") == 0) control = v;
    else if (strcmp(a, "--board") == 0) board_name = v;
    else if (strcmp(a, "--mdns-port") == 0) mdns_port = atol(v);
    else if (strcmp(a, "--time-scale") == 0) time_scale = atof(v);
    else if (sim_meter_fault_option(a, v)) { /* --fault-*: metering edge faults, sim_meter.c */ }
    else {
      fprintf(stderr, "openbl602-sim: unknown option %s\n", a);
      usage();
      return 2;
    }
    i++;
  }
  if (!id || !http || !flash) {
    fprintf(stderr, "openbl602-sim: --id, --http and --flash are required\n");
    usage();
    return 2;
  }
  if (!app_id_valid(id)) {
    fprintf(stderr, "openbl602-sim: --id must be 1-32 of [a-z0-9-]\n");
    return 2;
  }
  if (load && profile) {
    fprintf(stderr, "openbl602-sim: --load and --profile exclude each other\n");
    return 2;
  }
  static char http_ip[64];
  uint16_t http_port = 0;
  struct in_addr probe;
  if (split_host_port(http, http_ip, sizeof(http_ip), &http_port) != 0 || inet_pton(AF_INET, http_ip, &probe) != 1) {
    fprintf(stderr, "openbl602-sim: --http wants IPv4:PORT, got %s\n", http);
    return 2;
  }
  static char mq_user[33], mq_pass[64], mq_host[64];
  uint16_t mq_port = 0;
  if (mqtt && parse_mqtt_url(mqtt, mq_user, mq_pass, mq_host, &mq_port) != 0) {
    fprintf(stderr, "openbl602-sim: --mqtt wants mqtt://[user:pass@]host:port, got %s\n", mqtt);
    return 2;
  }
  if (check_port_free(http_ip, http_port) != 0) {
    fprintf(stderr, "openbl602-sim: cannot listen on %s:%u: %s\n", http_ip, (unsigned)http_port, strerror(errno));
    return 1;
  }
  double watts = 0.0;
  if (load) {
    char *end = NULL;
    watts = strtod(load, &end);
    if (!end || (*end && strcmp(end, "W") != 0 && strcmp(end, "w") != 0) || watts < 0 || watts > 8000) {
      fprintf(stderr, "openbl602-sim: --load wants watts, e.g. 60W\n");
      return 2;
    }
  }
  if (!(time_scale >= 0.1 && time_scale <= 100.0)) {
    fprintf(stderr, "openbl602-sim: --time-scale wants 0.1..100 (simulated seconds per real second)\n");
    return 2;
  }
  if (!(volts >= 0 && volts <= 300)) {
    fprintf(stderr, "openbl602-sim: --voltage wants 0..300\n");
    return 2;
  }

  /* The sim drives the clock itself (manual mode): each pass of the loop moves it to real elapsed time ×
   * scale, then delivers the chip's edges up to exactly that time, then runs the core at that same time.
   * So the metering never sees an edge "late" however the host schedules us, and --time-scale runs every
   * timer of the core (heartbeat, keep-alive, timeouts) faster alike. */
  posix_io_time_set_manual(true);
  posix_io_time_advance(1000);
  struct timespec real0;
  clock_gettime(CLOCK_MONOTONIC, &real0);
  uint64_t sim0 = hal_time_us64();

  posix_sys_config_t sc;
  posix_sys_config_defaults(&sc);
  sc.flash_path = flash;
  sc.has_mac = true;
  mac_from_id(id, sc.mac);
  sc.argc = argc;
  sc.argv = argv;
  if (posix_sys_configure(&sc) != 0) return 1;

  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);

  uint8_t ip[4];
  if (probe.s_addr == htonl(INADDR_ANY)) probe.s_addr = htonl(INADDR_LOOPBACK); /* all interfaces: 127.0.0.1 is ours */
  memcpy(ip, &probe.s_addr, 4);
  sim_wifi_init(ip);

  board_profile_t board;
  if (!(board_name && board_builtin(board_name, &board))) board_default(&board);
  /* the button rests released: its level is the opposite of "pressed" */
  for (uint8_t i = 0; i < board.button_count; i++) sim_io_set_input(board.buttons[i].pin, !board.buttons[i].active_high);

  app_options_t opt;
  memset(&opt, 0, sizeof(opt));
  opt.id = id;
  opt.model = "openbl602 simulated plug";
  opt.ota_board_id = "posix-sim";
  opt.board = board_name;
  opt.http_ip = http_ip;
  opt.http_port = http_port;
  opt.advertised_ip = http_ip;
  opt.mdns_port = mdns_port > 0 && mdns_port < 65536 ? (int32_t)mdns_port : -1;
  if (mqtt) {
    opt.mqtt_host = mq_host;
    opt.mqtt_port = mq_port;
    opt.mqtt_user = mq_user;
    opt.mqtt_password = mq_pass;
  }
  opt.default_ssid = unconfigured ? NULL : "sim";
  app_set_options(&opt);
  obl_app_init(app_transport_bsd());

  uint64_t seed = 0;
  for (const char *p = id; *p; p++) seed = seed * 131u + (uint8_t)*p;
  sim_meter_init(&board, seed, hal_time_us64());
  sim_meter_set_voltage(volts);
  if (profile) {
    char err[160];
    if (sim_meter_load_profile(profile, err, sizeof(err)) != 0) {
      fprintf(stderr, "openbl602-sim: %s\n", err);
      return 2;
    }
  } else {
    sim_meter_set_load(watts, 1.0);
  }

  if (sim_control_init(control, &board) != 0) return 1;
  fprintf(stderr, "openbl602-sim: %s on http://%s:%u%s%s\n", id, http_ip, (unsigned)http_port,
          control ? ", control on " : "", control ? control : "");

  for (;;) {
    if (g_stop) {
      app_shutdown();
      return 0;
    }
    struct timespec rt;
    clock_gettime(CLOCK_MONOTONIC, &rt);
    double real_us = (double)(rt.tv_sec - real0.tv_sec) * 1e6 + (double)(rt.tv_nsec - real0.tv_nsec) / 1e3;
    uint64_t target = sim0 + (uint64_t)(real_us * time_scale);
    uint64_t now = hal_time_us64();
    if (target > now) {
      posix_io_time_advance(target - now);
      now = target;
    }
    sim_meter_poll(now);
    sim_control_tick(now);
    if (!sim_control_hung()) (void)obl_app_main_poll();
    (void)obl_app_net_poll();
    int fds[16];
    size_t nfds = app_net_fds(fds, 16);
    if (sim_control_poll(5, fds, nfds) == SIM_CONTROL_QUIT) {
      app_shutdown();
      return 0;
    }
  }
}
