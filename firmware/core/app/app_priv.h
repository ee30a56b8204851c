/* app_priv.h — the application's state, shared by its files (not a public API). */
#ifndef OBL_APP_PRIV_H
#define OBL_APP_PRIV_H

#include "app/app.h"
#include "app/app_persist.h" /* APP_STORE_SIZE */
#include "board/board.h"
#include "cmdauth/cmdauth.h"
#include "device/device.h"
#include "energy/energy.h"
#include "hal.h"
#include "http/http_bsd.h"
#include "http/http_server.h"
#include "http/http_throttle.h"
#include "mdns/mdns_responder.h"
#include "metering/bl0937.h"
#include "mqttdev/mqttdev.h"
#include "mqttdev/sock_net.h"
#include "relaysave/relay_save.h"
#include "triplock/trip_lock.h"
#include "ota/ota.h"
#include "store/store.h"
#include "supervisor/supervisor.h"

#define APP_HTTP_CONNS 4
#define APP_SSE_MAX 2

typedef struct {
  app_options_t opt;
  char id[APP_ID_MAX + 1];
  char hostname[APP_ID_MAX + 11];
  char mac[13];
  char fw[17]; /* running firmware version: the running slot's image version, else OBL_FW_VERSION */
  board_profile_t board;
  app_config_t cfg;
  bool cfg_loaded;

  /* storage, energy, supervision */
  store_t store;
  bool store_ok;
  energy_t energy;
  uint64_t meter_seen_uwh; /* meter total already handed to the energy counter */
  uint64_t energy_poll_us;
  supervisor_t sup;
  bool safe_mode;

  /* metering */
  bl0937_t meter;
  bl0937_gains_t nominal;
  bl0937_reading_t reading;

  /* relay, buttons, LEDs, protections (core/device); relay and tripped mirror its events */
  device_t dev;
  bool dev_ok;
  bool relay;
  uint8_t tripped;
  relay_save_t relay_save; /* the relay state waiting to be written (core/relaysave) */
  trip_lock_t trip_lock;   /* relay locked off after repeated trips (core/triplock) */

  /* network */
  hal_wifi_state_t wifi_state;
  bool setup_mode;
  uint64_t setup_since_ms;
  bool setup_auto_exit; /* entered from a working network: leave after 10 min */
  bool net_up;          /* sockets usable */
  http_bsd_t http_bsd;
  bool http_listening;
  http_server_t http;
  http_conn_t conns[APP_HTTP_CONNS];
  mdns_responder_t mdns;
  bool mdns_running;
  sock_net_t mqtt_sock;
  mqttdev_t mqtt;
  bool mqtt_inited;

  /* reporting to SSE (same policy as MQTT) */
  mqttdev_snapshot_t sse_last;
  uint64_t sse_last_ms;
  uint32_t generation;
  uint8_t last_ota_state;

  http_throttle_t auth_throttle; /* per-source password-guessing budget (core/http/http_throttle.h) */
  cmdauth_t cmd_auth;            /* MQTT commands that need the authenticated form (core/cmdauth) */

  /* set while obl_app_net_poll() runs: the main loop then leaves shared state alone (see app.h) */
  volatile bool net_busy;

  /* pending actions */
  uint64_t reboot_at_ms; /* 0 = none */
  uint64_t boot_ms;
  hal_reset_reason_t reset_reason;

  app_ota_status_t ota;
  ota_t ota_mgr;
  bool ota_ready;
  http_conn_t *ota_conn;   /* the connection uploading an image, NULL when none */
  uint8_t ota_reported;    /* progress of the last "ota" event */
  uint64_t ota_poll_ms;
} app_t;

extern app_t g_app;

static inline uint64_t app_now_ms(void) {
  return hal_time_us64() / 1000u;
}

/* app_device.c: config/relay persistence, the device module, energy */
void dev_init_storage(app_t *a);
void dev_load_config(app_t *a);
bool dev_save_config(app_t *a);
bool dev_init(app_t *a);
void dev_apply_config(app_t *a);
void dev_relay_set(app_t *a, bool on);
void dev_relay_flush(app_t *a); /* writes a relay change still waiting for its quiet period */
void dev_tick(app_t *a, uint64_t now_us);
void dev_energy_account(app_t *a, uint64_t now_us);
bool dev_energy_reset(app_t *a);
void dev_apply_gains(app_t *a);

/* app_ops.c: the protocol operations both transports share */
void ops_state(app_t *a, app_state_t *s);
void ops_info(app_t *a, app_info_t *i, bool for_mqtt);
int ops_state_json(app_t *a, char *buf, size_t cap);
int ops_info_json(app_t *a, char *buf, size_t cap, bool for_mqtt);
/* Runs a parsed command. On success writes the answer body (HTTP) into w (may be NULL) and returns 200;
 * otherwise fills errs and returns the HTTP status. */
int ops_run(app_t *a, const app_cmd_t *cmd, const char *body, size_t len, app_source_t src, app_errors_t *errs,
            jsonw_t *w);
bool ops_config_apply(app_t *a, const app_config_t *next);
void ops_state_changed(app_t *a);
void ops_snapshot(app_t *a, mqttdev_snapshot_t *out);
void ops_button_event(app_t *a, const char *action);
void ops_ota_event(app_t *a);
/* Refreshes a->ota from the OTA manager; sends an "ota" event on a state change or every 5 %. */
void ops_ota_refresh(app_t *a, bool force_event);
/* Persists what must survive and reboots (OTA switch, reboot command, rollback). */
void ops_reboot_now(app_t *a);
/* Hands the config's OTA public key (or none) to the OTA manager. */
void ops_apply_ota_key(app_t *a);
void ops_enter_setup(app_t *a, bool auto_exit);

/* app_api.c */
void api_init(app_t *a, const http_net_t *net);
void api_sse_poll(app_t *a, uint64_t now_ms);

/* app_pages.c */
extern const char APP_STATUS_PAGE[];
extern const unsigned APP_STATUS_PAGE_LEN;
extern const char APP_SETUP_PAGE[];
extern const unsigned APP_SETUP_PAGE_LEN;

#endif
