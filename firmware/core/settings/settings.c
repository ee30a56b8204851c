/* Field access and validation, driven by the schema table. */
#include "settings/settings.h"

#include <math.h>
#include <string.h>

/* strnlen is POSIX, not C11. */
static size_t str_len_max(const char *s, size_t max) {
  size_t n = 0;
  while (n < max && s[n]) n++;
  return n;
}

static void *field_ptr(settings_t *s, const settings_field_t *f) { return (uint8_t *)s + f->offset; }
static const void *cfield_ptr(const settings_t *s, const settings_field_t *f) {
  return (const uint8_t *)s + f->offset;
}

static bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static uint8_t hex_val(char c) {
  if (c <= '9') return (uint8_t)(c - '0');
  if (c >= 'a') return (uint8_t)(c - 'a' + 10);
  return (uint8_t)(c - 'A' + 10);
}

/* ---- validation of the value a field holds ---- */

/* Checks what a string field holds. "" (unset) always passes here; the setter enforces minimum lengths, so a
 * default such as an empty name (= the hostname) stays valid. */
static settings_err_t check_string(const settings_t *s, const settings_field_t *f) {
  const char *v = cfield_ptr(s, f);
  size_t len = str_len_max(v, f->size);
  if (len >= f->size || len > (size_t)f->max) return SETTINGS_ERR_TOO_LONG; /* no NUL inside the field */
  if (len > 0 && len < (size_t)f->min) return SETTINGS_ERR_TOO_SHORT;
  bool ascii = f->offset == offsetof(settings_t, api_password);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)v[i];
    if (c < 0x20 || c == 0x7F || (ascii && c > 0x7E)) return SETTINGS_ERR_INVALID;
  }
  if (f->offset == offsetof(settings_t, mqtt_host)) {
    for (size_t i = 0; i < len; i++) {
      char c = v[i];
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                c == '-' || c == '_';
      if (!ok) return SETTINGS_ERR_INVALID;
    }
    if (s->mqtt_enabled && len == 0) return SETTINGS_ERR_REQUIRED;
  }
  return SETTINGS_OK;
}

static settings_err_t check_number(const settings_field_t *f, double v) {
  if (isnan(v)) return SETTINGS_ERR_RANGE;
  if (f->zero_ok && v == 0.0) return SETTINGS_OK; /* 0 switches a protection off */
  return v < (double)f->min || v > (double)f->max ? SETTINGS_ERR_RANGE : SETTINGS_OK;
}

settings_err_t settings_check_field(const settings_t *s, const settings_field_t *f) {
  if (!s || !f) return SETTINGS_ERR_UNKNOWN_FIELD;
  switch (f->type) {
    case SETTINGS_T_BOOL: {
      uint8_t b;
      memcpy(&b, cfield_ptr(s, f), 1);
      return b <= 1 ? SETTINGS_OK : SETTINGS_ERR_TYPE;
    }
    case SETTINGS_T_ENUM: {
      int v;
      memcpy(&v, cfield_ptr(s, f), sizeof v);
      return v >= 0 && v < f->enum_count ? SETTINGS_OK : SETTINGS_ERR_TYPE;
    }
    case SETTINGS_T_U16:
    case SETTINGS_T_U32:
    case SETTINGS_T_F32: return check_number(f, settings_get_number(s, f));
    case SETTINGS_T_STR: return check_string(s, f);
    case SETTINGS_T_KEY:
      if (!s->has_ota_key) return SETTINGS_OK;
      return s->ota_public_key[0] == 0x04 ? SETTINGS_OK : SETTINGS_ERR_INVALID;
  }
  return SETTINGS_ERR_TYPE;
}

settings_err_t settings_check_all(const settings_t *s, const settings_field_t **bad) {
  size_t n;
  const settings_field_t *fields = settings_fields(&n);
  for (size_t i = 0; i < n; i++) {
    settings_err_t e = settings_check_field(s, &fields[i]);
    if (e != SETTINGS_OK) {
      if (bad) *bad = &fields[i];
      return e;
    }
  }
  return SETTINGS_OK;
}

/* ---- setters: apply to a copy, check, commit ---- */

static settings_err_t commit(settings_t *s, const settings_t *tmp, const settings_field_t *f) {
  settings_err_t e = settings_check_field(tmp, f);
  if (e == SETTINGS_OK) *s = *tmp;
  return e;
}

settings_err_t settings_set_bool(settings_t *s, const settings_field_t *f, bool v) {
  if (!s || !f) return SETTINGS_ERR_UNKNOWN_FIELD;
  if (f->type != SETTINGS_T_BOOL) return SETTINGS_ERR_TYPE;
  settings_t tmp = *s;
  *(bool *)field_ptr(&tmp, f) = v;
  return commit(s, &tmp, f);
}

settings_err_t settings_set_number(settings_t *s, const settings_field_t *f, double v) {
  if (!s || !f) return SETTINGS_ERR_UNKNOWN_FIELD;
  settings_t tmp = *s;
  bool integer = f->type == SETTINGS_T_U16 || f->type == SETTINGS_T_U32;
  if (!integer && f->type != SETTINGS_T_F32) return SETTINGS_ERR_TYPE;
  if (isnan(v) || isinf(v)) return SETTINGS_ERR_RANGE;
  if (integer && v != floor(v)) return SETTINGS_ERR_TYPE;
  settings_err_t e = check_number(f, v);
  if (e != SETTINGS_OK) return e;
  if (f->type == SETTINGS_T_U16) *(uint16_t *)field_ptr(&tmp, f) = (uint16_t)v;
  if (f->type == SETTINGS_T_U32) *(uint32_t *)field_ptr(&tmp, f) = (uint32_t)v;
  if (f->type == SETTINGS_T_F32) *(float *)field_ptr(&tmp, f) = (float)v;
  return commit(s, &tmp, f);
}

settings_err_t settings_set_string(settings_t *s, const settings_field_t *f, const char *v, size_t len) {
  if (!s || !f) return SETTINGS_ERR_UNKNOWN_FIELD;
  if (!v && len) return SETTINGS_ERR_TYPE;
  settings_t tmp = *s;
  switch (f->type) {
    case SETTINGS_T_ENUM:
      for (uint8_t i = 0; i < f->enum_count; i++) {
        if (strlen(f->enum_names[i]) == len && memcmp(f->enum_names[i], v, len) == 0) {
          int iv = i;
          memcpy(field_ptr(&tmp, f), &iv, sizeof iv);
          return commit(s, &tmp, f);
        }
      }
      return SETTINGS_ERR_INVALID;
    case SETTINGS_T_STR:
      if (len > (size_t)f->max || len >= f->size) return SETTINGS_ERR_TOO_LONG;
      if (len < (size_t)f->min && !(len == 0 && f->zero_ok)) return SETTINGS_ERR_TOO_SHORT;
      if (memchr(v, 0, len)) return SETTINGS_ERR_INVALID;
      memset(field_ptr(&tmp, f), 0, f->size);
      if (len) memcpy(field_ptr(&tmp, f), v, len);
      return commit(s, &tmp, f);
    case SETTINGS_T_KEY:
      if (len == 0) {
        tmp.has_ota_key = false;
        memset(tmp.ota_public_key, 0, sizeof tmp.ota_public_key);
        return commit(s, &tmp, f);
      }
      if (len != 2u * SETTINGS_PUBKEY_LEN) return SETTINGS_ERR_INVALID;
      for (size_t i = 0; i < len; i++)
        if (!is_hex(v[i])) return SETTINGS_ERR_INVALID;
      for (size_t i = 0; i < SETTINGS_PUBKEY_LEN; i++)
        tmp.ota_public_key[i] = (uint8_t)(hex_val(v[2 * i]) << 4 | hex_val(v[2 * i + 1]));
      tmp.has_ota_key = true;
      return commit(s, &tmp, f);
    default: return SETTINGS_ERR_TYPE;
  }
}

/* ---- getters ---- */

bool settings_get_bool(const settings_t *s, const settings_field_t *f) {
  return f->type == SETTINGS_T_BOOL && *(const bool *)cfield_ptr(s, f);
}

double settings_get_number(const settings_t *s, const settings_field_t *f) {
  switch (f->type) {
    case SETTINGS_T_U16: return *(const uint16_t *)cfield_ptr(s, f);
    case SETTINGS_T_U32: return *(const uint32_t *)cfield_ptr(s, f);
    case SETTINGS_T_F32: return *(const float *)cfield_ptr(s, f);
    default: return 0.0;
  }
}

const char *settings_get_string(const settings_t *s, const settings_field_t *f, char *buf, size_t cap) {
  static const char hex[] = "0123456789abcdef";
  switch (f->type) {
    case SETTINGS_T_STR: return cfield_ptr(s, f);
    case SETTINGS_T_ENUM: {
      int v;
      memcpy(&v, cfield_ptr(s, f), sizeof v);
      return v >= 0 && v < f->enum_count ? f->enum_names[v] : "";
    }
    case SETTINGS_T_KEY:
      if (!buf || cap == 0) return "";
      if (!s->has_ota_key || cap < 2u * SETTINGS_PUBKEY_LEN + 1u) {
        buf[0] = 0;
        return buf;
      }
      for (size_t i = 0; i < SETTINGS_PUBKEY_LEN; i++) {
        buf[2 * i] = hex[s->ota_public_key[i] >> 4];
        buf[2 * i + 1] = hex[s->ota_public_key[i] & 15];
      }
      buf[2 * SETTINGS_PUBKEY_LEN] = 0;
      return buf;
    default: return "";
  }
}

const char *settings_err_code(settings_err_t e) {
  switch (e) {
    case SETTINGS_OK: return "ok";
    case SETTINGS_ERR_UNKNOWN_FIELD: return "unknown_field";
    case SETTINGS_ERR_TYPE: return "wrong_type";
    case SETTINGS_ERR_RANGE: return "out_of_range";
    case SETTINGS_ERR_TOO_LONG: return "too_long";
    case SETTINGS_ERR_TOO_SHORT: return "too_short";
    case SETTINGS_ERR_INVALID: return "invalid_value";
    case SETTINGS_ERR_REQUIRED: return "required";
    case SETTINGS_ERR_STORAGE: return "storage_error";
  }
  return "error";
}

const char *settings_err_message(settings_err_t e) {
  switch (e) {
    case SETTINGS_OK: return "ok";
    case SETTINGS_ERR_UNKNOWN_FIELD: return "no such setting";
    case SETTINGS_ERR_TYPE: return "wrong type of value for this setting";
    case SETTINGS_ERR_RANGE: return "value outside the allowed range";
    case SETTINGS_ERR_TOO_LONG: return "text longer than the setting allows";
    case SETTINGS_ERR_TOO_SHORT: return "text shorter than the setting allows";
    case SETTINGS_ERR_INVALID: return "value not allowed for this setting";
    case SETTINGS_ERR_REQUIRED: return "value required by another setting";
    case SETTINGS_ERR_STORAGE: return "settings could not be stored";
  }
  return "error";
}

bool settings_startup_relay(settings_startup_t policy, bool last_on, bool power_on_reset) {
  if (!power_on_reset) return last_on;
  switch (policy) {
    case SETTINGS_STARTUP_OFF: return false;
    case SETTINGS_STARTUP_ON: return true;
    case SETTINGS_STARTUP_TOGGLE: return !last_on;
    case SETTINGS_STARTUP_RESTORE: return last_on;
  }
  return last_on;
}
