/* app_model.h — the plug as the protocol sees it (docs/protocol.md §2–§4): identity, state, config, and
 * the per-field errors a config change or a command can get. Pure data and pure functions (JSON in/out),
 * shared by the HTTP API, the MQTT binding and the setup page; no hardware, no clock. */
#ifndef OBL_APP_MODEL_H
#define OBL_APP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json/json.h"

#define APP_PROTOCOL_VERSION 1
#define APP_ID_MAX 32
#define APP_NAME_MAX 32
#define APP_HOST_MAX 63
#define APP_MQTT_USER_MAX 32
#define APP_MQTT_PASS_MAX 63
#define APP_SSID_MAX 32
#define APP_WIFI_PASS_MAX 63
#define APP_API_PASS_MIN 8
#define APP_API_PASS_MAX 64

/* ---- config (§4) ---------------------------------------------------------------------------------- */
typedef enum { APP_STARTUP_OFF = 0, APP_STARTUP_ON, APP_STARTUP_RESTORE, APP_STARTUP_TOGGLE } app_startup_t;
typedef enum { APP_LED_RELAY = 0, APP_LED_INVERTED, APP_LED_OFF, APP_LED_NETWORK } app_led_mode_t;

typedef struct {
  char name[APP_NAME_MAX + 1];
  uint8_t startup; /* app_startup_t */
  uint8_t led;     /* app_led_mode_t */
  struct {
    bool enabled, double_press;
    uint16_t long_press_ms;
    uint8_t setup_hold_s;
  } button;
  struct {
    float max_power_w, max_current_a;
    uint16_t hold_s, reclose_s;
  } protection;
  struct {
    float voltage_gain, current_gain, power_gain;
  } calibration;
  struct {
    float power_delta_w, power_delta_pct;
    uint16_t min_interval_s, heartbeat_s;
  } report;
  struct {
    bool enabled;
    char host[APP_HOST_MAX + 1];
    uint16_t port;
    char user[APP_MQTT_USER_MAX + 1];
    char password[APP_MQTT_PASS_MAX + 1];
  } mqtt;
  struct {
    char ssid[APP_SSID_MAX + 1];
    char password[APP_WIFI_PASS_MAX + 1];
  } wifi;
  char api_password[APP_API_PASS_MAX + 1];
  char ota_public_key[131]; /* "" or 130 hex digits "04…": P-256 key OTA images must be signed with */
} app_config_t;

/* Defaults of §4; name = hostname. */
void app_config_defaults(app_config_t *c, const char *hostname);

/* ---- errors --------------------------------------------------------------------------------------- */
typedef struct {
  char code[24]; /* "out_of_range", "invalid_value", ... (§4, §5.1) */
  char message[80];
  char field[40]; /* dotted path; "" when the whole request is at fault */
} app_error_t;

#define APP_ERRORS_MAX 8
typedef struct {
  app_error_t e[APP_ERRORS_MAX];
  uint8_t count;
  bool more; /* further errors were not recorded */
} app_errors_t;

void app_errors_add(app_errors_t *errs, const char *code, const char *field, const char *message);
/* {"error": first, "errors": [all]} */
void app_errors_write(const app_errors_t *errs, jsonw_t *w);

/* Who asks: MQTT may not change credentials (§8.3); setup accepts the setup form's shape (§9); FLASH is the
 * stored record at boot, where a field this firmware does not know, or whose value it does not accept, is
 * dropped alone (it keeps its default): such fields come from a newer firmware before an OTA rollback or a
 * downgrade, and refusing the whole record would drop the plug off its Wi-Fi and open it. */
typedef enum { APP_SRC_HTTP = 0, APP_SRC_MQTT, APP_SRC_SETUP, APP_SRC_FLASH } app_source_t;

/* Largest config record on flash (the record store's value limit): a config whose record would not fit is
 * refused by app_config_patch() with "too_long", so an accepted config always persists and reloads. */
#define APP_CONFIG_PERSIST_MAX 1024u

/* A config change as a request gives it, parsed and validated once: which fields it sets (bit i = the i-th
 * field of the config table) and their values. What a network command hands the main loop (app_link.h). */
typedef struct {
  uint32_t set;
  app_config_t v; /* the values of the fields in `set`; the other fields mean nothing */
} app_config_change_t;

/* Parses a partial config (JSON object text) into *ch, checking every field (type, range, source rules).
 * true when every field was valid; false with errs filled. APP_SRC_FLASH: field by field instead, false only
 * for a record that is no JSON object; errs then lists the fields that were dropped (and ch lacks them).
 * Not reentrant (its working set is static, off the task stacks): the network loop, and the boot path
 * before the loops run. */
bool app_config_parse(app_config_change_t *ch, const char *json, size_t len, app_source_t src, app_errors_t *errs);

/* Applies a parsed change onto *cfg with the checks that need the whole config (a broker needs a host; the
 * flash record must fit APP_CONFIG_PERSIST_MAX): true (cfg updated), or false with errs added (cfg
 * untouched). APP_SRC_FLASH: never refuses (a broker left without a host is switched off). No JSON parsing:
 * cheap enough for the main loop. Not reentrant: callers never run at the same time (one call at a time). */
bool app_config_apply(app_config_t *cfg, const app_config_change_t *ch, app_source_t src, app_errors_t *errs);

/* The OTA key a change sets, or NULL when it leaves the key alone. */
const char *app_config_change_ota_key(const app_config_change_t *ch);

/* Parse and apply in one (the flash record at boot, tests): all-or-nothing from a client, field by field
 * from APP_SRC_FLASH, as the two above. */
bool app_config_patch(app_config_t *cfg, const char *json, size_t len, app_source_t src, app_errors_t *errs);

/* The config's fields as a Markdown table (field, type, range, default) for docs/protocol.md §4; the
 * length, or -1 when it does not fit cap. */
int app_config_describe(char *buf, size_t cap);

/* The config as GET /api/v1/config shows it (secrets as *_set). */
void app_config_write(const app_config_t *cfg, jsonw_t *w);
/* The config with its secrets, for flash; app_config_patch() reads it back. */
void app_config_write_persist(const app_config_t *cfg, jsonw_t *w);

/* ---- state (§3) ----------------------------------------------------------------------------------- */
typedef enum { APP_TRIP_NONE = 0, APP_TRIP_OVERPOWER, APP_TRIP_OVERCURRENT } app_trip_t;
typedef enum {
  APP_OTA_IDLE = 0,
  APP_OTA_RECEIVING,
  APP_OTA_VERIFYING,
  APP_OTA_REBOOTING,
  APP_OTA_FAILED
} app_ota_state_t;

typedef struct {
  uint8_t state; /* app_ota_state_t */
  uint8_t progress;
  uint32_t bytes, total;
  char error[80];   /* "" = none */
  uint8_t rollback; /* §11 "rollback": 0 unknown (null), 1 true, 2 false (the image cannot be rolled back) */
} app_ota_status_t;

typedef struct {
  bool relay;
  float power_w, voltage_v, current_a;
  uint64_t energy_wh;
  bool energy_unknown; /* the stored total could not be read (yet): energy_wh is sent as null (§3) */
  uint8_t tripped;     /* app_trip_t */
  bool lockout;        /* relay locked off after repeated trips (§3) */
  bool pending;        /* §3 relay_pending: a state waits for the relay's minimum interval (else null) */
  bool pending_on;     /* the state it waits to take */
  uint32_t config_rev; /* config changes applied since boot (§3): clients re-read the config when it moves */
  int8_t rssi_dbm;
  uint64_t uptime_s;
  const char *reset_reason; /* "power_on", ... */
  bool safe_mode;
  app_ota_status_t ota;
  bool stale_voltage, stale_current;
} app_state_t;

void app_state_write(const app_state_t *s, jsonw_t *w);
void app_ota_write(const app_ota_status_t *o, jsonw_t *w);
const char *app_ota_state_name(uint8_t st);
const char *app_trip_name(uint8_t t);

/* ---- identity (§2) -------------------------------------------------------------------------------- */
#define APP_CAP_RELAY 0x001u
#define APP_CAP_METERING 0x002u
#define APP_CAP_ENERGY 0x004u
#define APP_CAP_LED 0x008u
#define APP_CAP_BUTTON 0x010u
#define APP_CAP_PROTECTION 0x020u
#define APP_CAP_CALIBRATION 0x040u
#define APP_CAP_IDENTIFY 0x080u
#define APP_CAP_OTA 0x100u
#define APP_CAP_EVENTS 0x200u
#define APP_CAP_MQTT 0x400u

typedef struct {
  char id[APP_ID_MAX + 1];
  char mac[13];
  char hostname[58]; /* "openbl602-<id>[-<n>]": up to an mDNS host label (MDNS_LABEL_MAX) */
  const char *name;
  const char *model;
  const char *board;
  const char *ota_board; /* board id OTA images must name (§2 "ota_board"); NULL = omit */
  const char *fw;
  bool auth;
  bool setup_mode;
  uint32_t caps;
  char http_url[40]; /* "" = omit (HTTP copy) */
} app_info_t;

void app_info_write(const app_info_t *i, jsonw_t *w);

/* The config's OTA key as 65 bytes (04||X||Y); false when none is set. */
bool app_config_ota_key(const app_config_t *cfg, uint8_t key[65]);

/* true when id is [a-z0-9-]{1,32} */
bool app_id_valid(const char *id);

/* ---- commands (§5, §8.3) ---------------------------------------------------------------------------- */
typedef enum {
  APP_CMD_RELAY = 0,
  APP_CMD_CONFIG,
  APP_CMD_CALIBRATE,
  APP_CMD_ENERGY_RESET,
  APP_CMD_IDENTIFY,
  APP_CMD_REBOOT,
  APP_CMD_COUNT
} app_cmd_kind_t;

typedef enum { APP_RELAY_SET = 0, APP_RELAY_TOGGLE } app_relay_op_t;

typedef struct {
  uint8_t kind; /* app_cmd_kind_t */
  /* relay */
  uint8_t relay_op;
  bool relay_on;
  bool clear_lockout; /* "clear_lockout": true (§5.4) */
  /* calibrate: which references were given (NaN-free: has_* flags) */
  bool cal_reset, has_power, has_voltage, has_current;
  float ref_power_w, ref_voltage_v, ref_current_a;
  /* identify */
  uint8_t identify_s;
} app_cmd_t;

/* Command name ("relay", "energy_reset", ...) → kind; -1 when unknown. */
int app_cmd_kind(const char *name);
const char *app_cmd_name(uint8_t kind);

/* Parses a command body (JSON, or for relay also the bare words on/off/toggle/1/0; empty allowed for
 * identify and reboot). A "req" member (string ≤ 32) is allowed in every body and ignored here.
 * APP_CMD_CONFIG only checks that the body is a JSON object: a config command is parsed with
 * app_cmd_parse_config instead. */
bool app_cmd_parse(app_cmd_t *out, uint8_t kind, const char *body, size_t len, app_errors_t *errs);

/* A config command (§5.5, §8.3): out->kind = APP_CMD_CONFIG and the body parsed once into *change
 * (app_config_parse). */
bool app_cmd_parse_config(app_cmd_t *out, app_config_change_t *change, const char *body, size_t len, app_source_t src,
                          app_errors_t *errs);

#endif
