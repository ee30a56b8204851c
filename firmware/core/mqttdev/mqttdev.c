/* mqttdev.c — connection management, topics, commands and reporting for the plug on MQTT. */
#include "mqttdev/mqttdev.h"

#include "cmdauth/cmdauth.h" /* CMDAUTH_PREFIX */

#include <stdio.h>
#include <string.h>

#define PREFIX "openbl602/"
#define STABLE_MS 60000u /* a connection up this long resets the backoff */

static void set_error(mqttdev_t *d, const char *what, const char *detail) {
  snprintf(d->stats.last_error, sizeof d->stats.last_error, "%s: %s", what, detail);
}

static const char *topic(mqttdev_t *d, const char *suffix) {
  snprintf(d->topic, sizeof d->topic, "%s%s", d->base, suffix);
  return d->topic;
}

static uint32_t rand32(mqttdev_t *d) { /* xorshift32: jitter only needs to differ between plugs */
  uint32_t x = d->rng;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  d->rng = x;
  return x;
}

static void on_mqtt_event(void *ctx, const mqtt_event_t *ev);

static bool id_valid(const char *id) {
  size_t n = id ? strlen(id) : 0;
  if (n == 0 || n > MQTTDEV_ID_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    char c = id[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

bool mqttdev_init(mqttdev_t *d, const mqttdev_config_t *cfg) {
  if (!d || !cfg || !id_valid(cfg->device_id)) return false;
  const mqttdev_net_t *n = &cfg->net;
  const mqttdev_app_t *a = &cfg->app;
  if (!n->open || !n->connected || !n->send || !n->recv || !n->close) return false;
  if (!a->build_state || !a->build_info || !a->snapshot || !a->command) return false;
  memset(d, 0, sizeof *d);
  d->cfg = *cfg;
  d->cfg.device_id = NULL; /* copied below; do not keep the caller's pointer */
  if (d->cfg.report.heartbeat_ms == 0 && d->cfg.report.power_abs_w == 0.0f && d->cfg.report.power_rel == 0.0f)
    mqttdev_report_defaults(&d->cfg.report);
  if (!d->cfg.backoff_min_ms) d->cfg.backoff_min_ms = 1000;
  if (!d->cfg.backoff_max_ms) d->cfg.backoff_max_ms = 60000;
  if (d->cfg.backoff_max_ms < d->cfg.backoff_min_ms) d->cfg.backoff_max_ms = d->cfg.backoff_min_ms;
  if (!d->cfg.connect_timeout_ms) d->cfg.connect_timeout_ms = 10000;
  d->rng = cfg->random_seed ? cfg->random_seed : 0x9E3779B9u;
  snprintf(d->id, sizeof d->id, "%s", cfg->device_id);
  snprintf(d->base, sizeof d->base, PREFIX "%s/", d->id);
  mqtt_config_t mc = {
      .transport = {n->send, n->recv, n->ctx},
      .tx_buf = d->tx, .tx_cap = sizeof d->tx,
      .rx_buf = d->rx, .rx_cap = sizeof d->rx,
      .inflight_buf = d->inflight, .inflight_cap = sizeof d->inflight,
      .on_event = on_mqtt_event, .event_ctx = d,
      .connack_timeout_ms = d->cfg.connect_timeout_ms,
      .publish_reserve = MQTTDEV_ANSWER_RESERVE,
  };
  if (mqtt_init(&d->mqtt, &mc) != MQTT_OK) return false;
  d->stats.state = MQTTDEV_OFF;
  return true;
}

/* Connection attempt failed or connection lost: close and schedule the next attempt. */
static void fail(mqttdev_t *d, uint64_t now, const char *what, const char *detail) {
  bool was_stable = d->stats.state == MQTTDEV_ONLINE && now - d->online_ms >= STABLE_MS;
  d->cfg.net.close(d->cfg.net.ctx);
  mqtt_reset(&d->mqtt);
  set_error(d, what, detail);
  if (was_stable) d->stats.consecutive_failures = 0;
  d->stats.failures++;
  d->stats.consecutive_failures++;
  d->stats.subscribed = false;
  uint64_t delay = d->cfg.backoff_min_ms;
  for (uint32_t i = 1; i < d->stats.consecutive_failures && delay < d->cfg.backoff_max_ms; i++) delay *= 2;
  if (delay > d->cfg.backoff_max_ms) delay = d->cfg.backoff_max_ms;
  /* ±20 % uniform jitter (protocol §8.1): plugs that lost the same broker do not return in lock step */
  uint64_t span = delay * 2 / 5;
  uint64_t wait = delay - delay / 5 + (span ? rand32(d) % (span + 1) : 0);
  d->stats.next_attempt_ms = now + wait;
  d->stats.state = MQTTDEV_WAITING;
}

static void normalize(mqttdev_broker_t *out, const mqttdev_broker_t *in, const char *id) {
  memset(out, 0, sizeof *out);
  if (!in) return;
  snprintf(out->host, sizeof out->host, "%s", in->host);
  snprintf(out->username, sizeof out->username, "%s", in->username);
  snprintf(out->password, sizeof out->password, "%s", in->password);
  if (in->client_id[0])
    snprintf(out->client_id, sizeof out->client_id, "%s", in->client_id);
  else
    snprintf(out->client_id, sizeof out->client_id, "openbl602-%s", id);
  out->port = in->port ? in->port : 1883;
  out->keep_alive_s = in->keep_alive_s ? in->keep_alive_s : 30;
}

void mqttdev_set_broker(mqttdev_t *d, const mqttdev_broker_t *broker, uint64_t now_ms) {
  mqttdev_broker_t b;
  normalize(&b, broker, d->id);
  bool off = b.host[0] == '\0';
  if (d->stats.state != MQTTDEV_OFF && memcmp(&b, &d->broker, sizeof b) == 0) return;
  if (off && d->stats.state == MQTTDEV_OFF) return;
  mqttdev_stop(d, now_ms);
  mqtt_clear_inflight(&d->mqtt); /* messages for the old broker */
  d->state_pid = 0;
  if (off) return;
  d->broker = b;
  d->stats.state = MQTTDEV_WAITING;
  d->stats.consecutive_failures = 0;
  d->stats.next_attempt_ms = now_ms;
}

void mqttdev_stop(mqttdev_t *d, uint64_t now_ms) {
  if (d->stats.state == MQTTDEV_ONLINE)
    (void)mqtt_publish(&d->mqtt, topic(d, "status"), "offline", 7, 0, true, NULL, now_ms);
  if (d->stats.state == MQTTDEV_ONLINE || d->stats.state == MQTTDEV_MQTT_CONNECTING)
    mqtt_disconnect(&d->mqtt, now_ms);
  if (d->stats.state != MQTTDEV_OFF && d->stats.state != MQTTDEV_WAITING) d->cfg.net.close(d->cfg.net.ctx);
  mqtt_reset(&d->mqtt);
  d->stats.state = MQTTDEV_OFF;
  d->stats.subscribed = false;
  memset(&d->broker, 0, sizeof d->broker);
}

static bool publish_state(mqttdev_t *d, const mqttdev_snapshot_t *snap);

/* ---- commands ---- */

static bool cmd_name_valid(const char *s, size_t n) {
  if (n == 0 || n > MQTTDEV_CMD_NAME_MAX) return false;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_')) return false;
  return true;
}

/* The command name if ev's topic is openbl602/<id>/cmd/<name>, else NULL. */
static const char *cmd_name(const mqttdev_t *d, const mqtt_event_t *ev, size_t *name_len) {
  size_t blen = strlen(d->base);
  if (!ev->topic || ev->topic_len <= blen + 4 || memcmp(ev->topic, d->base, blen) != 0 ||
      memcmp(ev->topic + blen, "cmd/", 4) != 0)
    return NULL;
  *name_len = ev->topic_len - blen - 4;
  return ev->topic + blen + 4;
}

/* {"cmd": name, "req": req|null, "ok": ok, "error": {...}|null} on result, QoS 1. */
static void publish_result(mqttdev_t *d, const char *name, size_t name_len, const char *req, bool ok,
                           const mqttdev_error_t *err) {
  jsonw_t w;
  jsonw_init(&w, d->json, sizeof d->json);
  jsonw_obj_begin(&w);
  jsonw_key(&w, "cmd");
  jsonw_strn(&w, name, name_len);
  if (req)
    jsonw_kstr(&w, "req", req);
  else
    jsonw_knull(&w, "req");
  jsonw_kbool(&w, "ok", ok);
  if (ok) {
    jsonw_knull(&w, "error");
  } else {
    jsonw_key(&w, "error");
    jsonw_obj_begin(&w);
    jsonw_kstr(&w, "code", err->code);
    jsonw_kstr(&w, "message", err->message);
    if (err->field[0]) jsonw_kstr(&w, "field", err->field);
    jsonw_obj_end(&w);
  }
  jsonw_obj_end(&w);
  int32_t n = jsonw_finish(&w);
  if (n < 0) return;
  mqtt_status_t st = mqtt_publish(&d->mqtt, topic(d, "result"), d->json, (size_t)n, 1, false, NULL, d->now_ms);
  /* the QoS 1 store is full (a burst, the PUBACKs still on their way): never silence, send it QoS 0 */
  if (st == MQTT_ERR_NO_SPACE)
    st = mqtt_publish(&d->mqtt, topic(d, "result"), d->json, (size_t)n, 0, false, NULL, d->now_ms);
  if (st != MQTT_OK) set_error(d, "result", mqtt_strerror(st));
}

static void handle_command(mqttdev_t *d, const mqtt_event_t *ev) {
  size_t name_len = 0;
  const char *name = cmd_name(d, ev, &name_len);
  if (!name) return;      /* not ours (a broker may deliver overlapping subscriptions) */
  if (ev->retain) return; /* replayed on subscribe, not sent now: see header */
  if (ev->qos == 1) { /* at-least-once: the broker resends with DUP until our PUBACK arrives */
    for (size_t i = 0; ev->dup && i < sizeof d->handled_ids / sizeof d->handled_ids[0]; i++) {
      if (d->handled_ids[i] == ev->packet_id) return;
    }
    d->handled_ids[d->handled_next] = ev->packet_id;
    d->handled_next = (uint8_t)((d->handled_next + 1u) % (sizeof d->handled_ids / sizeof d->handled_ids[0]));
  }
  const char *body = (const char *)ev->payload;
  mqttdev_error_t err;
  memset(&err, 0, sizeof err);
  bool ok = false;
  char name_z[MQTTDEV_CMD_NAME_MAX + 1];
  if (cmd_name_valid(name, name_len)) {
    memcpy(name_z, name, name_len);
    name_z[name_len] = '\0';
    ok = d->cfg.app.command(d->cfg.app.ctx, name_z, body, ev->payload_len, &err);
    if (!ok && err.code[0] == '\0') snprintf(err.code, sizeof err.code, "failed");
  } else {
    snprintf(err.code, sizeof err.code, "not_found");
    snprintf(err.message, sizeof err.message, "no such command");
  }
  d->stats.commands++;
  /* protocol §8.3: the state change a command caused is published before its result */
  mqttdev_snapshot_t snap;
  memset(&snap, 0, sizeof snap);
  d->cfg.app.snapshot(d->cfg.app.ctx, &snap);
  if (!d->pending_state &&
      mqttdev_report_decide(&d->cfg.report, &d->last_report, d->last_report_ms, &snap, d->now_ms) ==
          MQTTDEV_REPORT_CHANGE)
    (void)publish_state(d, &snap);

  char req[33]; /* protocol: ≤ 32 chars; longer is not echoed */
  bool have_req = false;
  json_doc_t doc;
  const char *json = body; /* an authenticated command (protocol §8.5) carries its JSON after one line */
  size_t json_len = ev->payload_len;
  if (json_len > sizeof CMDAUTH_PREFIX && memcmp(json, CMDAUTH_PREFIX, sizeof CMDAUTH_PREFIX - 1) == 0) {
    const char *nl = memchr(json, '\n', json_len);
    if (nl) {
      json_len -= (size_t)(nl + 1 - json);
      json = nl + 1;
    }
  }
  if (json_parse(&doc, json, json_len, d->toks, sizeof d->toks / sizeof d->toks[0]) == JSON_OK &&
      json_get_string(&doc, json_obj_get(&doc, JSON_ROOT, "req"), req, sizeof req, NULL) == JSON_OK)
    have_req = true;
  publish_result(d, name, name_len, have_req ? req : NULL, ok, &err);
}

/* A command too big for the receive buffer still gets its one result (when its topic was readable). */
static void handle_dropped(mqttdev_t *d, const mqtt_event_t *ev) {
  set_error(d, "receive", "message larger than the receive buffer dropped");
  size_t name_len = 0;
  const char *name = cmd_name(d, ev, &name_len);
  if (!name || ev->retain) return;
  mqttdev_error_t err;
  memset(&err, 0, sizeof err);
  snprintf(err.code, sizeof err.code, "payload_too_large");
  snprintf(err.message, sizeof err.message, "command larger than %u bytes", (unsigned)MQTTDEV_RX_SIZE);
  d->stats.commands++;
  publish_result(d, name, name_len, NULL, false, &err);
}

static void on_mqtt_event(void *ctx, const mqtt_event_t *ev) {
  mqttdev_t *d = (mqttdev_t *)ctx;
  switch (ev->type) {
    case MQTT_EVT_CONNECTED:
      d->stats.state = MQTTDEV_ONLINE;
      d->stats.connects++;
      d->online_ms = d->now_ms;
      d->pending_birth = d->pending_info = d->pending_sub = d->pending_state = true;
      memset(d->handled_ids, 0, sizeof d->handled_ids); /* clean session: ids start over */
      d->handled_next = 0;
      break;
    case MQTT_EVT_SUBACK:
      d->stats.subscribed = ev->suback_count > 0 && ev->suback_codes[0] != MQTT_SUBACK_FAILURE;
      if (!d->stats.subscribed) set_error(d, "subscribe", "broker refused cmd/+ (ACL?)");
      break;
    case MQTT_EVT_PUBLISH: handle_command(d, ev); break;
    case MQTT_EVT_DROPPED: handle_dropped(d, ev); break;
    case MQTT_EVT_PUBLISH_FAILED: set_error(d, "publish", "QoS 1 message never acknowledged"); break;
    case MQTT_EVT_PUBACK:
      if (ev->packet_id == d->state_pid) d->state_pid = 0;
      break;
  }
}

/* ---- publishing ---- */

/* MQTT_OK, MQTT_ERR_NO_SPACE (retry next poll) or another error (give up on this message). */
static mqtt_status_t publish_json(mqttdev_t *d, const char *suffix, int (*build)(void *, char *, size_t)) {
  int n = build(d->cfg.app.ctx, d->json, sizeof d->json);
  if (n < 0 || (size_t)n >= sizeof d->json) {
    set_error(d, suffix, "document larger than MQTTDEV_JSON_SIZE");
    return MQTT_ERR_ARG;
  }
  return mqtt_publish(&d->mqtt, topic(d, suffix), d->json, (size_t)n, 1, true, NULL, d->now_ms);
}

/* The retained state: one copy in flight at most (a newer state supersedes the unacknowledged one, which
 * is then not re-sent); QoS 0 when the QoS 1 store is full of results. */
static bool publish_state(mqttdev_t *d, const mqttdev_snapshot_t *snap) {
  int n = d->cfg.app.build_state(d->cfg.app.ctx, d->json, sizeof d->json);
  mqtt_status_t st = MQTT_ERR_ARG;
  if (n < 0 || (size_t)n >= sizeof d->json) {
    set_error(d, "state", "document larger than MQTTDEV_JSON_SIZE");
  } else {
    if (d->state_pid) (void)mqtt_inflight_forget(&d->mqtt, d->state_pid);
    d->state_pid = 0;
    st = mqtt_publish(&d->mqtt, topic(d, "state"), d->json, (size_t)n, 1, true, &d->state_pid, d->now_ms);
    if (st == MQTT_ERR_NO_SPACE) {
      d->state_pid = 0;
      st = mqtt_publish(&d->mqtt, topic(d, "state"), d->json, (size_t)n, 0, true, NULL, d->now_ms);
    }
  }
  if (st == MQTT_ERR_NO_SPACE) return false;
  d->last_report = *snap; /* also on a build error: do not retry a broken document every poll */
  d->last_report_ms = d->now_ms;
  if (st == MQTT_OK) d->stats.state_reports++;
  return true;
}

/* After CONNACK, in the protocol's order: status, info, state, then the command subscription. */
static void service(mqttdev_t *d) {
  mqtt_status_t st;
  if (d->pending_birth) {
    st = mqtt_publish(&d->mqtt, topic(d, "status"), "online", 6, 1, true, NULL, d->now_ms);
    if (st == MQTT_ERR_NO_SPACE) return;
    d->pending_birth = false;
  }
  if (d->pending_info) {
    st = publish_json(d, "info", d->cfg.app.build_info);
    if (st == MQTT_ERR_NO_SPACE) return;
    d->pending_info = false;
  }
  mqttdev_snapshot_t snap;
  memset(&snap, 0, sizeof snap);
  d->cfg.app.snapshot(d->cfg.app.ctx, &snap);
  if (d->pending_state) {
    if (!publish_state(d, &snap)) return;
    d->pending_state = false;
  } else if (mqttdev_report_decide(&d->cfg.report, &d->last_report, d->last_report_ms, &snap, d->now_ms) !=
             MQTTDEV_REPORT_NONE) {
    (void)publish_state(d, &snap);
  }
  if (d->pending_sub) {
    mqtt_subscription_t sub = {topic(d, "cmd/+"), 1};
    st = mqtt_subscribe(&d->mqtt, &sub, 1, NULL, d->now_ms);
    if (st == MQTT_ERR_NO_SPACE) return;
    d->pending_sub = false;
  }
}

void mqttdev_poll(mqttdev_t *d, uint64_t now_ms) {
  d->now_ms = now_ms;
  mqttdev_stats_t *s = &d->stats;
  if (s->state == MQTTDEV_OFF) return;
  if (s->state == MQTTDEV_WAITING) {
    if (now_ms < s->next_attempt_ms) return;
    if (d->cfg.net.open(d->cfg.net.ctx, d->broker.host, d->broker.port) < 0) {
      fail(d, now_ms, "connect", "cannot resolve host or open socket");
      return;
    }
    s->state = MQTTDEV_TCP_CONNECTING;
    d->phase_ms = now_ms;
  }
  if (s->state == MQTTDEV_TCP_CONNECTING) {
    int r = d->cfg.net.connected(d->cfg.net.ctx);
    if (r < 0) {
      fail(d, now_ms, "connect", "TCP connection refused or unreachable");
      return;
    }
    if (r == 0) {
      if (now_ms - d->phase_ms >= d->cfg.connect_timeout_ms) fail(d, now_ms, "connect", "TCP connect timeout");
      return;
    }
    mqtt_connect_info_t ci = {
        .client_id = d->broker.client_id,
        .username = d->broker.username[0] ? d->broker.username : NULL,
        .password = d->broker.password[0] ? d->broker.password : NULL,
        .keep_alive_s = d->broker.keep_alive_s,
        .clean_session = true,
        .will_topic = topic(d, "status"),
        .will_payload = (const uint8_t *)"offline",
        .will_len = 7,
        .will_qos = 1,
        .will_retain = true,
    };
    if (ci.password && !ci.username) ci.password = NULL; /* MQTT 3.1.1 forbids a password alone */
    mqtt_status_t st = mqtt_connect(&d->mqtt, &ci, now_ms);
    if (st != MQTT_OK) {
      fail(d, now_ms, "connect", st == MQTT_ERR_ARG ? "invalid client id or credentials" : mqtt_strerror(st));
      return;
    }
    s->state = MQTTDEV_MQTT_CONNECTING;
  }
  bool was_online = s->state == MQTTDEV_ONLINE;
  mqtt_status_t st = mqtt_poll(&d->mqtt, now_ms);
  if (s->state != MQTTDEV_MQTT_CONNECTING && s->state != MQTTDEV_ONLINE) return; /* a callback stopped us */
  if (st != MQTT_OK) {
    const char *detail = mqtt_last_error_detail(&d->mqtt);
    fail(d, now_ms, was_online ? "connection lost" : "connect", detail[0] ? detail : mqtt_strerror(st));
    return;
  }
  if (s->state == MQTTDEV_ONLINE) service(d);
}

uint32_t mqttdev_next_timeout_ms(const mqttdev_t *d, uint64_t now_ms) {
  switch (d->stats.state) {
    case MQTTDEV_OFF: return UINT32_MAX;
    case MQTTDEV_WAITING:
      return d->stats.next_attempt_ms > now_ms ? (uint32_t)(d->stats.next_attempt_ms - now_ms) : 0;
    case MQTTDEV_TCP_CONNECTING: return 20; /* connect completion is polled */
    case MQTTDEV_MQTT_CONNECTING:
    case MQTTDEV_ONLINE: break;
  }
  if (d->pending_birth || d->pending_info || d->pending_sub || d->pending_state) return 10;
  uint32_t t = mqtt_next_timeout_ms(&d->mqtt, now_ms);
  return t < 1000 ? t : 1000; /* the reporting policy looks at the meter about once a second */
}

void mqttdev_set_report(mqttdev_t *d, const mqttdev_report_cfg_t *report) { d->cfg.report = *report; }

void mqttdev_network_lost(mqttdev_t *d, uint64_t now_ms) {
  if (d->stats.state == MQTTDEV_OFF || d->stats.state == MQTTDEV_WAITING) return;
  fail(d, now_ms, "connection lost", "network down");
}

void mqttdev_state_changed(mqttdev_t *d) { d->pending_state = true; }
void mqttdev_info_changed(mqttdev_t *d) { d->pending_info = true; }

mqtt_status_t mqttdev_publish_event(mqttdev_t *d, const char *json, size_t len, uint64_t now_ms) {
  if (d->stats.state != MQTTDEV_ONLINE) return MQTT_ERR_STATE;
  return mqtt_publish(&d->mqtt, topic(d, "event"), json, len, 0, false, NULL, now_ms);
}

const mqttdev_stats_t *mqttdev_stats(const mqttdev_t *d) { return &d->stats; }
