/* app_device.c — the application's side of the hardware: the protocol config mapped onto the device module
 * (relay power-on policy, button gestures, LED modes, protections: core/device), the lifetime energy
 * counter (core/energy), and the persistence of config and relay state in the record store. */
#include <stdio.h>
#include <string.h>

#include "app/app_priv.h"

/* ---- storage ------------------------------------------------------------------------------------------ */

void dev_init_storage(app_t *a) {
  hal_partition_info_t pi;
  a->store_ok = false;
  if (hal_flash_info(HAL_PART_SETTINGS, &pi) != HAL_OK || pi.size < 2u * HAL_FLASH_SECTOR) {
    hal_log(HAL_LOG_ERROR, "app", "no settings partition: nothing will persist");
    return;
  }
  uint32_t size = pi.size < APP_STORE_SIZE ? pi.size - pi.size % HAL_FLASH_SECTOR : APP_STORE_SIZE;
  store_err_t e = store_mount(&a->store, HAL_PART_SETTINGS, 0, size);
  if (e != STORE_OK) {
    hal_log(HAL_LOG_ERROR, "app", "settings store mount failed (%d): running on defaults", (int)e);
    return;
  }
  a->store_ok = true;
}

/* The records themselves (config JSON, relay mask) are app_persist.c's, shared with the power-cut sweep. */
void dev_load_config(app_t *a) {
  a->cfg_loaded = false;
  if (!a->store_ok) {
    app_config_defaults(&a->cfg, a->hostname);
    return;
  }
  store_err_t e = app_config_load(&a->store, &a->cfg, a->hostname);
  if (e != STORE_OK && e != STORE_ERR_NOT_FOUND) {
    hal_log(HAL_LOG_ERROR, "app", "stored config unreadable (%d): defaults", (int)e);
  }
  a->cfg_loaded = e == STORE_OK;
}

bool dev_save_config(app_t *a) {
  return a->store_ok && app_config_save(&a->store, &a->cfg) == STORE_OK;
}

/* ---- device: relay, button, LED, protections ------------------------------------------------------------ */

static void device_config_from(const app_config_t *c, device_config_t *d) {
  device_config_default(d);
  static const led_mode_t led[] = {LED_MODE_RELAY, LED_MODE_INVERTED, LED_MODE_OFF, LED_MODE_NETWORK};
  d->power_on = app_config_power_on(c);
  d->led_mode = led[c->led < 4 ? c->led : APP_LED_RELAY];
  d->button_enabled = c->button.enabled;
  d->button.multi_press = c->button.double_press;
  d->button.long_press_ms = c->button.long_press_ms;
  d->button.very_long_ms = (uint32_t)c->button.setup_hold_s * 1000u;
  d->protect.max_power_w = c->protection.max_power_w;
  d->protect.max_current_a = c->protection.max_current_a;
  d->protect.hold_ms = (uint32_t)c->protection.hold_s * 1000u;
  d->protect.window_ms = (uint32_t)c->protection.reclose_s * 1000u;
}

/* Coalesced (core/relaysave): a burst of changes is one record, 2 s after the last one. */
static void relay_persist(app_t *a) {
  relay_save_changed(&a->relay_save, device_relay_mask(&a->dev), app_now_ms());
}

void dev_relay_flush(app_t *a) {
  uint8_t mask;
  if (relay_save_flush(&a->relay_save, &mask) && a->store_ok) (void)app_relay_save(&a->store, mask);
}

static const char *button_action(button_event_type_t t) {
  switch (t) {
    case BUTTON_EV_SINGLE: return "single";
    case BUTTON_EV_DOUBLE: return "double";
    case BUTTON_EV_LONG: return "long";
    case BUTTON_EV_VERY_LONG: return "very_long";
    default: return NULL; /* raw press/release, multi, setup-ready, stuck: not protocol events */
  }
}

static void on_device_event(void *ctx, const device_event_t *ev) {
  app_t *a = ctx;
  switch (ev->type) {
    case DEVICE_EV_RELAY:
      if (ev->index != 0) break;
      a->relay = ev->on;
      relay_persist(a);
      ops_state_changed(a);
      break;
    case DEVICE_EV_BUTTON: {
      const char *act = button_action(ev->button.type);
      if (act) ops_button_event(a, act);
      break;
    }
    case DEVICE_EV_SETUP_REQUEST:
      ops_enter_setup(a, a->cfg.wifi.ssid[0] != '\0');
      break;
    case DEVICE_EV_PROTECTION:
      a->tripped = ev->reason == PROTECT_OVERPOWER     ? APP_TRIP_OVERPOWER
                   : ev->reason == PROTECT_OVERCURRENT ? APP_TRIP_OVERCURRENT
                                                       : APP_TRIP_NONE;
      if (a->tripped != APP_TRIP_NONE && trip_lock_trip(&a->trip_lock, app_now_ms())) {
        hal_log(HAL_LOG_WARN, "app", "protection: %u trips in a row, relay locked off until cleared",
                (unsigned)TRIP_LOCK_COUNT);
      }
      if (a->tripped != APP_TRIP_NONE) {
        hal_log(HAL_LOG_WARN, "app", "protection: %s at %.2f, relay off", app_trip_name(a->tripped),
                (double)ev->value);
      }
      ops_state_changed(a);
      break;
    default:
      break;
  }
}

/* Relay first: device_init drives the relay pin to its power-on state before anything else. */
bool dev_init(app_t *a) {
  device_config_t dc;
  device_config_from(&a->cfg, &dc);
  device_boot_t boot = {.saved_valid = false, .saved_mask = 0, .reset = a->reset_reason};
  if (a->store_ok) boot.saved_valid = app_relay_load(&a->store, &boot.saved_mask);
  if (device_init(&a->dev, &a->board, &dc, &boot, on_device_event, a, hal_time_us64()) != HAL_OK) {
    hal_log(HAL_LOG_ERROR, "app", "board profile %s is invalid: no relay control", a->board.name);
    return false;
  }
  a->relay = device_relay_get(&a->dev, 0);
  return true;
}

void dev_apply_config(app_t *a) {
  device_config_t dc;
  device_config_from(&a->cfg, &dc);
  device_set_config(&a->dev, &dc);
}

void dev_relay_set(app_t *a, bool on) {
  (void)device_relay_set(&a->dev, 0, on, RELAY_CAUSE_COMMAND); /* a command also clears a trip */
  a->relay = device_relay_get(&a->dev, 0);
}

void dev_tick(app_t *a, uint64_t now_us) {
  device_metering_t m;
  const bl0937_reading_t *r = &a->reading;
  m.valid = a->board.bl0937.present && !a->safe_mode;
  m.power_w = r->power_w;
  m.current_a = (r->flags & BL0937_I_STALE) ? 0.0f : r->current_a;
  device_tick(&a->dev, now_us, m.valid ? &m : NULL);
  if (trip_lock_locked(&a->trip_lock) && a->relay) { /* a button press or an automatic re-close: not now */
    (void)device_relay_set(&a->dev, 0, false, RELAY_CAUSE_PROTECTION);
    a->relay = device_relay_get(&a->dev, 0);
  }
  uint8_t mask;
  if (relay_save_due(&a->relay_save, now_us / 1000u, &mask) && a->store_ok) {
    (void)app_relay_save(&a->store, mask); /* same value: no flash write */
  }
}

/* ---- energy -------------------------------------------------------------------------------------------------- */

/* The meter counts pulses since boot; the energy module owns the lifetime total and its persistence. */
void dev_energy_account(app_t *a, uint64_t now_us) {
  uint64_t meter = a->reading.energy_uwh;
  if (meter > a->meter_seen_uwh) {
    energy_add_uwh(&a->energy, meter - a->meter_seen_uwh);
    a->meter_seen_uwh = meter;
  }
  if (now_us - a->energy_poll_us >= 1000000u) {
    a->energy_poll_us = now_us;
    (void)energy_poll(&a->energy, now_us);
  }
}

bool dev_energy_reset(app_t *a) { return energy_reset(&a->energy, hal_time_us64()) == STORE_OK; }

void dev_apply_gains(app_t *a) {
  bl0937_gains_t g = a->nominal;
  g.v_per_hz *= a->cfg.calibration.voltage_gain;
  g.a_per_hz *= a->cfg.calibration.current_gain;
  g.p_w_per_hz *= a->cfg.calibration.power_gain;
  bl0937_set_gains(&a->meter, &g);
}
