/* app_state.c — state, OTA status and info as JSON (docs/protocol.md §2, §3, §11). */
#include <string.h>

#include "app/app_model.h"

const char *app_ota_state_name(uint8_t st) {
  static const char *const names[] = {"idle", "receiving", "verifying", "rebooting", "failed"};
  return st < 5 ? names[st] : "idle";
}

const char *app_trip_name(uint8_t t) {
  static const char *const names[] = {"none", "overpower", "overcurrent"};
  return t < 3 ? names[t] : "none";
}

void app_ota_write(const app_ota_status_t *o, jsonw_t *w) {
  jsonw_obj_begin(w);
  jsonw_kstr(w, "state", app_ota_state_name(o->state));
  jsonw_kuint(w, "progress", o->progress);
  jsonw_kuint(w, "bytes", o->bytes);
  jsonw_kuint(w, "total", o->total);
  if (o->error[0]) {
    jsonw_kstr(w, "error", o->error);
  } else {
    jsonw_knull(w, "error");
  }
  if (o->rollback)
    jsonw_kbool(w, "rollback", o->rollback == 1);
  else
    jsonw_knull(w, "rollback");
  jsonw_obj_end(w);
}

void app_state_write(const app_state_t *s, jsonw_t *w) {
  float va = s->voltage_v * s->current_a;
  jsonw_obj_begin(w);
  jsonw_kbool(w, "relay", s->relay);
  jsonw_kfloat(w, "power_w", s->power_w, 1);
  jsonw_kfloat(w, "voltage_v", s->voltage_v, 1);
  jsonw_kfloat(w, "current_a", s->current_a, 3);
  jsonw_kfloat(w, "apparent_power_va", va, 1);
  if (va >= 1.0f) {
    float pf = s->power_w / va;
    if (pf > 1.0f) pf = 1.0f;
    jsonw_kfloat(w, "power_factor", pf, 2);
  } else {
    jsonw_knull(w, "power_factor");
  }
  if (s->energy_unknown) {
    jsonw_knull(w, "energy_wh"); /* never a made-up 0 before the stored total is read (§3) */
  } else {
    jsonw_kuint(w, "energy_wh", s->energy_wh);
  }
  jsonw_kstr(w, "tripped", app_trip_name(s->tripped));
  jsonw_kbool(w, "lockout", s->lockout);
  if (s->pending) {
    jsonw_kbool(w, "relay_pending", s->pending_on);
  } else {
    jsonw_knull(w, "relay_pending");
  }
  jsonw_kuint(w, "config_rev", s->config_rev);
  jsonw_kint(w, "rssi_dbm", s->rssi_dbm);
  jsonw_kuint(w, "uptime_s", s->uptime_s);
  jsonw_kstr(w, "reset_reason", s->reset_reason ? s->reset_reason : "unknown");
  jsonw_kbool(w, "safe_mode", s->safe_mode);
  jsonw_key(w, "ota");
  jsonw_obj_begin(w);
  jsonw_kstr(w, "state", app_ota_state_name(s->ota.state));
  jsonw_kuint(w, "progress", s->ota.progress);
  if (s->ota.error[0]) {
    jsonw_kstr(w, "error", s->ota.error);
  } else {
    jsonw_knull(w, "error");
  }
  jsonw_obj_end(w);
  jsonw_key(w, "stale");
  jsonw_obj_begin(w);
  jsonw_kbool(w, "voltage", s->stale_voltage);
  jsonw_kbool(w, "current", s->stale_current);
  jsonw_obj_end(w);
  jsonw_obj_end(w);
}

void app_info_write(const app_info_t *i, jsonw_t *w) {
  static const char *const caps[] = {"relay",       "metering", "energy", "led",    "button", "protection",
                                     "calibration", "identify", "ota",    "events", "mqtt"};
  jsonw_obj_begin(w);
  jsonw_kint(w, "protocol", APP_PROTOCOL_VERSION);
  jsonw_kstr(w, "id", i->id);
  jsonw_kstr(w, "mac", i->mac);
  jsonw_kstr(w, "hostname", i->hostname);
  jsonw_kstr(w, "name", i->name ? i->name : i->hostname);
  jsonw_kstr(w, "model", i->model ? i->model : "");
  jsonw_kstr(w, "board", i->board ? i->board : "");
  if (i->ota_board) jsonw_kstr(w, "ota_board", i->ota_board);
  jsonw_kstr(w, "fw", i->fw ? i->fw : "0.0.0");
  jsonw_kbool(w, "auth", i->auth);
  jsonw_kbool(w, "setup_mode", i->setup_mode);
  jsonw_key(w, "capabilities");
  jsonw_arr_begin(w);
  for (unsigned b = 0; b < sizeof(caps) / sizeof(caps[0]); b++) {
    if (i->caps & (1u << b)) jsonw_str(w, caps[b]);
  }
  jsonw_arr_end(w);
  if (i->http_url[0]) jsonw_kstr(w, "http", i->http_url);
  jsonw_obj_end(w);
}

bool app_id_valid(const char *id) {
  size_t n = strlen(id);
  if (n < 1 || n > APP_ID_MAX) return false;
  for (size_t k = 0; k < n; k++) {
    char c = id[k];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}
