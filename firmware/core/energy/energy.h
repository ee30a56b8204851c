/* energy.h — the lifetime energy counter and when it is written to flash.
 *
 * Monotonic 64-bit count in µWh. Persisted (record STORE_KEY_ENERGY) when it grew by ≥ 10 Wh since the last
 * write, or 10 minutes passed with any growth, and on energy_flush() before a controlled reboot or OTA. A power
 * cut loses < 10 Wh, at most 10 minutes' worth. At 16 A continuous (3680 W) that is one 16-byte record every
 * 9.8 s; docs/storage.md shows the flash lasts > 20 years at that rate.
 *
 * Until the stored value has been read (energy_init() could not read flash), energy_wh() says "unknown"
 * instead of reporting 0, increments accumulate in RAM, and nothing is written (a write could replace a
 * larger stored total). energy_poll() retries the load.
 */
#ifndef OBL_ENERGY_H
#define OBL_ENERGY_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

#define ENERGY_PERSIST_STEP_UWH 10000000ull          /* 10 Wh */
#define ENERGY_PERSIST_PERIOD_US (10ull * 60u * 1000000u) /* 10 min */

typedef struct {
  store_t *store;
  bool loaded;             /* stored total has been read */
  uint64_t total_uwh;      /* lifetime total (valid when loaded) */
  uint64_t pending_uwh;    /* added before the stored total could be read */
  uint64_t persisted_uwh;  /* last value known to be on flash */
  uint64_t last_persist_us;
  uint32_t writes;         /* records written since boot */
  uint32_t write_errors;
} energy_t;

/* Reads the stored total (absent = 0 on a new plug). STORE_OK or the store error (then not loaded yet). */
store_err_t energy_init(energy_t *e, store_t *st, uint64_t now_us);

/* Adds metered energy. Cheap, no flash access: call from the metering task as often as you like. */
void energy_add_uwh(energy_t *e, uint64_t uwh);

/* Applies the persistence policy; call about once a second. STORE_OK when nothing needed doing. */
store_err_t energy_poll(energy_t *e, uint64_t now_us);

/* Writes the current total now if it grew (controlled reboot, OTA switch). */
store_err_t energy_flush(energy_t *e, uint64_t now_us);

/* User reset (POST /api/v1/energy/reset): total 0, written at once. Not loaded yet → STORE_ERR_IO. */
store_err_t energy_reset(energy_t *e, uint64_t now_us);

/* Lifetime total in whole Wh; false (and *wh untouched) while the stored value is unknown. */
bool energy_wh(const energy_t *e, uint64_t *wh);

#endif
