/* posix_sys.h — the simulated plug's "system" services: flash (a file with NOR semantics and a power-cut
 * injector), boot slots with trial boot, watchdog, reboot/reset reason, MAC, random, log, SHA-256 and
 * ECDSA P-256 (OpenSSL libcrypto).
 *
 * Implements these hal.h functions: hal_flash_info/read/write/erase, hal_boot_running_slot, hal_boot_select,
 * hal_watchdog_start/feed, hal_reset_reason, hal_reboot, hal_mac_address, hal_random, hal_log,
 * hal_sha256_init/update/final, hal_ecdsa_p256_verify. (Time, GPIO and Wi-Fi live elsewhere.)
 *
 * A "reboot" (hal_reboot, watchdog expiry, optionally a crash) closes every descriptor above stderr and
 * re-executes the process with the same argv, so ports and ids stay; the reset reason travels in the
 * environment (OBL_RESET_REASON) and a fresh start reads as HAL_RESET_POWER_ON. Boot-slot state lives next to the flash
 * file in "<flash_path>.boot".
 */
#ifndef OBL_POSIX_SYS_H
#define OBL_POSIX_SYS_H

#include <stdbool.h>
#include <stdint.h>

#include "hal.h"

typedef struct {
  const char *flash_path;  /* created (all 0xFF) when missing; required */
  uint32_t settings_size;  /* HAL_PART_SETTINGS bytes, multiple of 4096 (default 32 KiB) */
  uint32_t fw_slot_size;   /* HAL_PART_FW_A and _B bytes each, multiple of 4096 (default 1 MiB) */
  bool has_mac;
  uint8_t mac[6];          /* default 02:00:00:00:00:01 */
  int argc;                /* for the re-exec on reboot; argv NULL = reboot just exits(3) */
  char **argv;
  /* Power-cut injector (also from the environment: OBL_FLASH_CUT_AFTER, OBL_FLASH_CUT_BYTES,
   * OBL_FLASH_CUT_EXIT=1). cut_after_ops < 0: off. Otherwise that many flash write/erase calls complete;
   * the next one programs (or erases) only its first cut_torn_bytes bytes (< 0: half of it), then the power
   * is gone: with cut_exits the process _exit()s at once (status 99) like a plug losing power, without,
   * every later flash call fails with HAL_ERR_POWER until posix_sys_power_on(). */
  int64_t cut_after_ops;
  int32_t cut_torn_bytes;
  bool cut_exits;
  bool quiet;              /* hal_log prints errors only */
  bool crash_resets;       /* SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGABRT re-execute the plug with reset reason
                            * HAL_RESET_EXCEPTION (a crash loop then trips safe mode) instead of ending the
                            * process; also OBL_CRASH_RESETS=1. Off by default: tests want crashes to show. */
} posix_sys_config_t;

void posix_sys_config_defaults(posix_sys_config_t *cfg);

/* Opens/creates the flash file, decides which firmware slot this boot runs (trial/rollback), reads the reset
 * reason. Call once, first thing in main. 0 on success, -1 with a message on stderr. */
int posix_sys_configure(const posix_sys_config_t *cfg);

/* Test helpers. */
void posix_sys_power_on(void);          /* end a non-exiting power cut */
bool posix_sys_powered(void);
uint64_t posix_sys_flash_ops(void);      /* write/erase calls so far (to size a power-cut sweep) */
void posix_sys_arm_cut(int64_t after_ops, int32_t torn_bytes, bool exits);

#endif
