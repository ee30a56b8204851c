/* app_device.h — the main loop's half of the application: the record store, the config, the device
 * (relay, buttons, LEDs, protections), the meter and the energy counter, the supervisor, and the reboot.
 * Every function here runs in the main loop (or at boot before the loops start); the network loop reaches
 * it only through app_link.h. */
#ifndef OBL_APP_DEVICE_H
#define OBL_APP_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "app/app_link.h"
#include "store/store.h"

/* Boot, in order: the store and the supervisor's boot record, the config, the relay's power-on state (the
 * first output the plug drives), then metering and the energy total. */
void dev_boot(void);
/* The store, for the OTA manager's own record at boot; NULL when it did not mount. */
store_t *dev_store(void);
const app_config_t *dev_config(void);

/* One pass of the main loop; returns the ms until the next. */
uint32_t dev_main_poll(void);
/* Runs a network command (app_link's executor); publishes the view before returning. */
int dev_run_call(app_call_t *c);
/* Persists what must survive (energy) before the plug goes away. */
void dev_shutdown(void);

#endif
