/* app_entry.h — the core entry points this port's tasks drive (the BL602 side of the contract).
 *
 * The core's top-level module implements these; the POSIX port drives the same three from its own loop.
 * Until that module exists in firmware/core/, the SDK build compiles but fails to link on exactly these
 * three names (deliberately: no stand-ins here).
 */
#ifndef OBL_PORT_BL602_APP_ENTRY_H
#define OBL_PORT_BL602_APP_ENTRY_H

#include <stdint.h>

/* Once, before any task or the network starts: restore the relay per its startup policy, load settings
 * and counters, attach the metering and button interrupts, start the watchdog supervisor. */
void obl_app_init(void);

/* One pass of the plug's main loop (metering, relay, button, LED, storage, watchdog check-in).
 * Returns how many milliseconds it may sleep before the next pass; 0 = run again at once. */
uint32_t obl_app_main_poll(void);

/* One pass of the network loop (Wi-Fi state, HTTP, MQTT, discovery, OTA), same return convention.
 * Runs in its own task so a slow peer never delays metering. */
uint32_t obl_app_net_poll(void);

#endif /* OBL_PORT_BL602_APP_ENTRY_H */
