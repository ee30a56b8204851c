/* OTA trust: the signing key (trust on first use, changes confirmed on the plug) and the security counter
 * floor that refuses replays of older signed images. Rules: ota.h and docs/ota-image.md §3. */
#include <string.h>

#include "ota/ota.h"
#include "store/store_twin.h"

/* Trust record (STORE_KEY_OTA_TRUST), 71 bytes: format, flags (bit 0: key present), key[65], floor u32 LE.
 * Its own record, so a settings record that fails to load (or an older firmware's config) never drops it; kept
 * twice (store_twin.h), so one rotted record drops neither the key nor the floor. */
#define TRUST_FORMAT 1u
#define TRUST_LEN 71u
#define TRUST_HAS_KEY 0x01u

static const store_twin_t TRUST_RECORDS = {STORE_KEY_OTA_TRUST, STORE_KEY_OTA_TRUST_COPY};

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static store_err_t trust_write(ota_t *o, bool has_key, const uint8_t *key, uint32_t floor) {
  if (!o->store) return STORE_ERR_IO;
  uint8_t b[TRUST_LEN];
  memset(b, 0, sizeof b);
  b[0] = TRUST_FORMAT;
  b[1] = has_key ? TRUST_HAS_KEY : 0;
  if (has_key) memcpy(b + 2, key, 65);
  for (int i = 0; i < 4; i++) b[67 + i] = (uint8_t)(floor >> (8 * i));
  return store_twin_put(o->store, TRUST_RECORDS, b, sizeof b);
}

void ota_trust_load(ota_t *o, const uint8_t *config_key65) {
  uint8_t b[TRUST_LEN];
  size_t len = 0;
  store_err_t e = o->store ? store_twin_get(o->store, TRUST_RECORDS, b, sizeof b, &len, NULL) : STORE_ERR_IO;
  if (e == STORE_OK && len == TRUST_LEN && b[0] == TRUST_FORMAT) {
    ota_set_public_key(o, (b[1] & TRUST_HAS_KEY) ? b + 2 : NULL);
    o->min_counter = le32(b + 67);
    if (o->raise_on_load) ota_trust_raise_floor(o, o->running_counter);
    return;
  }
  if (e == STORE_ERR_NOT_FOUND) {
    /* First start with this module: the key older firmware kept in the config is the one first used. */
    ota_set_public_key(o, config_key65);
    o->min_counter = 0;
    if (config_key65 && trust_write(o, true, config_key65, 0) != STORE_OK)
      hal_log(HAL_LOG_WARN, "ota", "could not record the adopted OTA key");
    if (o->raise_on_load) ota_trust_raise_floor(o, o->running_counter);
    return;
  }
  /* Unreadable (sick store): keep the config's key if there is one, so a key once set is not silently
   * dropped; never write over the record (the next trusted change repairs it). */
  hal_log(HAL_LOG_WARN, "ota", "OTA trust record unreadable (%d): using the config's key", (int)e);
  ota_set_public_key(o, config_key65);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* "" → *present false; 130 hex digits of 04||X||Y → key. false when neither. */
static bool parse_key(const char *hex, bool *present, uint8_t key[65]) {
  size_t n = strlen(hex);
  *present = n != 0;
  if (n == 0) return true;
  if (n != 130) return false;
  for (size_t i = 0; i < 65; i++) {
    int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    key[i] = (uint8_t)(hi * 16 + lo);
  }
  return key[0] == 0x04;
}

ota_key_result_t ota_key_request(ota_t *o, const char *hex, bool password_proven, bool setup_ap, uint64_t now_us) {
  uint8_t key[65];
  bool present;
  if (!parse_key(hex, &present, key)) return OTA_KEY_UNCHANGED; /* the config validation refuses it first */
  if (present == o->has_key && (!present || memcmp(key, o->key, 65) == 0)) return OTA_KEY_UNCHANGED;
  /* The setup AP is open to anyone nearby: it never sets the root of trust, not even the first time. */
  if (setup_ap) return OTA_KEY_REFUSED_SETUP_AP;
  if (!o->has_key) {
    if (trust_write(o, true, key, o->min_counter) != STORE_OK) return OTA_KEY_REFUSED_STORE;
    ota_set_public_key(o, key);
    hal_log(HAL_LOG_INFO, "ota", "OTA signing key trusted (first use)");
    return OTA_KEY_SET;
  }
  if (!password_proven) return OTA_KEY_REFUSED_NO_PASSWORD;
  o->pend_key = true;
  o->pend_key_present = present;
  memcpy(o->pend_key65, present ? key : o->pend_key65, 65);
  o->pend_key_until_us = now_us + (uint64_t)OTA_BUTTON_WINDOW_S * 1000000u;
  hal_log(HAL_LOG_WARN, "ota", "OTA signing key %s requested: press the plug's button within %u s to confirm",
          present ? "change" : "removal", (unsigned)OTA_BUTTON_WINDOW_S);
  return OTA_KEY_PENDING;
}

bool ota_button(ota_t *o, uint64_t now_us) {
  bool did = false;
  o->last_now_us = now_us;
  if (o->pend_key) {
    o->pend_key = false;
    if (now_us <= o->pend_key_until_us) {
      if (trust_write(o, o->pend_key_present, o->pend_key65, o->min_counter) == STORE_OK) {
        ota_set_public_key(o, o->pend_key_present ? o->pend_key65 : NULL);
        hal_log(HAL_LOG_WARN, "ota", "OTA signing key %s, confirmed on the plug",
                o->pend_key_present ? "changed" : "removed");
        did = true;
      } else {
        hal_log(HAL_LOG_ERROR, "ota", "OTA signing key change not recorded: key unchanged");
      }
    }
  }
  if (o->pend_downgrade) {
    o->pend_downgrade = false;
    if (o->pend_downgrade_until_us == 0 || now_us <= o->pend_downgrade_until_us) {
      o->downgrade_until_us = now_us + (uint64_t)OTA_DOWNGRADE_WINDOW_S * 1000000u;
      hal_log(HAL_LOG_WARN, "ota", "downgrade allowed on the plug: one older image within %u s",
              (unsigned)OTA_DOWNGRADE_WINDOW_S);
      did = true;
    }
  }
  return did;
}

int ota_key_gate(ota_t *o, char cfg_hex[131], bool password_proven, bool setup_ap, uint64_t now_us, const char **code,
                 const char **message) {
  ota_key_result_t r = ota_key_request(o, cfg_hex, password_proven, setup_ap, now_us);
  ota_key_hex(o, cfg_hex);
  *code = "not_allowed";
  switch (r) {
    case OTA_KEY_UNCHANGED:
    case OTA_KEY_SET: *message = ""; return 200;
    case OTA_KEY_PENDING:
      *code = "confirm_on_device";
      *message = "press the plug's button within 60 s to confirm the OTA key change";
      return 202;
    case OTA_KEY_REFUSED_SETUP_AP: *message = "the OTA key cannot be set over the setup access point"; return 403;
    case OTA_KEY_REFUSED_NO_PASSWORD:
      *message = "changing the OTA key needs an API password (set one first) and the plug's button";
      return 403;
    case OTA_KEY_REFUSED_STORE: *message = "the OTA key could not be stored"; return 403;
  }
  *message = "";
  return 403;
}

void ota_key_hex(const ota_t *o, char out[131]) {
  static const char digits[] = "0123456789abcdef";
  out[0] = 0;
  if (!o->has_key) return;
  for (size_t i = 0; i < 65; i++) {
    out[2 * i] = digits[o->key[i] >> 4];
    out[2 * i + 1] = digits[o->key[i] & 15];
  }
  out[130] = 0;
}

void ota_trust_raise_floor(ota_t *o, uint32_t counter) {
  if (counter <= o->min_counter) return;
  o->min_counter = counter;
  if (trust_write(o, o->has_key, o->key, counter) != STORE_OK)
    hal_log(HAL_LOG_WARN, "ota", "security counter floor %u not recorded", (unsigned)counter);
}
