/* app_main.c — boot order and the two loops (port/bl602/src/app_entry.h): the main loop runs metering,
 * relay, button, LED and persistence; the network loop runs Wi-Fi state, HTTP, SSE and MQTT. */
#include <stdio.h>
#include <string.h>

#include "app/app_priv.h"

#define METER_TICK_MS 10u
#define WATCHDOG_MS 8000u
#define SETUP_TIMEOUT_MS (10u * 60u * 1000u)

app_t g_app;
static app_options_t s_opts;
static bool s_opts_set;

void app_set_options(const app_options_t *opts) {
  s_opts = *opts;
  s_opts_set = true;
}

size_t app_net_fds(int *fds, size_t max) {
  app_t *a = &g_app;
  size_t n = 0;
  if (a->http_listening && n < max) fds[n++] = a->http_bsd.listen_fd;
  for (size_t i = 0; i < APP_HTTP_CONNS && a->http_listening; i++) {
    if (a->conns[i].state != HTTP_CONN_FREE && n < max) fds[n++] = a->conns[i].handle;
  }
  if (a->mqtt_inited && sock_net_fd(&a->mqtt_sock) >= 0 && n < max) fds[n++] = sock_net_fd(&a->mqtt_sock);
  if (a->mdns_running && n < max) fds[n++] = mdns_responder_fd(&a->mdns);
  return n;
}

int app_state_json(char *buf, size_t cap) {
  return ops_state_json(&g_app, buf, cap);
}

/* ---- MQTT glue --------------------------------------------------------------------------------------------- */

/* The socket transport, cut off while the link is down: on a real plug the socket dies with the link and
 * the broker publishes our last will; the simulated link gets the same by failing every call. */
static int net_open(void *ctx, const char *host, uint16_t port) {
  app_t *a = ctx;
  if (!a->net_up) return -1;
  mqttdev_net_t n = sock_net_interface(&a->mqtt_sock);
  return n.open(n.ctx, host, port);
}
static int net_connected(void *ctx) {
  app_t *a = ctx;
  mqttdev_net_t n = sock_net_interface(&a->mqtt_sock);
  if (!a->net_up) {
    n.close(n.ctx);
    return -1;
  }
  return n.connected(n.ctx);
}
static int32_t net_send(void *ctx, const uint8_t *d, size_t len) {
  app_t *a = ctx;
  mqttdev_net_t n = sock_net_interface(&a->mqtt_sock);
  if (!a->net_up) {
    n.close(n.ctx);
    return -1;
  }
  return n.send(n.ctx, d, len);
}
static int32_t net_recv(void *ctx, uint8_t *buf, size_t cap) {
  app_t *a = ctx;
  mqttdev_net_t n = sock_net_interface(&a->mqtt_sock);
  if (!a->net_up) {
    n.close(n.ctx);
    return -1;
  }
  return n.recv(n.ctx, buf, cap);
}
static void net_close(void *ctx) {
  app_t *a = ctx;
  mqttdev_net_t n = sock_net_interface(&a->mqtt_sock);
  n.close(n.ctx);
}

static int mq_state(void *ctx, char *buf, size_t cap) {
  return ops_state_json(ctx, buf, cap);
}
static int mq_info(void *ctx, char *buf, size_t cap) {
  return ops_info_json(ctx, buf, cap, true);
}
static void mq_snapshot(void *ctx, mqttdev_snapshot_t *out) {
  ops_snapshot(ctx, out);
}
static bool mq_command(void *ctx, const char *name, const char *body, size_t len, mqttdev_error_t *err) {
  app_t *a = ctx;
  static app_errors_t errs; /* off the network task's stack; owner: this handler (network loop) */
  memset(&errs, 0, sizeof(errs));
  int kind = app_cmd_kind(name);
  static app_cmd_t cmd;
  bool ok = false;
  if (kind < 0) {
    app_errors_add(&errs, "not_found", NULL, "unknown command");
  } else if (app_cmd_parse(&cmd, (uint8_t)kind, body, len, &errs)) {
    ok = ops_run(a, &cmd, body, len, APP_SRC_MQTT, &errs, NULL) == 200;
  }
  if (ok) return true;
  snprintf(err->code, sizeof(err->code), "%.31s", errs.e[0].code);
  snprintf(err->message, sizeof(err->message), "%.95s", errs.e[0].message);
  snprintf(err->field, sizeof(err->field), "%.31s", errs.e[0].field);
  return false;
}

static void mqtt_apply_broker(app_t *a, bool on) {
  mqttdev_broker_t b;
  memset(&b, 0, sizeof(b));
  if (on && a->cfg.mqtt.enabled && a->cfg.mqtt.host[0]) {
    snprintf(b.host, sizeof(b.host), "%s", a->cfg.mqtt.host);
    b.port = a->cfg.mqtt.port;
    snprintf(b.username, sizeof(b.username), "%s", a->cfg.mqtt.user);
    snprintf(b.password, sizeof(b.password), "%s", a->cfg.mqtt.password);
  }
  mqttdev_set_broker(&a->mqtt, &b, app_now_ms());
}

static void app_mqtt_init(app_t *a) {
  sock_net_init(&a->mqtt_sock);
  mqttdev_config_t mc;
  memset(&mc, 0, sizeof(mc));
  mc.device_id = a->id;
  mc.net = (mqttdev_net_t){net_open, net_connected, net_send, net_recv, net_close, a};
  mc.app = (mqttdev_app_t){mq_state, mq_info, mq_snapshot, mq_command, a};
  mc.report.power_abs_w = a->cfg.report.power_delta_w;
  mc.report.power_rel = a->cfg.report.power_delta_pct / 100.0f;
  mc.report.min_interval_ms = (uint32_t)a->cfg.report.min_interval_s * 1000u;
  mc.report.heartbeat_ms = (uint32_t)a->cfg.report.heartbeat_s * 1000u;
  uint32_t seed = 0;
  (void)hal_random(&seed, sizeof(seed));
  mc.random_seed = seed;
  a->mqtt_inited = mqttdev_init(&a->mqtt, &mc);
  if (!a->mqtt_inited) hal_log(HAL_LOG_ERROR, "app", "MQTT binding refused the device id %s", a->id);
}

static void mdns_stop(app_t *a);

/* ---- boot ---------------------------------------------------------------------------------------------------- */

static void identity(app_t *a) {
  uint8_t mac[6];
  hal_mac_address(mac);
  snprintf(a->mac, sizeof(a->mac), "%02x%02x%02x%02x%02x%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  if (a->opt.id && app_id_valid(a->opt.id)) {
    snprintf(a->id, sizeof(a->id), "%s", a->opt.id);
  } else {
    snprintf(a->id, sizeof(a->id), "%02x%02x%02x", mac[3], mac[4], mac[5]);
  }
  snprintf(a->hostname, sizeof(a->hostname), "openbl602-%s", a->id);
}

static void metering_init(app_t *a) {
  if (!a->board.bl0937.present) return;
  bl0937_config_t mc;
  bl0937_default_config(&mc);
  mc.sel_high_is_voltage = a->board.bl0937.sel_high_is_voltage;
  a->nominal = mc.gains;
  bl0937_init(&a->meter, &mc, hal_time_us64());
  dev_apply_gains(a);
  (void)hal_gpio_input(a->board.bl0937.cf, HAL_PULL_NONE);
  (void)hal_gpio_input(a->board.bl0937.cf1, HAL_PULL_NONE);
  (void)hal_gpio_output(a->board.bl0937.sel, false);
  (void)hal_gpio_set_edge_handler(a->board.bl0937.cf, HAL_EDGE_FALLING, bl0937_isr_cf, &a->meter);
  (void)hal_gpio_set_edge_handler(a->board.bl0937.cf1, HAL_EDGE_FALLING, bl0937_isr_cf1, &a->meter);
}

void obl_app_init(void) {
  app_t *a = &g_app;
  memset(a, 0, sizeof(*a));
  if (s_opts_set) a->opt = s_opts;
  a->boot_ms = app_now_ms();
  uint64_t now_us = hal_time_us64();
  identity(a);
  if (!(a->opt.board && board_builtin(a->opt.board, &a->board))) board_default(&a->board);
  /* Relay first: its power-on policy needs the config, the saved relay state and the reset reason, so the
   * store and the supervisor's boot record come before it, and nothing slow (network, metering) does. */
  dev_init_storage(a);
  if (a->store_ok) {
    (void)supervisor_boot(&a->sup, &a->store, NULL, now_us); /* also starts the hardware watchdog */
    a->reset_reason = a->sup.reset_reason;
    a->safe_mode = supervisor_safe_mode(&a->sup);
  } else {
    a->reset_reason = hal_reset_reason();
    (void)hal_watchdog_start(WATCHDOG_MS);
  }
  dev_load_config(a);
  a->dev_ok = dev_init(a);
  /* Safe mode keeps what protects and what reaches the plug: metering, protections, network, OTA. */
  if (a->safe_mode) hal_log(HAL_LOG_ERROR, "app", "safe mode after repeated failed boots (relay protected)");
  metering_init(a);
  if (a->store_ok && energy_init(&a->energy, &a->store, now_us) != STORE_OK) {
    hal_log(HAL_LOG_ERROR, "app", "energy total unreadable: retrying");
  }
  { /* also with a sick store: OTA is the way out */
    ota_config_t oc;
    ota_config_defaults(&oc);
    oc.board_id = a->opt.ota_board_id ? a->opt.ota_board_id : "sm-028-v1.3";
    oc.accept_obli = !a->opt.ota_accept_bl60x; /* BL602 boot2 boots only its own header: no OBLI there */
    oc.accept_bl60x = a->opt.ota_accept_bl60x;
    (void)ota_init(&a->ota_mgr, a->store_ok ? &a->store : NULL, &oc, hal_time_us64());
    a->ota_ready = true;
    uint8_t key[65]; /* its own trust record; the config's key only on the first start with it */
    ota_trust_load(&a->ota_mgr, app_config_ota_key(&a->cfg, key) ? key : NULL);
    ops_apply_ota_key(a);
    ops_ota_refresh(a, false);
  }
  /* The simulated plug "runs" whatever image its slot holds, so an OTA visibly changes its version;
   * on hardware the slot holds a vendor image without our version string and the build's version shows. */
  if (!ota_slot_version(hal_boot_running_slot(), a->fw) || a->fw[0] == '\0') {
    snprintf(a->fw, sizeof(a->fw), "%s", OBL_FW_VERSION);
  }

  /* boot overrides from the port (the simulated plug's command line), persisted like a user change */
  bool changed = false;
  if (a->opt.mqtt_host && a->opt.mqtt_host[0]) {
    app_config_t *c = &a->cfg;
    c->mqtt.enabled = true;
    snprintf(c->mqtt.host, sizeof(c->mqtt.host), "%s", a->opt.mqtt_host);
    c->mqtt.port = a->opt.mqtt_port ? a->opt.mqtt_port : 1883;
    snprintf(c->mqtt.user, sizeof(c->mqtt.user), "%s", a->opt.mqtt_user ? a->opt.mqtt_user : "");
    snprintf(c->mqtt.password, sizeof(c->mqtt.password), "%s", a->opt.mqtt_password ? a->opt.mqtt_password : "");
    changed = true;
  }
  if (a->cfg.wifi.ssid[0] == '\0' && a->opt.default_ssid && !a->cfg_loaded) {
    snprintf(a->cfg.wifi.ssid, sizeof(a->cfg.wifi.ssid), "%s", a->opt.default_ssid);
    changed = true;
  }
  if (changed) (void)dev_save_config(a);

  app_mqtt_init(a);
  if (a->cfg.wifi.ssid[0] == '\0') {
    ops_enter_setup(a, false);
  } else {
    (void)hal_wifi_connect(a->cfg.wifi.ssid, a->cfg.wifi.password);
  }
  hal_log(HAL_LOG_INFO, "app", "%s up: relay %s, reset reason %d, config %s", a->hostname, a->relay ? "on" : "off",
          (int)a->reset_reason, a->cfg_loaded ? "loaded" : "defaults");
}

void app_shutdown(void) {
  app_t *a = &g_app;
  if (a->store_ok) (void)energy_flush(&a->energy, hal_time_us64());
  if (a->mqtt_inited) mqttdev_stop(&a->mqtt, app_now_ms());
  mdns_stop(a);
  http_server_close_all(&a->http);
  http_bsd_close(&a->http_bsd);
}

/* ---- main loop ------------------------------------------------------------------------------------------------ */

uint32_t obl_app_main_poll(void) {
  app_t *a = &g_app;
  uint64_t now_us = hal_time_us64();
  uint64_t now = now_us / 1000u;
  if (a->store_ok) {
    supervisor_checkin(&a->sup, SUP_TASK_MAIN);
    supervisor_poll(&a->sup, now_us); /* feeds the watchdog only while both loops check in */
  } else {
    hal_watchdog_feed();
  }
  bl0937_reading_t r;
  bool metered = a->board.bl0937.present;
  if (metered) { /* the meter itself is only ever touched here (its ISRs only fill rings) */
    bl0937_set_load_connected(&a->meter, a->relay);
    bool sel = bl0937_tick(&a->meter, now_us, &r);
    (void)hal_gpio_write(a->board.bl0937.sel, sel);
  }
  if (a->net_busy) return 1; /* preempted the network loop mid-poll: come back when it is done */
  if (metered) a->reading = r;
  if (a->dev_ok) dev_tick(a, now_us);
  if (a->store_ok) dev_energy_account(a, now_us);
  if (a->reboot_at_ms && now >= a->reboot_at_ms) ops_reboot_now(a);
  return METER_TICK_MS;
}

/* ---- network loop ----------------------------------------------------------------------------------------------- */

/* mDNS (§10): _openbl602._tcp with TXT id, mac, model, fw, protocol, board, on the station address. */
static void mdns_start(app_t *a, const hal_wifi_status_t *ws) {
  if (a->opt.mdns_port < 0 || a->mdns_running) return;
  char t_id[48], t_mac[20], t_model[64], t_fw[24], t_board[48];
  snprintf(t_id, sizeof(t_id), "id=%s", a->id);
  snprintf(t_mac, sizeof(t_mac), "mac=%s", a->mac);
  snprintf(t_model, sizeof(t_model), "model=%s", a->opt.model ? a->opt.model : "BL602 BL0937 plug");
  snprintf(t_fw, sizeof(t_fw), "fw=%s", a->fw);
  snprintf(t_board, sizeof(t_board), "board=%s", a->board.name);
  const char *txt[] = {t_id, t_mac, t_model, t_fw, "protocol=1", t_board};
  mdns_service_t svc;
  uint16_t http_port = a->opt.http_port ? a->opt.http_port : 80;
  if (!mdns_service_init(&svc, a->id, ws->ipv4, http_port, txt, 6)) {
    hal_log(HAL_LOG_ERROR, "app", "mDNS: service record does not fit");
    return;
  }
  /* a loopback address (simulated plug) has no multicast route of its own: use the default interface */
  const uint8_t *ifa = ws->ipv4[0] == 127 ? NULL : ws->ipv4;
  a->mdns_running = mdns_responder_start(&a->mdns, &svc, (uint16_t)a->opt.mdns_port, ifa, app_now_ms());
  if (!a->mdns_running) hal_log(HAL_LOG_WARN, "app", "mDNS responder could not start");
}

static void mdns_stop(app_t *a) {
  if (a->mdns_running) mdns_responder_stop(&a->mdns);
  a->mdns_running = false;
}

static void link_changed(app_t *a, bool up) {
  if (up) {
    a->net_up = true;
    if (!a->http_listening) {
      http_net_t net;
      const char *ip = a->opt.http_ip ? a->opt.http_ip : "0.0.0.0";
      uint16_t port = a->opt.http_port ? a->opt.http_port : 80;
      if (http_bsd_listen(&a->http_bsd, ip, port, &net) == 0) {
        api_init(a, &net);
        a->http_listening = true;
      } else {
        hal_log(HAL_LOG_ERROR, "app", "HTTP cannot listen on %s:%u", ip, (unsigned)port);
      }
    }
    if (a->mqtt_inited) mqtt_apply_broker(a, !a->setup_mode);
  } else {
    a->net_up = false; /* first: every socket call now fails, so nothing orderly reaches the broker */
    mdns_stop(a);
    if (a->mqtt_inited) mqtt_apply_broker(a, false);
    if (a->http_listening) {
      http_server_close_all(&a->http);
      http_bsd_close(&a->http_bsd);
      a->http_listening = false;
    }
  }
}

static uint32_t net_poll(app_t *a);

uint32_t obl_app_net_poll(void) {
  app_t *a = &g_app;
  a->net_busy = true;
  uint32_t next = net_poll(a);
  a->net_busy = false;
  return next;
}

static uint32_t net_poll(app_t *a) {
  uint64_t now = app_now_ms();
  if (a->store_ok) supervisor_checkin(&a->sup, SUP_TASK_NET);
  hal_wifi_status_t ws;
  hal_wifi_status(&ws);
  bool up = ws.state == HAL_WIFI_CONNECTED || ws.state == HAL_WIFI_AP;
  bool was_setup = a->wifi_state == HAL_WIFI_AP;
  if (up != a->net_up) {
    link_changed(a, up);
  } else if (up && (ws.state == HAL_WIFI_AP) != was_setup && a->mqtt_inited) {
    mqtt_apply_broker(a, ws.state == HAL_WIFI_CONNECTED); /* entered or left setup mode */
  }
  if (a->dev_ok && ws.state != a->wifi_state) {
    led_net_t ln = ws.state == HAL_WIFI_CONNECTED    ? LED_NET_CONNECTED
                   : ws.state == HAL_WIFI_AP         ? LED_NET_SETUP
                   : ws.state == HAL_WIFI_CONNECTING ? LED_NET_CONNECTING
                                                     : LED_NET_OFFLINE;
    device_set_network(&a->dev, ln);
  }
  a->wifi_state = ws.state;
  if (ws.state == HAL_WIFI_CONNECTED && a->net_up) {
    mdns_start(a, &ws);
  } else {
    mdns_stop(a); /* setup AP: nobody on the home network to answer */
  }
  if (a->mdns_running) mdns_responder_poll(&a->mdns, now);
  if (a->setup_mode && a->setup_auto_exit && now - a->setup_since_ms >= SETUP_TIMEOUT_MS) {
    a->setup_mode = false;
    (void)hal_wifi_connect(a->cfg.wifi.ssid, a->cfg.wifi.password);
    ops_state_changed(a);
  }
  if (a->http_listening) {
    http_server_poll(&a->http, now);
    api_sse_poll(a, now);
    http_server_poll(&a->http, now); /* send what the report queued */
  }
  if (a->mqtt_inited) mqttdev_poll(&a->mqtt, now);
  if (a->ota_ready && now - a->ota_poll_ms >= 1000u) {
    a->ota_poll_ms = now;
    bool healthy = a->net_up && ws.state == HAL_WIFI_CONNECTED && a->http_listening;
    if (a->mqtt_inited && mqttdev_stats(&a->mqtt)->state == MQTTDEV_ONLINE) ota_note_proof(&a->ota_mgr);
    if (ota_poll(&a->ota_mgr, hal_time_us64(), healthy) == OTA_ACTION_REBOOT) {
      hal_log(HAL_LOG_WARN, "app", "OTA: the new firmware did not confirm itself: rolling back");
      ops_reboot_now(a);
    }
    ops_ota_refresh(a, false);
  }
  return 5;
}
