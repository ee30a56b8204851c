/* app_api.c — the HTTP API (docs/protocol.md §5–§7, §9): routing, authentication, handlers, and the SSE
 * state push that follows the MQTT reporting policy. */
#include <stdio.h>
#include <string.h>

#include "app/app_priv.h"
#include "http/http_auth.h"
#include "http/http_policy.h"

enum { M_GET = 1u << HTTP_M_GET, M_POST = 1u << HTTP_M_POST, M_PATCH = 1u << HTTP_M_PATCH };

typedef enum {
  R_PAGE = 0,
  R_INFO,
  R_STATE,
  R_RELAY,
  R_CONFIG,
  R_CALIBRATE,
  R_ENERGY_RESET,
  R_IDENTIFY,
  R_REBOOT,
  R_OTA,
  R_EVENTS,
  R_SETUP_NETWORKS,
  R_SETUP,
} route_id_t;

typedef struct {
  const char *path;
  uint8_t id;
  uint8_t methods;   /* allowed */
  uint8_t auth_gets; /* GET needs auth when a password is set (writes always do) */
} route_t;

static const route_t ROUTES[] = {
    {"/", R_PAGE, M_GET, 0},
    {"/api/v1/info", R_INFO, M_GET, 0},
    {"/api/v1/state", R_STATE, M_GET, 1},
    {"/api/v1/relay", R_RELAY, M_POST, 1},
    {"/api/v1/config", R_CONFIG, M_GET | M_PATCH, 1},
    {"/api/v1/calibrate", R_CALIBRATE, M_POST, 1},
    {"/api/v1/energy/reset", R_ENERGY_RESET, M_POST, 1},
    {"/api/v1/identify", R_IDENTIFY, M_POST, 1},
    {"/api/v1/reboot", R_REBOOT, M_POST, 1},
    {"/api/v1/ota", R_OTA, M_GET | M_POST, 1},
    {"/api/v1/events", R_EVENTS, M_GET, 1},
    {"/api/v1/setup/networks", R_SETUP_NETWORKS, M_GET, 0},
    {"/api/v1/setup", R_SETUP, M_POST, 0},
};

static const route_t *find_route(const char *path) {
  for (size_t i = 0; i < sizeof(ROUTES) / sizeof(ROUTES[0]); i++) {
    if (strcmp(ROUTES[i].path, path) == 0) return &ROUTES[i];
  }
  return NULL;
}

static void allow_header(uint8_t methods, char *buf, size_t cap) {
  snprintf(buf, cap, "Allow: %s%s%s\r\n", (methods & M_GET) ? "GET" : "",
           (methods & M_POST) ? ((methods & M_GET) ? ", POST" : "POST") : "",
           (methods & M_PATCH) ? ((methods & (M_GET | M_POST)) ? ", PATCH" : "PATCH") : "");
}

/* §7: 1 the request may proceed, 0 refused (401 sent), -1 held by the per-source throttle. */
static int authorize(app_t *a, http_conn_t *c, const http_request_t *r) {
  if (a->cfg.api_password[0] == '\0') return 1;
  uint64_t now = app_now_ms();
  bool has_credentials = r->authorization[0] != '\0' || r->authorization_too_long;
  if (has_credentials) { /* no credentials: not an attempt, costs nothing */
    uint32_t wait = http_throttle_wait_ms(&a->auth_throttle, c->peer_ipv4, now);
    if (wait) {
      c->defer_until_ms = now + wait;
      return -1;
    }
    bool ok = !r->authorization_too_long && http_auth_ok(r->authorization, a->cfg.api_password);
    http_throttle_result(&a->auth_throttle, c->peer_ipv4, ok, now);
    if (ok) return 1;
  }
  /* The plug's own page asks for the password itself: no Basic challenge, which would pop up the
   * browser's login dialog over it. */
  http_respond_error(c, 401, "unauthorized", "API password required (Bearer, or Basic with user admin)", NULL,
                     r->from_page ? "WWW-Authenticate: Bearer realm=\"openbl602\"\r\n"
                                  : "WWW-Authenticate: Basic realm=\"openbl602\"\r\n");
  return 0;
}

/* §9: the setup endpoints (they set every credential) answer only in setup mode, while the station is down
 * (the plug is an access point only), and only to connections that arrived on the access point's address. */
static bool setup_reachable(app_t *a, const http_conn_t *c, const hal_wifi_status_t *ws) {
  uint32_t ap = (uint32_t)ws->ipv4[0] << 24 | (uint32_t)ws->ipv4[1] << 16 | (uint32_t)ws->ipv4[2] << 8 | ws->ipv4[3];
  return a->setup_mode && ws->state == HAL_WIFI_AP && (c->local_ipv4 == 0 || c->local_ipv4 == ap);
}

static void respond_json(http_conn_t *c, int status, void (*fill)(app_t *, jsonw_t *), app_t *a) {
  size_t cap;
  char *buf = http_body_buffer(c, &cap);
  jsonw_t w;
  jsonw_init(&w, buf, cap);
  fill(a, &w);
  int32_t n = jsonw_finish(&w);
  if (n < 0) {
    http_respond_error(c, 500, "internal", "response too large", NULL, NULL);
    return;
  }
  http_respond_in_place(c, status, "application/json", (size_t)n, NULL);
}

static void fill_info(app_t *a, jsonw_t *w) {
  app_info_t i;
  ops_info(a, &i, false);
  app_info_write(&i, w);
}

static void fill_state(app_t *a, jsonw_t *w) {
  app_state_t s;
  ops_state(a, &s);
  app_state_write(&s, w);
}

static void fill_config(app_t *a, jsonw_t *w) {
  app_config_write(&a->cfg, w);
}

static void fill_ota(app_t *a, jsonw_t *w) {
  app_ota_write(&a->ota, w);
}

static void respond_errors(http_conn_t *c, int status, const app_errors_t *errs) {
  size_t cap;
  char *buf = http_body_buffer(c, &cap);
  jsonw_t w;
  jsonw_init(&w, buf, cap);
  app_errors_write(errs, &w);
  int32_t n = jsonw_finish(&w);
  if (n < 0) {
    http_respond_error(c, status, errs->e[0].code, errs->e[0].message, errs->e[0].field[0] ? errs->e[0].field : NULL,
                       NULL);
    return;
  }
  http_respond_in_place(c, status, "application/json", (size_t)n, NULL);
}

/* ---- OTA upload (§11): streamed into the OTA manager as it arrives ---------------------------------------- */

static int ota_http_status(ota_err_t e) {
  switch (e) {
    case OTA_ERR_BUSY: return 409;
    case OTA_ERR_TOO_LARGE: return 413;
    default: return 400;
  }
}

static void ota_fail(app_t *a, http_conn_t *c, ota_err_t e) {
  int st = ota_http_status(e);
  const char *code = st == 409 ? "conflict" : st == 413 ? "payload_too_large" : "invalid_image";
  char msg[120];
  snprintf(msg, sizeof(msg), "%s: %s", ota_err_code(e), ota_err_message(e));
  http_respond_error(c, st, code, msg, NULL, NULL);
  if (a->ota_conn == c) a->ota_conn = NULL;
  ops_ota_refresh(a, true);
}

static http_head_action_t ota_head(app_t *a, http_conn_t *c, const http_request_t *r) {
  if (!a->ota_ready) {
    http_respond_error(c, 409, "conflict", "firmware update is not available (no storage)", NULL, NULL);
    return HTTP_HEAD_RESPONDED;
  }
  if (!r->has_content_length) {
    http_respond_error(c, 400, "length_required", "Content-Length is required", NULL, NULL);
    return HTTP_HEAD_RESPONDED;
  }
  if (a->ota_conn != NULL) {
    http_respond_error(c, 409, "conflict", "another upload is running", NULL, NULL);
    return HTTP_HEAD_RESPONDED;
  }
  ota_err_t e = ota_begin(&a->ota_mgr, r->content_length);
  if (e != OTA_ERR_NONE) {
    ota_fail(a, c, e);
    return HTTP_HEAD_RESPONDED;
  }
  a->ota_conn = c;
  a->ota_reported = 0;
  ops_ota_refresh(a, true);
  return HTTP_HEAD_STREAM;
}

static void ota_done(app_t *a, http_conn_t *c) {
  a->ota_conn = NULL;
  ota_err_t e = ota_finish(&a->ota_mgr);
  if (e != OTA_ERR_NONE) {
    ota_fail(a, c, e);
    return;
  }
  ops_ota_refresh(a, true);
  size_t cap;
  char *buf = http_body_buffer(c, &cap);
  jsonw_t w;
  jsonw_init(&w, buf, cap);
  app_ota_write(&a->ota, &w);
  int32_t n = jsonw_finish(&w);
  http_respond_in_place(c, 200, "application/json", n < 0 ? 0 : (size_t)n, NULL);
  a->reboot_at_ms = app_now_ms() + 1000u; /* time to send the answer and the last events */
}

/* ---- server hooks ----------------------------------------------------------------------------------------- */

static http_head_action_t on_head(void *ctx, http_conn_t *c, const http_request_t *r) {
  app_t *a = ctx;
  const route_t *rt = find_route(r->path);
  if (rt == NULL) {
    http_respond_error(c, 404, "not_found", "no such endpoint", NULL, NULL);
    return HTTP_HEAD_RESPONDED;
  }
  uint8_t m = r->method < 8 ? (uint8_t)(1u << r->method) : 0;
  if (!(rt->methods & m)) {
    char allow[48];
    allow_header(rt->methods, allow, sizeof(allow));
    http_respond_error(c, 405, "method_not_allowed", "method not allowed here", NULL, allow);
    return HTTP_HEAD_RESPONDED;
  }
  hal_wifi_status_t ws;
  hal_wifi_status(&ws);
  if ((rt->id == R_SETUP || rt->id == R_SETUP_NETWORKS) && !setup_reachable(a, c, &ws)) {
    http_respond_error(c, 404, "not_found", "only in setup mode, on the setup access point", NULL, NULL);
    return HTTP_HEAD_RESPONDED;
  }
  http_policy_t pol;
  http_policy_for_plug(&pol, a->opt.http_port ? a->opt.http_port : 80, a->hostname, ws.ipv4, a->opt.advertised_ip,
                       a->setup_mode);
  const char *body_type = m == M_GET ? NULL : rt->id != R_OTA ? "application/json"
                          : r->content_length ? "application/octet-stream" : NULL;
  http_refusal_t no;
  if (http_policy_refuse(&pol, r, NULL, &no)) {
    http_respond_error(c, no.status, no.code, no.message, NULL, NULL);
    return HTTP_HEAD_RESPONDED;
  }
  bool needs_auth = m != M_GET || rt->auth_gets;
  if (rt->id == R_SETUP) needs_auth = false;
  if (needs_auth) {
    int au = authorize(a, c, r);
    if (au <= 0) return au < 0 ? HTTP_HEAD_DEFER : HTTP_HEAD_RESPONDED;
  }
  if (http_policy_refuse(&pol, r, body_type, &no)) { /* after auth: a stranger learns only "401" */
    http_respond_error(c, no.status, no.code, no.message, NULL, NULL);
    return HTTP_HEAD_RESPONDED;
  }
  if (rt->id == R_OTA && r->method == HTTP_M_POST) return ota_head(a, c, r);
  return HTTP_HEAD_BUFFER;
}

static bool on_body(void *ctx, http_conn_t *c, const uint8_t *d, size_t n) {
  app_t *a = ctx;
  if (c != a->ota_conn) return false;
  ota_err_t e = ota_write(&a->ota_mgr, d, n);
  if (e != OTA_ERR_NONE) {
    ota_fail(a, c, e);
    return false;
  }
  ops_ota_refresh(a, false);
  return true;
}

static void run_command(app_t *a, http_conn_t *c, uint8_t kind, const uint8_t *body, size_t len) {
  app_cmd_t cmd;
  app_errors_t errs;
  if (!app_cmd_parse(&cmd, kind, (const char *)body, len, &errs)) {
    respond_errors(c, 400, &errs);
    return;
  }
  size_t cap;
  char *buf = http_body_buffer(c, &cap);
  jsonw_t w;
  jsonw_init(&w, buf, cap);
  int st = ops_run(a, &cmd, (const char *)body, len, APP_SRC_HTTP, &errs, &w);
  if (st != 200) {
    respond_errors(c, st, &errs);
    return;
  }
  int32_t n = jsonw_finish(&w);
  if (n < 0) {
    http_respond_error(c, 500, "internal", "response too large", NULL, NULL);
    return;
  }
  http_respond_in_place(c, 200, "application/json", (size_t)n, NULL);
}

static void setup_networks(app_t *a, http_conn_t *c) {
  (void)a;
  hal_wifi_network_t nets[16];
  size_t n = hal_wifi_scan(nets, 16);
  /* strongest first (§9); n ≤ 16, insertion sort */
  for (size_t i = 1; i < n; i++) {
    hal_wifi_network_t t = nets[i];
    size_t j = i;
    while (j > 0 && nets[j - 1].rssi_dbm < t.rssi_dbm) {
      nets[j] = nets[j - 1];
      j--;
    }
    nets[j] = t;
  }
  size_t cap;
  char *buf = http_body_buffer(c, &cap);
  jsonw_t w;
  jsonw_init(&w, buf, cap);
  jsonw_obj_begin(&w);
  jsonw_key(&w, "networks");
  jsonw_arr_begin(&w);
  for (size_t i = 0; i < n; i++) {
    jsonw_obj_begin(&w);
    jsonw_kstr(&w, "ssid", nets[i].ssid);
    jsonw_kint(&w, "rssi_dbm", nets[i].rssi_dbm);
    jsonw_kbool(&w, "secured", nets[i].secured);
    jsonw_obj_end(&w);
  }
  jsonw_arr_end(&w);
  jsonw_obj_end(&w);
  int32_t len = jsonw_finish(&w);
  http_respond_in_place(c, 200, "application/json", len < 0 ? 0 : (size_t)len, NULL);
}

static void setup_submit(app_t *a, http_conn_t *c, const uint8_t *body, size_t len) {
  app_errors_t errs;
  app_config_t next = a->cfg;
  next.wifi.ssid[0] = '\0';
  if (!app_config_patch(&next, (const char *)body, len, APP_SRC_SETUP, &errs)) {
    respond_errors(c, 400, &errs);
    return;
  }
  if (next.wifi.ssid[0] == '\0') {
    memset(&errs, 0, sizeof(errs));
    app_errors_add(&errs, "required", "wifi.ssid", "choose a Wi-Fi network");
    respond_errors(c, 400, &errs);
    return;
  }
  if (!ops_config_apply(a, &next)) {
    http_respond_error(c, 409, "conflict", "could not write the settings to flash", NULL, NULL);
    return;
  }
  a->setup_mode = false;
  (void)hal_wifi_connect(a->cfg.wifi.ssid, a->cfg.wifi.password);
  if (a->mqtt_inited) mqttdev_info_changed(&a->mqtt);
  ops_state_changed(a);
  http_respond(c, 200, "application/json", "{\"ok\":true}", 11, NULL);
}

static void on_request(void *ctx, http_conn_t *c, const http_request_t *r, const uint8_t *body, size_t len) {
  app_t *a = ctx;
  const route_t *rt = find_route(r->path);
  if (rt == NULL) { /* on_head answered already */
    http_respond_error(c, 404, "not_found", "no such endpoint", NULL, NULL);
    return;
  }
  switch (rt->id) {
    case R_PAGE: {
      hal_wifi_status_t ws;
      hal_wifi_status(&ws);
      if (setup_reachable(a, c, &ws)) {
        http_respond_static(c, 200, "text/html; charset=utf-8", APP_SETUP_PAGE, APP_SETUP_PAGE_LEN, NULL);
      } else {
        http_respond_static(c, 200, "text/html; charset=utf-8", APP_STATUS_PAGE, APP_STATUS_PAGE_LEN, NULL);
      }
      break;
    }
    case R_INFO: respond_json(c, 200, fill_info, a); break;
    case R_STATE: respond_json(c, 200, fill_state, a); break;
    case R_RELAY: run_command(a, c, APP_CMD_RELAY, body, len); break;
    case R_CONFIG:
      if (r->method == HTTP_M_PATCH) {
        run_command(a, c, APP_CMD_CONFIG, body, len);
      } else {
        respond_json(c, 200, fill_config, a);
      }
      break;
    case R_CALIBRATE: run_command(a, c, APP_CMD_CALIBRATE, body, len); break;
    case R_ENERGY_RESET: run_command(a, c, APP_CMD_ENERGY_RESET, body, len); break;
    case R_IDENTIFY: run_command(a, c, APP_CMD_IDENTIFY, body, len); break;
    case R_REBOOT: run_command(a, c, APP_CMD_REBOOT, body, len); break;
    case R_OTA:
      if (r->method == HTTP_M_POST) {
        ota_done(a, c);
      } else {
        respond_json(c, 200, fill_ota, a);
      }
      break;
    case R_EVENTS:
      if (http_sse_start(&a->http, c)) {
        char buf[640];
        int n = ops_state_json(a, buf, sizeof(buf));
        if (n > 0) http_sse_send(c, "state", buf, (size_t)n);
        if (a->sse_last_ms == 0) { /* the first stream: this event is the report the policy counts from */
          ops_snapshot(a, &a->sse_last);
          a->sse_last_ms = app_now_ms();
        }
      }
      break;
    case R_SETUP_NETWORKS: setup_networks(a, c); break;
    case R_SETUP: setup_submit(a, c, body, len); break;
    default: http_respond_error(c, 404, "not_found", "no such endpoint", NULL, NULL); break;
  }
}

static void on_close(void *ctx, http_conn_t *c) {
  app_t *a = ctx;
  if (c == a->ota_conn) { /* the uploader went away mid-image */
    a->ota_conn = NULL;
    ota_abort(&a->ota_mgr);
    ops_ota_refresh(a, true);
  }
}

void api_init(app_t *a, const http_net_t *net) {
  http_handler_t h = {a, on_head, on_body, on_request, on_close};
  http_server_init(&a->http, net, &h, a->conns, APP_HTTP_CONNS, APP_SSE_MAX);
}

/* SSE "state" events follow the MQTT reporting policy (§6, §8.4). */
void api_sse_poll(app_t *a, uint64_t now_ms) {
  if (http_sse_count(&a->http) == 0) {
    a->sse_last_ms = 0;
    return;
  }
  mqttdev_snapshot_t snap;
  ops_snapshot(a, &snap);
  mqttdev_report_cfg_t rc;
  rc.power_abs_w = a->cfg.report.power_delta_w;
  rc.power_rel = a->cfg.report.power_delta_pct / 100.0f;
  rc.min_interval_ms = (uint32_t)a->cfg.report.min_interval_s * 1000u;
  rc.heartbeat_ms = (uint32_t)a->cfg.report.heartbeat_s * 1000u;
  if (a->sse_last_ms != 0 &&
      mqttdev_report_decide(&rc, &a->sse_last, a->sse_last_ms, &snap, now_ms) == MQTTDEV_REPORT_NONE) {
    return;
  }
  char buf[640];
  int n = ops_state_json(a, buf, sizeof(buf));
  if (n <= 0) return;
  /* a stream that connected since the last report already got the state in its first event */
  http_sse_broadcast(&a->http, "state", buf, (size_t)n);
  a->sse_last = snap;
  a->sse_last_ms = now_ms;
}
