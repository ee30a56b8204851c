/* libFuzzer target: the MQTT packet decoder and the client's receive path. The input is what a hostile
 * broker sends after CONNECT; the first byte picks how the stream is chopped into recv() results and
 * whether the receive buffer is tiny (exercising the oversized-PUBLISH skip). Any crash, sanitizer report
 * or a client that stays "connected" after a decode error is a finding. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mqtt/mqtt_client.h"

typedef struct {
  const uint8_t *data;
  size_t len, pos, chunk;
} feed_t;

static int32_t f_send(void *ctx, const uint8_t *d, size_t n) {
  (void)ctx;
  (void)d;
  return (int32_t)(n > 64 ? 64 : n);
}

static int32_t f_recv(void *ctx, uint8_t *b, size_t cap) {
  feed_t *f = (feed_t *)ctx;
  size_t n = f->len - f->pos;
  if (n == 0) return 0;
  if (n > cap) n = cap;
  if (n > f->chunk) n = f->chunk;
  memcpy(b, f->data + f->pos, n);
  f->pos += n;
  return (int32_t)n;
}

static void on_event(void *ctx, const mqtt_event_t *ev) {
  mqtt_client_t *c = (mqtt_client_t *)ctx;
  if (ev->type == MQTT_EVT_PUBLISH) {
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < ev->topic_len; i++) sink ^= (uint8_t)ev->topic[i];
    for (size_t i = 0; i < ev->payload_len; i++) sink ^= ev->payload[i];
    (void)sink;
    if (ev->payload_len & 1) (void)mqtt_publish(c, "reply/x", ev->payload, ev->payload_len, 1, false, NULL, 0);
  }
  if (ev->type == MQTT_EVT_CONNECTED) {
    mqtt_subscription_t s = {"cmd/+", 1};
    (void)mqtt_subscribe(c, &s, 1, NULL, 0);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mqtt_packet_t p;
  (void)mqtt_decode(data, size, &p, NULL);
  if (size < 1) return 0;
  static uint8_t tx[512], rx[256], infl[512];
  uint8_t mode = data[0];
  feed_t f = {data + 1, size - 1, 0, (size_t)(mode & 0x1F) + 1};
  mqtt_client_t c;
  mqtt_config_t cfg = {.transport = {f_send, f_recv, &f}, .tx_buf = tx, .tx_cap = sizeof tx, .rx_buf = rx,
                       .rx_cap = (mode & 0x20) ? 24 : sizeof rx, .inflight_buf = infl,
                       .inflight_cap = sizeof infl, .on_event = on_event, .event_ctx = &c};
  if (mqtt_init(&c, &cfg) != MQTT_OK) __builtin_trap();
  mqtt_connect_info_t ci = {.client_id = "fuzz", .keep_alive_s = 5, .clean_session = true};
  if (mqtt_connect(&c, &ci, 0) != MQTT_OK) __builtin_trap();
  uint64_t now = 0;
  for (int i = 0; i < 4096 && f.pos < f.len; i++) {
    mqtt_status_t st = mqtt_poll(&c, now);
    now += (mode & 0x40) ? 700 : 1;
    if (st != MQTT_OK) {
      if (mqtt_state(&c) != MQTT_STATE_DISCONNECTED) __builtin_trap();
      break;
    }
  }
  return 0;
}
