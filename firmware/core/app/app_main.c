/* app_main.c — boot order and the two loops (app.h; the concurrency rule: app_link.h and
 * docs/architecture.md). Boot: identity, the main loop's half (relay first), OTA, the network's half.
 * Main loop: app_device.c. Network loop: the link, the HTTP API, publishing, MQTT, mDNS. */
#include <string.h>

#include "app/app.h"
#include "app/app_api.h"
#include "app/app_device.h"
#include "app/app_exec.h"
#include "app/app_ident.h"
#include "app/app_link.h"
#include "app/app_mqtt_cmd.h"
#include "app/app_network.h"
#include "app/app_ota.h"
#include "app/app_publish.h"

static app_options_t s_opts;
static bool s_opts_set;
static bool s_stopped; /* the network loop said goodbye before a reboot */

void app_set_options(const app_options_t *opts) {
  s_opts = *opts;
  s_opts_set = true;
}

void obl_app_init(const app_transport_t *transport) {
  const app_ident_t *id = app_ident_boot(s_opts_set ? &s_opts : NULL, transport);
  app_link_init(exec_call, id->opt.net_wait);
  dev_boot(); /* relay first */
  app_ota_boot(dev_store(), dev_config());
  dev_show_ota_key(app_ota_trusted_key()); /* the config shows the key the OTA manager trusts */
  app_mqtt_cmd_boot(dev_store());
  pub_boot(app_ota_board_id(), app_mqtt_command);
  appnet_boot(&app_link_view()->cfg);
  s_stopped = false;
}

uint32_t obl_app_main_poll(void) { return dev_main_poll(); }

static void net_goodbye(void) {
  pub_stop();
  appnet_stop();
  api_stop();
}

uint32_t obl_app_net_poll(void) {
  uint64_t now = app_now_ms();
  app_link_net_pass();
  if (s_stopped) return 5;
  if (app_link_stop_requested()) { /* the main loop reboots the plug */
    net_goodbye();
    s_stopped = true;
    app_link_set_stopped();
    return 5;
  }
  const app_view_t *v = app_link_view_refresh();
  for (app_event_t ev = app_link_take(); ev != APP_EV_NONE; ev = app_link_take()) {
    switch (ev) {
      case APP_EV_BUTTON_SINGLE: pub_button_event("single"); break;
      case APP_EV_BUTTON_DOUBLE: pub_button_event("double"); break;
      case APP_EV_BUTTON_LONG: pub_button_event("long"); break;
      case APP_EV_BUTTON_VERY_LONG: pub_button_event("very_long"); break;
      case APP_EV_SETUP_REQUEST: appnet_enter_setup(v->cfg.wifi.ssid[0] != '\0'); break;
      default: break;
    }
    if (ev != APP_EV_SETUP_REQUEST) app_ota_button(); /* a press confirms a pending OTA key change */
  }
  appnet_follow_config(&v->cfg);
  appnet_link_t link;
  appnet_poll(now, &link);
  if (link.up && !api_listening()) {
    (void)api_start();
  } else if (!link.up && api_listening()) {
    api_stop();
  }
  pub_network(link.online, link.link_lost);
  api_poll(now);
  pub_poll(now);
  api_poll(now); /* send what the reports queued */
  bool healthy = link.up && link.station && api_listening();
  app_link_set_net_healthy(healthy);
  app_ota_poll(now, healthy, pub_mqtt_online());
  app_ota_refresh(false);
  return 5;
}

void app_shutdown(void) {
  dev_shutdown();
  net_goodbye();
}

size_t app_net_fds(int *fds, size_t max) {
  const app_transport_t *t = &app_ident()->transport;
  size_t n = t->fds ? t->fds(t->ctx, fds, max) : 0;
  n += api_conn_handles(fds + n, max - n);
  int m = appnet_mdns_fd();
  if (m >= 0 && n < max) fds[n++] = m;
  return n;
}

int app_state_json(char *buf, size_t cap) {
  app_link_view_refresh();
  return pub_state_json(buf, cap);
}
