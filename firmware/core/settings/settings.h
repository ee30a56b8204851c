/* settings.h — the plug's configuration: schema, defaults, per-field validation, load/save in the record
 * store.
 *
 * Every user-settable field is described by a settings_field_t (JSON name, type, limits), so the HTTP/MQTT
 * config handlers need no per-field code:
 *
 *   settings_t next = current;                           // PATCH is all-or-nothing
 *   const settings_field_t *f = settings_field("protection.max_power_w");
 *   if (!f) → 400 {"code": "unknown_field", "field": name}
 *   settings_err_t e = settings_set_number(&next, f, 2500.0);   // or _bool / _string, by f->type
 *   if (e) → 400 {"code": settings_err_code(e), "message": f->help, "field": f->name}
 *   ... all fields applied without error:
 *   e = settings_check_all(&next, &f);                   // cross-field rules (MQTT host when enabled)
 *   settings_save(store, &next); current = next;
 *
 * The last relay state is not part of the settings record: it changes often, so it is its own tiny record
 * (settings_save_relay), which keeps relay clicks from rewriting ~600 bytes of settings.
 */
#ifndef OBL_SETTINGS_H
#define OBL_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define SETTINGS_NAME_MAX 32      /* name, bytes */
#define SETTINGS_HOST_MAX 63      /* MQTT broker host name or IPv4 */
#define SETTINGS_MQTT_USER_MAX 32
#define SETTINGS_MQTT_PASS_MAX 64
#define SETTINGS_SSID_MAX 32      /* 802.11 limit */
#define SETTINGS_WIFI_PASS_MAX 63 /* WPA2 passphrase: 8..63 */
#define SETTINGS_API_PASS_MAX 64
#define SETTINGS_PUBKEY_LEN 65    /* P-256 uncompressed point 04||X||Y */

/* Tasmota PowerOnState numbering. */
typedef enum {
  SETTINGS_STARTUP_OFF = 0,
  SETTINGS_STARTUP_ON = 1,
  SETTINGS_STARTUP_TOGGLE = 2, /* opposite of the last saved state */
  SETTINGS_STARTUP_RESTORE = 3 /* the last saved state (default, as Tasmota) */
} settings_startup_t;

typedef enum {
  SETTINGS_LED_RELAY = 0,    /* lit while the relay is on (default) */
  SETTINGS_LED_INVERTED = 1, /* lit while the relay is off */
  SETTINGS_LED_OFF = 2,      /* never, except identify and setup mode */
} settings_led_mode_t;

/* Field names, ranges and defaults are those of docs/protocol.md §4 (config); the JSON name of each member is
 * in the comment. ota_public_key is ours (not yet in protocol 1). */
typedef struct {
  char name[SETTINGS_NAME_MAX + 1];  /* "name": 1..32 bytes, no control chars; "" = the hostname */
  settings_startup_t startup;        /* "startup": off|on|toggle|restore                    def restore */
  settings_led_mode_t led;           /* "led": relay|inverted|off                           def relay */
  bool button_enabled;               /* "button.enabled": false = child lock                def true */
  bool button_double_press;          /* "button.double_press"                               def true */
  uint16_t button_long_press_ms;     /* "button.long_press_ms": 500..5000                   def 1000 */
  uint16_t button_setup_hold_s;      /* "button.setup_hold_s": 5..60                        def 10 */
  float max_power_w;                 /* "protection.max_power_w": 0 (off) or 10..4000       def 3680 */
  float max_current_a;               /* "protection.max_current_a": 0 (off) or 0.1..17      def 16 */
  uint16_t protect_hold_s;           /* "protection.hold_s": 1..60 (Tasmota MaxPowerHold)    def 2 */
  uint16_t protect_reclose_s;        /* "protection.reclose_s": 0 (never)..3600 (MaxPowerWindow) def 0 */
  float cal_voltage;                 /* "calibration.voltage_gain": 0.5..2                  def 1 */
  float cal_current;                 /* "calibration.current_gain": 0.5..2                  def 1 */
  float cal_power;                   /* "calibration.power_gain": 0.5..2                    def 1 */
  float report_power_delta_w;        /* "report.power_delta_w": 0.1..100                    def 0.5 */
  float report_power_delta_pct;      /* "report.power_delta_pct": 0.1..50                   def 1 */
  uint16_t report_min_interval_s;    /* "report.min_interval_s": 1..60                      def 2 */
  uint16_t heartbeat_s;              /* "report.heartbeat_s": 60..3600                      def 60 */
  bool mqtt_enabled;                 /* "mqtt.enabled"                                      def false */
  char mqtt_host[SETTINGS_HOST_MAX + 1];          /* "mqtt.host": A-Z a-z 0-9 . - _, required when enabled */
  uint16_t mqtt_port;                /* "mqtt.port": 1..65535                               def 1883 */
  char mqtt_user[SETTINGS_MQTT_USER_MAX + 1];     /* "mqtt.user": 0..32 bytes */
  char mqtt_password[SETTINGS_MQTT_PASS_MAX + 1]; /* "mqtt.password" (write-only): 0..64 bytes */
  char wifi_ssid[SETTINGS_SSID_MAX + 1];          /* "wifi.ssid": 1..32 bytes; "" = not configured */
  char wifi_password[SETTINGS_WIFI_PASS_MAX + 1]; /* "wifi.password" (write-only): "" or 8..63 bytes */
  char api_password[SETTINGS_API_PASS_MAX + 1];   /* "api_password" (write-only): "" or 8..64 printable ASCII */
  bool has_ota_key;                  /* "ota_public_key": 130 hex digits "04…", "" = none */
  uint8_t ota_public_key[SETTINGS_PUBKEY_LEN];
} settings_t;

/* Codes as docs/protocol.md's per-field error codes. */
typedef enum {
  SETTINGS_OK = 0,
  SETTINGS_ERR_UNKNOWN_FIELD, /* "unknown_field" */
  SETTINGS_ERR_TYPE,          /* "wrong_type": a string for a number, 2.5 for an integer */
  SETTINGS_ERR_RANGE,         /* "out_of_range": number outside its range */
  SETTINGS_ERR_TOO_LONG,      /* "too_long" */
  SETTINGS_ERR_TOO_SHORT,     /* "too_short" */
  SETTINGS_ERR_INVALID,       /* "invalid_value": not an enum value, bad host characters, bad hex key */
  SETTINGS_ERR_REQUIRED,      /* "required": mqtt.host when mqtt.enabled */
  SETTINGS_ERR_STORAGE,       /* "storage_error": the record store failed */
} settings_err_t;

typedef enum {
  SETTINGS_T_BOOL,
  SETTINGS_T_U16,
  SETTINGS_T_U32,
  SETTINGS_T_F32,
  SETTINGS_T_ENUM, /* JSON string, one of enum_names */
  SETTINGS_T_STR,  /* JSON string */
  SETTINGS_T_KEY,  /* JSON string of hex (the OTA public key) */
} settings_type_t;

typedef struct {
  const char *name;   /* JSON path, dotted ("mqtt.port") */
  uint8_t id;         /* on-flash tag, never reused */
  settings_type_t type;
  uint16_t offset;    /* in settings_t */
  uint16_t size;      /* bytes in settings_t (strings: including the NUL) */
  float min, max;     /* numbers: range (0 also allowed when zero_ok); strings: length range */
  bool zero_ok;       /* numbers: 0 = off, outside [min, max]; strings: "" allowed besides [min, max] */
  const char *const *enum_names;
  uint8_t enum_count;
  bool secret;        /* write-only: GET /config reports only "<name>_set" */
  const char *help;   /* the error message for this field, e.g. "must be 0 or 10..4000" */
} settings_field_t;

void settings_defaults(settings_t *s);

const settings_field_t *settings_fields(size_t *count);
const settings_field_t *settings_field(const char *name); /* NULL: unknown */

/* Setters validate the one field and leave *s unchanged on error. */
settings_err_t settings_set_bool(settings_t *s, const settings_field_t *f, bool v);
settings_err_t settings_set_number(settings_t *s, const settings_field_t *f, double v);
settings_err_t settings_set_string(settings_t *s, const settings_field_t *f, const char *v, size_t len);

/* Getters. settings_get_string: STR and ENUM return the value/name; KEY writes hex into buf (≥ 131 bytes;
 * "" when no key). */
bool settings_get_bool(const settings_t *s, const settings_field_t *f);
double settings_get_number(const settings_t *s, const settings_field_t *f);
const char *settings_get_string(const settings_t *s, const settings_field_t *f, char *buf, size_t cap);

/* Validation: one field (including its cross-field rule), or all (first failing field in *bad). */
settings_err_t settings_check_field(const settings_t *s, const settings_field_t *f);
settings_err_t settings_check_all(const settings_t *s, const settings_field_t **bad);

const char *settings_err_code(settings_err_t e);    /* protocol code: "out_of_range", ... */
const char *settings_err_message(settings_err_t e); /* human sentence */
const char *settings_startup_name(settings_startup_t v);
const char *settings_led_mode_name(settings_led_mode_t v);

/* Load: defaults overlaid with every stored field that passes its check (a bad or unknown stored field keeps
 * its default, so a newer or damaged record never blocks boot). Also loads the last relay state.
 * Returns SETTINGS_OK, or SETTINGS_ERR_STORAGE with *s = defaults (never garbage). */
settings_err_t settings_load(store_t *st, settings_t *s, bool *last_relay_on);
/* Save: refuses (without writing) anything settings_check_all rejects. */
settings_err_t settings_save(store_t *st, const settings_t *s);
settings_err_t settings_save_relay(store_t *st, bool on);

/* The relay state to apply at boot: after a power-on (or brown-out) reset per the startup policy; after a
 * warm reset (reboot, watchdog, crash) the last state, so a plug that was on stays on. With TOGGLE the
 * caller saves the new state (settings_save_relay) so the next power-up toggles from it. */
bool settings_startup_relay(settings_startup_t policy, bool last_on, bool power_on_reset);

#endif
