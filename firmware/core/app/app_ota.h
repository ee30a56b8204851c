/* app_ota.h — the application's side of firmware updates (docs/protocol.md §11): the upload streamed from
 * the HTTP API into the OTA manager (core/ota), its status and "ota" events, the signing key the config
 * names, and the trial boot's bookkeeping.
 *
 * Loop: all of it is the network loop's (ota.h: one owner task). What writes the store (the OTA record,
 * the trust record) runs inside app_link_store_enter/leave; a rollback or a changed key reaches the main
 * loop as a call. */
#ifndef OBL_APP_OTA_H
#define OBL_APP_OTA_H

#include <stdbool.h>
#include <stdint.h>

#include "app/app_link.h"
#include "app/app_model.h"
#include "http/http_server.h"
#include "store/store.h"

/* boot: st NULL = no usable store: OTA still works (the port keeps the trial record), as the way out.
 * Loads the signing key's trust record (the config's key only on the first start with it). */
void app_ota_boot(store_t *st, const app_config_t *cfg);
bool app_ota_ready(void);
/* The signing key the OTA manager trusts, as the config shows it: "" or 130 hex digits. */
const char *app_ota_trusted_key(void);
/* The board id images must name (§2 "ota_board"); NULL when OTA is unavailable. */
const char *app_ota_board_id(void);

/* network loop */
/* About once a second: confirms a proven trial image or rolls it back (asks the main loop to reboot). */
void app_ota_poll(uint64_t now_ms, bool network_healthy, bool mqtt_online);
void app_ota_note_proof(void);          /* an API request reached the plug (trial image proof) */
void app_ota_refresh(bool force_event); /* status → publish; an "ota" event on a change */
/* Before the main loop applies a config (PATCH, MQTT "config", the setup form): the signing key it asks
 * for passes the trust gate (ota.h: trusted on first use, then the API password plus a button press; never
 * over the setup AP) and c->ota_key names the key trusted afterwards, which the applied config shows.
 * false: answered here — c->status 202 (waits for the button: nothing else applied) or 403, c->errs. */
bool app_ota_gate_config(app_call_t *c, bool password_proven, bool setup_ap);
/* A button gesture: confirms a pending key change or downgrade; a changed key goes into the config. */
void app_ota_button(void);
http_head_action_t app_ota_upload_head(http_conn_t *c, const http_request_t *r);
bool app_ota_upload_body(http_conn_t *c, const uint8_t *d, size_t n);
void app_ota_upload_done(http_conn_t *c);
void app_ota_conn_closed(http_conn_t *c);
void app_ota_write_status(jsonw_t *w); /* GET /api/v1/ota */

#endif
