/* libFuzzer target: the plug's MQTT binding fed a hostile broker stream after CONNECT (commands with any
 * topic, body, size, retain flag; acks; garbage), with simulated time jumping. Findings: crashes, sanitizer
 * reports, or the binding claiming ONLINE while its client is disconnected. */
#include <stdio.h>
#include <string.h>

#include "mqttdev/mqttdev.h"

typedef struct {
  const uint8_t *data;
  size_t len, pos, chunk;
  bool open;
} feed_t;

static feed_t feed;

static int n_open(void *ctx, const char *host, uint16_t port) {
  (void)ctx, (void)host, (void)port;
  feed.open = true;
  return 0;
}
static int n_connected(void *ctx) {
  (void)ctx;
  return feed.open ? 1 : -1;
}
static int32_t n_send(void *ctx, const uint8_t *d, size_t n) {
  (void)ctx, (void)d;
  return feed.open ? (int32_t)(n > 300 ? 300 : n) : -1;
}
static int32_t n_recv(void *ctx, uint8_t *b, size_t cap) {
  (void)ctx;
  if (!feed.open) return -1;
  size_t n = feed.len - feed.pos;
  if (n > cap) n = cap;
  if (n > feed.chunk) n = feed.chunk;
  memcpy(b, feed.data + feed.pos, n);
  feed.pos += n;
  return (int32_t)n;
}
static void n_close(void *ctx) {
  (void)ctx;
  feed.open = false;
}

static bool relay;
static int build_state(void *ctx, char *buf, size_t cap) {
  (void)ctx;
  return snprintf(buf, cap, "{\"relay\":%s}", relay ? "true" : "false");
}
static int build_info(void *ctx, char *buf, size_t cap) {
  (void)ctx;
  return snprintf(buf, cap, "{\"id\":\"fz\"}");
}
static void snapshot(void *ctx, mqttdev_snapshot_t *out) {
  (void)ctx;
  out->relay = relay;
}
static bool command(void *ctx, const char *name, const char *body, size_t len, mqttdev_error_t *err) {
  (void)ctx;
  if (strlen(name) > MQTTDEV_CMD_NAME_MAX) __builtin_trap();
  if (len & 1) {
    relay = !relay;
    return true;
  }
  snprintf(err->code, sizeof err->code, "invalid_value");
  snprintf(err->message, sizeof err->message, "%.*s", (int)(len < 40 ? len : 40), body);
  return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mqttdev_t dev;
  if (size < 1) return 0;
  static const uint8_t connack[] = {0x20, 2, 0, 0};
  static uint8_t stream[8192];
  size_t n = size - 1 > sizeof stream - 4 ? sizeof stream - 4 : size - 1;
  memcpy(stream, connack, 4);
  memcpy(stream + 4, data + 1, n);
  feed = (feed_t){stream, n + 4, 0, (size_t)(data[0] & 0x3F) * 16 + 1, false};
  relay = false;
  mqttdev_config_t cfg = {.device_id = "fz",
                          .net = {n_open, n_connected, n_send, n_recv, n_close, NULL},
                          .app = {build_state, build_info, snapshot, command, NULL},
                          .random_seed = 1};
  if (!mqttdev_init(&dev, &cfg)) __builtin_trap();
  mqttdev_broker_t b = {.host = "127.0.0.1"};
  mqttdev_set_broker(&dev, &b, 0);
  uint64_t now = 0;
  for (int i = 0; i < 2000 && feed.pos < feed.len; i++) {
    mqttdev_poll(&dev, now);
    if (mqttdev_stats(&dev)->state == MQTTDEV_ONLINE && mqtt_state(&dev.mqtt) != MQTT_STATE_CONNECTED)
      __builtin_trap();
    if (mqttdev_stats(&dev)->state == MQTTDEV_WAITING) break;
    now += (data[0] & 0x40) ? 1500 : 10;
  }
  mqttdev_stop(&dev, now);
  return 0;
}
