/* app_exec.c — what a command does (see app_exec.h). Runs in the main loop; touches the device only
 * through app_device.h. */
#include "app/app_exec.h"

#include <stdio.h>
#include <string.h>

#include "app/app_device.h"
#include "app/app_ident.h"

/* The config a command builds: static, off the main task's stack. Owner: exec_call(). */
static app_config_t s_next;

static void write_gains(const app_config_t *c, jsonw_t *w) {
  jsonw_obj_begin(w);
  jsonw_kfloat(w, "voltage_gain", c->calibration.voltage_gain, 4);
  jsonw_kfloat(w, "current_gain", c->calibration.current_gain, 4);
  jsonw_kfloat(w, "power_gain", c->calibration.power_gain, 4);
  jsonw_obj_end(w);
}

static void ok_body(jsonw_t *w) {
  jsonw_obj_begin(w);
  jsonw_kbool(w, "ok", true);
  jsonw_obj_end(w);
}

/* A reference reading sets a gain so the meter reads the reference: the app checks the reading is usable
 * (relay on, fresh, big enough) and the result plausible (0.5..2.0 of nominal); the meter does the maths. */
static int calibrate(const app_cmd_t *c, app_errors_t *errs) {
  app_config_t *next = &s_next;
  *next = *dev_config();
  if (c->cal_reset) {
    next->calibration.voltage_gain = next->calibration.current_gain = next->calibration.power_gain = 1.0f;
    return dev_config_apply(next) ? 200 : (app_errors_add(errs, "conflict", NULL, "flash write failed"), 409);
  }
  if (!app_ident()->board.bl0937.present) {
    app_errors_add(errs, "conflict", NULL, "this board has no energy meter");
    return 409;
  }
  static const bl0937_reading_t none; /* safe mode: no meter runs */
  const bl0937_reading_t *r = dev_reading() ? dev_reading() : &none;
  bool relay = dev_relay();
  struct {
    bool given;
    const char *field;
    float ref, measured, minimum;
    bool fresh;
    float *gain;
    bl0937_quantity_t qty;
  } q[3] = {
      {c->has_power, "power_w", c->ref_power_w, r->power_w, 5.0f, relay, &next->calibration.power_gain, BL0937_POWER},
      {c->has_voltage, "voltage_v", c->ref_voltage_v, r->voltage_v, 50.0f,
       (r->flags & BL0937_V_VALID) && !(r->flags & BL0937_V_STALE), &next->calibration.voltage_gain, BL0937_VOLTAGE},
      {c->has_current, "current_a", c->ref_current_a, r->current_a, 0.02f,
       relay && (r->flags & BL0937_I_VALID) && !(r->flags & BL0937_I_STALE), &next->calibration.current_gain,
       BL0937_CURRENT},
  };
  for (int k = 0; k < 3; k++) {
    if (!q[k].given) continue;
    if (!relay && k != 1) {
      app_errors_add(errs, "conflict", q[k].field, "switch the relay on with the reference load first");
      continue;
    }
    float g = 0.0f;
    if (!q[k].fresh || q[k].measured < q[k].minimum || !dev_calibrated_gain(q[k].qty, q[k].ref, &g)) {
      char m[80];
      snprintf(m, sizeof(m), "no usable reading (measured %.3f, need >= %.2f and fresh)", (double)q[k].measured,
               (double)q[k].minimum);
      app_errors_add(errs, "conflict", q[k].field, m);
      continue;
    }
    if (!(g >= 0.5f && g <= 2.0f)) {
      app_errors_add(errs, "out_of_range", q[k].field, "resulting gain outside 0.5..2.0: check the reference");
      continue;
    }
    *q[k].gain = g;
  }
  if (errs->count) return strcmp(errs->e[0].code, "conflict") == 0 ? 409 : 400;
  if (!dev_config_apply(next)) {
    app_errors_add(errs, "conflict", NULL, "flash write failed");
    return 409;
  }
  return 200;
}

/* A config patch (§5.5, §8.3) or the setup form (§9, which must name a Wi-Fi network). */
static int configure(const app_call_t *c, jsonw_t *w) {
  bool setup = c->cmd.kind == APP_CALL_SETUP;
  app_config_t *next = &s_next;
  *next = *dev_config();
  if (setup) next->wifi.ssid[0] = '\0';
  if (!c->change || !app_config_apply(next, c->change, c->src, c->errs)) return 400;
  /* The key only ever changes through the OTA manager's trust gate, which ran in the network loop. */
  snprintf(next->ota_public_key, sizeof(next->ota_public_key), "%s",
           c->ota_key ? c->ota_key : dev_config()->ota_public_key);
  if (setup && next->wifi.ssid[0] == '\0') {
    app_errors_add(c->errs, "required", "wifi.ssid", "choose a Wi-Fi network");
    return 400;
  }
  if (!dev_config_apply(next)) {
    app_errors_add(c->errs, "conflict", NULL,
                   setup ? "could not write the settings to flash" : "could not write the config to flash");
    return 409;
  }
  if (w && !setup) app_config_write(dev_config(), w);
  return 200;
}

static int run(app_call_t *c, jsonw_t *w) {
  const app_cmd_t *cmd = &c->cmd;
  app_errors_t *errs = c->errs;
  switch (cmd->kind) {
    case APP_CMD_RELAY:
      if (!dev_relay_usable()) {
        app_errors_add(errs, "conflict", NULL, "the board profile has no usable relay");
        return 409;
      }
      {
        /* a toggle flips the state the relay is heading for: a burst acts as if each had been applied */
        bool on = cmd->relay_op == APP_RELAY_TOGGLE ? !dev_relay_target() : cmd->relay_on;
        if (cmd->clear_lockout) dev_clear_lockout();
        if (on && dev_locked_out()) {
          app_errors_add(errs, "locked_out", NULL, "locked off after repeated protection trips: send clear_lockout");
          return 409;
        }
        dev_relay_command(on);
      }
      return 200; /* the answer (the state) is the network's document: app_link refreshed its view */
    case APP_CMD_CONFIG:
    case APP_CALL_SETUP: return configure(c, w);
    case APP_CMD_CALIBRATE: {
      int st = calibrate(cmd, errs);
      if (st == 200 && w) write_gains(dev_config(), w);
      return st;
    }
    case APP_CMD_ENERGY_RESET:
      if (!dev_energy_reset()) {
        app_errors_add(errs, "conflict", NULL, "the energy counter could not be written to flash");
        return 409;
      }
      if (w) {
        jsonw_obj_begin(w);
        jsonw_kuint(w, "energy_wh", 0);
        jsonw_obj_end(w);
      }
      return 200;
    case APP_CMD_IDENTIFY:
      dev_identify((uint32_t)cmd->identify_s * 1000u);
      if (w) ok_body(w);
      return 200;
    case APP_CMD_REBOOT:
      /* A user's reboot is how safe mode is left (§5.9): the next boot is a normal attempt. */
      if (!dev_leave_safe_mode()) {
        app_errors_add(errs, "conflict", NULL, "could not record leaving safe mode on flash");
        return 409;
      }
      dev_reboot_in(500u);
      if (w) ok_body(w);
      return 200;
    case APP_CALL_REBOOT_SOON: dev_reboot_in(1000u); return 200; /* time to send the answer and last events */
    case APP_CALL_OTA_KEY: {
      app_config_t *next = &s_next;
      *next = *dev_config();
      snprintf(next->ota_public_key, sizeof(next->ota_public_key), "%s",
               c->ota_key ? c->ota_key : dev_config()->ota_public_key);
      if (!dev_config_apply(next)) {
        app_errors_add(errs, "conflict", NULL, "could not write the config to flash");
        return 409;
      }
      return 200;
    }
    default: app_errors_add(errs, "not_found", NULL, "unknown command"); return 404;
  }
}

int exec_call(app_call_t *c) {
  jsonw_t w;
  if (c->out) jsonw_init(&w, c->out, c->out_cap);
  memset(c->errs, 0, sizeof(*c->errs));
  int st = run(c, c->out ? &w : NULL);
  c->out_len = c->out && st == 200 ? jsonw_finish(&w) : 0;
  dev_publish();
  return st;
}
