/* relay.c — relay output and power-on policy (see relay.h). */
#include "relay/relay.h"

#include <string.h>

bool relay_boot_state(relay_power_on_t policy, const relay_boot_info_t *boot) {
  bool warm = boot->reset == HAL_RESET_SOFTWARE || boot->reset == HAL_RESET_WATCHDOG ||
              boot->reset == HAL_RESET_EXCEPTION;
  if (warm && boot->saved_valid) return boot->saved_on; /* a reboot must not switch the load */
  switch (policy) {
    case RELAY_POWER_ON_ON: return true;
    case RELAY_POWER_ON_TOGGLE: return boot->saved_valid ? !boot->saved_on : false;
    case RELAY_POWER_ON_RESTORE: return boot->saved_valid ? boot->saved_on : false;
    case RELAY_POWER_ON_OFF:
    default: return false;
  }
}

static const char *const k_policy_names[] = {"off", "on", "toggle", "restore"};

const char *relay_power_on_name(relay_power_on_t p) {
  return (unsigned)p < 4u ? k_policy_names[p] : "off";
}

bool relay_power_on_parse(const char *s, relay_power_on_t *out) {
  if (s == NULL) return false;
  for (unsigned i = 0; i < 4u; i++) {
    if (strcmp(s, k_policy_names[i]) == 0) {
      *out = (relay_power_on_t)i;
      return true;
    }
  }
  return false;
}

const char *relay_cause_name(relay_cause_t c) {
  switch (c) {
    case RELAY_CAUSE_BOOT: return "boot";
    case RELAY_CAUSE_BUTTON: return "button";
    case RELAY_CAUSE_COMMAND: return "command";
    case RELAY_CAUSE_PROTECTION: return "protection";
    case RELAY_CAUSE_RECLOSE: return "reclose";
  }
  return "unknown";
}

static bool level_for(const relay_t *r, bool on) { return r->active_low ? !on : on; }

hal_status_t relay_init(relay_t *r, uint8_t pin, bool active_low, bool on) {
  r->pin = pin;
  r->active_low = active_low;
  r->on = on;
  hal_status_t s = hal_gpio_output(pin, level_for(r, on));
  r->ready = s == HAL_OK;
  return s;
}

bool relay_set(relay_t *r, bool on) {
  bool changed = r->on != on;
  r->on = on;
  if (r->ready) (void)hal_gpio_write(r->pin, level_for(r, on));
  return changed;
}

bool relay_toggle(relay_t *r) { return relay_set(r, !r->on); }

bool relay_is_on(const relay_t *r) { return r->on; }
