/* app_ota.h — the application's side of firmware updates (docs/protocol.md §11): the upload streamed from
 * the HTTP API into the OTA manager (core/ota), its status and "ota" events, the signing key the config
 * names, and the trial boot's bookkeeping.
 *
 * Loops: the upload, the status and the key are the network loop's; app_ota_main_poll() (confirm or roll
 * back a trial boot, which writes the OTA record in the store) is the main loop's. */
#ifndef OBL_APP_OTA_H
#define OBL_APP_OTA_H

#include <stdbool.h>
#include <stdint.h>

#include "app/app_model.h"
#include "http/http_server.h"
#include "store/store.h"

/* boot: st NULL = no store, no OTA */
void app_ota_boot(store_t *st, const app_config_t *cfg);
bool app_ota_ready(void);
/* The board id images must name (§2 "ota_board"); NULL when OTA is unavailable. */
const char *app_ota_board_id(void);

/* main loop, about once a second: true = the trial image did not confirm itself, roll back (reboot) */
bool app_ota_main_poll(uint64_t now_us, bool network_healthy);

/* network loop */
void app_ota_follow_config(const app_config_t *cfg); /* a changed "ota_public_key" */
void app_ota_refresh(bool force_event);              /* status → publish; an "ota" event on a change */
http_head_action_t app_ota_upload_head(http_conn_t *c, const http_request_t *r);
bool app_ota_upload_body(http_conn_t *c, const uint8_t *d, size_t n);
void app_ota_upload_done(http_conn_t *c);
void app_ota_conn_closed(http_conn_t *c);
void app_ota_write_status(jsonw_t *w); /* GET /api/v1/ota */

#endif
