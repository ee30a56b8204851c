/* app_device.c — the plug's hardware behaviour as the protocol promises it: relay with startup policy and
 * persisted state, LED modes, button gestures, over-power/over-current protection, and persistence of
 * config, relay and energy in the record store (store/store.h). */
#include <stdio.h>
#include <string.h>

#include "app/app_priv.h"

#define DEBOUNCE_MS 30u
#define DOUBLE_WINDOW_MS 400u
#define ENERGY_PERSIST_MIN_MS 60000u /* flash wear: at most one energy record a minute while it grows */
#define SETUP_TIMEOUT_MS (10u * 60u * 1000u)

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

void dev_load_config(app_t *a) {
  app_config_defaults(&a->cfg, a->hostname);
  a->cfg_loaded = false;
  if (!a->store_ok) return;
  static char buf[STORE_MAX_VALUE];
  size_t n = 0;
  store_err_t e = store_get(&a->store, STORE_KEY_SETTINGS, buf, sizeof(buf), &n);
  if (e == STORE_ERR_NOT_FOUND) return;
  app_errors_t errs;
  app_config_t c = a->cfg;
  if (e != STORE_OK || !app_config_patch(&c, buf, n, APP_SRC_HTTP, &errs)) {
    /* a config this firmware cannot read (newer firmware's, or damaged): keep defaults, say why */
    hal_log(HAL_LOG_ERROR, "app", "stored config unreadable (%d, %s %s): defaults", (int)e,
            e == STORE_OK ? errs.e[0].field : "", e == STORE_OK ? errs.e[0].message : "");
    return;
  }
  a->cfg = c;
  a->cfg_loaded = true;
}

bool dev_save_config(app_t *a) {
  if (!a->store_ok) return false;
  static char buf[STORE_MAX_VALUE];
  jsonw_t w;
  jsonw_init(&w, buf, sizeof(buf));
  app_config_write_persist(&a->cfg, &w);
  int32_t n = jsonw_finish(&w);
  if (n < 0) return false;
  return store_put(&a->store, STORE_KEY_SETTINGS, buf, (size_t)n) == STORE_OK;
}

/* ---- relay -------------------------------------------------------------------------------------------- */

static void relay_drive(app_t *a, bool on) {
  for (uint8_t i = 0; i < a->board.relay_count; i++) {
    const board_relay_t *r = &a->board.relays[i];
    (void)hal_gpio_write(r->pin, on != r->active_low);
  }
}

static void relay_persist(app_t *a) {
  if (!a->store_ok) return;
  uint8_t v = a->relay ? 1 : 0;
  (void)store_put(&a->store, STORE_KEY_RELAY, &v, 1); /* same value: no flash write */
}

void dev_relay_boot(app_t *a) {
  bool last = false;
  if (a->store_ok) {
    uint8_t v = 0;
    size_t n = 0;
    if (store_get(&a->store, STORE_KEY_RELAY, &v, 1, &n) == STORE_OK && n == 1) last = v != 0;
  }
  bool on = false;
  switch (a->cfg.startup) {
    case APP_STARTUP_ON: on = true; break;
    case APP_STARTUP_RESTORE: on = last; break;
    case APP_STARTUP_TOGGLE: on = !last; break;
    default: on = false; break;
  }
  for (uint8_t i = 0; i < a->board.relay_count; i++) {
    const board_relay_t *r = &a->board.relays[i];
    (void)hal_gpio_output(r->pin, on != r->active_low);
  }
  a->relay = on;
  relay_persist(a);
}

void dev_relay_set(app_t *a, bool on, bool by_user) {
  if (on && by_user) {
    a->tripped = APP_TRIP_NONE; /* §3: switching on clears a trip */
    a->over_since_ms = 0;
  }
  if (a->relay == on) return;
  a->relay = on;
  relay_drive(a, on);
  relay_persist(a);
}

/* ---- LED ---------------------------------------------------------------------------------------------- */

void dev_led_update(app_t *a, uint64_t now_ms) {
  bool lit;
  if (a->identify_until_ms > now_ms) {
    lit = (now_ms / 125u) % 2u == 0; /* 4 Hz */
  } else if (a->setup_mode) {
    lit = (now_ms / 250u) % 2u == 0; /* 2 Hz, §9 */
  } else {
    switch (a->cfg.led) {
      case APP_LED_INVERTED: lit = !a->relay; break;
      case APP_LED_OFF: lit = false; break;
      default: lit = a->relay; break;
    }
  }
  for (uint8_t i = 0; i < a->board.led_count; i++) {
    const board_led_t *l = &a->board.leds[i];
    bool level = lit;
    if (l->kind == BOARD_LED_STATUS && a->identify_until_ms <= now_ms && !a->setup_mode) {
      level = a->wifi_state != HAL_WIFI_CONNECTED && (now_ms / 500u) % 2u == 0;
    }
    (void)hal_gpio_write(l->pin, level != l->active_low);
  }
}

/* ---- button: gestures from the debounced level ---------------------------------------------------------- */

app_button_action_t dev_button_poll(app_t *a, uint64_t now_ms) {
  if (a->board.button_count == 0) return BTN_NONE;
  const board_button_t *b = &a->board.buttons[0];
  bool raw = hal_gpio_read(b->pin) == b->active_high;
  if (raw != a->btn_raw_last) {
    a->btn_raw_last = raw;
    a->btn_change_ms = now_ms;
  }
  app_button_action_t act = BTN_NONE;
  if (raw != a->btn_down && now_ms - a->btn_change_ms >= DEBOUNCE_MS) {
    a->btn_down = raw;
    if (raw) {
      a->btn_down_ms = now_ms;
      a->btn_long_sent = a->btn_very_long_sent = false;
    } else {
      uint64_t held = now_ms - a->btn_down_ms;
      if (held < a->cfg.button.long_press_ms) {
        a->btn_clicks++;
        a->btn_first_release_ms = now_ms;
        if (!a->cfg.button.double_press) {
          a->btn_clicks = 0;
          act = BTN_SINGLE;
        } else if (a->btn_clicks >= 2) {
          a->btn_clicks = 0;
          act = BTN_DOUBLE;
        }
      }
    }
  }
  if (a->btn_down) {
    uint64_t held = now_ms - a->btn_down_ms;
    if (!a->btn_long_sent && held >= a->cfg.button.long_press_ms) {
      a->btn_long_sent = true;
      a->btn_clicks = 0;
      act = BTN_LONG;
    } else if (!a->btn_very_long_sent && held >= (uint64_t)a->cfg.button.setup_hold_s * 1000u) {
      a->btn_very_long_sent = true;
      act = BTN_VERY_LONG;
    }
  } else if (a->btn_clicks == 1 && now_ms - a->btn_first_release_ms >= DOUBLE_WINDOW_MS) {
    a->btn_clicks = 0;
    act = BTN_SINGLE;
  }
  return act;
}

/* ---- protection ------------------------------------------------------------------------------------------- */

void dev_protection_poll(app_t *a, uint64_t now_ms) {
  const app_config_t *c = &a->cfg;
  uint8_t over = APP_TRIP_NONE;
  if (a->relay) {
    if (c->protection.max_power_w > 0.0f && a->reading.power_w > c->protection.max_power_w) {
      over = APP_TRIP_OVERPOWER;
    } else if (c->protection.max_current_a > 0.0f && a->reading.current_a > c->protection.max_current_a) {
      over = APP_TRIP_OVERCURRENT;
    }
  }
  if (over == APP_TRIP_NONE) {
    a->over_since_ms = 0;
  } else if (a->over_since_ms == 0) {
    a->over_since_ms = now_ms;
  } else if (now_ms - a->over_since_ms >= (uint64_t)c->protection.hold_s * 1000u) {
    hal_log(HAL_LOG_WARN, "app", "protection: %s at %.1f W / %.3f A, relay off", app_trip_name(over),
            (double)a->reading.power_w, (double)a->reading.current_a);
    dev_relay_set(a, false, false);
    /* a trip within 60 s of an automatic re-close stays open (no re-close loop on a real fault) */
    bool repeat = a->reclosed_ms != 0 && now_ms - a->reclosed_ms < 60000u;
    a->tripped = over;
    a->tripped_ms = repeat ? 0 : now_ms;
    a->over_since_ms = 0;
    ops_state_changed(a);
  }
  if (a->tripped != APP_TRIP_NONE && !a->relay && c->protection.reclose_s > 0 && a->tripped_ms != 0 &&
      now_ms - a->tripped_ms >= (uint64_t)c->protection.reclose_s * 1000u) {
    a->tripped = APP_TRIP_NONE;
    a->reclosed_ms = now_ms;
    dev_relay_set(a, true, false);
    ops_state_changed(a);
  }
}

/* ---- energy ------------------------------------------------------------------------------------------------ */

uint64_t dev_energy_wh(const app_t *a) {
  return bl0937_energy_uwh(&a->meter) / 1000000u;
}

void dev_energy_persist(app_t *a, uint64_t now_ms, bool force) {
  if (!a->store_ok) return;
  uint64_t wh = dev_energy_wh(a);
  if (wh == a->energy_saved_wh && !force) return;
  if (!force && now_ms - a->energy_saved_ms < ENERGY_PERSIST_MIN_MS) return;
  uint64_t uwh = bl0937_energy_uwh(&a->meter);
  if (store_put(&a->store, STORE_KEY_ENERGY, &uwh, sizeof(uwh)) == STORE_OK) {
    a->energy_saved_wh = wh;
    a->energy_saved_ms = now_ms;
  }
}

void dev_energy_reset(app_t *a) {
  bl0937_set_energy_uwh(&a->meter, 0);
  a->energy_saved_wh = 0;
  dev_energy_persist(a, app_now_ms(), true);
}

void dev_apply_gains(app_t *a) {
  bl0937_gains_t g = a->nominal;
  g.v_per_hz *= a->cfg.calibration.voltage_gain;
  g.a_per_hz *= a->cfg.calibration.current_gain;
  g.p_w_per_hz *= a->cfg.calibration.power_gain;
  bl0937_set_gains(&a->meter, &g);
}
