/* app_api.c — the HTTP API (see app_api.h). */
#include "app/app_api.h"

#include <stdio.h>
#include <string.h>

#include "app/app_ident.h"
#include "app/app_link.h"
#include "app/app_network.h"
#include "app/app_ota.h"
#include "app/app_pages.h"
#include "app/app_publish.h"
#include "http/http_auth.h"
#include "http/http_policy.h"
#include "http/http_throttle.h"

#define HTTP_CONNS 4
#define SSE_MAX 2

/* Owner: the network loop. */
static struct {
  http_server_t http;
  http_conn_t conns[HTTP_CONNS];
  bool listening;
  http_throttle_t auth_throttle; /* per-source password-guessing budget (core/http/http_throttle.h) */
} s;

/* Working buffers of the handlers, static so that they stay off the network task's stack (8 KiB on
 * BL602). Owner: the network loop, which runs the handlers one at a time. */
static app_call_t s_call;
static app_errors_t s_errs;
static app_config_change_t s_change; /* a config command's change, parsed once here */

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
static int authorize(http_conn_t *c, const http_request_t *r) {
  const char *password = app_link_view()->cfg.api_password;
  if (password[0] == '\0') return 1;
  uint64_t now = app_now_ms();
  bool has_credentials = r->authorization[0] != '\0' || r->authorization_too_long;
  if (has_credentials) { /* no credentials: not an attempt, costs nothing */
    uint32_t wait = http_throttle_wait_ms(&s.auth_throttle, c->peer_ipv4, now);
    if (wait) {
      c->defer_until_ms = now + wait;
      return -1;
    }
    bool ok = !r->authorization_too_long && http_auth_ok(r->authorization, password);
    http_throttle_result(&s.auth_throttle, c->peer_ipv4, ok, now);
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
static bool setup_reachable(const http_conn_t *c, const hal_wifi_status_t *ws) {
  uint32_t ap = (uint32_t)ws->ipv4[0] << 24 | (uint32_t)ws->ipv4[1] << 16 | (uint32_t)ws->ipv4[2] << 8 | ws->ipv4[3];
  return appnet_setup_mode() && ws->state == HAL_WIFI_AP && (c->local_ipv4 == 0 || c->local_ipv4 == ap);
}

typedef void (*fill_fn)(jsonw_t *w);

static void respond_json(http_conn_t *c, int status, fill_fn fill) {
  size_t cap;
  char *buf = http_body_buffer(c, &cap);
  jsonw_t w;
  jsonw_init(&w, buf, cap);
  fill(&w);
  int32_t n = jsonw_finish(&w);
  if (n < 0) {
    http_respond_error(c, 500, "internal", "response too large", NULL, NULL);
    return;
  }
  http_respond_in_place(c, status, "application/json", (size_t)n, NULL);
}

static void fill_info(jsonw_t *w) { pub_info_write(w, false); }
static void fill_state(jsonw_t *w) { pub_state_write(w); }
static void fill_config(jsonw_t *w) { app_config_write(&app_link_view()->cfg, w); }

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

static void fill_ota_status(jsonw_t *w) { app_ota_write_status(w); }

/* ---- server hooks ----------------------------------------------------------------------------------------- */

static http_head_action_t on_head(void *ctx, http_conn_t *c, const http_request_t *r) {
  (void)ctx;
  const route_t *rt = find_route(r->path);
  if (rt == NULL) {
    http_respond_error(c, 404, "not_found", "no such endpoint", NULL, NULL);
    return HTTP_HEAD_RESPONDED;
  }
  app_ota_note_proof(); /* an API request reached the plug (trial image proof) */
  uint8_t m = r->method < 8 ? (uint8_t)(1u << r->method) : 0;
  if (!(rt->methods & m)) {
    char allow[48];
    allow_header(rt->methods, allow, sizeof(allow));
    http_respond_error(c, 405, "method_not_allowed", "method not allowed here", NULL, allow);
    return HTTP_HEAD_RESPONDED;
  }
  const app_ident_t *id = app_ident();
  hal_wifi_status_t ws;
  hal_wifi_status(&ws);
  if ((rt->id == R_SETUP || rt->id == R_SETUP_NETWORKS) && !setup_reachable(c, &ws)) {
    http_respond_error(c, 404, "not_found", "only in setup mode, on the setup access point", NULL, NULL);
    return HTTP_HEAD_RESPONDED;
  }
  http_policy_t pol;
  http_policy_for_plug(&pol, id->http_port, id->hostname, ws.ipv4, id->opt.advertised_ip, appnet_setup_mode());
  if (strcmp(appnet_hostname(), id->hostname) != 0) { /* renamed after an mDNS conflict (§10) */
    char local[HTTP_POLICY_NAME_MAX + 1];
    snprintf(local, sizeof(local), "%s.local", appnet_hostname());
    (void)http_policy_add(&pol, appnet_hostname());
    (void)http_policy_add(&pol, local);
  }
  const char *body_type = m == M_GET          ? NULL
                          : rt->id != R_OTA   ? "application/json"
                          : r->content_length ? "application/octet-stream"
                                              : NULL;
  http_refusal_t no;
  if (http_policy_refuse(&pol, r, NULL, &no)) {
    http_respond_error(c, no.status, no.code, no.message, NULL, NULL);
    return HTTP_HEAD_RESPONDED;
  }
  bool needs_auth = m != M_GET || rt->auth_gets;
  if (rt->id == R_SETUP) needs_auth = false;
  if (needs_auth) {
    int au = authorize(c, r);
    if (au <= 0) return au < 0 ? HTTP_HEAD_DEFER : HTTP_HEAD_RESPONDED;
  }
  if (http_policy_refuse(&pol, r, body_type, &no)) { /* after auth: a stranger learns only "401" */
    http_respond_error(c, no.status, no.code, no.message, NULL, NULL);
    return HTTP_HEAD_RESPONDED;
  }
  if (rt->id == R_OTA && r->method == HTTP_M_POST) return app_ota_upload_head(c, r);
  return HTTP_HEAD_BUFFER;
}

static bool on_body(void *ctx, http_conn_t *c, const uint8_t *d, size_t n) {
  (void)ctx;
  return app_ota_upload_body(c, d, n);
}

/* A command: parsed here, run by the main loop, which writes the answer into the response buffer. */
static void run_command(http_conn_t *c, uint8_t kind, const uint8_t *body, size_t len) {
  app_call_t *call = &s_call;
  memset(call, 0, sizeof(*call));
  call->errs = &s_errs;
  bool parsed = kind == APP_CMD_CONFIG
                    ? app_cmd_parse_config(&call->cmd, &s_change, (const char *)body, len, APP_SRC_HTTP, call->errs)
                    : app_cmd_parse(&call->cmd, kind, (const char *)body, len, call->errs);
  if (!parsed) {
    respond_errors(c, 400, call->errs);
    return;
  }
  size_t cap;
  call->src = APP_SRC_HTTP;
  call->change = kind == APP_CMD_CONFIG ? &s_change : NULL;
  call->out = kind == APP_CMD_RELAY ? NULL : http_body_buffer(c, &cap);
  call->out_cap = call->out ? cap : 0;
  /* the OTA key: trusted on first use, then password + button; the route needed the password if one is set */
  bool gated = kind != APP_CMD_CONFIG ||
               app_ota_gate_config(call, app_link_view()->cfg.api_password[0] != '\0', appnet_setup_mode());
  if (gated) (void)app_link_call(call);
  if (call->status != 200) {
    respond_errors(c, call->status, call->errs);
    return;
  }
  if (kind == APP_CMD_RELAY) { /* the answer is the state the command left (§5.3) */
    respond_json(c, 200, fill_state);
    return;
  }
  if (call->out_len < 0) {
    http_respond_error(c, 500, "internal", "response too large", NULL, NULL);
    return;
  }
  http_respond_in_place(c, 200, "application/json", (size_t)call->out_len, NULL);
}

static void setup_networks(http_conn_t *c) {
  static hal_wifi_network_t nets[16]; /* off the stack; owner: this handler */
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

/* The setup form (§9): the main loop stores the config, then the plug leaves its access point. */
static void setup_submit(http_conn_t *c, const uint8_t *body, size_t len) {
  app_call_t *call = &s_call;
  memset(call, 0, sizeof(*call));
  call->errs = &s_errs;
  call->src = APP_SRC_SETUP;
  if (!app_config_parse(&s_change, (const char *)body, len, APP_SRC_SETUP, call->errs)) {
    respond_errors(c, 400, call->errs);
    return;
  }
  call->cmd.kind = APP_CALL_SETUP;
  call->change = &s_change;
  if (!app_ota_gate_config(call, false, true)) { /* never the OTA key over the setup AP */
    const app_error_t *e = &call->errs->e[0];
    http_respond_error(c, call->status, e->code, e->message, "ota_public_key", NULL);
    return;
  }
  (void)app_link_call(call);
  if (call->status == 409) {
    http_respond_error(c, 409, "conflict", call->errs->e[0].message, NULL, NULL);
    return;
  }
  if (call->status != 200) {
    respond_errors(c, call->status, call->errs);
    return;
  }
  appnet_leave_setup(&app_link_view()->cfg);
  http_respond(c, 200, "application/json", "{\"ok\":true}", 11, NULL);
}

static void on_request(void *ctx, http_conn_t *c, const http_request_t *r, const uint8_t *body, size_t len) {
  (void)ctx;
  const route_t *rt = find_route(r->path);
  if (rt == NULL) { /* on_head answered already */
    http_respond_error(c, 404, "not_found", "no such endpoint", NULL, NULL);
    return;
  }
  switch (rt->id) {
    case R_PAGE: {
      hal_wifi_status_t ws;
      hal_wifi_status(&ws);
      if (setup_reachable(c, &ws)) {
        http_respond_static(c, 200, "text/html; charset=utf-8", APP_SETUP_PAGE, APP_SETUP_PAGE_LEN, NULL);
      } else {
        http_respond_static(c, 200, "text/html; charset=utf-8", APP_STATUS_PAGE, APP_STATUS_PAGE_LEN, NULL);
      }
      break;
    }
    case R_INFO: respond_json(c, 200, fill_info); break;
    case R_STATE: respond_json(c, 200, fill_state); break;
    case R_RELAY: run_command(c, APP_CMD_RELAY, body, len); break;
    case R_CONFIG:
      if (r->method == HTTP_M_PATCH) {
        run_command(c, APP_CMD_CONFIG, body, len);
      } else {
        respond_json(c, 200, fill_config);
      }
      break;
    case R_CALIBRATE: run_command(c, APP_CMD_CALIBRATE, body, len); break;
    case R_ENERGY_RESET: run_command(c, APP_CMD_ENERGY_RESET, body, len); break;
    case R_IDENTIFY: run_command(c, APP_CMD_IDENTIFY, body, len); break;
    case R_REBOOT: run_command(c, APP_CMD_REBOOT, body, len); break;
    case R_OTA:
      if (r->method == HTTP_M_POST) {
        app_ota_upload_done(c);
      } else {
        respond_json(c, 200, fill_ota_status);
      }
      break;
    case R_EVENTS:
      if (http_sse_start(&s.http, c)) pub_sse_hello(c);
      break;
    case R_SETUP_NETWORKS: setup_networks(c); break;
    case R_SETUP: setup_submit(c, body, len); break;
    default: http_respond_error(c, 404, "not_found", "no such endpoint", NULL, NULL); break;
  }
}

static void on_close(void *ctx, http_conn_t *c) {
  (void)ctx;
  app_ota_conn_closed(c);
}

/* ---- lifecycle ------------------------------------------------------------------------------------------- */

bool api_start(void) {
  if (s.listening) return true;
  const app_ident_t *id = app_ident();
  const char *ip = id->opt.http_ip ? id->opt.http_ip : "0.0.0.0";
  http_net_t net;
  if (id->transport.http_listen(id->transport.ctx, ip, id->http_port, &net) != 0) {
    hal_log(HAL_LOG_ERROR, "app", "HTTP cannot listen on %s:%u", ip, (unsigned)id->http_port);
    return false;
  }
  http_handler_t h = {NULL, on_head, on_body, on_request, on_close};
  http_server_init(&s.http, &net, &h, s.conns, HTTP_CONNS, SSE_MAX);
  s.listening = true;
  pub_attach_http(&s.http);
  return true;
}

void api_stop(void) {
  if (!s.listening) return;
  pub_attach_http(NULL);
  http_server_close_all(&s.http);
  const app_ident_t *id = app_ident();
  id->transport.http_close(id->transport.ctx);
  s.listening = false;
}

bool api_listening(void) { return s.listening; }

void api_poll(uint64_t now_ms) {
  if (s.listening) http_server_poll(&s.http, now_ms);
}

size_t api_conn_handles(int *out, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < HTTP_CONNS && s.listening; i++) {
    if (s.conns[i].state != HTTP_CONN_FREE && n < max) out[n++] = s.conns[i].handle;
  }
  return n;
}
