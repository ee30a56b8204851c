/* app_config.c — config defaults, validation of partial updates (all-or-nothing, one error per field)
 * and the JSON view (docs/protocol.md §4). */
#include <stdio.h>
#include <string.h>

#include "app/app_model.h"

#define CFG_TOKENS 128

void app_config_defaults(app_config_t *c, const char *hostname) {
  memset(c, 0, sizeof(*c));
  snprintf(c->name, sizeof(c->name), "%s", hostname ? hostname : "openbl602");
  c->startup = APP_STARTUP_RESTORE;
  c->led = APP_LED_RELAY;
  c->button.enabled = true;
  c->button.double_press = true;
  c->button.long_press_ms = 1000;
  c->button.setup_hold_s = 10;
  c->protection.max_power_w = 3680.0f;
  c->protection.max_current_a = 16.0f;
  c->protection.hold_s = 2;
  c->protection.reclose_s = 0;
  c->calibration.voltage_gain = 1.0f;
  c->calibration.current_gain = 1.0f;
  c->calibration.power_gain = 1.0f;
  c->report.power_delta_w = 0.5f;
  c->report.power_delta_pct = 1.0f;
  c->report.min_interval_s = 2;
  c->report.heartbeat_s = 60;
  c->mqtt.port = 1883;
}

/* Bounded copy that cuts at cap - 1 bytes: an error text is for people, a cut one still helps (and GCC's
 * -Wformat-truncation, which fires in optimised builds for snprintf("%s"), has nothing to say here). */
static void copy_str(char *dst, size_t cap, const char *src) {
  size_t n = src ? strlen(src) : 0;
  if (n >= cap) n = cap - 1;
  memcpy(dst, src ? src : "", n);
  dst[n] = '\0';
}

void app_errors_add(app_errors_t *errs, const char *code, const char *field, const char *message) {
  if (errs->count >= APP_ERRORS_MAX) {
    errs->more = true;
    return;
  }
  app_error_t *e = &errs->e[errs->count++];
  copy_str(e->code, sizeof(e->code), code);
  copy_str(e->field, sizeof(e->field), field);
  copy_str(e->message, sizeof(e->message), message);
}

static void error_obj(const app_error_t *e, jsonw_t *w) {
  jsonw_obj_begin(w);
  jsonw_kstr(w, "code", e->code);
  jsonw_kstr(w, "message", e->message);
  if (e->field[0]) jsonw_kstr(w, "field", e->field);
  jsonw_obj_end(w);
}

void app_errors_write(const app_errors_t *errs, jsonw_t *w) {
  jsonw_obj_begin(w);
  if (errs->count > 0) {
    jsonw_key(w, "error");
    error_obj(&errs->e[0], w);
    jsonw_key(w, "errors");
    jsonw_arr_begin(w);
    for (uint8_t i = 0; i < errs->count; i++) error_obj(&errs->e[i], w);
    jsonw_arr_end(w);
  }
  jsonw_obj_end(w);
}

/* ---- validation helpers ----------------------------------------------------------------------------- */

typedef struct {
  const json_doc_t *d;
  app_errors_t *errs;
  app_source_t src;
  char path[40];
} ctx_t;

static const char *path_of(ctx_t *x, const char *prefix, const char *key) {
  if (prefix && prefix[0]) {
    snprintf(x->path, sizeof(x->path), "%s.%s", prefix, key);
  } else {
    snprintf(x->path, sizeof(x->path), "%s", key);
  }
  return x->path;
}

/* From flash an error drops only its field (the default, or the value before, stays): it is listed in errs
 * for the log, and the rest of the record still loads. From a client it refuses the whole change. */
static void err(ctx_t *x, const char *code, const char *field, const char *msg) {
  app_errors_add(x->errs, code, field, msg);
}

static bool get_bool(ctx_t *x, int tok, const char *field, bool *out) {
  if (json_get_bool(x->d, tok, out) != JSON_OK) {
    err(x, "wrong_type", field, "must be true or false");
    return false;
  }
  return true;
}

static bool get_int(ctx_t *x, int tok, const char *field, int64_t lo, int64_t hi, int64_t *out) {
  json_err_t e = json_get_int64(x->d, tok, out);
  if (e == JSON_ERR_TYPE && json_type(x->d, tok) == JSON_NUMBER) {
    err(x, "wrong_type", field, "must be a whole number");
    return false;
  }
  if (e == JSON_ERR_RANGE || (e == JSON_OK && (*out < lo || *out > hi))) {
    char m[64];
    snprintf(m, sizeof(m), "must be %lld..%lld", (long long)lo, (long long)hi);
    err(x, "out_of_range", field, m);
    return false;
  }
  if (e != JSON_OK) {
    err(x, "wrong_type", field, "must be a number");
    return false;
  }
  return true;
}

/* A number in [lo, hi], or exactly 0 when zero_ok. */
static bool get_float(ctx_t *x, int tok, const char *field, float lo, float hi, bool zero_ok, float *out) {
  float v;
  json_err_t e = json_get_float(x->d, tok, &v);
  if (e == JSON_ERR_TYPE || e == JSON_ERR_NOT_FOUND || json_type(x->d, tok) != JSON_NUMBER) {
    err(x, "wrong_type", field, "must be a number");
    return false;
  }
  if (e != JSON_OK || !((zero_ok && v == 0.0f) || (v >= lo && v <= hi))) {
    char m[64];
    snprintf(m, sizeof(m), "must be %s%g..%g", zero_ok ? "0 or " : "", (double)lo, (double)hi);
    err(x, "out_of_range", field, m);
    return false;
  }
  *out = v;
  return true;
}

/* String of min..max bytes; printable_ascii: only 0x20..0x7e (passwords); otherwise no control chars. */
static bool get_str(ctx_t *x, int tok, const char *field, size_t min, size_t max, bool printable_ascii,
                    char *out, size_t cap) {
  static char buf[160]; /* longest field: the 130-digit OTA key; static: off the caller's task stack */
  size_t n = 0;
  if (json_type(x->d, tok) != JSON_STRING) {
    err(x, "wrong_type", field, "must be a string");
    return false;
  }
  json_err_t e = json_get_string(x->d, tok, buf, sizeof(buf), &n);
  if (e == JSON_ERR_NOSPACE || (e == JSON_OK && n > max)) {
    char m[48];
    snprintf(m, sizeof(m), "at most %u bytes", (unsigned)max);
    err(x, "too_long", field, m);
    return false;
  }
  if (e != JSON_OK) {
    err(x, "invalid_value", field, "not a valid string");
    return false;
  }
  if (n < min) {
    char m[48];
    snprintf(m, sizeof(m), "at least %u bytes", (unsigned)min);
    err(x, "too_short", field, m);
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)buf[i];
    if (c < 0x20 || c == 0x7f || (printable_ascii && c > 0x7e)) {
      err(x, "invalid_value", field, printable_ascii ? "printable ASCII only" : "no control characters");
      return false;
    }
  }
  if (n + 1 > cap) {
    err(x, "too_long", field, "too long");
    return false;
  }
  memcpy(out, buf, n + 1);
  return true;
}

static bool get_enum(ctx_t *x, int tok, const char *field, const char *const *names, size_t count, uint8_t *out,
                     const char *msg) {
  if (json_type(x->d, tok) != JSON_STRING) {
    err(x, "wrong_type", field, "must be a string");
    return false;
  }
  for (size_t i = 0; i < count; i++) {
    if (json_str_eq(x->d, tok, names[i])) {
      *out = (uint8_t)i;
      return true;
    }
  }
  err(x, "invalid_value", field, msg);
  return false;
}

/* Hostname (RFC 1123 labels) or dotted IPv4. */
static bool host_valid(const char *h) {
  size_t n = strlen(h), label = 0;
  if (n == 0 || n > APP_HOST_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    char c = h[i];
    if (c == '.') {
      if (label == 0 || h[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok || (c == '-' && label == 0) || ++label > 63) return false;
  }
  return h[n - 1] != '-';
}

static bool not_object(ctx_t *x, int tok, const char *field) {
  if (json_type(x->d, tok) != JSON_OBJECT) {
    err(x, "wrong_type", field, "must be an object");
    return true;
  }
  return false;
}

static bool refuse_over_mqtt(ctx_t *x, const char *field) {
  if (x->src == APP_SRC_MQTT) {
    err(x, "not_allowed", field, "credentials cannot be changed over MQTT");
    return true;
  }
  return false;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static bool key_hex_valid(const char *h) {
  if (strlen(h) != 130 || h[0] != '0' || h[1] != '4') return false;
  for (size_t i = 0; i < 130; i++) {
    if (hexval(h[i]) < 0) return false;
  }
  return true;
}

bool app_config_ota_key(const app_config_t *cfg, uint8_t key[65]) {
  if (!key_hex_valid(cfg->ota_public_key)) return false;
  for (size_t i = 0; i < 65; i++) {
    key[i] = (uint8_t)(hexval(cfg->ota_public_key[2 * i]) * 16 + hexval(cfg->ota_public_key[2 * i + 1]));
  }
  return true;
}

static const char *const STARTUP_NAMES[] = {"off", "on", "restore", "toggle"};
static const char *const LED_NAMES[] = {"relay", "inverted", "off", "network"};

/* Each group walks its members; unknown keys are errors so typos never pass silently. */
static void patch_button(ctx_t *x, int obj, app_config_t *c) {
  for (int k = json_next_child(x->d, obj, -1); k >= 0; k = json_next_child(x->d, obj, k)) {
    int v = k + 1;
    int64_t i;
    if (json_str_eq(x->d, k, "enabled")) {
      get_bool(x, v, "button.enabled", &c->button.enabled);
    } else if (json_str_eq(x->d, k, "double_press")) {
      get_bool(x, v, "button.double_press", &c->button.double_press);
    } else if (json_str_eq(x->d, k, "long_press_ms")) {
      if (get_int(x, v, "button.long_press_ms", 500, 5000, &i)) c->button.long_press_ms = (uint16_t)i;
    } else if (json_str_eq(x->d, k, "setup_hold_s")) {
      if (get_int(x, v, "button.setup_hold_s", 5, 60, &i)) c->button.setup_hold_s = (uint8_t)i;
    } else {
      char key[24] = "";
      json_get_string(x->d, k, key, sizeof(key), NULL);
      err(x, "unknown_field", path_of(x, "button", key), "no such field");
    }
  }
}

static void patch_protection(ctx_t *x, int obj, app_config_t *c) {
  for (int k = json_next_child(x->d, obj, -1); k >= 0; k = json_next_child(x->d, obj, k)) {
    int v = k + 1;
    int64_t i;
    if (json_str_eq(x->d, k, "max_power_w")) {
      get_float(x, v, "protection.max_power_w", 10.0f, 4000.0f, true, &c->protection.max_power_w);
    } else if (json_str_eq(x->d, k, "max_current_a")) {
      get_float(x, v, "protection.max_current_a", 0.1f, 17.0f, true, &c->protection.max_current_a);
    } else if (json_str_eq(x->d, k, "hold_s")) {
      if (get_int(x, v, "protection.hold_s", 1, 60, &i)) c->protection.hold_s = (uint16_t)i;
    } else if (json_str_eq(x->d, k, "reclose_s")) {
      if (get_int(x, v, "protection.reclose_s", 0, 3600, &i)) c->protection.reclose_s = (uint16_t)i;
    } else {
      char key[24] = "";
      json_get_string(x->d, k, key, sizeof(key), NULL);
      err(x, "unknown_field", path_of(x, "protection", key), "no such field");
    }
  }
}

static void patch_calibration(ctx_t *x, int obj, app_config_t *c) {
  for (int k = json_next_child(x->d, obj, -1); k >= 0; k = json_next_child(x->d, obj, k)) {
    int v = k + 1;
    if (json_str_eq(x->d, k, "voltage_gain")) {
      get_float(x, v, "calibration.voltage_gain", 0.5f, 2.0f, false, &c->calibration.voltage_gain);
    } else if (json_str_eq(x->d, k, "current_gain")) {
      get_float(x, v, "calibration.current_gain", 0.5f, 2.0f, false, &c->calibration.current_gain);
    } else if (json_str_eq(x->d, k, "power_gain")) {
      get_float(x, v, "calibration.power_gain", 0.5f, 2.0f, false, &c->calibration.power_gain);
    } else {
      char key[24] = "";
      json_get_string(x->d, k, key, sizeof(key), NULL);
      err(x, "unknown_field", path_of(x, "calibration", key), "no such field");
    }
  }
}

static void patch_report(ctx_t *x, int obj, app_config_t *c) {
  for (int k = json_next_child(x->d, obj, -1); k >= 0; k = json_next_child(x->d, obj, k)) {
    int v = k + 1;
    int64_t i;
    if (json_str_eq(x->d, k, "power_delta_w")) {
      get_float(x, v, "report.power_delta_w", 0.1f, 100.0f, false, &c->report.power_delta_w);
    } else if (json_str_eq(x->d, k, "power_delta_pct")) {
      get_float(x, v, "report.power_delta_pct", 0.1f, 50.0f, false, &c->report.power_delta_pct);
    } else if (json_str_eq(x->d, k, "min_interval_s")) {
      if (get_int(x, v, "report.min_interval_s", 1, 60, &i)) c->report.min_interval_s = (uint16_t)i;
    } else if (json_str_eq(x->d, k, "heartbeat_s")) {
      if (get_int(x, v, "report.heartbeat_s", 60, 3600, &i)) c->report.heartbeat_s = (uint16_t)i;
    } else {
      char key[24] = "";
      json_get_string(x->d, k, key, sizeof(key), NULL);
      err(x, "unknown_field", path_of(x, "report", key), "no such field");
    }
  }
}

static void patch_mqtt(ctx_t *x, int obj, app_config_t *c) {
  for (int k = json_next_child(x->d, obj, -1); k >= 0; k = json_next_child(x->d, obj, k)) {
    int v = k + 1;
    int64_t i;
    char key[24] = "";
    json_get_string(x->d, k, key, sizeof(key), NULL);
    const char *f = path_of(x, "mqtt", key);
    char field[40];
    snprintf(field, sizeof(field), "%s", f);
    if (strcmp(key, "password_set") == 0) {
      err(x, "read_only", field, "read-only; set mqtt.password");
      continue;
    }
    bool known = strcmp(key, "enabled") == 0 || strcmp(key, "host") == 0 || strcmp(key, "port") == 0 ||
                 strcmp(key, "user") == 0 || strcmp(key, "password") == 0;
    if (!known) {
      err(x, "unknown_field", field, "no such field");
      continue;
    }
    if (refuse_over_mqtt(x, field)) continue;
    if (strcmp(key, "enabled") == 0) {
      get_bool(x, v, field, &c->mqtt.enabled);
    } else if (strcmp(key, "host") == 0) {
      char h[APP_HOST_MAX + 1];
      if (get_str(x, v, field, 0, APP_HOST_MAX, true, h, sizeof(h))) {
        if (h[0] && !host_valid(h)) {
          err(x, "invalid_value", field, "not a host name or IPv4 address");
        } else {
          memcpy(c->mqtt.host, h, sizeof(h));
        }
      }
    } else if (strcmp(key, "port") == 0) {
      if (get_int(x, v, field, 1, 65535, &i)) c->mqtt.port = (uint16_t)i;
    } else if (strcmp(key, "user") == 0) {
      get_str(x, v, field, 0, APP_MQTT_USER_MAX, false, c->mqtt.user, sizeof(c->mqtt.user));
    } else {
      get_str(x, v, field, 0, APP_MQTT_PASS_MAX, false, c->mqtt.password, sizeof(c->mqtt.password));
    }
  }
}

static void patch_wifi(ctx_t *x, int obj, app_config_t *c) {
  for (int k = json_next_child(x->d, obj, -1); k >= 0; k = json_next_child(x->d, obj, k)) {
    int v = k + 1;
    char key[24] = "";
    json_get_string(x->d, k, key, sizeof(key), NULL);
    char field[40];
    snprintf(field, sizeof(field), "%s", path_of(x, "wifi", key));
    if (strcmp(key, "password_set") == 0) {
      err(x, "read_only", field, "read-only; set wifi.password");
      continue;
    }
    if (strcmp(key, "ssid") != 0 && strcmp(key, "password") != 0) {
      err(x, "unknown_field", field, "no such field");
      continue;
    }
    if (refuse_over_mqtt(x, field)) continue;
    if (strcmp(key, "ssid") == 0) {
      get_str(x, v, field, 0, APP_SSID_MAX, false, c->wifi.ssid, sizeof(c->wifi.ssid));
    } else {
      char p[APP_WIFI_PASS_MAX + 1];
      if (get_str(x, v, field, 0, APP_WIFI_PASS_MAX, false, p, sizeof(p))) {
        size_t n = strlen(p);
        if (n != 0 && n < 8) {
          err(x, "too_short", field, "0 or 8..63 bytes (WPA2)");
        } else {
          memcpy(c->wifi.password, p, sizeof(p));
        }
      }
    }
  }
}

/* The patch's working set. Static, not on the stack: the tokens alone are 2 KiB, and the network task's
 * stack is 8 KiB on BL602. Owner: app_config_patch(), which the task owning the config (the main loop, see
 * docs/architecture.md) and the boot path before it runs are the only callers of; not reentrant. */
static json_tok_t s_toks[CFG_TOKENS];
static app_config_t s_next;
static char s_record[APP_CONFIG_PERSIST_MAX];

bool app_config_patch(app_config_t *cfg, const char *json, size_t len, app_source_t src, app_errors_t *errs) {
  json_tok_t *toks = s_toks;
  json_doc_t d;
  memset(errs, 0, sizeof(*errs));
  json_err_t pe = json_parse(&d, json, len, toks, CFG_TOKENS);
  if (pe != JSON_OK) {
    char m[80];
    snprintf(m, sizeof(m), "%s at byte %lu", json_strerror(pe), (unsigned long)d.error_pos);
    app_errors_add(errs, "invalid_json", NULL, m);
    return false;
  }
  if (json_type(&d, JSON_ROOT) != JSON_OBJECT) {
    app_errors_add(errs, "invalid_json", NULL, "body must be a JSON object");
    return false;
  }
  ctx_t x = {.d = &d, .errs = errs, .src = src};
  app_config_t *nx = &s_next;
  *nx = *cfg;
  for (int k = json_next_child(&d, JSON_ROOT, -1); k >= 0; k = json_next_child(&d, JSON_ROOT, k)) {
    int v = k + 1;
    if (json_str_eq(&d, k, "req") && src == APP_SRC_MQTT) continue; /* request id, echoed by MQTT */
    if (json_str_eq(&d, k, "name")) {
      get_str(&x, v, "name", 1, APP_NAME_MAX, false, nx->name, sizeof(nx->name));
    } else if (json_str_eq(&d, k, "startup")) {
      get_enum(&x, v, "startup", STARTUP_NAMES, 4, &nx->startup, "one of off, on, restore, toggle");
    } else if (json_str_eq(&d, k, "led")) {
      get_enum(&x, v, "led", LED_NAMES, 4, &nx->led, "one of relay, inverted, off, network");
    } else if (json_str_eq(&d, k, "button")) {
      if (!not_object(&x, v, "button")) patch_button(&x, v, nx);
    } else if (json_str_eq(&d, k, "protection")) {
      if (!not_object(&x, v, "protection")) patch_protection(&x, v, nx);
    } else if (json_str_eq(&d, k, "calibration")) {
      if (!not_object(&x, v, "calibration")) patch_calibration(&x, v, nx);
    } else if (json_str_eq(&d, k, "report")) {
      if (!not_object(&x, v, "report")) patch_report(&x, v, nx);
    } else if (json_str_eq(&d, k, "mqtt")) {
      if (!not_object(&x, v, "mqtt")) patch_mqtt(&x, v, nx);
    } else if (json_str_eq(&d, k, "wifi")) {
      if (!not_object(&x, v, "wifi")) patch_wifi(&x, v, nx);
    } else if (json_str_eq(&d, k, "api_password")) {
      if (!refuse_over_mqtt(&x, "api_password")) {
        char p[APP_API_PASS_MAX + 1];
        if (get_str(&x, v, "api_password", 0, APP_API_PASS_MAX, true, p, sizeof(p))) {
          size_t n = strlen(p);
          if (n != 0 && n < APP_API_PASS_MIN) {
            err(&x, "too_short", "api_password", "0 or 8..64 printable ASCII characters");
          } else {
            memcpy(nx->api_password, p, sizeof(p));
          }
        }
      }
    } else if (json_str_eq(&d, k, "ota_public_key")) {
      if (!refuse_over_mqtt(&x, "ota_public_key")) {
        char key[132];
        if (get_str(&x, v, "ota_public_key", 0, 130, true, key, sizeof(key))) {
          if (key[0] != '\0' && !key_hex_valid(key)) {
            err(&x, "invalid_value", "ota_public_key", "130 hex digits of an uncompressed P-256 key (04...), or \"\"");
          } else {
            memcpy(nx->ota_public_key, key, sizeof(nx->ota_public_key));
          }
        }
      }
    } else if (json_str_eq(&d, k, "api_password_set")) {
      err(&x, "read_only", "api_password_set", "read-only; set api_password");
    } else {
      char key[32] = "";
      json_get_string(&d, k, key, sizeof(key), NULL);
      err(&x, "unknown_field", key, "no such field");
    }
  }
  if (src == APP_SRC_FLASH) {
    /* what could be read is kept (errs lists what was dropped); a broker whose host was dropped is off */
    if (nx->mqtt.enabled && nx->mqtt.host[0] == '\0') nx->mqtt.enabled = false;
    *cfg = *nx;
    return true;
  }
  if (errs->count == 0 && nx->mqtt.enabled && nx->mqtt.host[0] == '\0') {
    app_errors_add(errs, "required", "mqtt.host", "a broker host is needed when MQTT is enabled");
  }
  if (errs->count > 0 || errs->more) return false;
  /* Escaped worst cases (quotes in every password) exceed the flash record; say so instead of failing later */
  jsonw_t w;
  jsonw_init(&w, s_record, sizeof(s_record));
  app_config_write_persist(nx, &w);
  if (jsonw_finish(&w) < 0) {
    app_errors_add(errs, "too_long", NULL,
                   "the settings exceed the 1 KiB flash record: use shorter names or passwords");
    return false;
  }
  *cfg = *nx;
  return true;
}

static void config_write(const app_config_t *c, jsonw_t *w, bool secrets) {
  jsonw_obj_begin(w);
  jsonw_kstr(w, "name", c->name);
  jsonw_kstr(w, "startup", STARTUP_NAMES[c->startup < 4 ? c->startup : 2]);
  jsonw_kstr(w, "led", LED_NAMES[c->led < 4 ? c->led : 0]);
  jsonw_key(w, "button");
  jsonw_obj_begin(w);
  jsonw_kbool(w, "enabled", c->button.enabled);
  jsonw_kbool(w, "double_press", c->button.double_press);
  jsonw_kuint(w, "long_press_ms", c->button.long_press_ms);
  jsonw_kuint(w, "setup_hold_s", c->button.setup_hold_s);
  jsonw_obj_end(w);
  jsonw_key(w, "protection");
  jsonw_obj_begin(w);
  jsonw_kfloat(w, "max_power_w", c->protection.max_power_w, 1);
  jsonw_kfloat(w, "max_current_a", c->protection.max_current_a, 2);
  jsonw_kuint(w, "hold_s", c->protection.hold_s);
  jsonw_kuint(w, "reclose_s", c->protection.reclose_s);
  jsonw_obj_end(w);
  jsonw_key(w, "calibration");
  jsonw_obj_begin(w);
  jsonw_kfloat(w, "voltage_gain", c->calibration.voltage_gain, 4);
  jsonw_kfloat(w, "current_gain", c->calibration.current_gain, 4);
  jsonw_kfloat(w, "power_gain", c->calibration.power_gain, 4);
  jsonw_obj_end(w);
  jsonw_key(w, "report");
  jsonw_obj_begin(w);
  jsonw_kfloat(w, "power_delta_w", c->report.power_delta_w, 2);
  jsonw_kfloat(w, "power_delta_pct", c->report.power_delta_pct, 2);
  jsonw_kuint(w, "min_interval_s", c->report.min_interval_s);
  jsonw_kuint(w, "heartbeat_s", c->report.heartbeat_s);
  jsonw_obj_end(w);
  jsonw_key(w, "mqtt");
  jsonw_obj_begin(w);
  jsonw_kbool(w, "enabled", c->mqtt.enabled);
  jsonw_kstr(w, "host", c->mqtt.host);
  jsonw_kuint(w, "port", c->mqtt.port);
  jsonw_kstr(w, "user", c->mqtt.user);
  if (secrets) {
    jsonw_kstr(w, "password", c->mqtt.password);
  } else {
    jsonw_kbool(w, "password_set", c->mqtt.password[0] != '\0');
  }
  jsonw_obj_end(w);
  jsonw_key(w, "wifi");
  jsonw_obj_begin(w);
  jsonw_kstr(w, "ssid", c->wifi.ssid);
  if (secrets) {
    jsonw_kstr(w, "password", c->wifi.password);
  } else {
    jsonw_kbool(w, "password_set", c->wifi.password[0] != '\0');
  }
  jsonw_obj_end(w);
  if (secrets) {
    jsonw_kstr(w, "api_password", c->api_password);
  } else {
    jsonw_kbool(w, "api_password_set", c->api_password[0] != '\0');
  }
  jsonw_kstr(w, "ota_public_key", c->ota_public_key);
  jsonw_obj_end(w);
}

void app_config_write(const app_config_t *c, jsonw_t *w) {
  config_write(c, w, false);
}

void app_config_write_persist(const app_config_t *c, jsonw_t *w) {
  config_write(c, w, true);
}
