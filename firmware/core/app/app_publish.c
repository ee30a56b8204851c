/* app_publish.c — documents, change detection and the SSE / MQTT fan-out (see app_publish.h). */
#include "app/app_publish.h"

#include <stdio.h>
#include <string.h>

#include "app/app_ident.h"
#include "app/app_link.h"
#include "metering/bl0937.h"
#include "mqttdev/mqttdev.h"
#include "supervisor/supervisor.h"

/* Owner: the network loop. */
static struct {
  mqttdev_t mqtt;
  bool mqtt_ok;
  bool online;      /* link up in station mode: MQTT may connect */
  app_config_t cfg; /* the config MQTT last followed */
  bool cfg_seen;
  http_server_t *http;
  mqttdev_snapshot_t sse_last; /* reporting to SSE (same policy as MQTT) */
  uint64_t sse_last_ms;
  uint32_t generation; /* the network loop's own reportable changes */
  bool setup_mode;
  char hostname[sizeof(((app_info_t *)0)->hostname)]; /* as mDNS may have renamed it (§10) */
  const char *ota_board;
  app_ota_status_t ota;
  uint8_t last_ota_state;
} s;

static char s_doc[640]; /* one state document for an SSE event; owner: this file */

static void report_cfg(const app_config_t *c, mqttdev_report_cfg_t *rc) {
  rc->power_abs_w = c->report.power_delta_w;
  rc->power_rel = c->report.power_delta_pct / 100.0f;
  rc->min_interval_ms = (uint32_t)c->report.min_interval_s * 1000u;
  rc->heartbeat_ms = (uint32_t)c->report.heartbeat_s * 1000u;
}

static void snapshot(mqttdev_snapshot_t *out) {
  const app_view_t *v = app_link_view();
  out->relay = v->relay;
  out->tripped = v->tripped;
  out->power_w = v->relay && v->load_connected ? v->power_w : 0.0f; /* just switched on: not measured yet */
  out->generation = v->generation + s.generation;
  out->settling = v->relay && (!v->load_connected || (v->meter_flags & BL0937_P_SETTLING) != 0);
}

/* ---- documents ---------------------------------------------------------------------------------------- */

void pub_state_write(jsonw_t *w) {
  const app_view_t *v = app_link_view();
  app_state_t st;
  memset(&st, 0, sizeof(st));
  st.relay = v->relay;
  st.pending = v->relay_pending;
  st.pending_on = v->relay_pending_on;
  /* relay open: no load current can flow, whatever the last pulses said (§3) */
  st.power_w = v->relay && v->load_connected ? v->power_w : 0.0f; /* just switched on: not measured yet */
  st.current_a = v->relay && v->load_connected ? v->current_a : 0.0f;
  st.voltage_v = (v->meter_flags & BL0937_V_VALID) ? v->voltage_v : 0.0f;
  st.energy_unknown = v->energy_unknown;
  st.energy_wh = v->energy_wh;
  st.tripped = v->tripped;
  st.lockout = v->lockout;
  st.config_rev = v->config_rev;
  hal_wifi_status_t ws;
  hal_wifi_status(&ws);
  st.rssi_dbm = ws.state == HAL_WIFI_CONNECTED ? ws.rssi_dbm : 0;
  st.uptime_s = (app_now_ms() - app_ident()->boot_ms) / 1000u;
  st.reset_reason = supervisor_reset_reason_name(v->reset_reason);
  st.safe_mode = v->safe_mode;
  st.ota = s.ota;
  st.stale_voltage = (v->meter_flags & BL0937_V_STALE) != 0 || !(v->meter_flags & BL0937_V_VALID);
  st.stale_current =
      v->relay && v->power_w > 0.0f && ((v->meter_flags & BL0937_I_STALE) != 0 || !(v->meter_flags & BL0937_I_VALID));
  app_state_write(&st, w);
}

int pub_state_json(char *buf, size_t cap) {
  jsonw_t w;
  jsonw_init(&w, buf, cap);
  pub_state_write(&w);
  return (int)jsonw_finish(&w);
}

void pub_info_write(jsonw_t *w, bool for_mqtt) {
  const app_ident_t *id = app_ident();
  const app_view_t *v = app_link_view();
  app_info_t i;
  memset(&i, 0, sizeof(i));
  snprintf(i.id, sizeof(i.id), "%s", id->id);
  snprintf(i.mac, sizeof(i.mac), "%s", id->mac);
  snprintf(i.hostname, sizeof(i.hostname), "%s", s.hostname);
  i.name = v->cfg.name;
  i.model = id->model;
  i.board = id->board.name;
  /* the id the OTA manager itself checks (not the pin-map name in "board"): a client can then refuse a
   * wrong-board image before uploading it (§2) */
  i.ota_board = s.ota_board;
  i.fw = id->fw;
  i.auth = v->cfg.api_password[0] != '\0';
  i.setup_mode = s.setup_mode;
  i.caps = APP_CAP_RELAY | APP_CAP_IDENTIFY | APP_CAP_EVENTS | APP_CAP_PROTECTION | APP_CAP_MQTT;
  if (s.ota_board) i.caps |= APP_CAP_OTA;
  if (id->board.bl0937.present) i.caps |= APP_CAP_METERING | APP_CAP_ENERGY | APP_CAP_CALIBRATION;
  if (id->board.led_count) i.caps |= APP_CAP_LED;
  if (id->board.button_count) i.caps |= APP_CAP_BUTTON;
  if (for_mqtt) {
    if (id->opt.advertised_ip) {
      snprintf(i.http_url, sizeof(i.http_url), "http://%s:%u", id->opt.advertised_ip, (unsigned)id->http_port);
    } else {
      hal_wifi_status_t ws;
      hal_wifi_status(&ws);
      snprintf(i.http_url, sizeof(i.http_url), "http://%u.%u.%u.%u:%u", ws.ipv4[0], ws.ipv4[1], ws.ipv4[2], ws.ipv4[3],
               (unsigned)id->http_port);
    }
  }
  app_info_write(&i, w);
}

void pub_sse_hello(http_conn_t *c) {
  int n = pub_state_json(s_doc, sizeof(s_doc));
  if (n > 0) http_sse_send(c, "state", s_doc, (size_t)n);
  if (s.sse_last_ms == 0) { /* the first stream: this event is the report the policy counts from */
    snapshot(&s.sse_last);
    s.sse_last_ms = app_now_ms();
  }
}

/* ---- MQTT binding ---------------------------------------------------------------------------------------- */

static int mq_state(void *ctx, char *buf, size_t cap) {
  (void)ctx;
  return pub_state_json(buf, cap);
}

static int mq_info(void *ctx, char *buf, size_t cap) {
  (void)ctx;
  jsonw_t w;
  jsonw_init(&w, buf, cap);
  pub_info_write(&w, true);
  return (int)jsonw_finish(&w);
}

static void mq_snapshot(void *ctx, mqttdev_snapshot_t *out) {
  (void)ctx;
  snapshot(out);
}

static void apply_broker(const app_config_t *c) {
  mqttdev_broker_t b;
  memset(&b, 0, sizeof(b));
  if (s.online && c->mqtt.enabled && c->mqtt.host[0]) {
    snprintf(b.host, sizeof(b.host), "%s", c->mqtt.host);
    b.port = c->mqtt.port;
    snprintf(b.username, sizeof(b.username), "%s", c->mqtt.user);
    snprintf(b.password, sizeof(b.password), "%s", c->mqtt.password);
  }
  mqttdev_set_broker(&s.mqtt, &b, app_now_ms());
}

bool pub_mqtt_online(void) { return s.mqtt_ok && mqttdev_stats(&s.mqtt)->state == MQTTDEV_ONLINE; }

void pub_boot(const char *ota_board, pub_command_fn command) {
  const app_ident_t *id = app_ident();
  const app_view_t *v = app_link_view_refresh();
  memset(&s, 0, sizeof(s));
  s.ota_board = ota_board;
  snprintf(s.hostname, sizeof(s.hostname), "%s", id->hostname);
  s.cfg = v->cfg;
  s.cfg_seen = true;
  mqttdev_config_t mc;
  memset(&mc, 0, sizeof(mc));
  mc.device_id = id->id;
  mc.net = id->transport.mqtt;
  mc.app = (mqttdev_app_t){mq_state, mq_info, mq_snapshot, command, NULL};
  report_cfg(&v->cfg, &mc.report);
  uint32_t seed = 0;
  (void)hal_random(&seed, sizeof(seed));
  mc.random_seed = seed;
  s.mqtt_ok = mqttdev_init(&s.mqtt, &mc);
  if (!s.mqtt_ok) hal_log(HAL_LOG_ERROR, "app", "MQTT binding refused the device id %s", id->id);
}

void pub_attach_http(http_server_t *http) {
  s.http = http;
  if (http == NULL) s.sse_last_ms = 0;
}

void pub_network(bool online, bool link_lost) {
  if (online == s.online) return;
  s.online = online;
  if (!s.mqtt_ok) return;
  if (link_lost) mqttdev_network_lost(&s.mqtt, app_now_ms()); /* no goodbye: the broker sends our will */
  apply_broker(&app_link_view()->cfg);
}

void pub_stop(void) {
  if (s.mqtt_ok) mqttdev_stop(&s.mqtt, app_now_ms());
}

/* ---- changes and fan-out ------------------------------------------------------------------------------- */

void pub_changed(void) { s.generation++; }

void pub_info_changed(void) {
  if (s.mqtt_ok) mqttdev_info_changed(&s.mqtt);
}

void pub_set_hostname(const char *name) {
  snprintf(s.hostname, sizeof(s.hostname), "%s", name);
  pub_info_changed();
}

void pub_set_setup_mode(bool on) {
  s.setup_mode = on;
  pub_info_changed();
  pub_changed();
}

void pub_set_ota(const app_ota_status_t *st) { s.ota = *st; }

static void fan_out(const char *type, const char *obj, size_t n) {
  if (s.http) http_sse_broadcast(s.http, type, obj, n);
  if (!s.mqtt_ok || n < 2) return;
  char mq[320]; /* {"type":"<type>", + the object's members */
  int m = snprintf(mq, sizeof(mq), "{\"type\":\"%s\",%.*s", type, (int)(n - 1), obj + 1);
  if (m > 0 && (size_t)m < sizeof(mq)) (void)mqttdev_publish_event(&s.mqtt, mq, (size_t)m, app_now_ms());
}

void pub_button_event(const char *action) {
  char ev[48];
  int n = snprintf(ev, sizeof(ev), "{\"action\":\"%s\"}", action);
  if (n > 0 && (size_t)n < sizeof(ev)) fan_out("button", ev, (size_t)n);
}

void pub_ota_event(void) {
  char buf[256];
  jsonw_t w;
  jsonw_init(&w, buf, sizeof(buf));
  app_ota_write(&s.ota, &w);
  int32_t n = jsonw_finish(&w);
  if (n < 0) return;
  fan_out("ota", buf, (size_t)n);
  if (s.ota.state != s.last_ota_state) {
    s.last_ota_state = s.ota.state;
    pub_changed(); /* ota.state is part of the state: a reportable change */
  }
}

/* The network half of a config change follows the view: broker, reporting thresholds, retained info. */
static void follow_config(const app_config_t *c) {
  if (!s.mqtt_ok) return;
  if (memcmp(&c->report, &s.cfg.report, sizeof(c->report)) != 0) {
    mqttdev_report_cfg_t rc;
    report_cfg(c, &rc);
    mqttdev_set_report(&s.mqtt, &rc);
  }
  if (memcmp(&c->mqtt, &s.cfg.mqtt, sizeof(c->mqtt)) != 0) apply_broker(c);
  if (strcmp(c->name, s.cfg.name) != 0 || (c->api_password[0] != '\0') != (s.cfg.api_password[0] != '\0')) {
    mqttdev_info_changed(&s.mqtt);
  }
  s.cfg = *c;
}

/* SSE "state" events follow the MQTT reporting policy (§6, §8.4). */
static void sse_poll(uint64_t now_ms) {
  if (s.http == NULL || http_sse_count(s.http) == 0) {
    s.sse_last_ms = 0;
    return;
  }
  mqttdev_snapshot_t snap;
  snapshot(&snap);
  mqttdev_report_cfg_t rc;
  report_cfg(&app_link_view()->cfg, &rc);
  if (s.sse_last_ms != 0 &&
      mqttdev_report_decide(&rc, &s.sse_last, s.sse_last_ms, &snap, now_ms) == MQTTDEV_REPORT_NONE) {
    return;
  }
  int n = pub_state_json(s_doc, sizeof(s_doc));
  if (n <= 0) return;
  /* a stream that connected since the last report already got the state in its first event */
  http_sse_broadcast(s.http, "state", s_doc, (size_t)n);
  s.sse_last = snap;
  s.sse_last_ms = now_ms;
}

void pub_poll(uint64_t now_ms) {
  follow_config(&app_link_view()->cfg);
  sse_poll(now_ms);
  if (s.mqtt_ok) mqttdev_poll(&s.mqtt, now_ms);
}
