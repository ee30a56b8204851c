/* Configuration, reset reason, reboot by re-exec, watchdog thread, MAC, random, log. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "posix_sys_internal.h"

static hal_reset_reason_t g_reason = HAL_RESET_POWER_ON;
static uint8_t g_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
static char **g_argv;
static bool g_quiet;

/* The environment for the re-exec, prepared at configure time so a reset needs nothing but async-signal-safe
 * calls (it also runs from the watchdog thread and from crash signal handlers). */
#define ENV_MAX 256
static char g_reason_env[] = "OBL_RESET_REASON=0";
static char *g_envp[ENV_MAX + 2];

extern char **environ;

static void prepare_env(void) {
  size_t n = 0;
  for (char **e = environ; e && *e && n < ENV_MAX; e++)
    if (strncmp(*e, "OBL_RESET_REASON=", 17) != 0) g_envp[n++] = *e;
  g_envp[n++] = g_reason_env;
  g_envp[n] = NULL;
}

static void say(const char *msg) { /* async-signal-safe log line */
  ssize_t r = write(2, msg, strlen(msg));
  (void)r;
}

static void on_crash(int sig) {
  say(sig == SIGABRT ? "posix_sys: abort: exception reset\n" : "posix_sys: crash signal: exception reset\n");
  posix_reset(HAL_RESET_EXCEPTION);
}

static void install_crash_reset(void) {
  static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_crash;
  sa.sa_flags = (int)(SA_RESETHAND | SA_NODEFER);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);
}

void posix_sys_config_defaults(posix_sys_config_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->settings_size = 32u * 1024u;
  cfg->fw_slot_size = 1024u * 1024u;
  cfg->cut_after_ops = -1;
  cfg->cut_torn_bytes = -1;
}

static const char *k_reason_env = "OBL_RESET_REASON";

int posix_sys_configure(const posix_sys_config_t *cfg) {
  if (!cfg || !cfg->flash_path) {
    fprintf(stderr, "posix_sys: flash_path is required\n");
    return -1;
  }
  g_quiet = cfg->quiet;
  g_argv = cfg->argv;
  if (cfg->has_mac) memcpy(g_mac, cfg->mac, 6);
  const char *r = getenv(k_reason_env);
  g_reason = HAL_RESET_POWER_ON;
  if (r) {
    long v = strtol(r, NULL, 10);
    if (v >= HAL_RESET_POWER_ON && v <= HAL_RESET_UNKNOWN) g_reason = (hal_reset_reason_t)v;
    unsetenv(k_reason_env);
  }
  if (posix_flash_open(cfg->flash_path, cfg->settings_size, cfg->fw_slot_size) != 0) return -1;
  if (posix_boot_init(cfg->flash_path) != 0) return -1;
  const char *cr = getenv("OBL_CRASH_RESETS");
  if (cfg->crash_resets || (cr && cr[0] == '1')) install_crash_reset();

  int64_t cut = cfg->cut_after_ops;
  int32_t torn = cfg->cut_torn_bytes;
  bool exits = cfg->cut_exits;
  const char *e = getenv("OBL_FLASH_CUT_AFTER");
  if (e) {
    cut = strtoll(e, NULL, 10);
    const char *b = getenv("OBL_FLASH_CUT_BYTES");
    const char *x = getenv("OBL_FLASH_CUT_EXIT");
    torn = b ? (int32_t)strtol(b, NULL, 10) : -1;
    exits = x && x[0] == '1';
    /* One cut per start: the re-executed plug must not inherit it. */
    unsetenv("OBL_FLASH_CUT_AFTER");
  }
  posix_sys_arm_cut(cut, torn, exits);
  prepare_env();
  return 0;
}

bool posix_log_quiet(void) { return g_quiet; }

void posix_powercut_point(const char *phase) {
  const char *at = getenv("OBL_POWERCUT_AT");
  if (!at || strcmp(at, phase) != 0) return;
  say("posix_sys: power cut at OTA phase ");
  say(phase);
  say("\n");
  _exit(99);
}

hal_reset_reason_t hal_reset_reason(void) { return g_reason; }

static void close_inherited_fds(void) {
  /* Listening sockets must not leak into the re-executed plug (it binds the same ports). */
#ifdef SYS_close_range
  if (syscall(SYS_close_range, 3u, ~0u, 0u) == 0) return;
#endif
  for (int fd = 3; fd < 4096; fd++) close(fd);
}

void posix_reset(hal_reset_reason_t reason) {
  if (!g_argv) {
    say("posix_sys: reset without argv: exiting\n");
    _exit(3);
  }
  g_reason_env[sizeof g_reason_env - 2] = (char)('0' + (int)reason);
  close_inherited_fds();
  execve("/proc/self/exe", g_argv, g_envp);
  say("posix_sys: re-exec failed\n");
  _exit(3);
}

void hal_reboot(void) {
  hal_log(HAL_LOG_INFO, "sys", "reboot");
  fflush(NULL);
  posix_reset(HAL_RESET_SOFTWARE);
}

/* ---- watchdog: a thread resets the process when feeding stops for longer than the timeout ---- */

static _Atomic uint64_t g_wdt_deadline_ms;
static _Atomic uint32_t g_wdt_timeout_ms;
static pthread_t g_wdt_thread;
static bool g_wdt_running;

static uint64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void *wdt_main(void *arg) {
  (void)arg;
  for (;;) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
    if (mono_ms() > atomic_load(&g_wdt_deadline_ms)) {
      /* No stdio here: the hung thread may hold its lock. */
      say("posix_sys: watchdog expired (not fed in time): reset\n");
      posix_reset(HAL_RESET_WATCHDOG);
    }
  }
  return NULL;
}

hal_status_t hal_watchdog_start(uint32_t timeout_ms) {
  if (timeout_ms == 0) return HAL_ERR_ARG;
  atomic_store(&g_wdt_timeout_ms, timeout_ms);
  atomic_store(&g_wdt_deadline_ms, mono_ms() + timeout_ms);
  if (!g_wdt_running) {
    if (pthread_create(&g_wdt_thread, NULL, wdt_main, NULL) != 0) return HAL_ERR_IO;
    pthread_detach(g_wdt_thread);
    g_wdt_running = true;
  }
  return HAL_OK;
}

void hal_watchdog_feed(void) {
  if (g_wdt_running) atomic_store(&g_wdt_deadline_ms, mono_ms() + atomic_load(&g_wdt_timeout_ms));
}

/* ---- identity, randomness, log ---- */

void hal_mac_address(uint8_t mac[6]) { memcpy(mac, g_mac, 6); }

hal_status_t hal_random(void *buf, size_t len) {
  uint8_t *p = buf;
  while (len) {
    ssize_t n = getrandom(p, len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return HAL_ERR_IO;
    }
    p += n;
    len -= (size_t)n;
  }
  return HAL_OK;
}

void hal_log(hal_log_level_t level, const char *module, const char *fmt, ...) {
  static const char *const names[] = {"E", "W", "I", "D"};
  if (g_quiet && level > HAL_LOG_ERROR) return;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  fprintf(stderr, "%5lld.%03ld %s %s: %s\n", (long long)ts.tv_sec, ts.tv_nsec / 1000000L,
          level <= HAL_LOG_DEBUG ? names[level] : "?", module ? module : "-", msg);
}
