/* app_ota.c — firmware updates, the application's side (see app_ota.h). */
#include "app/app_ota.h"

#include <stdio.h>
#include <string.h>

#include "app/app_ident.h"
#include "app/app_link.h"
#include "app/app_publish.h"
#include "ota/ota.h"

/* Owner: the network loop (ota.h: one owner task). The manager's store writes run inside
 * app_link_store_enter/leave, the store's one exception (app_link.h). */
static struct {
  ota_t o;
  bool ready;
  bool rollback_asked; /* the main loop was asked to reboot for a rollback */
  http_conn_t *conn;   /* the connection uploading an image, NULL when none */
  uint8_t reported;    /* progress of the last "ota" event */
  char key[131];       /* the trusted key as the config shows it */
  app_ota_status_t status;
} s;

/* Owner: app_ota_gate_config (network loop), off the network task's stack. */
static app_config_t s_gate_cfg;
static app_errors_t s_gate_errs;
static char s_gate_key[131];

void app_ota_boot(store_t *st, const app_config_t *cfg) {
  memset(&s, 0, sizeof(s));
  const app_ident_t *id = app_ident();
  ota_config_t oc;
  ota_config_defaults(&oc);
  oc.board_id = id->opt.ota_board_id ? id->opt.ota_board_id : APP_DEFAULT_OTA_BOARD;
  oc.accept_obli = !id->opt.ota_accept_bl60x; /* BL602 boot2 boots only its own header: no OBLI there */
  oc.accept_bl60x = id->opt.ota_accept_bl60x;
  /* also with a sick store (st NULL): OTA is the way out */
  (void)ota_init(&s.o, st, &oc, hal_time_us64());
  s.ready = true;
  uint8_t key[65]; /* its own trust record; the config's key only on the first start with it */
  ota_trust_load(&s.o, app_config_ota_key(cfg, key) ? key : NULL);
  ota_key_hex(&s.o, s.key);
  app_ota_refresh(false);
}

bool app_ota_ready(void) { return s.ready; }
const char *app_ota_board_id(void) { return s.ready && s.o.board_id[0] ? s.o.board_id : NULL; }
const char *app_ota_trusted_key(void) { return s.key; }

void app_ota_note_proof(void) {
  if (s.ready) ota_note_proof(&s.o);
}

void app_ota_poll(uint64_t now_ms, bool network_healthy, bool mqtt_online) {
  static uint64_t last_ms;
  if (!s.ready || now_ms - last_ms < 1000u) return;
  last_ms = now_ms;
  if (mqtt_online) ota_note_proof(&s.o); /* an MQTT CONNACK: the image reaches its owner */
  app_link_store_enter();                /* a confirmation or rollback writes the OTA record */
  ota_action_t act = ota_poll(&s.o, hal_time_us64(), network_healthy);
  app_link_store_leave();
  if (act == OTA_ACTION_REBOOT && !s.rollback_asked) {
    hal_log(HAL_LOG_WARN, "app", "OTA: the new firmware did not confirm itself: rolling back");
    static app_errors_t errs; /* owner: this function (network loop) */
    app_call_t call = {.cmd = {.kind = APP_CALL_REBOOT_SOON}, .errs = &errs};
    s.rollback_asked = app_link_call(&call);
  }
}

bool app_ota_gate_config(app_call_t *c, bool password_proven, bool setup_ap) {
  if (!s.ready) return true;
  app_config_t *next = &s_gate_cfg;
  *next = app_link_view()->cfg;
  memset(&s_gate_errs, 0, sizeof(s_gate_errs));
  /* The whole change checked against the config as the network sees it, so a key is never trusted for a
   * request the main loop then refuses. app_config_apply's static work areas are free: the main loop
   * applies only inside a call, and no call runs while the network loop is here (one call at a time). */
  if (!c->change || !app_config_apply(next, c->change, c->src, &s_gate_errs)) return true; /* the main loop: 400 */
  const char *code, *msg;
  app_link_store_enter(); /* a trusted key is written to its own record */
  int st = ota_key_gate(&s.o, next->ota_public_key, password_proven, setup_ap, hal_time_us64(), &code, &msg);
  app_link_store_leave();
  ota_key_hex(&s.o, s.key);
  snprintf(s_gate_key, sizeof(s_gate_key), "%s", s.key);
  c->ota_key = s_gate_key;
  if (st == 200) return true;
  app_errors_add(c->errs, code, "ota_public_key", msg);
  c->status = st;
  return false;
}

void app_ota_button(void) {
  if (!s.ready) return;
  app_link_store_enter(); /* a confirmed key is written to its own record */
  bool did = ota_button(&s.o, hal_time_us64());
  app_link_store_leave();
  if (!did) return;
  ota_key_hex(&s.o, s.key);
  if (strcmp(s.key, app_link_view()->cfg.ota_public_key) == 0) return; /* a downgrade allowed, no key change */
  static app_errors_t errs;                                            /* owner: this function (network loop) */
  static app_call_t call;
  memset(&call, 0, sizeof(call));
  call.cmd.kind = APP_CALL_OTA_KEY;
  call.errs = &errs;
  call.ota_key = s.key;
  if (!app_link_call(&call) || call.status != 200) {
    hal_log(HAL_LOG_ERROR, "app", "the confirmed OTA key is trusted but the config could not show it");
  }
}

void app_ota_refresh(bool force_event) {
  if (!s.ready) return;
  ota_status_t st;
  ota_status(&s.o, &st);
  app_ota_status_t *a = &s.status;
  uint8_t old_state = a->state;
  a->state = (uint8_t)st.state;
  a->progress = st.progress;
  a->bytes = st.bytes;
  a->total = st.total;
  a->rollback = st.rollback < 0 ? 0 : st.rollback ? 1 : 2;
  snprintf(a->error, sizeof(a->error), "%s", st.state == OTA_FAILED ? ota_err_code(st.error) : "");
  pub_set_ota(a);
  bool step = st.progress / 5u != s.reported / 5u;
  if (force_event || old_state != a->state || step) {
    s.reported = st.progress;
    pub_ota_event();
  }
}

/* ---- upload (§11): streamed into the OTA manager as it arrives ------------------------------------------ */

static int http_status(ota_err_t e) {
  switch (e) {
    case OTA_ERR_BUSY: return 409;
    case OTA_ERR_TOO_LARGE: return 413;
    default: return 400;
  }
}

static void fail(http_conn_t *c, ota_err_t e) {
  int st = http_status(e);
  const char *code = st == 409 ? "conflict" : st == 413 ? "payload_too_large" : "invalid_image";
  char msg[120];
  snprintf(msg, sizeof(msg), "%s: %s", ota_err_code(e), ota_err_message(e));
  http_respond_error(c, st, code, msg, NULL, NULL);
  if (s.conn == c) s.conn = NULL;
  app_ota_refresh(true);
}

http_head_action_t app_ota_upload_head(http_conn_t *c, const http_request_t *r) {
  if (!s.ready) {
    http_respond_error(c, 409, "conflict", "firmware update is not available (no storage)", NULL, NULL);
    return HTTP_HEAD_RESPONDED;
  }
  if (!r->has_content_length) {
    http_respond_error(c, 400, "length_required", "Content-Length is required", NULL, NULL);
    return HTTP_HEAD_RESPONDED;
  }
  if (s.conn != NULL) {
    http_respond_error(c, 409, "conflict", "another upload is running", NULL, NULL);
    return HTTP_HEAD_RESPONDED;
  }
  app_link_store_enter(); /* ota_begin/write/finish/abort may write the OTA record (app_link.h) */
  ota_err_t e = ota_begin(&s.o, r->content_length);
  app_link_store_leave();
  if (e != OTA_ERR_NONE) {
    fail(c, e);
    return HTTP_HEAD_RESPONDED;
  }
  s.conn = c;
  s.reported = 0;
  app_ota_refresh(true);
  return HTTP_HEAD_STREAM;
}

bool app_ota_upload_body(http_conn_t *c, const uint8_t *d, size_t n) {
  if (c != s.conn) return false;
  app_link_store_enter();
  ota_err_t e = ota_write(&s.o, d, n);
  app_link_store_leave();
  if (e != OTA_ERR_NONE) {
    fail(c, e);
    return false;
  }
  app_ota_refresh(false);
  return true;
}

void app_ota_upload_done(http_conn_t *c) {
  s.conn = NULL;
  app_link_store_enter();
  ota_err_t e = ota_finish(&s.o);
  app_link_store_leave();
  if (e != OTA_ERR_NONE) {
    fail(c, e);
    return;
  }
  app_ota_refresh(true);
  size_t cap;
  char *buf = http_body_buffer(c, &cap);
  jsonw_t w;
  jsonw_init(&w, buf, cap);
  app_ota_write(&s.status, &w);
  int32_t n = jsonw_finish(&w);
  http_respond_in_place(c, 200, "application/json", n < 0 ? 0 : (size_t)n, NULL);
  static app_errors_t errs; /* owner: this function (network loop) */
  app_call_t call = {.cmd = {.kind = APP_CALL_REBOOT_SOON}, .errs = &errs};
  (void)app_link_call(&call);
}

void app_ota_conn_closed(http_conn_t *c) {
  if (c != s.conn) return; /* the uploader went away mid-image */
  s.conn = NULL;
  app_link_store_enter();
  ota_abort(&s.o);
  app_link_store_leave();
  app_ota_refresh(true);
}

void app_ota_write_status(jsonw_t *w) { app_ota_write(&s.status, w); }
