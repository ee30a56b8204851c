/* app_rig.c — see app_rig.h. Also the HAL pieces neither fake_hal nor the POSIX io provide. */
#include "app_rig.h"

#include <stdio.h>
#include <string.h>

#include "app/app_ident.h"
#include "fake_hal.h"
#include "posix_io.h"

rig_t g_rig;
static hal_wifi_state_t s_wifi = HAL_WIFI_CONNECTED;

/* ---- HAL: identity, randomness, reboot, Wi-Fi ------------------------------------------------------------ */

void hal_mac_address(uint8_t mac[6]) {
  static const uint8_t m[6] = {0x02, 0, 0, 0x12, 0x34, 0x56};
  memcpy(mac, m, 6);
}

hal_status_t hal_random(void *buf, size_t len) {
  static uint32_t x = 12345u;
  for (size_t i = 0; i < len; i++) {
    x = x * 1103515245u + 12345u;
    ((uint8_t *)buf)[i] = (uint8_t)(x >> 16);
  }
  return HAL_OK;
}

void hal_reboot(void) { g_rig.reboot_requested = true; }

void rig_wifi_set(hal_wifi_state_t st) { s_wifi = st; }

hal_status_t hal_wifi_connect(const char *ssid, const char *password) {
  (void)ssid;
  (void)password;
  snprintf(g_rig.dhcp_hostname_at_join, sizeof(g_rig.dhcp_hostname_at_join), "%s", g_rig.dhcp_hostname);
  s_wifi = HAL_WIFI_CONNECTED;
  return HAL_OK;
}

void hal_wifi_set_hostname(const char *name) { snprintf(g_rig.dhcp_hostname, sizeof(g_rig.dhcp_hostname), "%s", name); }

hal_status_t hal_wifi_start_ap(const char *ssid) {
  (void)ssid;
  s_wifi = HAL_WIFI_AP;
  return HAL_OK;
}

void hal_wifi_status(hal_wifi_status_t *out) {
  memset(out, 0, sizeof(*out));
  out->state = s_wifi;
  if (s_wifi == HAL_WIFI_CONNECTED || s_wifi == HAL_WIFI_AP) {
    const uint8_t ip[4] = {127, 0, 0, 1};
    memcpy(out->ipv4, ip, 4);
  }
  out->rssi_dbm = -50;
}

size_t hal_wifi_scan(hal_wifi_network_t *out, size_t max) {
  if (max == 0) return 0;
  memset(out, 0, sizeof(*out));
  snprintf(out->ssid, sizeof(out->ssid), "home");
  out->rssi_dbm = -40;
  out->secured = true;
  return 1;
}

/* ---- transports -------------------------------------------------------------------------------------------- */

static int http_listen(void *ctx, const char *ip, uint16_t port, http_net_t *net) {
  (void)ctx;
  (void)ip;
  (void)port;
  memnet_init(&g_rig.http, net);
  return 0;
}

static void http_close(void *ctx) { (void)ctx; }

void rig_reset(void) {
  fake_hal_reset();
  fake_log_quiet(true);
  memset(&g_rig, 0, sizeof(g_rig));
  fb_init(&g_rig.broker);
  s_wifi = HAL_WIFI_CONNECTED;
  g_rig.manual_clock = true;
  app_options_t *o = &g_rig.opt;
  o->id = "rig1";
  o->model = "rig";
  o->ota_board_id = "rig-board";
  o->http_ip = "127.0.0.1";
  o->http_port = 8080;
  o->mdns_port = -1;
  o->advertised_ip = "127.0.0.1";
  o->default_ssid = "home";
}

void rig_boot(void) {
  if (g_rig.manual_clock) {
    posix_io_time_set_manual(true);
    posix_io_time_advance(1000);
  }
  app_set_options(&g_rig.opt);
  static app_transport_t t;
  t = (app_transport_t){NULL, http_listen, http_close, fb_net(&g_rig.broker), NULL};
  if (g_rig.mqtt_open) t.mqtt.open = g_rig.mqtt_open;
  obl_app_init(&t);
  board_default(&g_rig.board);
}

void rig_step(uint32_t ms) {
  if (!g_rig.threaded) (void)obl_app_main_poll();
  (void)obl_app_net_poll();
  fb_process(&g_rig.broker);
  if (g_rig.manual_clock && ms) posix_io_time_advance((uint64_t)ms * 1000u);
  if (!g_rig.manual_clock && ms) posix_io_sleep_us((uint64_t)ms * 1000u);
}

int rig_http(const char *request, const char **body) {
  memnet_t *m = &g_rig.http;
  int i = memnet_connect(m);
  if (i < 0) return 0;
  memnet_write_str(m, i, request);
  for (int k = 0; k < 1000 && !m->c[i].server_closed; k++) rig_step(5);
  memnet_conn_t *c = &m->c[i];
  c->out[c->out_len] = '\0';
  int status = 0;
  if (sscanf(c->out, "HTTP/1.1 %d", &status) != 1) status = 0;
  const char *b = strstr(c->out, "\r\n\r\n");
  if (body) *body = b ? b + 4 : "";
  c->used = false; /* the slot may be reused; out stays readable until then */
  return status;
}

static void b64(const char *in, char *out) {
  static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t n = strlen(in), o = 0;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)(uint8_t)in[i] << 16;
    if (i + 1 < n) v |= (uint32_t)(uint8_t)in[i + 1] << 8;
    if (i + 2 < n) v |= (uint8_t)in[i + 2];
    out[o++] = t[(v >> 18) & 63];
    out[o++] = t[(v >> 12) & 63];
    out[o++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < n ? t[v & 63] : '=';
  }
  out[o] = '\0';
}

int rig_req(const char *method, const char *path, const char *json, const char *auth, const char **body) {
  static char req[4096];
  char hdr[160] = "";
  if (auth) {
    char enc[128];
    b64(auth, enc);
    snprintf(hdr, sizeof(hdr), "Authorization: Basic %s\r\n", enc);
  }
  size_t n = json ? strlen(json) : 0;
  /* what a client must send (docs/protocol.md §7): a Host naming the plug, a write's media type */
  const app_ident_t *id = app_ident();
  bool write = strcmp(method, "GET") != 0;
  snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: %s:%u\r\n%s%sContent-Length: %zu\r\n\r\n%s", method, path,
           id->hostname, (unsigned)id->http_port, write ? "Content-Type: application/json\r\n" : "", hdr, n,
           json ? json : "");
  return rig_http(req, body);
}
