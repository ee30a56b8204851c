#ifndef OBL_POSIX_SYS_INTERNAL_H
#define OBL_POSIX_SYS_INTERNAL_H

#include "posix_sys.h"

int posix_flash_open(const char *path, uint32_t settings_size, uint32_t fw_size);
int posix_boot_init(const char *flash_path);
/* Persists `reason` for the next "boot" and re-executes the process (never returns). */
void posix_reset(hal_reset_reason_t reason) __attribute__((noreturn));
bool posix_log_quiet(void);

/* OBL_POWERCUT_AT=<phase>: the process exits with status 99 (power gone) at that point of an OTA, once:
 * "upload" (after the 8th write into a firmware slot), "verify" (the first read-back of a slot that was
 * written), "switch" (the trial selection is on disk, the call has not returned), "first_boot" (a trial
 * boot has just been recorded as started), "confirm" (the confirming selection, before it reaches disk). */
void posix_powercut_point(const char *phase);

#endif
