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

static void test_defaults_match_protocol(void) {
  settings_t s;
  settings_defaults(&s);
  CHECK_EQ_INT(s.startup, SETTINGS_STARTUP_RESTORE);
  CHECK_NEAR(s.max_power_w, 3680, 0);
  CHECK_NEAR(s.max_current_a, 16, 0);
  CHECK_EQ_INT(s.protect_hold_s, 2);
  CHECK_EQ_INT(s.protect_reclose_s, 0);
  CHECK_EQ_INT(s.mqtt_port, 1883);
  CHECK_EQ_INT(s.heartbeat_s, 60);
  CHECK_EQ_INT(s.report_min_interval_s, 2);
  CHECK(s.button_enabled && s.button_double_press);
  CHECK_EQ_INT(s.button_setup_hold_s, 10);
  CHECK(!s.has_ota_key);
  CHECK_EQ_INT(settings_check_all(&s, NULL), SETTINGS_OK);
}

static void test_schema_names_and_ids_unique(void) {
  size_t n;
  const settings_field_t *f = settings_fields(&n);
  CHECK_EQ_INT(n, 27);
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++) {
      CHECK(f[i].id != f[j].id);
      CHECK(strcmp(f[i].name, f[j].name) != 0);
    }
  CHECK(settings_field("no_such_thing") == NULL);
  CHECK(settings_field("mqtt.port") != NULL);
}

static void test_numbers_checked_per_field(void) {
  settings_t s;
  settings_defaults(&s);
  CHECK_EQ_INT(settings_set_number(&s, F("protection.max_power_w"), 2500), SETTINGS_OK);
  CHECK_NEAR(s.max_power_w, 2500, 0);
  CHECK_EQ_INT(settings_set_number(&s, F("protection.max_power_w"), 4001), SETTINGS_ERR_RANGE);
  CHECK_EQ_INT(settings_set_number(&s, F("protection.max_power_w"), 5), SETTINGS_ERR_RANGE);
  CHECK_EQ_INT(settings_set_number(&s, F("protection.max_power_w"), 0), SETTINGS_OK); /* 0 = off */
  CHECK_EQ_INT(settings_set_number(&s, F("protection.max_current_a"), 17.5), SETTINGS_ERR_RANGE);
  CHECK_EQ_INT(settings_set_number(&s, F("protection.hold_s"), 61), SETTINGS_ERR_RANGE);
  CHECK_EQ_INT(settings_set_number(&s, F("protection.reclose_s"), 3600), SETTINGS_OK);
  CHECK_EQ_INT(settings_set_number(&s, F("mqtt.port"), 0), SETTINGS_ERR_RANGE);
  CHECK_EQ_INT(settings_set_number(&s, F("mqtt.port"), 65536), SETTINGS_ERR_RANGE);
  CHECK_EQ_INT(settings_set_number(&s, F("mqtt.port"), 1883.5), SETTINGS_ERR_TYPE);
  CHECK_EQ_INT(settings_set_number(&s, F("mqtt.port"), 8883), SETTINGS_OK);
  CHECK_EQ_INT(s.mqtt_port, 8883);
  CHECK_EQ_INT(settings_set_number(&s, F("report.heartbeat_s"), 59), SETTINGS_ERR_RANGE);
  CHECK_EQ_INT(settings_set_number(&s, F("calibration.voltage_gain"), 0.0), SETTINGS_ERR_RANGE);
  CHECK_EQ_INT(settings_set_number(&s, F("calibration.voltage_gain"), 1.02), SETTINGS_OK);
  CHECK_EQ_INT(settings_set_number(&s, F("button.long_press_ms"), 400), SETTINGS_ERR_RANGE);
  CHECK_EQ_INT(settings_set_number(&s, F("name"), 1), SETTINGS_ERR_TYPE);
  CHECK_EQ_INT(settings_set_bool(&s, F("mqtt.port"), true), SETTINGS_ERR_TYPE);
  CHECK_EQ_INT(s.mqtt_port, 8883); /* a failed set changes nothing */
  CHECK_STR(settings_err_code(SETTINGS_ERR_RANGE), "out_of_range");
  CHECK_STR(F("protection.max_power_w")->help, "must be 0 or 10..4000");
}

static void test_strings_and_enums_checked(void) {
  settings_t s;
  settings_defaults(&s);
  CHECK_EQ_INT(set_str(&s, "startup", "toggle"), SETTINGS_OK);
  CHECK_EQ_INT(s.startup, SETTINGS_STARTUP_TOGGLE);
  CHECK_EQ_INT(set_str(&s, "startup", "sometimes"), SETTINGS_ERR_INVALID);
  CHECK_STR(settings_err_code(SETTINGS_ERR_INVALID), "invalid_value");
  CHECK_STR(settings_get_string(&s, F("startup"), NULL, 0), "toggle");
  CHECK_EQ_INT(set_str(&s, "led", "inverted"), SETTINGS_OK);
  CHECK_EQ_INT(s.led, SETTINGS_LED_INVERTED);
  CHECK_EQ_INT(set_str(&s, "name", "Kitchen kettle"), SETTINGS_OK);
  CHECK_EQ_INT(set_str(&s, "name", "123456789012345678901234567890123"), SETTINGS_ERR_TOO_LONG);
  CHECK_EQ_INT(set_str(&s, "name", ""), SETTINGS_ERR_TOO_SHORT);
  CHECK_EQ_INT(set_str(&s, "name", "bad\nname"), SETTINGS_ERR_INVALID);
  CHECK_STR(s.name, "Kitchen kettle");
  CHECK_EQ_INT(set_str(&s, "mqtt.host", "broker.local"), SETTINGS_OK);
  CHECK_EQ_INT(set_str(&s, "mqtt.host", "bro ker"), SETTINGS_ERR_INVALID);
  CHECK_EQ_INT(set_str(&s, "mqtt.user", "123456789012345678901234567890123"), SETTINGS_ERR_TOO_LONG);
  CHECK_EQ_INT(set_str(&s, "wifi.password", "short"), SETTINGS_ERR_TOO_SHORT);
  CHECK_EQ_INT(set_str(&s, "wifi.password", "longenough"), SETTINGS_OK);
  CHECK_EQ_INT(set_str(&s, "wifi.password", ""), SETTINGS_OK);
  CHECK_EQ_INT(set_str(&s, "wifi.password",
                       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
               SETTINGS_ERR_TOO_LONG);
  CHECK_EQ_INT(set_str(&s, "wifi.ssid", ""), SETTINGS_ERR_TOO_SHORT);
  CHECK_EQ_INT(set_str(&s, "wifi.ssid", "123456789012345678901234567890123"), SETTINGS_ERR_TOO_LONG);
  CHECK_EQ_INT(set_str(&s, "api_password", "secret"), SETTINGS_ERR_TOO_SHORT);
  CHECK_EQ_INT(set_str(&s, "api_password", "s\xc3\xa9" "cret-long"), SETTINGS_ERR_INVALID); /* ASCII only */
  CHECK_EQ_INT(set_str(&s, "api_password", "correct horse"), SETTINGS_OK);
  CHECK_EQ_INT(set_str(&s, "api_password", ""), SETTINGS_OK);
  CHECK(F("api_password")->secret && F("wifi.password")->secret && F("mqtt.password")->secret);
  CHECK(!F("mqtt.user")->secret);
}

static void test_mqtt_needs_host_when_enabled(void) {
  settings_t s;
  settings_defaults(&s);
  CHECK_EQ_INT(settings_set_bool(&s, F("mqtt.enabled"), true), SETTINGS_OK);
  const settings_field_t *bad = NULL;
  CHECK_EQ_INT(settings_check_all(&s, &bad), SETTINGS_ERR_REQUIRED);
  CHECK(bad == F("mqtt.host"));
  boot();
  CHECK_EQ_INT(settings_save(&st, &s), SETTINGS_ERR_REQUIRED);
  CHECK_EQ_INT(set_str(&s, "mqtt.host", "10.0.0.2"), SETTINGS_OK);
  CHECK_EQ_INT(settings_check_all(&s, NULL), SETTINGS_OK);
  CHECK_EQ_INT(set_str(&s, "mqtt.host", ""), SETTINGS_ERR_REQUIRED);
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
  CHECK_EQ_INT(set_str(&s, "ota_public_key", hex), SETTINGS_ERR_INVALID); /* not an uncompressed point */
  CHECK_EQ_INT(set_str(&s, "ota_public_key", "04ab"), SETTINGS_ERR_INVALID);
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
  CHECK_EQ_INT(set_str(&s, "name", "Desk"), SETTINGS_OK);
  CHECK_EQ_INT(set_str(&s, "mqtt.host", "broker"), SETTINGS_OK);
  CHECK_EQ_INT(settings_set_bool(&s, F("mqtt.enabled"), true), SETTINGS_OK);
  CHECK_EQ_INT(settings_set_number(&s, F("calibration.power_gain"), 1.25), SETTINGS_OK);
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
  /* format 1; mqtt.port (21) = 0 (invalid); report.heartbeat_s (18) = 120; unknown id 200; name (1) "ok" */
  const uint8_t rec[] = {1, 21, 2, 0, 0, 18, 2, 120, 0, 200, 3, 1, 2, 3, 1, 2, 'o', 'k'};
  CHECK_EQ_INT(store_put(&st, STORE_KEY_SETTINGS, rec, sizeof rec), STORE_OK);
  settings_t got;
  CHECK_EQ_INT(settings_load(&st, &got, NULL), SETTINGS_OK);
  CHECK_EQ_INT(got.mqtt_port, 1883);
  CHECK_EQ_INT(got.heartbeat_s, 120);
  CHECK_STR(got.name, "ok");
  /* Truncated TLV and a wrong format byte (e.g. another firmware's JSON): defaults, no crash. */
  const uint8_t trunc[] = {1, 1, 40, 'x'};
  CHECK_EQ_INT(store_put(&st, STORE_KEY_SETTINGS, trunc, sizeof trunc), STORE_OK);
  CHECK_EQ_INT(settings_load(&st, &got, NULL), SETTINGS_OK);
  CHECK_STR(got.name, "");
  const uint8_t json[] = {'{', '"', 'n', '"', '}'};
  CHECK_EQ_INT(store_put(&st, STORE_KEY_SETTINGS, json, sizeof json), STORE_OK);
  CHECK_EQ_INT(settings_load(&st, &got, NULL), SETTINGS_OK);
  CHECK_STR(got.name, "");
}

static void test_storage_failure_gives_defaults(void) {
  fake_hal_reset();
  boot();
  settings_t s, got;
  settings_defaults(&s);
  s.heartbeat_s = 300;
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
  RUN(test_defaults_match_protocol);
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
