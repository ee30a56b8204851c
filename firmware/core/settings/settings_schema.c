/* The settings schema: one row per field. Flash ids are permanent; add new fields with new ids. */
#include <stddef.h>
#include <string.h>

#include "settings/settings.h"

static const char *const k_startup[] = {"off", "on", "toggle", "restore"};
static const char *const k_led[] = {"relay", "network", "off"};

#define F(NAME, ID, TYPE, MEMBER, MIN, MAX, SECRET, HELP) \
  {#NAME, ID, TYPE, offsetof(settings_t, MEMBER), sizeof(((settings_t *)0)->MEMBER), MIN, MAX, NULL, 0, SECRET, HELP}
#define E(NAME, ID, MEMBER, NAMES, HELP)                                                       \
  {#NAME, ID, SETTINGS_T_ENUM, offsetof(settings_t, MEMBER), sizeof(((settings_t *)0)->MEMBER), 0, \
   (float)(sizeof NAMES / sizeof NAMES[0] - 1), NAMES, (uint8_t)(sizeof NAMES / sizeof NAMES[0]), false, HELP}

static const settings_field_t k_fields[] = {
    E(startup, 1, startup, k_startup, "relay state at power-up: off, on, toggle or restore"),
    E(led_mode, 2, led_mode, k_led, "LED shows: relay, network or off"),
    F(button_double_press, 3, SETTINGS_T_BOOL, button_double_press, 0, 1, false, "report double presses"),
    F(button_long_press_ms, 4, SETTINGS_T_U16, button_long_press_ms, 300, 9000, false,
      "long press in ms, 300 to 9000"),
    F(child_lock, 5, SETTINGS_T_BOOL, child_lock, 0, 1, false, "button does not switch the relay"),
    F(max_power_w, 6, SETTINGS_T_F32, max_power_w, 0, 4000, false, "over-power limit in W, 0 = off, else 10 to 4000"),
    F(max_current_a, 7, SETTINGS_T_F32, max_current_a, 0, 20, false, "over-current limit in A, 0 = off, else 0.1 to 20"),
    F(protect_hold_s, 8, SETTINGS_T_U16, protect_hold_s, 1, 600, false, "seconds over a limit before tripping, 1 to 600"),
    F(protect_reclose_s, 9, SETTINGS_T_U32, protect_reclose_s, 0, 86400, false,
      "seconds after a trip to re-close, 0 = never, up to 86400"),
    F(cal_power, 10, SETTINGS_T_F32, cal_power, 0.05f, 20, false, "power calibration factor, 0.05 to 20"),
    F(cal_voltage, 11, SETTINGS_T_F32, cal_voltage, 0.05f, 20, false, "voltage calibration factor, 0.05 to 20"),
    F(cal_current, 12, SETTINGS_T_F32, cal_current, 0.05f, 20, false, "current calibration factor, 0.05 to 20"),
    F(mqtt_enabled, 13, SETTINGS_T_BOOL, mqtt_enabled, 0, 1, false, "connect to an MQTT broker"),
    F(mqtt_host, 14, SETTINGS_T_STR, mqtt_host, 0, SETTINGS_HOST_MAX, false,
      "broker host name or IPv4 address, up to 63 characters of A-Z a-z 0-9 . - _"),
    F(mqtt_port, 15, SETTINGS_T_U16, mqtt_port, 1, 65535, false, "broker TCP port, 1 to 65535"),
    F(mqtt_user, 16, SETTINGS_T_STR, mqtt_user, 0, SETTINGS_CRED_MAX, false, "MQTT user, up to 63 characters"),
    F(mqtt_password, 17, SETTINGS_T_STR, mqtt_password, 0, SETTINGS_CRED_MAX, true,
      "MQTT password, up to 63 characters"),
    F(device_name, 18, SETTINGS_T_STR, device_name, 0, SETTINGS_NAME_MAX, false,
      "device name, up to 32 bytes, no control characters"),
    F(api_password, 19, SETTINGS_T_STR, api_password, 0, SETTINGS_CRED_MAX, true,
      "HTTP/API password, up to 63 characters, empty = no authentication"),
    F(wifi_ssid, 20, SETTINGS_T_STR, wifi_ssid, 0, SETTINGS_SSID_MAX, false, "Wi-Fi network name, up to 32 bytes"),
    F(wifi_password, 21, SETTINGS_T_STR, wifi_password, 0, SETTINGS_WIFI_PASS_MAX, true,
      "Wi-Fi password: empty (open), 8 to 63 characters, or 64 hex digits"),
    F(report_power_delta_pct, 22, SETTINGS_T_F32, report_power_delta_pct, 0, 100, false,
      "report when power changed by this many percent, 0 to 100"),
    F(report_power_delta_w, 23, SETTINGS_T_F32, report_power_delta_w, 0, 1000, false,
      "report when power changed by this many W, 0 to 1000"),
    F(heartbeat_s, 24, SETTINGS_T_U16, heartbeat_s, 5, 3600, false, "report at least every N seconds, 5 to 3600"),
    F(ota_public_key, 25, SETTINGS_T_KEY, ota_public_key, 0, SETTINGS_PUBKEY_LEN, false,
      "OTA signing key: 130 hex digits of an uncompressed P-256 point (04...), empty = none"),
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

const char *settings_startup_name(settings_startup_t v) {
  return (unsigned)v < 4u ? k_startup[v] : "?";
}
const char *settings_led_mode_name(settings_led_mode_t v) { return (unsigned)v < 3u ? k_led[v] : "?"; }

void settings_defaults(settings_t *s) {
  memset(s, 0, sizeof *s);
  s->startup = SETTINGS_STARTUP_RESTORE;
  s->led_mode = SETTINGS_LED_RELAY;
  s->button_double_press = true;
  s->button_long_press_ms = 1000;
  s->max_power_w = 3680.0f; /* 230 V × 16 A: the plug's rating */
  s->max_current_a = 16.0f;
  s->protect_hold_s = 10;   /* Tasmota MaxPowerHold default */
  s->protect_reclose_s = 0; /* never re-close into an overload on its own unless asked to */
  s->cal_power = s->cal_voltage = s->cal_current = 1.0f;
  s->mqtt_port = 1883;
  s->report_power_delta_pct = 1.0f;
  s->report_power_delta_w = 0.5f;
  s->heartbeat_s = 60;
}
