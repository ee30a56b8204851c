/* The settings schema: one row per field, as docs/protocol.md §4. Flash ids are permanent; a new field gets a
 * new id. */
#include <stddef.h>
#include <string.h>

#include "settings/settings.h"

static const char *const k_startup[] = {"off", "on", "toggle", "restore"};
static const char *const k_led[] = {"relay", "inverted", "off"};

#define SZ(MEMBER) sizeof(((settings_t *)0)->MEMBER)
#define F(NAME, ID, TYPE, MEMBER, MIN, MAX, ZERO_OK, SECRET, HELP) \
  {NAME, ID, TYPE, offsetof(settings_t, MEMBER), SZ(MEMBER), MIN, MAX, ZERO_OK, NULL, 0, SECRET, HELP}
#define E(NAME, ID, MEMBER, NAMES, HELP)                                                             \
  {NAME, ID, SETTINGS_T_ENUM, offsetof(settings_t, MEMBER), SZ(MEMBER), 0,                            \
   (float)(sizeof NAMES / sizeof NAMES[0] - 1), false, NAMES, (uint8_t)(sizeof NAMES / sizeof NAMES[0]), \
   false, HELP}

static const settings_field_t k_fields[] = {
    F("name", 1, SETTINGS_T_STR, name, 1, SETTINGS_NAME_MAX, false, false,
      "1..32 bytes, no control characters"),
    E("startup", 2, startup, k_startup, "one of off, on, toggle, restore"),
    E("led", 3, led, k_led, "one of relay, inverted, off"),
    F("button.enabled", 4, SETTINGS_T_BOOL, button_enabled, 0, 1, false, false, "true or false"),
    F("button.double_press", 5, SETTINGS_T_BOOL, button_double_press, 0, 1, false, false, "true or false"),
    F("button.long_press_ms", 6, SETTINGS_T_U16, button_long_press_ms, 500, 5000, false, false,
      "must be 500..5000"),
    F("button.setup_hold_s", 7, SETTINGS_T_U16, button_setup_hold_s, 5, 60, false, false, "must be 5..60"),
    F("protection.max_power_w", 8, SETTINGS_T_F32, max_power_w, 10, 4000, true, false,
      "must be 0 or 10..4000"),
    F("protection.max_current_a", 9, SETTINGS_T_F32, max_current_a, 0.1f, 17, true, false,
      "must be 0 or 0.1..17"),
    F("protection.hold_s", 10, SETTINGS_T_U16, protect_hold_s, 1, 60, false, false, "must be 1..60"),
    F("protection.reclose_s", 11, SETTINGS_T_U16, protect_reclose_s, 0, 3600, false, false,
      "must be 0..3600"),
    F("calibration.voltage_gain", 12, SETTINGS_T_F32, cal_voltage, 0.5f, 2, false, false, "must be 0.5..2"),
    F("calibration.current_gain", 13, SETTINGS_T_F32, cal_current, 0.5f, 2, false, false, "must be 0.5..2"),
    F("calibration.power_gain", 14, SETTINGS_T_F32, cal_power, 0.5f, 2, false, false, "must be 0.5..2"),
    F("report.power_delta_w", 15, SETTINGS_T_F32, report_power_delta_w, 0.1f, 100, false, false,
      "must be 0.1..100"),
    F("report.power_delta_pct", 16, SETTINGS_T_F32, report_power_delta_pct, 0.1f, 50, false, false,
      "must be 0.1..50"),
    F("report.min_interval_s", 17, SETTINGS_T_U16, report_min_interval_s, 1, 60, false, false,
      "must be 1..60"),
    F("report.heartbeat_s", 18, SETTINGS_T_U16, heartbeat_s, 60, 3600, false, false, "must be 60..3600"),
    F("mqtt.enabled", 19, SETTINGS_T_BOOL, mqtt_enabled, 0, 1, false, false, "true or false"),
    F("mqtt.host", 20, SETTINGS_T_STR, mqtt_host, 1, SETTINGS_HOST_MAX, true, false,
      "host name or IPv4 address, 1..63 characters of A-Z a-z 0-9 . - _; required when MQTT is enabled"),
    F("mqtt.port", 21, SETTINGS_T_U16, mqtt_port, 1, 65535, false, false, "must be 1..65535"),
    F("mqtt.user", 22, SETTINGS_T_STR, mqtt_user, 0, SETTINGS_MQTT_USER_MAX, true, false,
      "0..32 bytes, no control characters"),
    F("mqtt.password", 23, SETTINGS_T_STR, mqtt_password, 0, SETTINGS_MQTT_PASS_MAX, true, true,
      "0..64 bytes, no control characters"),
    F("wifi.ssid", 24, SETTINGS_T_STR, wifi_ssid, 1, SETTINGS_SSID_MAX, false, false,
      "1..32 bytes, no control characters"),
    F("wifi.password", 25, SETTINGS_T_STR, wifi_password, 8, SETTINGS_WIFI_PASS_MAX, true, true,
      "empty (open network) or 8..63 bytes"),
    F("api_password", 26, SETTINGS_T_STR, api_password, 8, SETTINGS_API_PASS_MAX, true, true,
      "empty (no password) or 8..64 printable ASCII characters"),
    F("ota_public_key", 27, SETTINGS_T_KEY, ota_public_key, 0, SETTINGS_PUBKEY_LEN, true, false,
      "130 hex digits of an uncompressed P-256 point (04...), or empty for none"),
};

const settings_field_t *settings_fields(size_t *count) {
  if (count) *count = sizeof k_fields / sizeof k_fields[0];
  return k_fields;
}

const settings_field_t *settings_field(const char *name) {
  if (!name) return NULL;
  for (size_t i = 0; i < sizeof k_fields / sizeof k_fields[0]; i++)
    if (strcmp(k_fields[i].name, name) == 0) return &k_fields[i];
  return NULL;
}

const char *settings_startup_name(settings_startup_t v) { return (unsigned)v < 4u ? k_startup[v] : "?"; }
const char *settings_led_mode_name(settings_led_mode_t v) { return (unsigned)v < 3u ? k_led[v] : "?"; }

void settings_defaults(settings_t *s) {
  memset(s, 0, sizeof *s);
  s->startup = SETTINGS_STARTUP_RESTORE;
  s->led = SETTINGS_LED_RELAY;
  s->button_enabled = true;
  s->button_double_press = true;
  s->button_long_press_ms = 1000;
  s->button_setup_hold_s = 10;
  s->max_power_w = 3680.0f; /* 230 V × 16 A: the plug's rating */
  s->max_current_a = 16.0f;
  s->protect_hold_s = 2;
  s->protect_reclose_s = 0; /* never re-close into an overload unless asked to */
  s->cal_voltage = s->cal_current = s->cal_power = 1.0f;
  s->report_power_delta_w = 0.5f;
  s->report_power_delta_pct = 1.0f;
  s->report_min_interval_s = 2;
  s->heartbeat_s = 60;
  s->mqtt_port = 1883;
}
