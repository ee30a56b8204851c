/* hang_test <net|main> <flash>: a main loop and a network thread check in with the supervisor (watchdog
 * 400 ms, stall 200 ms) on the real POSIX port. After 600 ms the named one hangs. The watchdog must reset
 * (re-execute) the process; the second run must report reset reason "watchdog" (and name a hung net task,
 * whose stall is not counted as a bad boot). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "posix_sys.h"
#include "supervisor/supervisor.h"

static supervisor_t sup;
static atomic_bool net_hang;

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void *net_main(void *arg) {
  (void)arg;
  for (;;) {
    if (!atomic_load(&net_hang)) supervisor_checkin(&sup, SUP_TASK_NET);
    usleep(20 * 1000);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  bool hang_net = strcmp(argv[1], "net") == 0;
  posix_sys_config_t cfg;
  posix_sys_config_defaults(&cfg);
  cfg.flash_path = argv[2];
  cfg.settings_size = 8192;
  cfg.fw_slot_size = 8192;
  cfg.argc = argc;
  cfg.argv = argv;
  if (posix_sys_configure(&cfg) != 0) return 2;
  store_t st;
  if (store_mount(&st, HAL_PART_SETTINGS, 0, 8192) != STORE_OK) return 2;
  supervisor_config_t sc;
  supervisor_config_defaults(&sc);
  sc.watchdog_ms = 400;
  sc.stall_ms = 200;
  supervisor_boot(&sup, &st, &sc, now_us());

  if (sup.reset_reason == HAL_RESET_WATCHDOG) {
    /* A hung net task is named (the main loop saw it go silent); a hung main loop cannot record anything,
     * the hardware watchdog alone resets it. */
    const char *task = supervisor_task_name(sup.reset_task);
    bool named_ok = hang_net ? task && strcmp(task, "net") == 0 : task == NULL;
    /* A network stall is no bad boot (the main loop kept going); a hung main loop is one. */
    bool ok = named_ok && sup.bad_boots == (hang_net ? 0 : 1);
    printf("%s: reset by %s, hung task %s, bad boots %u\n", ok ? "ok" : "FAIL",
           supervisor_reset_reason_name(sup.reset_reason), task ? task : "?", (unsigned)sup.bad_boots);
    hal_flash_erase(HAL_PART_SETTINGS, 0, 8192); /* the next ctest run starts fresh */
    return ok ? 0 : 1;
  }
  pthread_t th;
  pthread_create(&th, NULL, net_main, NULL);
  uint64_t start = now_us();
  for (;;) {
    uint64_t t = now_us();
    if (t - start > 600000u) {
      if (hang_net) atomic_store(&net_hang, true);
      else for (;;) sleep(1); /* main loop hangs: nothing polls, nothing feeds */
    }
    if (t - start > 5000000u) break;
    supervisor_checkin(&sup, SUP_TASK_MAIN);
    supervisor_poll(&sup, t);
    usleep(20 * 1000);
  }
  printf("FAIL: no watchdog reset 5 s after the %s task hung\n", argv[1]);
  return 1;
}
