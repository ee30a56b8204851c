/* app_ops.c — what a command does, the same for HTTP and MQTT (docs/protocol.md §5, §8.3), and the state /
 * info documents both transports publish. */
#include <stdio.h>
#include <string.h>

#include "app/app_priv.h"

/* Config copies of the commands, static so that they stay off the calling task's stack. Owner: ops_run()
 * and ops_config_apply(), which one task at a time calls (see app.h). */
static app_config_t s_next, s_old;

void ops_state(app_t *a, app_state_t *s) {
  memset(s, 0, sizeof(*s));
  const bl0937_reading_t *r = &a->reading;
  s->relay = a->relay;
  /* relay open: no load current can flow, whatever the last pulses said (§3) */
  s->power_w = a->relay && r->load_connected ? r->power_w : 0.0f; /* just switched on: not measured yet */
  s->current_a = a->relay && r->load_connected ? r->current_a : 0.0f;
  s->voltage_v = (r->flags & BL0937_V_VALID) ? r->voltage_v : 0.0f;
  uint64_t wh = 0;
  s->energy_unknown = !energy_wh(&a->energy, &wh); /* store unreadable: null, never a cached 0 (§3) */
  s->energy_wh = s->energy_unknown ? 0 : wh;
  s->tripped = a->tripped;
  hal_wifi_status_t ws;
  hal_wifi_status(&ws);
  s->rssi_dbm = ws.state == HAL_WIFI_CONNECTED ? ws.rssi_dbm : 0;
  s->uptime_s = (app_now_ms() - a->boot_ms) / 1000u;
  s->reset_reason = supervisor_reset_reason_name(a->reset_reason);
  s->safe_mode = a->safe_mode;
  s->ota = a->ota;
  s->stale_voltage = (r->flags & BL0937_V_STALE) != 0 || !(r->flags & BL0937_V_VALID);
  s->stale_current = a->relay && r->power_w > 0.0f && ((r->flags & BL0937_I_STALE) != 0 || !(r->flags & BL0937_I_VALID));
}

void ops_info(app_t *a, app_info_t *i, bool for_mqtt) {
  memset(i, 0, sizeof(*i));
  snprintf(i->id, sizeof(i->id), "%s", a->id);
  snprintf(i->mac, sizeof(i->mac), "%s", a->mac);
  snprintf(i->hostname, sizeof(i->hostname), "%s", a->hostname);
  i->name = a->cfg.name;
  i->model = a->opt.model ? a->opt.model : "BL602 BL0937 plug";
  i->board = a->board.name;
  /* the id the OTA manager itself checks (not the pin-map name in "board"): a client can then refuse a
   * wrong-board image before uploading it (§2) */
  i->ota_board = a->ota_ready && a->ota_mgr.board_id[0] ? a->ota_mgr.board_id : NULL;
  i->fw = a->fw;
  i->auth = a->cfg.api_password[0] != '\0';
  i->setup_mode = a->setup_mode;
  i->caps = APP_CAP_RELAY | APP_CAP_IDENTIFY | APP_CAP_EVENTS | APP_CAP_PROTECTION | APP_CAP_MQTT;
  if (a->ota_ready) i->caps |= APP_CAP_OTA;
  if (a->board.bl0937.present) i->caps |= APP_CAP_METERING | APP_CAP_ENERGY | APP_CAP_CALIBRATION;
  if (a->board.led_count) i->caps |= APP_CAP_LED;
  if (a->board.button_count) i->caps |= APP_CAP_BUTTON;
  if (for_mqtt) {
    hal_wifi_status_t ws;
    hal_wifi_status(&ws);
    uint16_t port = a->opt.http_port ? a->opt.http_port : 80;
    if (a->opt.advertised_ip) {
      snprintf(i->http_url, sizeof(i->http_url), "http://%s:%u", a->opt.advertised_ip, (unsigned)port);
    } else {
      snprintf(i->http_url, sizeof(i->http_url), "http://%u.%u.%u.%u:%u", ws.ipv4[0], ws.ipv4[1], ws.ipv4[2],
               ws.ipv4[3], (unsigned)port);
    }
  }
}

int ops_state_json(app_t *a, char *buf, size_t cap) {
  app_state_t s;
  ops_state(a, &s);
  jsonw_t w;
  jsonw_init(&w, buf, cap);
  app_state_write(&s, &w);
  return (int)jsonw_finish(&w);
}

int ops_info_json(app_t *a, char *buf, size_t cap, bool for_mqtt) {
  app_info_t i;
  ops_info(a, &i, for_mqtt);
  jsonw_t w;
  jsonw_init(&w, buf, cap);
  app_info_write(&i, &w);
  return (int)jsonw_finish(&w);
}

void ops_snapshot(app_t *a, mqttdev_snapshot_t *out) {
  out->relay = a->relay;
  out->tripped = a->tripped;
  out->power_w = a->relay && a->reading.load_connected ? a->reading.power_w : 0.0f;
  out->generation = a->generation;
  out->settling = a->relay && (!a->reading.load_connected || (a->reading.flags & BL0937_P_SETTLING) != 0);
}

/* A new generation is a "meaningful change" for both reporters (MQTT and SSE), which compare snapshots.
 * (Not mqttdev_state_changed(): that defers the report to the next poll, after a command's result.) */
void ops_state_changed(app_t *a) {
  a->generation++;
}

/* Applies a validated config: persists it first (the answer promises it is on flash), then acts. */
bool ops_config_apply(app_t *a, const app_config_t *next) {
  app_config_t *old = &s_old;
  *old = a->cfg;
  a->cfg = *next;
  if (a->store_ok && !dev_save_config(a)) {
    a->cfg = *old;
    return false;
  }
  if (memcmp(&old->calibration, &next->calibration, sizeof(old->calibration)) != 0) dev_apply_gains(a);
  if (a->dev_ok) dev_apply_config(a);
  if (a->ota_ready && strcmp(old->ota_public_key, next->ota_public_key) != 0) ops_apply_ota_key(a);
  if (a->mqtt_inited) {
    a->mqtt.cfg.report.power_abs_w = next->report.power_delta_w;
    a->mqtt.cfg.report.power_rel = next->report.power_delta_pct / 100.0f;
    a->mqtt.cfg.report.min_interval_ms = (uint32_t)next->report.min_interval_s * 1000u;
    a->mqtt.cfg.report.heartbeat_ms = (uint32_t)next->report.heartbeat_s * 1000u;
  }
  bool info_changed = strcmp(old->name, next->name) != 0 || (old->api_password[0] != '\0') != (next->api_password[0] != '\0');
  bool mqtt_changed = memcmp(&old->mqtt, &next->mqtt, sizeof(old->mqtt)) != 0;
  bool wifi_changed = memcmp(&old->wifi, &next->wifi, sizeof(old->wifi)) != 0;
  if (wifi_changed && next->wifi.ssid[0]) (void)hal_wifi_connect(next->wifi.ssid, next->wifi.password);
  if (mqtt_changed && a->mqtt_inited) {
    mqttdev_broker_t b;
    memset(&b, 0, sizeof(b));
    if (next->mqtt.enabled) {
      snprintf(b.host, sizeof(b.host), "%s", next->mqtt.host);
      b.port = next->mqtt.port;
      snprintf(b.username, sizeof(b.username), "%s", next->mqtt.user);
      snprintf(b.password, sizeof(b.password), "%s", next->mqtt.password);
    }
    mqttdev_set_broker(&a->mqtt, &b, app_now_ms());
  }
  if (info_changed && a->mqtt_inited) mqttdev_info_changed(&a->mqtt);
  ops_state_changed(a);
  return true;
}

static void write_gains(app_t *a, jsonw_t *w) {
  jsonw_obj_begin(w);
  jsonw_kfloat(w, "voltage_gain", a->cfg.calibration.voltage_gain, 4);
  jsonw_kfloat(w, "current_gain", a->cfg.calibration.current_gain, 4);
  jsonw_kfloat(w, "power_gain", a->cfg.calibration.power_gain, 4);
  jsonw_obj_end(w);
}

static int calibrate(app_t *a, const app_cmd_t *c, app_errors_t *errs) {
  app_config_t *next = &s_next;
  *next = a->cfg;
  if (c->cal_reset) {
    next->calibration.voltage_gain = next->calibration.current_gain = next->calibration.power_gain = 1.0f;
    return ops_config_apply(a, next) ? 200 : (app_errors_add(errs, "conflict", NULL, "flash write failed"), 409);
  }
  if (!a->board.bl0937.present) {
    app_errors_add(errs, "conflict", NULL, "this board has no energy meter");
    return 409;
  }
  const bl0937_reading_t *r = &a->reading;
  struct {
    bool given;
    const char *field;
    float ref, measured, minimum;
    bool fresh;
    float *gain;
  } q[3] = {
      {c->has_power, "power_w", c->ref_power_w, r->power_w, 5.0f, a->relay, &next->calibration.power_gain},
      {c->has_voltage, "voltage_v", c->ref_voltage_v, r->voltage_v, 50.0f,
       (r->flags & BL0937_V_VALID) && !(r->flags & BL0937_V_STALE), &next->calibration.voltage_gain},
      {c->has_current, "current_a", c->ref_current_a, r->current_a, 0.02f,
       a->relay && (r->flags & BL0937_I_VALID) && !(r->flags & BL0937_I_STALE), &next->calibration.current_gain},
  };
  for (int k = 0; k < 3; k++) {
    if (!q[k].given) continue;
    if (!a->relay && k != 1) {
      app_errors_add(errs, "conflict", q[k].field, "switch the relay on with the reference load first");
      continue;
    }
    if (!q[k].fresh || q[k].measured < q[k].minimum) {
      char m[80];
      snprintf(m, sizeof(m), "no usable reading (measured %.3f, need >= %.2f and fresh)", (double)q[k].measured,
               (double)q[k].minimum);
      app_errors_add(errs, "conflict", q[k].field, m);
      continue;
    }
    float g = *q[k].gain * q[k].ref / q[k].measured;
    if (!(g >= 0.5f && g <= 2.0f)) {
      app_errors_add(errs, "out_of_range", q[k].field, "resulting gain outside 0.5..2.0: check the reference");
      continue;
    }
    *q[k].gain = g;
  }
  if (errs->count) return strcmp(errs->e[0].code, "conflict") == 0 ? 409 : 400;
  if (!ops_config_apply(a, next)) {
    app_errors_add(errs, "conflict", NULL, "flash write failed");
    return 409;
  }
  return 200;
}

int ops_run(app_t *a, const app_cmd_t *cmd, const char *body, size_t len, app_source_t src, app_errors_t *errs,
            jsonw_t *w) {
  uint64_t now = app_now_ms();
  switch (cmd->kind) {
    case APP_CMD_RELAY: {
      if (!a->dev_ok) {
        app_errors_add(errs, "conflict", NULL, "the board profile has no usable relay");
        return 409;
      }
      bool on = cmd->relay_op == APP_RELAY_TOGGLE ? !a->relay : cmd->relay_on;
      dev_relay_set(a, on);
      ops_state_changed(a); /* also when unchanged: a command may have cleared a trip */
      if (w) {
        app_state_t s;
        ops_state(a, &s);
        app_state_write(&s, w);
      }
      return 200;
    }
    case APP_CMD_CONFIG: {
      app_config_t *next = &s_next;
      *next = a->cfg;
      if (!app_config_patch(next, body, len, src, errs)) return 400;
      const char *kc, *km; /* the OTA key: trusted on first use, then password + button (ota.h) */
      int kst = ota_key_gate(&a->ota_mgr, next->ota_public_key, a->cfg.api_password[0] != '\0', a->setup_mode,
                             hal_time_us64(), &kc, &km);
      if (kst != 200) {
        app_errors_add(errs, kc, "ota_public_key", km);
        return kst;
      }
      if (!ops_config_apply(a, next)) {
        app_errors_add(errs, "conflict", NULL, "could not write the config to flash");
        return 409;
      }
      if (w) app_config_write(&a->cfg, w);
      return 200;
    }
    case APP_CMD_CALIBRATE: {
      int st = calibrate(a, cmd, errs);
      if (st == 200 && w) write_gains(a, w);
      return st;
    }
    case APP_CMD_ENERGY_RESET:
      if (!dev_energy_reset(a)) {
        app_errors_add(errs, "conflict", NULL, "the energy counter could not be written to flash");
        return 409;
      }
      ops_state_changed(a);
      if (w) {
        jsonw_obj_begin(w);
        jsonw_kuint(w, "energy_wh", 0);
        jsonw_obj_end(w);
      }
      return 200;
    case APP_CMD_IDENTIFY:
      if (a->dev_ok) device_identify(&a->dev, (uint32_t)cmd->identify_s * 1000u);
      if (w) {
        jsonw_obj_begin(w);
        jsonw_kbool(w, "ok", true);
        jsonw_obj_end(w);
      }
      return 200;
    case APP_CMD_REBOOT:
      /* A user's reboot is how safe mode is left (§5.9): the next boot is a normal attempt. */
      if (a->safe_mode && a->store_ok && supervisor_leave_safe_mode(&a->sup) != STORE_OK) {
        app_errors_add(errs, "conflict", NULL, "could not record leaving safe mode on flash");
        return 409;
      }
      a->reboot_at_ms = now + 500u;
      if (w) {
        jsonw_obj_begin(w);
        jsonw_kbool(w, "ok", true);
        jsonw_obj_end(w);
      }
      return 200;
    default:
      app_errors_add(errs, "not_found", NULL, "unknown command");
      return 404;
  }
}

void ops_button_event(app_t *a, const char *action) {
  char sse[48], mq[80];
  int n = snprintf(sse, sizeof(sse), "{\"action\":\"%s\"}", action);
  http_sse_broadcast(&a->http, "button", sse, (size_t)n);
  int m = snprintf(mq, sizeof(mq), "{\"type\":\"button\",\"action\":\"%s\"}", action);
  if (a->mqtt_inited) (void)mqttdev_publish_event(&a->mqtt, mq, (size_t)m, app_now_ms());
}

void ops_ota_event(app_t *a) {
  char buf[256];
  jsonw_t w;
  jsonw_init(&w, buf, sizeof(buf));
  app_ota_write(&a->ota, &w);
  int32_t n = jsonw_finish(&w);
  if (n < 0) return;
  http_sse_broadcast(&a->http, "ota", buf, (size_t)n);
  if (a->mqtt_inited) {
    char mq[300];
    int m = snprintf(mq, sizeof(mq), "{\"type\":\"ota\",%s", buf + 1);
    if (m > 0 && (size_t)m < sizeof(mq)) (void)mqttdev_publish_event(&a->mqtt, mq, (size_t)m, app_now_ms());
  }
  if (a->ota.state != a->last_ota_state) {
    a->last_ota_state = a->ota.state;
    ops_state_changed(a); /* ota.state is part of the state: a reportable change */
  }
}

void ops_ota_refresh(app_t *a, bool force_event) {
  if (!a->ota_ready) return;
  ota_status_t st;
  ota_status(&a->ota_mgr, &st);
  uint8_t old_state = a->ota.state;
  a->ota.state = (uint8_t)st.state;
  a->ota.progress = st.progress;
  a->ota.bytes = st.bytes;
  a->ota.total = st.total;
  a->ota.rollback = st.rollback < 0 ? 0 : st.rollback ? 1 : 2;
  snprintf(a->ota.error, sizeof(a->ota.error), "%s", st.state == OTA_FAILED ? ota_err_code(st.error) : "");
  bool step = st.progress / 5u != a->ota_reported / 5u;
  if (force_event || old_state != a->ota.state || step) {
    a->ota_reported = st.progress;
    ops_ota_event(a);
  }
}

void ops_apply_ota_key(app_t *a) {
  ota_key_hex(&a->ota_mgr, a->cfg.ota_public_key); /* the config shows the key the OTA manager trusts */
}

void ops_reboot_now(app_t *a) {
  hal_log(HAL_LOG_INFO, "app", "%s rebooting", a->hostname);
  if (a->store_ok) (void)supervisor_prepare_reboot(&a->sup); /* a controlled reboot is not a bad boot */
  app_shutdown();
  hal_reboot();
}

void ops_enter_setup(app_t *a, bool auto_exit) {
  if (a->setup_mode) return;
  a->setup_mode = true;
  a->setup_auto_exit = auto_exit;
  a->setup_since_ms = app_now_ms();
  char ssid[APP_ID_MAX + 11];
  snprintf(ssid, sizeof(ssid), "openbl602-%s", a->id);
  hal_log(HAL_LOG_INFO, "app", "setup mode: access point %s", ssid);
  (void)hal_wifi_start_ap(ssid);
  if (a->dev_ok) device_set_network(&a->dev, LED_NET_SETUP);
  if (a->mqtt_inited) mqttdev_info_changed(&a->mqtt);
  ops_state_changed(a);
}
