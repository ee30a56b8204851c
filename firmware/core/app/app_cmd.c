/* app_cmd.c — command bodies shared by HTTP and MQTT (docs/protocol.md §5.4–§5.9, §8.3): parsed into
 * app_cmd_t with the same per-field errors on both transports. */
#include <stdio.h>
#include <string.h>

#include "app/app_model.h"

#define CMD_TOKENS 24

static const char *const CMD_NAMES[APP_CMD_COUNT] = {"relay",        "config",   "calibrate",
                                                     "energy_reset", "identify", "reboot"};

int app_cmd_kind(const char *name) {
  for (int i = 0; i < APP_CMD_COUNT; i++) {
    if (strcmp(name, CMD_NAMES[i]) == 0) return i;
  }
  return -1;
}

const char *app_cmd_name(uint8_t kind) { return kind < APP_CMD_COUNT ? CMD_NAMES[kind] : "?"; }

static bool all_space(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return false;
  }
  return true;
}

/* Bare words for relay over MQTT (what Tasmota users type). */
static bool bare_relay(app_cmd_t *out, const char *b, size_t n) {
  while (n && (b[n - 1] == ' ' || b[n - 1] == '\n' || b[n - 1] == '\r')) n--;
  struct {
    const char *w;
    int op;
  } words[] = {{"on", 1}, {"ON", 1}, {"1", 1}, {"off", 0}, {"OFF", 0}, {"0", 0}, {"toggle", 2}, {"TOGGLE", 2}};
  for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
    if (strlen(words[i].w) == n && memcmp(words[i].w, b, n) == 0) {
      out->relay_op = words[i].op == 2 ? APP_RELAY_TOGGLE : APP_RELAY_SET;
      out->relay_on = words[i].op == 1;
      return true;
    }
  }
  return false;
}

static bool get_ref(const json_doc_t *d, int tok, const char *field, float lo, float hi, float *out,
                    app_errors_t *errs) {
  if (json_type(d, tok) != JSON_NUMBER || json_get_float(d, tok, out) != JSON_OK) {
    app_errors_add(errs, "wrong_type", field, "must be a number");
    return false;
  }
  if (!(*out >= lo && *out <= hi)) {
    char m[48];
    snprintf(m, sizeof(m), "must be %g..%g", (double)lo, (double)hi);
    app_errors_add(errs, "out_of_range", field, m);
    return false;
  }
  return true;
}

static void unknown(const json_doc_t *d, int k, app_errors_t *errs) {
  char key[32] = "";
  json_get_string(d, k, key, sizeof(key), NULL);
  app_errors_add(errs, "unknown_field", key, "no such field");
}

static bool check_req(const json_doc_t *d, int v, app_errors_t *errs) {
  if (json_type(d, v) != JSON_STRING || json_get_string(d, v, NULL, 0, NULL) == JSON_ERR_TYPE) {
    app_errors_add(errs, "wrong_type", "req", "must be a string");
    return false;
  }
  char tmp[40];
  size_t n = 0;
  if (json_get_string(d, v, tmp, sizeof(tmp), &n) != JSON_OK || n > 32) {
    app_errors_add(errs, "too_long", "req", "at most 32 bytes");
    return false;
  }
  return true;
}

bool app_cmd_parse(app_cmd_t *out, uint8_t kind, const char *body, size_t len, app_errors_t *errs) {
  memset(out, 0, sizeof(*out));
  memset(errs, 0, sizeof(*errs));
  out->kind = kind;
  out->identify_s = 5;
  if (kind >= APP_CMD_COUNT) {
    app_errors_add(errs, "not_found", NULL, "unknown command");
    return false;
  }
  bool empty = body == NULL || all_space(body, len);
  if (kind == APP_CMD_RELAY && !empty && bare_relay(out, body, len)) return true;
  if (empty) {
    if (kind == APP_CMD_IDENTIFY || kind == APP_CMD_REBOOT) return true;
    app_errors_add(errs, "invalid_json", NULL, "a JSON object body is required");
    return false;
  }
  static json_tok_t toks[CMD_TOKENS]; /* off the network task's stack; owner: the network loop (app.h) */
  json_doc_t d;
  json_err_t pe = json_parse(&d, body, len, toks, CMD_TOKENS);
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
  if (kind == APP_CMD_CONFIG) return true;
  bool has_on = false, has_toggle = false, confirm = false;
  for (int k = json_next_child(&d, JSON_ROOT, -1); k >= 0; k = json_next_child(&d, JSON_ROOT, k)) {
    int v = k + 1;
    if (json_str_eq(&d, k, "req")) {
      check_req(&d, v, errs);
      continue;
    }
    switch (kind) {
      case APP_CMD_RELAY:
        if (json_str_eq(&d, k, "on")) {
          if (json_get_bool(&d, v, &out->relay_on) != JSON_OK) {
            app_errors_add(errs, "wrong_type", "on", "must be true or false");
          } else {
            has_on = true;
          }
        } else if (json_str_eq(&d, k, "clear_lockout")) {
          if (json_get_bool(&d, v, &out->clear_lockout) != JSON_OK || !out->clear_lockout) {
            app_errors_add(errs, "invalid_value", "clear_lockout", "must be true");
          }
        } else if (json_str_eq(&d, k, "toggle")) {
          bool t = false;
          if (json_get_bool(&d, v, &t) != JSON_OK) {
            app_errors_add(errs, "wrong_type", "toggle", "must be true");
          } else if (!t) {
            app_errors_add(errs, "invalid_value", "toggle", "must be true");
          } else {
            has_toggle = true;
          }
        } else {
          unknown(&d, k, errs);
        }
        break;
      case APP_CMD_CALIBRATE:
        if (json_str_eq(&d, k, "power_w")) {
          out->has_power = get_ref(&d, v, "power_w", 1.0f, 4000.0f, &out->ref_power_w, errs);
        } else if (json_str_eq(&d, k, "voltage_v")) {
          out->has_voltage = get_ref(&d, v, "voltage_v", 50.0f, 300.0f, &out->ref_voltage_v, errs);
        } else if (json_str_eq(&d, k, "current_a")) {
          out->has_current = get_ref(&d, v, "current_a", 0.01f, 17.0f, &out->ref_current_a, errs);
        } else if (json_str_eq(&d, k, "reset")) {
          bool r = false;
          if (json_get_bool(&d, v, &r) != JSON_OK || !r) {
            app_errors_add(errs, "invalid_value", "reset", "must be true");
          } else {
            out->cal_reset = true;
          }
        } else {
          unknown(&d, k, errs);
        }
        break;
      case APP_CMD_ENERGY_RESET:
        if (json_str_eq(&d, k, "confirm")) {
          if (json_get_bool(&d, v, &confirm) != JSON_OK) {
            app_errors_add(errs, "wrong_type", "confirm", "must be true");
          }
        } else {
          unknown(&d, k, errs);
        }
        break;
      case APP_CMD_IDENTIFY:
        if (json_str_eq(&d, k, "seconds")) {
          int64_t s;
          json_err_t e = json_get_int64(&d, v, &s);
          if (e == JSON_OK && (s < 1 || s > 60)) {
            app_errors_add(errs, "out_of_range", "seconds", "must be 1..60");
          } else if (e != JSON_OK) {
            app_errors_add(errs, e == JSON_ERR_RANGE ? "out_of_range" : "wrong_type", "seconds",
                           "must be a whole number 1..60");
          } else {
            out->identify_s = (uint8_t)s;
          }
        } else {
          unknown(&d, k, errs);
        }
        break;
      case APP_CMD_REBOOT:
      default: unknown(&d, k, errs); break;
    }
  }
  if (errs->count) return false;
  if (kind == APP_CMD_RELAY) {
    if (out->clear_lockout && !has_on && !has_toggle) {
      out->relay_op = APP_RELAY_SET; /* clearing alone: the relay stays as it is (off) */
      out->relay_on = false;
      return true;
    }
    if (has_on == has_toggle) {
      app_errors_add(errs, has_on ? "invalid_value" : "required", "on",
                     "give exactly one of \"on\": true|false or \"toggle\": true");
      return false;
    }
    out->relay_op = has_toggle ? APP_RELAY_TOGGLE : APP_RELAY_SET;
  } else if (kind == APP_CMD_CALIBRATE) {
    if (!out->cal_reset && !out->has_power && !out->has_voltage && !out->has_current) {
      app_errors_add(errs, "required", "power_w", "give power_w, voltage_v and/or current_a, or reset");
      return false;
    }
    if (out->cal_reset && (out->has_power || out->has_voltage || out->has_current)) {
      app_errors_add(errs, "invalid_value", "reset", "reset cannot be combined with references");
      return false;
    }
  } else if (kind == APP_CMD_ENERGY_RESET && !confirm) {
    app_errors_add(errs, "required", "confirm", "send {\"confirm\": true} to reset the energy counter");
    return false;
  }
  return true;
}

bool app_cmd_parse_config(app_cmd_t *out, app_config_change_t *change, const char *body, size_t len, app_source_t src,
                          app_errors_t *errs) {
  memset(out, 0, sizeof(*out));
  out->kind = APP_CMD_CONFIG;
  return app_config_parse(change, body, len, src, errs);
}
