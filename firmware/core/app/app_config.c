/* app_config.c — the config of docs/protocol.md §4 as one table (FIELDS below): each field's type, range,
 * default, whether it is a secret and whether MQTT may change it. The table drives the defaults, the
 * validation of partial updates (all-or-nothing from a client, field by field from flash), the JSON views
 * (GET and the flash record) and app_config_describe(), which prints the ranges for the protocol doc. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "app/app_model.h"

#define CFG_TOKENS 128

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
static bool get_str(ctx_t *x, int tok, const char *field, size_t min, size_t max, bool printable_ascii, char *out,
                    size_t cap) {
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

/* ---- the table ---------------------------------------------------------------------------------------- */

typedef enum { T_BOOL = 0, T_U8, T_U16, T_FLOAT, T_STR, T_ENUM } ftype_t;

enum {
  F_SECRET = 1u, /* GET shows "<key>_set" instead; "<key>_set" is read-only */
  F_CRED = 2u,   /* a credential: never changed over MQTT (§8.3) */
  F_ASCII = 4u,  /* printable ASCII only (else: no control characters) */
  F_ZERO = 8u,   /* float: exactly 0 (= off) is allowed besides lo..hi */
};

/* A rule beyond type and range: returns false after reporting the error. */
typedef bool (*check_fn)(ctx_t *x, const char *field, const char *value);

typedef struct {
  const char *group; /* NULL = top level */
  const char *key;
  uint8_t type, flags, decimals;
  uint16_t off, cap;        /* T_STR: buffer size */
  float lo, hi;             /* numbers: range; T_STR: length in bytes */
  float def;                /* numbers, bools, enum index; strings default to "" (name: the hostname) */
  const char *const *names; /* T_ENUM */
  uint8_t count;
  const char *msg; /* T_ENUM: the error message */
  check_fn check;
} field_t;

static const char *const STARTUP_NAMES[] = {"off", "on", "restore", "toggle"};
static const char *const LED_NAMES[] = {"relay", "inverted", "off", "network"};

static bool check_host(ctx_t *x, const char *field, const char *v) {
  if (v[0] && !host_valid(v)) {
    err(x, "invalid_value", field, "not a host name or IPv4 address");
    return false;
  }
  return true;
}

static bool check_wifi_password(ctx_t *x, const char *field, const char *v) {
  size_t n = strlen(v);
  if (n != 0 && n < 8) {
    err(x, "too_short", field, "0 or 8..63 bytes (WPA2)");
    return false;
  }
  return true;
}

static bool check_api_password(ctx_t *x, const char *field, const char *v) {
  size_t n = strlen(v);
  if (n != 0 && n < APP_API_PASS_MIN) {
    err(x, "too_short", field, "0 or 8..64 printable ASCII characters");
    return false;
  }
  return true;
}

static bool check_ota_key(ctx_t *x, const char *field, const char *v) {
  if (v[0] != '\0' && !key_hex_valid(v)) {
    err(x, "invalid_value", field, "130 hex digits of an uncompressed P-256 key (04...), or \"\"");
    return false;
  }
  return true;
}

#define OFF(m) ((uint16_t)offsetof(app_config_t, m))
#define CAP(m) ((uint16_t)sizeof(((app_config_t *)0)->m))
#define NUM(g, k, t, m, lo, hi, def, flags, dec)                                                                       \
  { g, k, t, flags, dec, OFF(m), 0, lo, hi, def, NULL, 0, NULL, NULL }
#define STR(g, k, m, min, max, flags, check)                                                                           \
  { g, k, T_STR, flags, 0, OFF(m), CAP(m), min, max, 0, NULL, 0, NULL, check }
#define ENUM(k, m, names, def, msg)                                                                                    \
  { NULL, k, T_ENUM, 0, 0, OFF(m), 0, 0, 0, def, names, 4, msg, NULL }

/* In the order GET /api/v1/config shows them; a group's fields stand together. */
static const field_t FIELDS[] = {
    STR(NULL, "name", name, 1, APP_NAME_MAX, 0, NULL),
    ENUM("startup", startup, STARTUP_NAMES, APP_STARTUP_RESTORE, "one of off, on, restore, toggle"),
    ENUM("led", led, LED_NAMES, APP_LED_RELAY, "one of relay, inverted, off, network"),
    NUM("button", "enabled", T_BOOL, button.enabled, 0, 1, 1, 0, 0),
    NUM("button", "double_press", T_BOOL, button.double_press, 0, 1, 1, 0, 0),
    NUM("button", "long_press_ms", T_U16, button.long_press_ms, 500, 5000, 1000, 0, 0),
    NUM("button", "setup_hold_s", T_U8, button.setup_hold_s, 5, 60, 10, 0, 0),
    NUM("protection", "max_power_w", T_FLOAT, protection.max_power_w, 10.0f, 4000.0f, 3680.0f, F_ZERO, 1),
    NUM("protection", "max_current_a", T_FLOAT, protection.max_current_a, 0.1f, 17.0f, 16.0f, F_ZERO, 2),
    NUM("protection", "hold_s", T_U16, protection.hold_s, 1, 60, 2, 0, 0),
    NUM("protection", "reclose_s", T_U16, protection.reclose_s, 0, 3600, 0, 0, 0),
    NUM("calibration", "voltage_gain", T_FLOAT, calibration.voltage_gain, 0.5f, 2.0f, 1.0f, 0, 4),
    NUM("calibration", "current_gain", T_FLOAT, calibration.current_gain, 0.5f, 2.0f, 1.0f, 0, 4),
    NUM("calibration", "power_gain", T_FLOAT, calibration.power_gain, 0.5f, 2.0f, 1.0f, 0, 4),
    NUM("report", "power_delta_w", T_FLOAT, report.power_delta_w, 0.1f, 100.0f, 0.5f, 0, 2),
    NUM("report", "power_delta_pct", T_FLOAT, report.power_delta_pct, 0.1f, 50.0f, 1.0f, 0, 2),
    NUM("report", "min_interval_s", T_U16, report.min_interval_s, 1, 60, 2, 0, 0),
    NUM("report", "heartbeat_s", T_U16, report.heartbeat_s, 60, 3600, 60, 0, 0),
    NUM("mqtt", "enabled", T_BOOL, mqtt.enabled, 0, 1, 0, F_CRED, 0),
    STR("mqtt", "host", mqtt.host, 0, APP_HOST_MAX, F_CRED | F_ASCII, check_host),
    NUM("mqtt", "port", T_U16, mqtt.port, 1, 65535, 1883, F_CRED, 0),
    STR("mqtt", "user", mqtt.user, 0, APP_MQTT_USER_MAX, F_CRED, NULL),
    STR("mqtt", "password", mqtt.password, 0, APP_MQTT_PASS_MAX, F_CRED | F_SECRET, NULL),
    STR("wifi", "ssid", wifi.ssid, 0, APP_SSID_MAX, F_CRED, NULL),
    STR("wifi", "password", wifi.password, 0, APP_WIFI_PASS_MAX, F_CRED | F_SECRET, check_wifi_password),
    STR(NULL, "api_password", api_password, 0, APP_API_PASS_MAX, F_CRED | F_SECRET | F_ASCII, check_api_password),
    STR(NULL, "ota_public_key", ota_public_key, 0, 130, F_CRED | F_ASCII, check_ota_key),
};
#define FIELD_COUNT (sizeof(FIELDS) / sizeof(FIELDS[0]))

static bool same(const char *a, const char *b) { return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0); }

void app_config_defaults(app_config_t *c, const char *hostname) {
  memset(c, 0, sizeof(*c));
  for (size_t i = 0; i < FIELD_COUNT; i++) {
    const field_t *f = &FIELDS[i];
    uint8_t *p = (uint8_t *)c + f->off;
    switch (f->type) {
      case T_BOOL: *(bool *)p = f->def != 0.0f; break;
      case T_U8:
      case T_ENUM: *p = (uint8_t)f->def; break;
      case T_U16: *(uint16_t *)(void *)p = (uint16_t)f->def; break;
      case T_FLOAT: *(float *)(void *)p = f->def; break;
      default: break;
    }
  }
  snprintf(c->name, sizeof(c->name), "%s", hostname ? hostname : "openbl602");
}

/* ---- patching ------------------------------------------------------------------------------------------- */

/* Reads the value of field f (token v) into c; false (errs told) when it is not acceptable. */
static bool patch_field(ctx_t *x, const field_t *f, int v, const char *field, app_config_t *c) {
  uint8_t *p = (uint8_t *)c + f->off;
  int64_t i;
  switch (f->type) {
    case T_BOOL: return get_bool(x, v, field, (bool *)p);
    case T_U8:
      if (!get_int(x, v, field, (int64_t)f->lo, (int64_t)f->hi, &i)) return false;
      *p = (uint8_t)i;
      return true;
    case T_U16:
      if (!get_int(x, v, field, (int64_t)f->lo, (int64_t)f->hi, &i)) return false;
      *(uint16_t *)(void *)p = (uint16_t)i;
      return true;
    case T_FLOAT: return get_float(x, v, field, f->lo, f->hi, (f->flags & F_ZERO) != 0, (float *)(void *)p);
    case T_ENUM: return get_enum(x, v, field, f->names, f->count, p, f->msg);
    case T_STR: {
      static char val[160]; /* longest field: the 130-digit OTA key; owner: app_config_parse */
      if (!get_str(x, v, field, (size_t)f->lo, (size_t)f->hi, (f->flags & F_ASCII) != 0, val, sizeof(val)))
        return false;
      if (f->check && !f->check(x, field, val)) return false;
      size_t n = strlen(val);
      if (n + 1 > f->cap) {
        err(x, "too_long", field, "too long");
        return false;
      }
      memcpy(p, val, n + 1);
      return true;
    }
    default: return false;
  }
}

/* Bytes of app_config_t a field occupies (what a change set carries for it). */
static size_t field_size(const field_t *f) {
  switch (f->type) {
    case T_BOOL: return sizeof(bool);
    case T_U16: return sizeof(uint16_t);
    case T_FLOAT: return sizeof(float);
    case T_STR: return f->cap;
    default: return sizeof(uint8_t); /* T_U8, T_ENUM */
  }
}

/* One member `key` (token k, value v) of `group` (NULL = the top level): its value into the change set. */
static void patch_member(ctx_t *x, const char *group, int k, int v, app_config_change_t *ch) {
  char key[32] = "";
  json_get_string(x->d, k, key, group ? 24 : sizeof(key), NULL);
  char field[40];
  snprintf(field, sizeof(field), "%s", path_of(x, group, key));
  for (size_t i = 0; i < FIELD_COUNT; i++) {
    const field_t *f = &FIELDS[i];
    if (!same(f->group, group)) continue;
    if (json_str_eq(x->d, k, f->key)) {
      if ((f->flags & F_CRED) && x->src == APP_SRC_MQTT) {
        err(x, "not_allowed", field, "credentials cannot be changed over MQTT");
        return;
      }
      if (patch_field(x, f, v, field, &ch->v)) ch->set |= 1u << i;
      return;
    }
    size_t n = strlen(f->key);
    if ((f->flags & F_SECRET) && strncmp(key, f->key, n) == 0 && strcmp(key + n, "_set") == 0) {
      char m[64];
      snprintf(m, sizeof(m), "read-only; set %s%s%s", group ? group : "", group ? "." : "", f->key);
      err(x, "read_only", field, m);
      return;
    }
  }
  err(x, "unknown_field", field, "no such field");
}

static bool is_group(const char *key) {
  for (size_t i = 0; i < FIELD_COUNT; i++) {
    if (FIELDS[i].group && strcmp(FIELDS[i].group, key) == 0) return true;
  }
  return false;
}

_Static_assert(sizeof(FIELDS) / sizeof(FIELDS[0]) <= 32, "a change set's `set` has one bit per field");

static bool all_space(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return false;
  return true;
}

/* The parser's working set. Static, not on the stack: the tokens alone are 2 KiB, and the network task's
 * stack is 8 KiB on BL602. Owner: app_config_parse(), called by the network loop for requests and by the
 * boot path (app_config_patch from flash) before the loops run; not reentrant. */
static json_tok_t s_toks[CFG_TOKENS];

bool app_config_parse(app_config_change_t *ch, const char *json, size_t len, app_source_t src, app_errors_t *errs) {
  json_doc_t d;
  memset(errs, 0, sizeof(*errs));
  memset(ch, 0, sizeof(*ch));
  if (json == NULL || all_space(json, len)) {
    app_errors_add(errs, "invalid_json", NULL, "a JSON object body is required");
    return false;
  }
  json_err_t pe = json_parse(&d, json, len, s_toks, CFG_TOKENS);
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
  for (int k = json_next_child(&d, JSON_ROOT, -1); k >= 0; k = json_next_child(&d, JSON_ROOT, k)) {
    int v = k + 1;
    if (json_str_eq(&d, k, "req") && src == APP_SRC_MQTT) continue; /* request id, echoed by MQTT */
    char key[24] = "";
    json_get_string(&d, k, key, sizeof(key), NULL);
    if (json_type(&d, k) == JSON_STRING && is_group(key)) {
      if (not_object(&x, v, key)) continue;
      for (int m = json_next_child(&d, v, -1); m >= 0; m = json_next_child(&d, v, m))
        patch_member(&x, key, m, m + 1, ch);
    } else {
      patch_member(&x, NULL, k, v, ch);
    }
  }
  /* from flash, what could be read is kept (errs lists what was dropped) */
  return src == APP_SRC_FLASH || (errs->count == 0 && !errs->more);
}

/* The merge's working set, static like the parser's. Owner: app_config_apply(); its callers are the main
 * loop inside a call, the network loop's OTA key gate before it makes that call and the boot path, so they
 * never run at the same time (one call at a time, docs/architecture.md). */
static app_config_t s_next;
static char s_record[APP_CONFIG_PERSIST_MAX];

bool app_config_apply(app_config_t *cfg, const app_config_change_t *ch, app_source_t src, app_errors_t *errs) {
  app_config_t *nx = &s_next;
  *nx = *cfg;
  for (size_t i = 0; i < FIELD_COUNT; i++) {
    if (!(ch->set & (1u << i))) continue;
    const field_t *f = &FIELDS[i];
    memcpy((uint8_t *)nx + f->off, (const uint8_t *)&ch->v + f->off, field_size(f));
  }
  if (src == APP_SRC_FLASH) {
    if (nx->mqtt.enabled && nx->mqtt.host[0] == '\0') nx->mqtt.enabled = false; /* its host was dropped: off */
    *cfg = *nx;
    return true;
  }
  if (nx->mqtt.enabled && nx->mqtt.host[0] == '\0') {
    app_errors_add(errs, "required", "mqtt.host", "a broker host is needed when MQTT is enabled");
    return false;
  }
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

const char *app_config_change_ota_key(const app_config_change_t *ch) {
  for (size_t i = 0; i < FIELD_COUNT; i++) {
    if (FIELDS[i].off == OFF(ota_public_key)) return (ch->set & (1u << i)) ? ch->v.ota_public_key : NULL;
  }
  return NULL;
}

bool app_config_patch(app_config_t *cfg, const char *json, size_t len, app_source_t src, app_errors_t *errs) {
  static app_config_change_t change; /* owner: as app_config_parse's working set */
  return app_config_parse(&change, json, len, src, errs) && app_config_apply(cfg, &change, src, errs);
}

/* ---- the JSON views --------------------------------------------------------------------------------------- */

static void config_write(const app_config_t *c, jsonw_t *w, bool secrets) {
  const char *open = NULL; /* the group whose object is open */
  jsonw_obj_begin(w);
  for (size_t i = 0; i < FIELD_COUNT; i++) {
    const field_t *f = &FIELDS[i];
    if (!same(f->group, open)) {
      if (open) jsonw_obj_end(w);
      open = f->group;
      if (open) {
        jsonw_key(w, open);
        jsonw_obj_begin(w);
      }
    }
    const uint8_t *p = (const uint8_t *)c + f->off;
    switch (f->type) {
      case T_BOOL: jsonw_kbool(w, f->key, *(const bool *)p); break;
      case T_U8: jsonw_kuint(w, f->key, *p); break;
      case T_U16: jsonw_kuint(w, f->key, *(const uint16_t *)(const void *)p); break;
      case T_FLOAT: jsonw_kfloat(w, f->key, *(const float *)(const void *)p, f->decimals); break;
      case T_ENUM: jsonw_kstr(w, f->key, f->names[*p < f->count ? *p : (uint8_t)f->def]); break;
      case T_STR:
        if ((f->flags & F_SECRET) && !secrets) {
          char k[32];
          snprintf(k, sizeof(k), "%s_set", f->key);
          jsonw_kbool(w, k, p[0] != '\0');
        } else {
          jsonw_kstr(w, f->key, (const char *)p);
        }
        break;
      default: break;
    }
  }
  if (open) jsonw_obj_end(w);
  jsonw_obj_end(w);
}

void app_config_write(const app_config_t *c, jsonw_t *w) { config_write(c, w, false); }

void app_config_write_persist(const app_config_t *c, jsonw_t *w) { config_write(c, w, true); }

/* ---- the ranges, for people ------------------------------------------------------------------------------- */

int app_config_describe(char *buf, size_t cap) {
  size_t n = 0;
  int k = snprintf(buf, cap, "| field | type | range | default |\n|---|---|---|---|\n");
  for (size_t i = 0; k >= 0 && i < FIELD_COUNT; i++) {
    n += (size_t)k;
    if (n >= cap) return -1;
    const field_t *f = &FIELDS[i];
    char path[40], range[64] = "", def[24] = "";
    snprintf(path, sizeof(path), "%s%s%s", f->group ? f->group : "", f->group ? "." : "", f->key);
    const char *type = "";
    switch (f->type) {
      case T_BOOL:
        type = "bool";
        snprintf(def, sizeof(def), "%s", f->def != 0.0f ? "true" : "false");
        break;
      case T_U8:
      case T_U16:
        type = "integer";
        snprintf(range, sizeof(range), "%ld..%ld", (long)f->lo, (long)f->hi);
        snprintf(def, sizeof(def), "%ld", (long)f->def);
        break;
      case T_FLOAT:
        type = "number";
        snprintf(range, sizeof(range), "%s%g..%g", (f->flags & F_ZERO) ? "0 or " : "", (double)f->lo, (double)f->hi);
        snprintf(def, sizeof(def), "%g", (double)f->def);
        break;
      case T_ENUM: {
        type = "string";
        size_t r = 0;
        for (uint8_t e = 0; e < f->count && r < sizeof(range); e++) {
          int m = snprintf(range + r, sizeof(range) - r, "%s%s", e ? ", " : "", f->names[e]);
          if (m < 0) break;
          r += (size_t)m;
        }
        snprintf(def, sizeof(def), "%s", f->names[(uint8_t)f->def]);
        break;
      }
      case T_STR:
        type = (f->flags & F_SECRET) ? "string, secret" : "string";
        snprintf(range, sizeof(range), "%ld..%ld bytes%s", (long)f->lo, (long)f->hi,
                 (f->flags & F_ASCII) ? ", printable ASCII" : "");
        snprintf(def, sizeof(def), "%s", f->off == OFF(name) ? "hostname" : "\"\"");
        break;
      default: break;
    }
    k = snprintf(buf + n, cap - n, "| `%s` | %s%s | %s | %s |\n", path, type,
                 (f->flags & F_CRED) ? ", not over MQTT" : "", range, def);
  }
  if (k < 0 || n + (size_t)k >= cap) return -1;
  return (int)(n + (size_t)k);
}
