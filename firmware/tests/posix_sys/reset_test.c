#define _GNU_SOURCE
/* reset_test <watchdog|reboot|crash> <flash>: the first run arranges a reset (stops feeding the watchdog, calls
 * hal_reboot, or aborts with crash resets on) and must never get past it; the re-executed run sees the
 * matching reset reason, the same argv, and the flash content written before the reset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "posix_sys.h"

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  bool watchdog = strcmp(argv[1], "watchdog") == 0;
  bool crash = strcmp(argv[1], "crash") == 0;
  posix_sys_config_t cfg;
  posix_sys_config_defaults(&cfg);
  cfg.flash_path = argv[2];
  cfg.settings_size = 8192;
  cfg.fw_slot_size = 8192;
  cfg.argc = argc;
  cfg.argv = argv;
  cfg.crash_resets = crash;
  if (posix_sys_configure(&cfg) != 0) return 2;
  uint8_t mark = 0;
  hal_flash_read(HAL_PART_SETTINGS, 0, &mark, 1);
  hal_reset_reason_t want = watchdog ? HAL_RESET_WATCHDOG : crash ? HAL_RESET_EXCEPTION : HAL_RESET_SOFTWARE;
  if (hal_reset_reason() != HAL_RESET_POWER_ON) {
    bool ok = hal_reset_reason() == want && mark == 0x5A;
    hal_flash_erase(HAL_PART_SETTINGS, 0, 4096); /* next ctest run starts from scratch */
    printf("%s: second run, reset reason %d, marker %02x\n", ok ? "ok" : "FAIL", hal_reset_reason(), mark);
    return ok ? 0 : 1;
  }
  hal_flash_erase(HAL_PART_SETTINGS, 0, 4096);
  mark = 0x5A;
  hal_flash_write(HAL_PART_SETTINGS, 0, &mark, 1);
  if (watchdog) {
    hal_watchdog_start(200);
    for (int i = 0; i < 10; i++) { /* fed: 500 ms alive with a 200 ms watchdog */
      usleep(50 * 1000);
      hal_watchdog_feed();
    }
    sleep(5); /* "hang": not fed */
  } else if (crash) {
    abort();
  } else {
    hal_reboot();
  }
  printf("FAIL: still running after the %s reset\n", argv[1]);
  return 1;
}
