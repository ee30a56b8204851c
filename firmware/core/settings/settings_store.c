/* Settings on flash: one record (STORE_KEY_SETTINGS) of tagged fields, and the relay state as its own record.
 * Record: u8 format (1), then per field: u8 id, u8 len, len bytes (little-endian numbers, strings without
 * NUL, key 0 or 65 bytes). Tags make the record independent of the C struct layout: a newer firmware adds
 * ids, an older one skips ids it does not know. */
#include <string.h>

#include "hal.h"
#include "settings/settings.h"

/* strnlen is POSIX, not C11. */
static size_t str_len_max(const char *s, size_t max) {
  size_t n = 0;
  while (n < max && s[n]) n++;
  return n;
}

#define FORMAT 1u
#define MAX_RECORD 1024u

_Static_assert(sizeof(settings_startup_t) == sizeof(int), "enum fields are accessed as int");
_Static_assert(sizeof(settings_led_mode_t) == sizeof(int), "enum fields are accessed as int");

static size_t encode_field(const settings_t *s, const settings_field_t *f, uint8_t *out) {
  const uint8_t *p = (const uint8_t *)s + f->offset;
  uint32_t u = 0;
  switch (f->type) {
    case SETTINGS_T_BOOL: out[0] = *(const bool *)p ? 1 : 0; return 1;
    case SETTINGS_T_ENUM: {
      int v;
      memcpy(&v, p, sizeof v);
      out[0] = (uint8_t)v;
      return 1;
    }
    case SETTINGS_T_U16: {
      uint16_t v;
      memcpy(&v, p, 2);
      out[0] = (uint8_t)v;
      out[1] = (uint8_t)(v >> 8);
      return 2;
    }
    case SETTINGS_T_U32:
    case SETTINGS_T_F32:
      memcpy(&u, p, 4);
      for (int i = 0; i < 4; i++) out[i] = (uint8_t)(u >> (8 * i));
      return 4;
    case SETTINGS_T_STR: {
      size_t n = str_len_max((const char *)p, f->size - 1u);
      memcpy(out, p, n);
      return n;
    }
    case SETTINGS_T_KEY:
      if (!s->has_ota_key) return 0;
      memcpy(out, s->ota_public_key, SETTINGS_PUBKEY_LEN);
      return SETTINGS_PUBKEY_LEN;
  }
  return 0;
}

/* Writes one stored field into *s if it decodes and passes its check; false leaves *s unchanged. */
static bool decode_field(settings_t *s, const settings_field_t *f, const uint8_t *v, size_t len) {
  settings_t tmp = *s;
  uint8_t *p = (uint8_t *)&tmp + f->offset;
  switch (f->type) {
    case SETTINGS_T_BOOL:
      if (len != 1 || v[0] > 1) return false;
      *(bool *)p = v[0] == 1;
      break;
    case SETTINGS_T_ENUM: {
      if (len != 1) return false;
      int iv = v[0];
      memcpy(p, &iv, sizeof iv);
      break;
    }
    case SETTINGS_T_U16: {
      if (len != 2) return false;
      uint16_t x = (uint16_t)(v[0] | v[1] << 8);
      memcpy(p, &x, 2);
      break;
    }
    case SETTINGS_T_U32:
    case SETTINGS_T_F32: {
      if (len != 4) return false;
      uint32_t x = (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24;
      memcpy(p, &x, 4);
      break;
    }
    case SETTINGS_T_STR:
      if (len >= f->size || memchr(v, 0, len)) return false;
      memset(p, 0, f->size);
      memcpy(p, v, len);
      break;
    case SETTINGS_T_KEY:
      if (len == 0) {
        tmp.has_ota_key = false;
      } else if (len == SETTINGS_PUBKEY_LEN) {
        memcpy(tmp.ota_public_key, v, len);
        tmp.has_ota_key = true;
      } else {
        return false;
      }
      break;
  }
  if (settings_check_field(&tmp, f) != SETTINGS_OK) return false;
  *s = tmp;
  return true;
}

settings_err_t settings_save(store_t *st, const settings_t *s) {
  const settings_field_t *bad;
  settings_err_t e = settings_check_all(s, &bad);
  if (e != SETTINGS_OK) return e;
  uint8_t rec[MAX_RECORD];
  size_t n = 0, count;
  const settings_field_t *fields = settings_fields(&count);
  rec[n++] = FORMAT;
  for (size_t i = 0; i < count; i++) {
    if (n + 2u + 255u > sizeof rec) return SETTINGS_ERR_STORAGE; /* schema grew past the record */
    size_t len = encode_field(s, &fields[i], rec + n + 2);
    rec[n] = fields[i].id;
    rec[n + 1] = (uint8_t)len;
    n += 2u + len;
  }
  return store_put(st, STORE_KEY_SETTINGS, rec, n) == STORE_OK ? SETTINGS_OK : SETTINGS_ERR_STORAGE;
}

static const settings_field_t *field_by_id(uint8_t id) {
  size_t count;
  const settings_field_t *fields = settings_fields(&count);
  for (size_t i = 0; i < count; i++)
    if (fields[i].id == id) return &fields[i];
  return NULL;
}

settings_err_t settings_load(store_t *st, settings_t *s, bool *last_relay_on) {
  settings_defaults(s);
  if (last_relay_on) {
    uint8_t r = 0;
    size_t len = 0;
    *last_relay_on = store_get(st, STORE_KEY_RELAY, &r, 1, &len) == STORE_OK && len == 1 && r == 1;
  }
  uint8_t rec[MAX_RECORD];
  size_t n = 0;
  store_err_t se = store_get(st, STORE_KEY_SETTINGS, rec, sizeof rec, &n);
  if (se == STORE_ERR_NOT_FOUND) return SETTINGS_OK; /* first boot */
  if (se != STORE_OK || n < 1 || rec[0] != FORMAT) {
    hal_log(HAL_LOG_ERROR, "settings", "stored settings unreadable (%d): using defaults", (int)se);
    return se == STORE_OK ? SETTINGS_OK : SETTINGS_ERR_STORAGE;
  }
  for (size_t i = 1; i + 2u <= n;) {
    uint8_t id = rec[i], len = rec[i + 1];
    if (i + 2u + len > n) break;
    const settings_field_t *f = field_by_id(id);
    if (f && !decode_field(s, f, rec + i + 2, len))
      hal_log(HAL_LOG_WARN, "settings", "stored %s rejected: default kept", f->name);
    i += 2u + len;
  }
  const settings_field_t *bad = NULL;
  if (settings_check_all(s, &bad) != SETTINGS_OK) {
    /* Only a cross-field rule can fail here (each field passed on its own): MQTT without a host. */
    hal_log(HAL_LOG_WARN, "settings", "stored %s inconsistent: MQTT disabled", bad ? bad->name : "?");
    s->mqtt_enabled = false;
    if (settings_check_all(s, NULL) != SETTINGS_OK) settings_defaults(s);
  }
  return SETTINGS_OK;
}

settings_err_t settings_save_relay(store_t *st, bool on) {
  uint8_t r = on ? 1 : 0;
  return store_put(st, STORE_KEY_RELAY, &r, 1) == STORE_OK ? SETTINGS_OK : SETTINGS_ERR_STORAGE;
}
