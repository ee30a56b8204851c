#ifndef OBL_POSIX_SYS_INTERNAL_H
#define OBL_POSIX_SYS_INTERNAL_H

#include "posix_sys.h"

int posix_flash_open(const char *path, uint32_t settings_size, uint32_t fw_size);
int posix_boot_init(const char *flash_path);
/* Persists `reason` for the next "boot" and re-executes the process (never returns). */
void posix_reset(hal_reset_reason_t reason) __attribute__((noreturn));
bool posix_log_quiet(void);

#endif
