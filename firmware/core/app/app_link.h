/* app_link.h — the one place where the plug's two loops meet (docs/architecture.md, "Concurrency").
 *
 * The main loop owns the hardware and what persists: meter, relay/button/LED/protections (core/device),
 * energy, the config and the record store. The network loop owns the sockets: HTTP, MQTT, mDNS, Wi-Fi and
 * the OTA upload. Neither touches the other's state. They exchange only:
 *   view   main → net: what the network shows (state, config), published by the main loop after every pass
 *          and every call; the network loop reads a consistent copy (a sequence lock: the main loop never
 *          waits for a reader, a reader retries when the main loop wrote meanwhile).
 *   call   net → main: one command at a time (relay, config, calibrate, ...). The network loop hands it
 *          over and waits (net_wait, given by the port) until the main loop ran it at the start of its next
 *          pass; the answer is written into the caller's buffer. With one task running both loops (the
 *          simulated plug) the call runs at once in the caller: that task is then the main loop.
 *   events main → net: button gestures and the setup request, in a small ring.
 *   flags  net → main: the network's LED state, its health for the OTA confirmation, its pass count (the
 *          supervisor's check-in) and "stopped".
 * The main loop never waits for the network loop: metering, protections and the watchdog go on whatever
 * the network does (tests/app_loops proves it with a network call that blocks). */
#ifndef OBL_APP_LINK_H
#define OBL_APP_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app_model.h"
#include "hal.h"

/* ---- view ------------------------------------------------------------------------------------------ */
typedef struct {
  uint32_t generation; /* changes with every reportable change the main loop makes */
  bool dev_ok;         /* the board's relay works */
  bool metered;        /* the board has a meter and it runs (not in safe mode) */
  bool safe_mode;
  bool store_ok;
  bool relay;
  bool relay_pending;    /* a state waits for the relay's minimum interval (core/device) */
  bool relay_pending_on; /* the state it waits to take */
  uint8_t tripped;       /* app_trip_t */
  bool lockout;          /* relay locked off after repeated trips (core/triplock, §3) */
  uint32_t config_rev;   /* config changes applied since boot (§3); each also bumps generation */
  float power_w, voltage_v, current_a;
  uint32_t meter_flags; /* BL0937_* flags of the reading */
  bool load_connected;  /* false right after switch-on until the new load is measured (bl0937.h) */
  uint64_t energy_wh;
  bool energy_unknown;
  hal_reset_reason_t reset_reason;
  app_config_t cfg;
} app_view_t;

/* main loop */
void app_link_publish(const app_view_t *v);
/* network loop: refreshes and returns its own copy (valid until the next refresh) */
const app_view_t *app_link_view_refresh(void);
/* network loop: its copy as last refreshed */
const app_view_t *app_link_view(void);

/* ---- calls ----------------------------------------------------------------------------------------- */
enum {
  APP_CALL_SETUP = APP_CMD_COUNT, /* the setup form: a config with Wi-Fi (§9) */
  APP_CALL_REBOOT_SOON,           /* after an accepted OTA image, or a trial image's rollback: reboot in a second */
  APP_CALL_OTA_KEY,               /* a key change confirmed on the plug: the config shows ota_key */
};

typedef struct {
  app_cmd_t cmd; /* kind: app_cmd_kind_t or APP_CALL_* */
  app_source_t src;
  /* config, setup: the change, parsed and validated by the network loop (app_cmd_parse_config); unchanged
   * while the call runs */
  const app_config_change_t *change;
  /* config, setup, APP_CALL_OTA_KEY: the signing key the OTA manager trusts (app_ota_gate_config); the
   * applied config shows it. NULL: the config keeps its key. */
  const char *ota_key;
  char *out; /* answer body (JSON) on success; NULL = none wanted */
  size_t out_cap;
  /* results */
  int status;         /* 200, or the HTTP status of errs */
  int32_t out_len;    /* < 0: the answer did not fit */
  app_errors_t *errs; /* caller's */
} app_call_t;

typedef int (*app_call_fn)(app_call_t *c);

/* At init: who runs calls (the main loop's executor) and how the network loop waits (NULL: one task runs
 * both loops, calls run in the caller). */
void app_link_init(app_call_fn run, void (*net_wait)(void));
/* network loop: runs c in the main loop; false (503-like, errs filled) when the main loop did not take it
 * within APP_CALL_TIMEOUT_MS. Refreshes the network's view copy afterwards. */
#define APP_CALL_TIMEOUT_MS 3000u
bool app_link_call(app_call_t *c);
/* main loop: runs the call waiting, if any (then publishes the view through run's own path). */
void app_link_serve(void);

/* ---- events main → net ----------------------------------------------------------------------------- */
typedef enum {
  APP_EV_NONE = 0,
  APP_EV_BUTTON_SINGLE,
  APP_EV_BUTTON_DOUBLE,
  APP_EV_BUTTON_LONG,
  APP_EV_BUTTON_VERY_LONG,
  APP_EV_SETUP_REQUEST, /* very long press: enter setup mode */
} app_event_t;

void app_link_post(app_event_t ev); /* main; dropped when the ring is full (8) */
app_event_t app_link_take(void);    /* net; APP_EV_NONE when empty */

/* ---- flags net → main ------------------------------------------------------------------------------ */
void app_link_set_net_led(uint8_t led_net); /* led_net_t */
uint8_t app_link_net_led(void);
void app_link_set_net_healthy(bool healthy); /* network up, station mode, API listening */
bool app_link_net_healthy(void);
/* The network loop counts its passes; the main loop checks it in with the supervisor when it moved. */
void app_link_net_pass(void);
uint32_t app_link_net_passes(void);
/* A reboot: the main loop asks, the network loop says goodbye (MQTT offline, sockets closed) and answers. */
void app_link_request_stop(void);
bool app_link_stop_requested(void);
void app_link_set_stopped(void);
bool app_link_stopped(void);

/* ---- the store's one exception ----------------------------------------------------------------------
 * The OTA manager writes its own record in the store from the network loop (upload start, end, failure).
 * The store is not safe across tasks, so those calls run inside this guard: the network loop enters it
 * (waiting, with net_wait), the main loop only tries, and when the network holds it (a few ms, rarely) it
 * meters and leaves the rest of its pass (which may write the store) for the next one. */
void app_link_store_enter(void); /* net */
void app_link_store_leave(void); /* net */
bool app_link_store_try(void);   /* main: true = taken, release with app_link_store_release() */
void app_link_store_release(void);

#endif
