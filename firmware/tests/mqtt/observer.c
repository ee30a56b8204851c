/* observer.c — see observer.h. */
#include "observer.h"

#include <stdio.h>
#include <string.h>

#include "broker.h"

static void on_event(void *ctx, const mqtt_event_t *ev) {
  observer_t *o = (observer_t *)ctx;
  if (ev->type == MQTT_EVT_PUBACK) o->pubacks++;
  if (ev->type == MQTT_EVT_SUBACK) o->subacks++;
  if (ev->type != MQTT_EVT_PUBLISH || o->n >= OBS_MAX) return;
  obs_msg_t *m = &o->msgs[o->n++];
  snprintf(m->topic, sizeof m->topic, "%.*s", (int)ev->topic_len, ev->topic);
  snprintf(m->payload, sizeof m->payload, "%.*s", (int)ev->payload_len, (const char *)ev->payload);
  m->retain = ev->retain;
  m->qos = ev->qos;
}

mqtt_status_t obs_connect(observer_t *o, uint16_t port, const mqtt_connect_info_t *ci) {
  memset(o, 0, sizeof *o);
  sock_net_init(&o->sock);
  o->net = sock_net_interface(&o->sock);
  mqtt_config_t cfg = {.transport = {o->net.send, o->net.recv, o->net.ctx},
                       .tx_buf = o->tx, .tx_cap = sizeof o->tx, .rx_buf = o->rx, .rx_cap = sizeof o->rx,
                       .inflight_buf = o->infl, .inflight_cap = sizeof o->infl,
                       .on_event = on_event, .event_ctx = o};
  mqtt_init(&o->c, &cfg);
  if (o->net.open(o->net.ctx, "127.0.0.1", port) < 0) return MQTT_ERR_TRANSPORT;
  uint64_t end = test_now_ms() + 3000;
  int r;
  while ((r = o->net.connected(o->net.ctx)) == 0 && test_now_ms() < end) test_sleep_ms(2);
  if (r != 1) return MQTT_ERR_TRANSPORT;
  mqtt_status_t st = mqtt_connect(&o->c, ci, test_now_ms());
  if (st != MQTT_OK) return st;
  while (mqtt_state(&o->c) == MQTT_STATE_CONNECTING && test_now_ms() < end) {
    st = mqtt_poll(&o->c, test_now_ms());
    if (st != MQTT_OK) return st;
    test_sleep_ms(2);
  }
  return mqtt_state(&o->c) == MQTT_STATE_CONNECTED ? MQTT_OK : MQTT_ERR_TIMEOUT;
}

mqtt_status_t obs_run(observer_t *o, unsigned ms) {
  uint64_t end = test_now_ms() + ms;
  do {
    mqtt_status_t st = mqtt_poll(&o->c, test_now_ms());
    if (st != MQTT_OK) return st;
    test_sleep_ms(2);
  } while (test_now_ms() < end);
  return MQTT_OK;
}

bool obs_subscribe(observer_t *o, const char *filter) {
  mqtt_subscription_t s = {filter, 1};
  int before = o->subacks;
  if (mqtt_subscribe(&o->c, &s, 1, NULL, test_now_ms()) != MQTT_OK) return false;
  uint64_t end = test_now_ms() + 3000;
  while (o->subacks == before && test_now_ms() < end)
    if (obs_run(o, 5) != MQTT_OK) return false;
  return o->subacks > before;
}

static const obs_msg_t *find(const observer_t *o, const char *topic, const char *payload_substr, int from) {
  for (int i = from; i < o->n; i++)
    if (strcmp(o->msgs[i].topic, topic) == 0 && (!payload_substr || strstr(o->msgs[i].payload, payload_substr)))
      return &o->msgs[i];
  return NULL;
}

const obs_msg_t *obs_wait(observer_t *o, const char *topic, const char *payload_substr, unsigned timeout_ms) {
  uint64_t end = test_now_ms() + timeout_ms;
  for (;;) {
    const obs_msg_t *m = find(o, topic, payload_substr, 0);
    if (m || test_now_ms() >= end) return m;
    if (obs_run(o, 5) != MQTT_OK) return NULL;
  }
}

int obs_count(const observer_t *o, const char *topic) {
  int n = 0;
  for (int i = 0; i < o->n; i++) n += strcmp(o->msgs[i].topic, topic) == 0;
  return n;
}

void obs_drop(observer_t *o) {
  o->net.close(o->net.ctx);
  mqtt_reset(&o->c);
}

void obs_close(observer_t *o) {
  mqtt_disconnect(&o->c, test_now_ms());
  o->net.close(o->net.ctx);
}
