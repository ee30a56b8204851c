/* fake_hal.h — in-memory port for PORTABLE tests of store/settings/energy/supervisor (and the store fuzzer):
 * NOR flash with a power-cut injector, boot-slot record, watchdog feed counter, settable reset reason.
 *
 * Power cut model: every programmed byte and every sector erase is one "unit". fake_flash_cut_after(n)
 * lets n units complete; unit n+1 is torn (a byte gets a random subset of its bits programmed; an erase
 * leaves a random prefix erased and noise after it) and from then on every flash call fails with
 * HAL_ERR_POWER until fake_flash_power_on(). With `scramble`, a torn write programs a random subset of the
 * bytes of the whole write call instead of a prefix (page programming has no guaranteed order). */
#ifndef OBL_FAKE_HAL_H
#define OBL_FAKE_HAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal.h"

#define FAKE_SETTINGS_SIZE (8u * 4096u)
#define FAKE_FW_SIZE (64u * 1024u)

void fake_hal_reset(void); /* all flash erased, counters zero, power on, reset reason POWER_ON */
uint8_t *fake_flash_mem(hal_partition_t part, uint32_t *size);

void fake_flash_cut_after(uint64_t units, uint32_t seed, bool scramble);
void fake_flash_power_on(void);
void fake_flash_power_off(void); /* every flash call fails with HAL_ERR_POWER */
bool fake_flash_powered(void);
uint64_t fake_flash_units(void); /* units done since fake_hal_reset() */
uint32_t fake_flash_erases(hal_partition_t part);
/* Worn sector: writes to it program nothing (read-back shows the bits still set). */
void fake_flash_stuck_sector(hal_partition_t part, int sector);

void fake_set_reset_reason(hal_reset_reason_t r);
uint32_t fake_watchdog_feeds(void);
uint32_t fake_watchdog_timeout_ms(void);
void fake_set_running_slot(hal_partition_t slot);
hal_partition_t fake_selected_slot(bool *trial);
void fake_log_quiet(bool quiet);

#endif
