/* app_device.c — the main loop (see app_device.h): the protocol config mapped onto the device module
 * (relay power-on policy, button gestures, LED modes, protections: core/device), the meter, the lifetime
 * energy counter (core/energy), the config and relay records in the store, and the reboot. What a network
 * command does with them is app_exec.c's. */
#include "app/app_device.h"

#include <stdio.h>
#include <string.h>

#include "app/app_ident.h"
#include "app/app_persist.h"
#include "device/device.h"
#include "energy/energy.h"
#include "metering/bl0937.h"
#include "relaysave/relay_save.h"
#include "supervisor/supervisor.h"
#include "triplock/trip_lock.h"

#define METER_TICK_MS 10u
#define WATCHDOG_MS 8000u
#define STOP_WAIT_MS 1000u /* how long a reboot waits for the network loop's goodbye */

/* The main loop's state. Owner: the main loop; nothing else reads or writes it. */
static struct {
  store_t store;
  bool store_ok;
  supervisor_t sup;
  bool safe_mode;
  hal_reset_reason_t reset_reason;

  app_config_t cfg;
  bool cfg_loaded;

  device_t dev;
  bool dev_ok;
  uint8_t tripped;         /* app_trip_t */
  relay_save_t relay_save; /* the relay state waiting to be written (core/relaysave) */
  trip_lock_t trip_lock;   /* relay locked off after repeated trips (core/triplock) */

  bool metered; /* board has a meter and it runs */
  bl0937_t meter;
  bl0937_gains_t nominal;
  bl0937_reading_t reading;

  energy_t energy;
  uint64_t meter_seen_uwh; /* meter total already handed to the energy counter */
  uint64_t energy_poll_us;

  uint32_t generation;
  uint32_t config_rev; /* config changes applied since boot (§3 config_rev) */
  uint8_t led_net;
  uint32_t net_passes;   /* the network loop's pass count last seen */
  uint64_t reboot_at_ms; /* 0 = none */
  bool stopping;
  uint64_t stop_since_ms;
} d;

/* The old config while a new one is applied: static, off the main task's stack. Owner: dev_config_apply. */
static app_config_t s_old;
static app_view_t s_view;

static void changed(void) { d.generation++; }

static void publish_view(void) {
  app_view_t *v = &s_view;
  v->generation = d.generation;
  v->dev_ok = d.dev_ok;
  v->metered = d.metered;
  v->safe_mode = d.safe_mode;
  v->store_ok = d.store_ok;
  v->relay = d.dev_ok && device_relay_get(&d.dev, 0);
  v->relay_pending_on = false;
  v->relay_pending = d.dev_ok && device_relay_pending(&d.dev, 0, &v->relay_pending_on);
  v->tripped = d.tripped;
  v->lockout = trip_lock_locked(&d.trip_lock);
  v->config_rev = d.config_rev;
  v->power_w = d.reading.power_w;
  v->voltage_v = d.reading.voltage_v;
  v->current_a = d.reading.current_a;
  v->meter_flags = d.reading.flags;
  v->load_connected = d.reading.load_connected;
  uint64_t wh = 0;
  v->energy_unknown = !energy_wh(&d.energy, &wh); /* store unreadable: null, never a cached 0 (§3) */
  v->energy_wh = v->energy_unknown ? 0 : wh;
  v->reset_reason = d.reset_reason;
  v->cfg = d.cfg;
  app_link_publish(v);
}

/* ---- storage ------------------------------------------------------------------------------------------ */

static void mount_store(void) {
  hal_partition_info_t pi;
  d.store_ok = false;
  if (hal_flash_info(HAL_PART_SETTINGS, &pi) != HAL_OK || pi.size < 2u * HAL_FLASH_SECTOR) {
    hal_log(HAL_LOG_ERROR, "app", "no settings partition: nothing will persist");
    return;
  }
  uint32_t size = pi.size < APP_STORE_SIZE ? pi.size - pi.size % HAL_FLASH_SECTOR : APP_STORE_SIZE;
  store_err_t e = store_mount(&d.store, HAL_PART_SETTINGS, 0, size);
  if (e != STORE_OK) {
    hal_log(HAL_LOG_ERROR, "app", "settings store mount failed (%d): running on defaults", (int)e);
    return;
  }
  d.store_ok = true;
}

/* The records themselves (config JSON, relay mask) are app_persist.c's, shared with the power-cut sweep. */
static void load_config(const char *hostname) {
  d.cfg_loaded = false;
  if (!d.store_ok) {
    app_config_defaults(&d.cfg, hostname);
    return;
  }
  store_err_t e = app_config_load(&d.store, &d.cfg, hostname);
  if (e != STORE_OK && e != STORE_ERR_NOT_FOUND) {
    hal_log(HAL_LOG_ERROR, "app", "stored config unreadable (%d): defaults", (int)e);
  }
  d.cfg_loaded = e == STORE_OK;
}

static bool save_config(void) { return d.store_ok && app_config_save(&d.store, &d.cfg) == STORE_OK; }

/* ---- device: relay, button, LED, protections ------------------------------------------------------------ */

static void device_config_from(const app_config_t *c, device_config_t *dc) {
  device_config_default(dc);
  static const led_mode_t led[] = {LED_MODE_RELAY, LED_MODE_INVERTED, LED_MODE_OFF, LED_MODE_NETWORK};
  dc->power_on = app_config_power_on(c);
  dc->led_mode = led[c->led < 4 ? c->led : APP_LED_RELAY];
  dc->button_enabled = c->button.enabled;
  dc->button.multi_press = c->button.double_press;
  dc->button.long_press_ms = c->button.long_press_ms;
  dc->button.very_long_ms = (uint32_t)c->button.setup_hold_s * 1000u;
  dc->protect.max_power_w = c->protection.max_power_w;
  dc->protect.max_current_a = c->protection.max_current_a;
  dc->protect.hold_ms = (uint32_t)c->protection.hold_s * 1000u;
  dc->protect.window_ms = (uint32_t)c->protection.reclose_s * 1000u;
}

static app_event_t button_event(button_event_type_t t) {
  switch (t) {
    case BUTTON_EV_SINGLE: return APP_EV_BUTTON_SINGLE;
    case BUTTON_EV_DOUBLE: return APP_EV_BUTTON_DOUBLE;
    case BUTTON_EV_LONG: return APP_EV_BUTTON_LONG;
    case BUTTON_EV_VERY_LONG: return APP_EV_BUTTON_VERY_LONG;
    default: return APP_EV_NONE; /* raw press/release, multi, setup-ready, stuck: not protocol events */
  }
}

static void on_device_event(void *ctx, const device_event_t *ev) {
  (void)ctx;
  switch (ev->type) {
    case DEVICE_EV_RELAY:
      if (ev->index != 0) break;
      /* coalesced (core/relaysave): a burst of changes is one record, 2 s after the last one */
      relay_save_changed(&d.relay_save, device_relay_mask(&d.dev), app_now_ms());
      changed();
      break;
    case DEVICE_EV_BUTTON: {
      app_event_t e = button_event(ev->button.type);
      if (e != APP_EV_NONE) app_link_post(e);
      break;
    }
    case DEVICE_EV_SETUP_REQUEST: app_link_post(APP_EV_SETUP_REQUEST); break;
    case DEVICE_EV_PROTECTION:
      d.tripped = ev->reason == PROTECT_OVERPOWER     ? APP_TRIP_OVERPOWER
                  : ev->reason == PROTECT_OVERCURRENT ? APP_TRIP_OVERCURRENT
                                                      : APP_TRIP_NONE;
      if (d.tripped != APP_TRIP_NONE && trip_lock_trip(&d.trip_lock, app_now_ms())) {
        hal_log(HAL_LOG_WARN, "app", "protection: %u trips in a row, relay locked off until cleared",
                (unsigned)TRIP_LOCK_COUNT);
      }
      if (d.tripped != APP_TRIP_NONE) {
        hal_log(HAL_LOG_WARN, "app", "protection: %s at %.2f, relay off", app_trip_name(d.tripped), (double)ev->value);
      }
      changed();
      break;
    default: break;
  }
}

/* Relay first: device_init drives the relay pin to its power-on state before anything else. */
static bool init_device(const board_profile_t *board) {
  device_config_t dc;
  device_config_from(&d.cfg, &dc);
  device_boot_t boot = {.saved_valid = false, .saved_mask = 0, .reset = d.reset_reason};
  if (d.store_ok) boot.saved_valid = app_relay_load(&d.store, &boot.saved_mask);
  if (device_init(&d.dev, board, &dc, &boot, on_device_event, NULL, hal_time_us64()) != HAL_OK) {
    hal_log(HAL_LOG_ERROR, "app", "board profile %s is invalid: no relay control", board->name);
    return false;
  }
  return true;
}

/* The config's gains are relative to the board's nominal ones (§4 calibration). */
static void apply_gains(void) {
  if (!d.metered) return;
  bl0937_gains_t g = d.nominal;
  g.v_per_hz *= d.cfg.calibration.voltage_gain;
  g.a_per_hz *= d.cfg.calibration.current_gain;
  g.p_w_per_hz *= d.cfg.calibration.power_gain;
  bl0937_set_gains(&d.meter, &g);
}

static void init_metering(const board_profile_t *b) {
  if (!b->bl0937.present) return;
  bl0937_config_t mc;
  bl0937_default_config(&mc);
  mc.sel_high_is_voltage = b->bl0937.sel_high_is_voltage;
  d.nominal = mc.gains;
  bl0937_init(&d.meter, &mc, hal_time_us64());
  d.metered = true;
  apply_gains();
  (void)hal_gpio_input(b->bl0937.cf, HAL_PULL_NONE);
  (void)hal_gpio_input(b->bl0937.cf1, HAL_PULL_NONE);
  (void)hal_gpio_output(b->bl0937.sel, false);
  (void)hal_gpio_set_edge_handler(b->bl0937.cf, HAL_EDGE_FALLING, bl0937_isr_cf, &d.meter);
  (void)hal_gpio_set_edge_handler(b->bl0937.cf1, HAL_EDGE_FALLING, bl0937_isr_cf1, &d.meter);
}

/* Boot overrides from the port (the simulated plug's command line), persisted like a user change. */
static void boot_overrides(const app_options_t *o) {
  bool dirty = false;
  if (o->mqtt_host && o->mqtt_host[0]) {
    app_config_t *c = &d.cfg;
    c->mqtt.enabled = true;
    snprintf(c->mqtt.host, sizeof(c->mqtt.host), "%s", o->mqtt_host);
    c->mqtt.port = o->mqtt_port ? o->mqtt_port : 1883;
    snprintf(c->mqtt.user, sizeof(c->mqtt.user), "%s", o->mqtt_user ? o->mqtt_user : "");
    snprintf(c->mqtt.password, sizeof(c->mqtt.password), "%s", o->mqtt_password ? o->mqtt_password : "");
    dirty = true;
  }
  if (d.cfg.wifi.ssid[0] == '\0' && o->default_ssid && !d.cfg_loaded) {
    snprintf(d.cfg.wifi.ssid, sizeof(d.cfg.wifi.ssid), "%s", o->default_ssid);
    dirty = true;
  }
  if (dirty) (void)save_config();
}

void dev_boot(void) {
  const app_ident_t *id = app_ident();
  uint64_t now_us = hal_time_us64();
  memset(&d, 0, sizeof(d));
  /* Relay first: its power-on policy needs the config, the saved relay state and the reset reason, so the
   * store and the supervisor's boot record come before it, and nothing slow (network, metering) does. */
  mount_store();
  if (d.store_ok) {
    (void)supervisor_boot(&d.sup, &d.store, NULL, now_us); /* also starts the hardware watchdog */
    d.reset_reason = d.sup.reset_reason;
    d.safe_mode = supervisor_safe_mode(&d.sup);
  } else {
    d.reset_reason = hal_reset_reason();
    (void)hal_watchdog_start(WATCHDOG_MS);
  }
  load_config(id->hostname);
  d.dev_ok = init_device(&id->board);
  /* Safe mode keeps what protects and what reaches the plug: metering, protections, network, OTA. */
  if (d.safe_mode) hal_log(HAL_LOG_ERROR, "app", "safe mode after repeated failed boots (relay protected)");
  init_metering(&id->board);
  if (d.store_ok && energy_init(&d.energy, &d.store, now_us) != STORE_OK) {
    hal_log(HAL_LOG_ERROR, "app", "energy total unreadable: retrying");
  }
  boot_overrides(&id->opt);
  d.led_net = LED_NET_OFFLINE; /* the device starts so; the network loop says when that changes */
  publish_view();
  hal_log(HAL_LOG_INFO, "app", "%s up: relay %s, reset reason %d, config %s", id->hostname,
          d.dev_ok && device_relay_get(&d.dev, 0) ? "on" : "off", (int)d.reset_reason,
          d.cfg_loaded ? "loaded" : "defaults");
}

store_t *dev_store(void) { return d.store_ok ? &d.store : NULL; }

void dev_show_ota_key(const char *hex) {
  snprintf(d.cfg.ota_public_key, sizeof(d.cfg.ota_public_key), "%s", hex);
  publish_view();
}
const app_config_t *dev_config(void) { return &d.cfg; }

/* ---- what commands may do (app_exec.c, in the main loop) --------------------------------------------- */

/* Persists first (the answer promises it is on flash), then acts on the device. The network half (Wi-Fi,
 * broker, reporting, OTA key) follows the published view. */
bool dev_config_apply(const app_config_t *next) {
  app_config_t *old = &s_old;
  *old = d.cfg;
  d.cfg = *next;
  if (d.store_ok && !save_config()) {
    d.cfg = *old;
    return false;
  }
  if (memcmp(&old->calibration, &next->calibration, sizeof(old->calibration)) != 0) apply_gains();
  if (d.dev_ok) {
    device_config_t dc;
    device_config_from(&d.cfg, &dc);
    device_set_config(&d.dev, &dc);
  }
  /* every path that changes the config comes here (PATCH, MQTT, setup form, calibration, the OTA key
   * confirmed on the button); a patch that changed nothing is not announced */
  if (memcmp(old, next, sizeof(*old)) != 0) d.config_rev++;
  changed(); /* the state (with config_rev) goes out at once, like a relay change */
  return true;
}

bool dev_relay_usable(void) { return d.dev_ok; }
bool dev_relay(void) { return d.dev_ok && device_relay_get(&d.dev, 0); }

bool dev_relay_target(void) {
  bool on = dev_relay();
  if (d.dev_ok) (void)device_relay_pending(&d.dev, 0, &on);
  return on;
}

void dev_relay_command(bool on) {
  /* inside the relay's minimum interval this only sets the pending state (core/device) */
  (void)device_relay_set(&d.dev, 0, on, RELAY_CAUSE_COMMAND); /* a command also clears a trip */
  changed(); /* also when unchanged: a command may have cleared a trip or set the pending state */
}

bool dev_locked_out(void) { return trip_lock_locked(&d.trip_lock); }

void dev_clear_lockout(void) {
  trip_lock_clear(&d.trip_lock);
  changed();
}

void dev_identify(uint32_t ms) {
  if (d.dev_ok) device_identify(&d.dev, ms);
}

bool dev_energy_reset(void) {
  if (energy_reset(&d.energy, hal_time_us64()) != STORE_OK) return false;
  changed();
  return true;
}

const bl0937_reading_t *dev_reading(void) { return d.metered ? &d.reading : NULL; }

bool dev_calibrated_gain(bl0937_quantity_t qty, float ref, float *gain) {
  if (!d.metered) return false;
  bl0937_gains_t before, after;
  bl0937_get_gains(&d.meter, &before);
  if (!bl0937_calibrate(&d.meter, qty, ref)) return false;
  bl0937_get_gains(&d.meter, &after);
  bl0937_set_gains(&d.meter, &before);
  switch (qty) {
    case BL0937_POWER: *gain = after.p_w_per_hz / d.nominal.p_w_per_hz; break;
    case BL0937_VOLTAGE: *gain = after.v_per_hz / d.nominal.v_per_hz; break;
    default: *gain = after.a_per_hz / d.nominal.a_per_hz; break;
  }
  return true;
}

bool dev_leave_safe_mode(void) {
  return !(d.safe_mode && d.store_ok) || supervisor_leave_safe_mode(&d.sup) == STORE_OK;
}

void dev_reboot_in(uint32_t ms) { d.reboot_at_ms = app_now_ms() + ms; }

void dev_publish(void) { publish_view(); }

/* ---- the main loop --------------------------------------------------------------------------------------- */

static void tick_device(uint64_t now_us) {
  device_metering_t m;
  m.valid = d.metered;
  m.power_w = d.reading.power_w;
  m.current_a = (d.reading.flags & BL0937_I_STALE) ? 0.0f : d.reading.current_a;
  device_tick(&d.dev, now_us, m.valid ? &m : NULL);
  if (trip_lock_locked(&d.trip_lock) && device_relay_get(&d.dev, 0)) { /* a button press or a re-close: not now */
    (void)device_relay_set(&d.dev, 0, false, RELAY_CAUSE_PROTECTION);
  }
  uint8_t mask;
  if (relay_save_due(&d.relay_save, now_us / 1000u, &mask) && d.store_ok) {
    (void)app_relay_save(&d.store, mask); /* same value: no flash write */
  }
  uint8_t ln = app_link_net_led();
  if (ln != d.led_net) {
    d.led_net = ln;
    device_set_network(&d.dev, (led_net_t)ln);
  }
}

/* The meter counts pulses since boot; the energy module owns the lifetime total and its persistence. */
static void account_energy(uint64_t now_us) {
  uint64_t meter = d.reading.energy_uwh;
  if (meter > d.meter_seen_uwh) {
    energy_add_uwh(&d.energy, meter - d.meter_seen_uwh);
    d.meter_seen_uwh = meter;
  }
  if (now_us - d.energy_poll_us >= 1000000u) {
    d.energy_poll_us = now_us;
    (void)energy_poll(&d.energy, now_us);
  }
}

/* A reboot asks the network loop for its goodbye (MQTT offline, sockets closed) and goes when it is said
 * or after STOP_WAIT_MS: the main loop keeps its tick meanwhile. */
static void reboot_step(uint64_t now) {
  if (!d.stopping) {
    if (d.reboot_at_ms == 0 || now < d.reboot_at_ms) return;
    hal_log(HAL_LOG_INFO, "app", "%s rebooting", app_ident()->hostname);
    d.stopping = true;
    d.stop_since_ms = now;
    app_link_request_stop();
    return;
  }
  if (!app_link_stopped() && now - d.stop_since_ms < STOP_WAIT_MS) return;
  if (d.store_ok) (void)supervisor_prepare_reboot(&d.sup); /* a controlled reboot is not a bad boot */
  dev_shutdown();
  hal_reboot();
}

uint32_t dev_main_poll(void) {
  uint64_t now_us = hal_time_us64();
  uint64_t now = now_us / 1000u;
  if (d.metered) { /* the meter itself is only ever touched here (its ISRs only fill rings) */
    bl0937_set_load_connected(&d.meter, d.dev_ok && device_relay_get(&d.dev, 0));
    bool sel = bl0937_tick(&d.meter, now_us, &d.reading);
    (void)hal_gpio_write(app_ident()->board.bl0937.sel, sel);
  }
  if (!app_link_store_try()) return 1; /* the network loop writes the OTA record: the rest in 1 ms */
  if (d.store_ok) {
    supervisor_checkin(&d.sup, SUP_TASK_MAIN);
    uint32_t np = app_link_net_passes(); /* the network loop checks in by counting its passes */
    if (np != d.net_passes) {
      d.net_passes = np;
      supervisor_checkin(&d.sup, SUP_TASK_NET);
    }
    supervisor_poll(&d.sup, now_us); /* feeds the watchdog only while both loops check in */
  } else {
    hal_watchdog_feed();
  }
  app_link_serve();
  if (d.dev_ok) tick_device(now_us);
  if (d.store_ok) account_energy(now_us);
  reboot_step(now);
  publish_view();
  app_link_store_release();
  return METER_TICK_MS;
}

void dev_shutdown(void) {
  uint8_t mask; /* a planned reboot / OTA switch / quit keeps the last relay state */
  if (relay_save_flush(&d.relay_save, &mask) && d.store_ok) (void)app_relay_save(&d.store, mask);
  if (d.store_ok) (void)energy_flush(&d.energy, hal_time_us64());
}
