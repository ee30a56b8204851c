/* Settings: defaults, per-field validation with its error code, persistence, tolerance of bad records. */
#include <string.h>

#include "fake_hal.h"
#include "settings/settings.h"
#include "unit.h"

static store_t st;

static void boot(void) {
  fake_flash_power_on();
  CHECK_EQ_INT(store_mount(&st, HAL_PART_SETTINGS, 0, FAKE_SETTINGS_SIZE), STORE_OK);
}

static const settings_field_t *F(const char *name) {
  const settings_field_t *f = settings_field(name);
  CHECK(f != NULL);
  return f;
}

static settings_err_t set_str(settings_t *s, const char *name, const char *v) {
  return settings_set_string(s, F(name), v, strlen(v));
}

static void test_defaults_match_plug_rating_and_tasmota(void) {
  settings_t s;
  settings_defaults(&s);
  CHECK_EQ_INT(s.startup, SETTINGS_STARTUP_RESTORE);
  CHECK_NEAR(s.max_power_w, 3680, 0);
  CHECK_NEAR(s.max_current_a, 16, 0);
  CHECK_EQ_INT(s.mqtt_port, 1883);
  CHECK_EQ_INT(s.heartbeat_s, 60);
  CHECK(!s.has_ota_key);
  CHECK_EQ_INT(settings_check_all(&s, NULL), SETTINGS_OK);
}

static void test_schema_names_and_ids_unique(void) {
  size_t n;
  const settings_field_t *f = settings_fields(&n);
  CHECK(n >= 25);
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++) {
      CHECK(f[i].id != f[j].id);
      CHECK(strcmp(f[i].name, f[j].name) != 0);
    }
  CHECK(settings_field("no_such_thing") == NULL);
}

static void test_numbers_checked_per_field(void) {
  settings_t s;
  settings_defaults(&s);
  CHECK_EQ_INT(settings_set_number(&s, F("max_power_w"), 2500), SETTINGS_OK);
  CHECK_NEAR(s.max_power_w, 2500, 0);
  CHECK_EQ_INT(settings_set_number(&s, F("max_power_w"), 4001), SETTINGS_ERR_RANGE);
  CHECK_EQ_INT(settings_set_number(&s, F("max_power_w"), 5), SETTINGS_ERR_RANGE);
  CHECK_EQ_INT(settings_set_number(&s, F("max_power_w"), 0), SETTINGS_OK); /* 0 = off */
  CHECK_EQ_INT(settings_set_number(&s, F("mqtt_port"), 0), SETTINGS_ERR_RANGE);
  CHECK_EQ_INT(settings_set_number(&s, F("mqtt_port"), 65536), SETTINGS_ERR_RANGE);
  CHECK_EQ_INT(settings_set_number(&s, F("mqtt_port"), 1883.5), SETTINGS_ERR_TYPE);
  CHECK_EQ_INT(settings_set_number(&s, F("mqtt_port"), 8883), SETTINGS_OK);
  CHECK_EQ_INT(s.mqtt_port, 8883);
  CHECK_EQ_INT(settings_set_number(&s, F("heartbeat_s"), 4), SETTINGS_ERR_RANGE);
  CHECK_EQ_INT(settings_set_number(&s, F("protect_reclose_s"), 86400), SETTINGS_OK);
  CHECK_EQ_INT(settings_set_number(&s, F("cal_voltage"), 0.0), SETTINGS_ERR_RANGE);
  CHECK_EQ_INT(settings_set_number(&s, F("device_name"), 1), SETTINGS_ERR_TYPE);
  CHECK_EQ_INT(settings_set_bool(&s, F("mqtt_port"), true), SETTINGS_ERR_TYPE);
  CHECK_EQ_INT(s.mqtt_port, 8883); /* a failed set changes nothing */
  CHECK_STR(settings_err_code(SETTINGS_ERR_RANGE), "out_of_range");
}

static void test_strings_and_enums_checked(void) {
  settings_t s;
  settings_defaults(&s);
  CHECK_EQ_INT(set_str(&s, "startup", "toggle"), SETTINGS_OK);
  CHECK_EQ_INT(s.startup, SETTINGS_STARTUP_TOGGLE);
  CHECK_EQ_INT(set_str(&s, "startup", "sometimes"), SETTINGS_ERR_TYPE);
  CHECK_STR(settings_get_string(&s, F("startup"), NULL, 0), "toggle");
  CHECK_EQ_INT(set_str(&s, "led_mode", "network"), SETTINGS_OK);
  CHECK_EQ_INT(set_str(&s, "device_name", "Kitchen kettle"), SETTINGS_OK);
  CHECK_EQ_INT(set_str(&s, "device_name", "123456789012345678901234567890123"), SETTINGS_ERR_TOO_LONG);
  CHECK_EQ_INT(set_str(&s, "device_name", "bad\nname"), SETTINGS_ERR_FORMAT);
  CHECK_STR(s.device_name, "Kitchen kettle");
  CHECK_EQ_INT(set_str(&s, "mqtt_host", "broker.local"), SETTINGS_OK);
  CHECK_EQ_INT(set_str(&s, "mqtt_host", "bro ker"), SETTINGS_ERR_FORMAT);
  CHECK_EQ_INT(set_str(&s, "wifi_password", "short"), SETTINGS_ERR_FORMAT);
  CHECK_EQ_INT(set_str(&s, "wifi_password", "longenough"), SETTINGS_OK);
  CHECK_EQ_INT(set_str(&s, "wifi_password", ""), SETTINGS_OK);
  CHECK_EQ_INT(set_str(&s, "wifi_password",
                       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg"),
               SETTINGS_ERR_FORMAT);
  CHECK_EQ_INT(set_str(&s, "wifi_ssid", "123456789012345678901234567890123"), SETTINGS_ERR_TOO_LONG);
  CHECK(F("api_password")->secret && F("wifi_password")->secret && F("mqtt_password")->secret);
}

static void test_mqtt_needs_host_when_enabled(void) {
  settings_t s;
  settings_defaults(&s);
  CHECK_EQ_INT(settings_set_bool(&s, F("mqtt_enabled"), true), SETTINGS_OK);
  const settings_field_t *bad = NULL;
  CHECK_EQ_INT(settings_check_all(&s, &bad), SETTINGS_ERR_REQUIRED);
  CHECK(bad == F("mqtt_host"));
  boot();
  CHECK_EQ_INT(settings_save(&st, &s), SETTINGS_ERR_REQUIRED);
  CHECK_EQ_INT(set_str(&s, "mqtt_host", "10.0.0.2"), SETTINGS_OK);
  CHECK_EQ_INT(settings_check_all(&s, NULL), SETTINGS_OK);
  CHECK_EQ_INT(set_str(&s, "mqtt_host", ""), SETTINGS_ERR_REQUIRED);
}

static void test_ota_key_hex(void) {
  settings_t s;
  settings_defaults(&s);
  char hex[131];
  memset(hex, 'a', 130);
  hex[0] = '0';
  hex[1] = '4';
  hex[130] = 0;
  CHECK_EQ_INT(set_str(&s, "ota_public_key", hex), SETTINGS_OK);
  CHECK(s.has_ota_key);
  CHECK_EQ_INT(s.ota_public_key[0], 0x04);
  CHECK_EQ_INT(s.ota_public_key[64], 0xAA);
  char out[131];
  CHECK_STR(settings_get_string(&s, F("ota_public_key"), out, sizeof out), hex);
  hex[1] = '2';
  CHECK_EQ_INT(set_str(&s, "ota_public_key", hex), SETTINGS_ERR_FORMAT); /* not an uncompressed point */
  CHECK_EQ_INT(set_str(&s, "ota_public_key", "04ab"), SETTINGS_ERR_FORMAT);
  CHECK_EQ_INT(set_str(&s, "ota_public_key", ""), SETTINGS_OK);
  CHECK(!s.has_ota_key);
}

static void test_save_load_roundtrip(void) {
  fake_hal_reset();
  boot();
  settings_t s, got;
  bool relay = true;
  CHECK_EQ_INT(settings_load(&st, &got, &relay), SETTINGS_OK); /* blank flash: defaults */
  CHECK(!relay);
  settings_defaults(&s);
  CHECK_EQ_INT(set_str(&s, "device_name", "Desk"), SETTINGS_OK);
  CHECK_EQ_INT(set_str(&s, "mqtt_host", "broker"), SETTINGS_OK);
  CHECK_EQ_INT(settings_set_bool(&s, F("mqtt_enabled"), true), SETTINGS_OK);
  CHECK_EQ_INT(settings_set_number(&s, F("cal_power"), 1.25), SETTINGS_OK);
  CHECK_EQ_INT(set_str(&s, "startup", "off"), SETTINGS_OK);
  CHECK_EQ_INT(settings_save(&st, &s), SETTINGS_OK);
  CHECK_EQ_INT(settings_save_relay(&st, true), SETTINGS_OK);
  boot();
  CHECK_EQ_INT(settings_load(&st, &got, &relay), SETTINGS_OK);
  CHECK(memcmp(&s, &got, sizeof s) == 0);
  CHECK(relay);
}

static void test_bad_stored_field_keeps_default(void) {
  fake_hal_reset();
  boot();
  /* format 1; mqtt_port (15) = 0 (invalid); heartbeat (24) = 120; unknown id 200; device_name (18) "ok" */
  const uint8_t rec[] = {1, 15, 2, 0, 0, 24, 2, 120, 0, 200, 3, 1, 2, 3, 18, 2, 'o', 'k'};
  CHECK_EQ_INT(store_put(&st, STORE_KEY_SETTINGS, rec, sizeof rec), STORE_OK);
  settings_t got;
  CHECK_EQ_INT(settings_load(&st, &got, NULL), SETTINGS_OK);
  CHECK_EQ_INT(got.mqtt_port, 1883);
  CHECK_EQ_INT(got.heartbeat_s, 120);
  CHECK_STR(got.device_name, "ok");
  /* Truncated TLV and a wrong format byte: defaults, no crash. */
  const uint8_t trunc[] = {1, 18, 40, 'x'};
  CHECK_EQ_INT(store_put(&st, STORE_KEY_SETTINGS, trunc, sizeof trunc), STORE_OK);
  CHECK_EQ_INT(settings_load(&st, &got, NULL), SETTINGS_OK);
  CHECK_STR(got.device_name, "");
  const uint8_t fmt[] = {9, 18, 1, 'x'};
  CHECK_EQ_INT(store_put(&st, STORE_KEY_SETTINGS, fmt, sizeof fmt), STORE_OK);
  CHECK_EQ_INT(settings_load(&st, &got, NULL), SETTINGS_OK);
  CHECK_STR(got.device_name, "");
}

static void test_storage_failure_gives_defaults(void) {
  fake_hal_reset();
  boot();
  settings_t s, got;
  settings_defaults(&s);
  s.heartbeat_s = 30;
  CHECK_EQ_INT(settings_save(&st, &s), SETTINGS_OK);
  fake_flash_power_off();
  CHECK_EQ_INT(settings_load(&st, &got, NULL), SETTINGS_ERR_STORAGE);
  CHECK_EQ_INT(got.heartbeat_s, 60);
  CHECK_EQ_INT(settings_save(&st, &s), SETTINGS_ERR_STORAGE);
}

static void test_startup_policy(void) {
  /* Power-on: Tasmota PowerOnState; warm reset: keep what was on. */
  CHECK(!settings_startup_relay(SETTINGS_STARTUP_OFF, true, true));
  CHECK(settings_startup_relay(SETTINGS_STARTUP_ON, false, true));
  CHECK(settings_startup_relay(SETTINGS_STARTUP_TOGGLE, false, true));
  CHECK(!settings_startup_relay(SETTINGS_STARTUP_TOGGLE, true, true));
  CHECK(settings_startup_relay(SETTINGS_STARTUP_RESTORE, true, true));
  CHECK(settings_startup_relay(SETTINGS_STARTUP_OFF, true, false));
  CHECK(!settings_startup_relay(SETTINGS_STARTUP_ON, false, false));
}

int main(void) {
  fake_hal_reset();
  RUN(test_defaults_match_plug_rating_and_tasmota);
  RUN(test_schema_names_and_ids_unique);
  RUN(test_numbers_checked_per_field);
  RUN(test_strings_and_enums_checked);
  RUN(test_mqtt_needs_host_when_enabled);
  RUN(test_ota_key_hex);
  RUN(test_save_load_roundtrip);
  RUN(test_bad_stored_field_keeps_default);
  RUN(test_storage_failure_gives_defaults);
  RUN(test_startup_policy);
  return unit_report();
}
