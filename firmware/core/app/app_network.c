/* app_network.c — Wi-Fi, setup mode and mDNS (see app_network.h). */
#include "app/app_network.h"

#include <stdio.h>
#include <string.h>

#include "app/app_ident.h"
#include "app/app_link.h"
#include "app/app_publish.h"
#include "led/led.h"
#include "mdns/mdns_responder.h"

#define SETUP_TIMEOUT_MS (10u * 60u * 1000u)

/* Owner: the network loop. */
static struct {
  hal_wifi_state_t wifi_state;
  bool up;
  bool setup_mode;
  bool setup_auto_exit; /* entered from a working network: leave after 10 min */
  uint64_t setup_since_ms;
  char ssid[APP_SSID_MAX + 1], password[APP_WIFI_PASS_MAX + 1]; /* the network last joined */
  mdns_responder_t mdns;
  bool mdns_running;
  unsigned mdns_index; /* the name won on this network (mdns_service_t.index): kept over address changes */
  char hostname[MDNS_LABEL_MAX + 1]; /* the name the plug goes by: app_ident's, or as renamed by mDNS */
} s;

static void join(const app_config_t *cfg) {
  snprintf(s.ssid, sizeof(s.ssid), "%s", cfg->wifi.ssid);
  snprintf(s.password, sizeof(s.password), "%s", cfg->wifi.password);
  (void)hal_wifi_connect(s.ssid, s.password);
}

void appnet_boot(const app_config_t *cfg) {
  memset(&s, 0, sizeof(s));
  snprintf(s.hostname, sizeof(s.hostname), "%s", app_ident()->hostname);
  s.mdns_index = 1;
  hal_wifi_set_hostname(s.hostname); /* DHCP option 12: routers and HA's DHCP discovery see openbl602-<id> */
  snprintf(s.ssid, sizeof(s.ssid), "%s", cfg->wifi.ssid);
  snprintf(s.password, sizeof(s.password), "%s", cfg->wifi.password);
  if (cfg->wifi.ssid[0] == '\0') {
    appnet_enter_setup(false);
  } else {
    join(cfg);
  }
}

void appnet_follow_config(const app_config_t *cfg) {
  bool changed = strcmp(cfg->wifi.ssid, s.ssid) != 0 || strcmp(cfg->wifi.password, s.password) != 0;
  if (changed && cfg->wifi.ssid[0]) join(cfg);
}

bool appnet_setup_mode(void) { return s.setup_mode; }

void appnet_enter_setup(bool auto_exit) {
  if (s.setup_mode) return;
  s.setup_mode = true;
  s.setup_auto_exit = auto_exit;
  s.setup_since_ms = app_now_ms();
  const char *ssid = app_ident()->hostname; /* "openbl602-<id>" */
  hal_log(HAL_LOG_INFO, "app", "setup mode: access point %s", ssid);
  (void)hal_wifi_start_ap(ssid);
  app_link_set_net_led(LED_NET_SETUP);
  pub_set_setup_mode(true);
}

/* The one way out of setup mode: back to the station network last configured. */
static void leave_setup(void) {
  s.setup_mode = false;
  (void)hal_wifi_connect(s.ssid, s.password);
  pub_set_setup_mode(false);
}

void appnet_leave_setup(const app_config_t *cfg) {
  snprintf(s.ssid, sizeof(s.ssid), "%s", cfg->wifi.ssid);
  snprintf(s.password, sizeof(s.password), "%s", cfg->wifi.password);
  leave_setup();
}

static void mdns_stop(void);

/* mDNS (§10): _openbl602._tcp with TXT id, mac, model, fw, protocol, board, on the station address. */
static void mdns_start(const hal_wifi_status_t *ws) {
  const app_ident_t *id = app_ident();
  if (s.mdns_running && memcmp(s.mdns.svc.ipv4, ws->ipv4, 4) != 0) mdns_stop(); /* new address: goodbye, anew */
  if (id->opt.mdns_port < 0 || s.mdns_running) return;
  char t_id[48], t_mac[20], t_model[64], t_fw[24], t_board[48];
  snprintf(t_id, sizeof(t_id), "id=%s", id->id);
  snprintf(t_mac, sizeof(t_mac), "mac=%s", id->mac);
  snprintf(t_model, sizeof(t_model), "model=%s", id->model);
  snprintf(t_fw, sizeof(t_fw), "fw=%s", id->fw);
  snprintf(t_board, sizeof(t_board), "board=%s", id->board.name);
  const char *txt[] = {t_id, t_mac, t_model, t_fw, "protocol=1", t_board};
  mdns_service_t svc;
  if (!mdns_service_init(&svc, id->id, ws->ipv4, id->http_port, txt, 6)) {
    hal_log(HAL_LOG_ERROR, "app", "mDNS: service record does not fit");
    return;
  }
  (void)mdns_service_set_index(&svc, s.mdns_index);
  /* a loopback address (simulated plug) has no multicast route of its own: use the default interface */
  const uint8_t *ifa = ws->ipv4[0] == 127 ? NULL : ws->ipv4;
  s.mdns_running = mdns_responder_start(&s.mdns, &svc, (uint16_t)id->opt.mdns_port, ifa, app_now_ms());
  if (!s.mdns_running) hal_log(HAL_LOG_WARN, "app", "mDNS responder could not start");
}

static void mdns_stop(void) {
  if (s.mdns_running) mdns_responder_stop(&s.mdns);
  s.mdns_running = false;
}

void appnet_stop(void) { mdns_stop(); }

int appnet_mdns_fd(void) { return s.mdns_running ? mdns_responder_fd(&s.mdns) : -1; }

const char *appnet_hostname(void) { return s.hostname; }

/* A name conflict made the responder take another name (§10): the plug goes by it everywhere. */
static void follow_mdns_name(void) {
  const char *name = mdns_responder_hostname(&s.mdns);
  if (strcmp(name, s.hostname) == 0) return;
  hal_log(HAL_LOG_WARN, "app", "mDNS: %s.local is taken on this network, now %s.local", s.hostname, name);
  snprintf(s.hostname, sizeof(s.hostname), "%s", name);
  s.mdns_index = s.mdns.svc.index;
  hal_wifi_set_hostname(s.hostname); /* sent from the next DHCP renewal on */
  pub_set_hostname(s.hostname);
}

void appnet_poll(uint64_t now_ms, appnet_link_t *out) {
  hal_wifi_status_t ws;
  hal_wifi_status(&ws);
  bool up = ws.state == HAL_WIFI_CONNECTED || ws.state == HAL_WIFI_AP;
  out->link_lost = s.up && !up;
  out->up = up;
  out->station = ws.state == HAL_WIFI_CONNECTED;
  out->online = up && ws.state == HAL_WIFI_CONNECTED && !s.setup_mode;
  s.up = up;
  if (ws.state != s.wifi_state) {
    led_net_t ln = ws.state == HAL_WIFI_CONNECTED    ? LED_NET_CONNECTED
                   : ws.state == HAL_WIFI_AP         ? LED_NET_SETUP
                   : ws.state == HAL_WIFI_CONNECTING ? LED_NET_CONNECTING
                                                     : LED_NET_OFFLINE;
    app_link_set_net_led((uint8_t)ln);
    s.wifi_state = ws.state;
  }
  if (ws.state == HAL_WIFI_CONNECTED && up) {
    mdns_start(&ws);
  } else {
    mdns_stop(); /* setup AP: nobody on the home network to answer */
  }
  if (s.mdns_running) {
    mdns_responder_poll(&s.mdns, now_ms);
    follow_mdns_name();
  }
  if (s.setup_mode && s.setup_auto_exit && now_ms - s.setup_since_ms >= SETUP_TIMEOUT_MS) leave_setup();
}
