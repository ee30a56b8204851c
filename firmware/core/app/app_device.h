/* app_device.h — the main loop's half of the application: the record store, the config, the device
 * (relay, buttons, LEDs, protections), the meter and the energy counter, the supervisor, and the reboot.
 * Every function here runs in the main loop (or at boot before the loops start); the network loop reaches
 * it only through app_link.h. */
#ifndef OBL_APP_DEVICE_H
#define OBL_APP_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "app/app_link.h"
#include "metering/bl0937.h"
#include "store/store.h"

/* Boot, in order: the store and the supervisor's boot record, the config, the relay's power-on state (the
 * first output the plug drives), then metering and the energy total. */
void dev_boot(void);
/* The store, for the OTA manager's own record at boot; NULL when it did not mount. */
store_t *dev_store(void);
const app_config_t *dev_config(void);
/* boot, after the OTA manager loaded its trust record: the config shows the key it trusts (not saved:
 * the trust record holds it). */
void dev_show_ota_key(const char *hex);

/* One pass of the main loop; returns the ms until the next. */
uint32_t dev_main_poll(void);
/* What a network command may do (app_exec.c). Each reportable change bumps the view's generation. */
bool dev_config_apply(const app_config_t *next); /* persisted first; false: the flash write failed */
bool dev_relay_usable(void);                     /* the board profile has a working relay */
bool dev_relay(void);
bool dev_relay_target(void);     /* the pending state if one waits for the minimum interval, else dev_relay() */
void dev_relay_command(bool on); /* also clears a trip */
bool dev_locked_out(void);       /* relay locked off after repeated trips (core/triplock) */
void dev_clear_lockout(void);
void dev_identify(uint32_t ms);
bool dev_energy_reset(void);
const bl0937_reading_t *dev_reading(void); /* NULL: no meter running */
/* The config gain that makes the meter read `ref` (relative to nominal); false: no usable measurement. */
bool dev_calibrated_gain(bl0937_quantity_t qty, float ref, float *gain);
bool dev_leave_safe_mode(void); /* recorded on flash (§5.9); true when not in safe mode */
void dev_reboot_in(uint32_t ms);
void dev_publish(void); /* publishes the view now (after a command) */

/* Persists what must survive (energy) before the plug goes away. */
void dev_shutdown(void);

#endif
