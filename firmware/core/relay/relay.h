/* relay.h — one relay output and the power-on policy.
 *
 * Power-on policy numbers are Tasmota's PowerOnState 0–3. Like Tasmota, the policy applies to a power-up
 * only: after a warm reset (reboot command, OTA, watchdog, crash) the relay keeps the state it had, so a
 * firmware problem never switches the load. The pin is configured as an output already driving the final
 * level (hal_gpio_output(pin, level) once), so it never passes through the wrong level at boot.
 *
 * No persistence here: the owner stores the last state from the change callback (device.h does that
 * through its event callback) and hands it back at boot. */
#ifndef OBL_RELAY_H
#define OBL_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include "hal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  RELAY_POWER_ON_OFF = 0,     /* always off after power-up */
  RELAY_POWER_ON_ON = 1,      /* always on */
  RELAY_POWER_ON_TOGGLE = 2,  /* the opposite of the saved state (Tasmota PowerOnState 2) */
  RELAY_POWER_ON_RESTORE = 3, /* the saved state (Tasmota default) */
} relay_power_on_t;

#define RELAY_POWER_ON_DEFAULT RELAY_POWER_ON_RESTORE

/* Why the relay moved; reported with every change. */
typedef enum {
  RELAY_CAUSE_BOOT = 0,    /* power-on policy / warm-reset restore */
  RELAY_CAUSE_BUTTON,
  RELAY_CAUSE_COMMAND,     /* HTTP / MQTT */
  RELAY_CAUSE_PROTECTION,  /* over-power / over-current cut-off */
  RELAY_CAUSE_RECLOSE,     /* automatic re-close after a protection trip */
} relay_cause_t;

/* What the plug knows at boot about the state before the reset. */
typedef struct {
  bool saved_valid;             /* a saved state was found (false on a fresh device) */
  bool saved_on;
  hal_reset_reason_t reset;     /* hal_reset_reason() */
} relay_boot_info_t;

/* The state the relay must take at boot. Pure function: power-up (and brownout / unknown) follows the
 * policy; a warm reset keeps the saved state. Without a saved state: toggle/restore → off. */
bool relay_boot_state(relay_power_on_t policy, const relay_boot_info_t *boot);

/* "off", "on", "toggle", "restore" (protocol names) and back; parse returns false on unknown text. */
const char *relay_power_on_name(relay_power_on_t p);
bool relay_power_on_parse(const char *s, relay_power_on_t *out);
const char *relay_cause_name(relay_cause_t c);

typedef struct {
  uint8_t pin;
  bool active_low;
  bool on;
  bool ready;  /* relay_init() succeeded */
} relay_t;

/* Drives the pin to on's level in one step (no intermediate level). */
hal_status_t relay_init(relay_t *r, uint8_t pin, bool active_low, bool on);
/* true if the state changed. Writes the pin even when unchanged (cheap insurance against an upset pin). */
bool relay_set(relay_t *r, bool on);
bool relay_toggle(relay_t *r);
bool relay_is_on(const relay_t *r);

#ifdef __cplusplus
}
#endif

#endif /* OBL_RELAY_H */
