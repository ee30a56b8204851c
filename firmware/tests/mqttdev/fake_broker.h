/* fake_broker.h — an in-memory peer for mqttdev tests: an mqttdev_net_t over mem_link_t plus a scripted
 * "broker" that answers CONNECT/SUBSCRIBE/PINGREQ/QoS 1 PUBLISH and records every PUBLISH the plug sent. */
#ifndef OBL_TEST_FAKE_BROKER_H
#define OBL_TEST_FAKE_BROKER_H

#include <stdio.h>
#include <string.h>

#include "../mqtt/mem_link.h"
#include "mqtt/mqtt_packet.h"
#include "mqttdev/net.h"

#define FB_MAX_MSGS 256

typedef struct {
  char topic[80];
  char payload[600];
  uint8_t qos;
  bool retain;
} fb_msg_t;

typedef struct {
  mem_link_t link;
  bool open, connected;
  int open_result;      /* what open() returns */
  int connected_result; /* what connected() returns once open */
  char host[64];
  uint16_t port;
  int opens, closes;
  bool auto_connack; /* answer CONNECT with CONNACK 0 */
  uint8_t connect_pkt[256];
  size_t connect_len;
  int connects, subscribes, pings, disconnects;
  fb_msg_t msgs[FB_MAX_MSGS];
  int nmsgs;
} fake_broker_t;

static inline int fb_open(void *ctx, const char *host, uint16_t port) {
  fake_broker_t *b = (fake_broker_t *)ctx;
  b->opens++;
  snprintf(b->host, sizeof b->host, "%s", host);
  b->port = port;
  if (b->open_result < 0) return b->open_result;
  b->open = true;
  memset(&b->link, 0, sizeof b->link);
  return 0;
}
static inline int fb_connected(void *ctx) {
  fake_broker_t *b = (fake_broker_t *)ctx;
  return b->open ? b->connected_result : -1;
}
static inline int32_t fb_send(void *ctx, const uint8_t *d, size_t n) {
  fake_broker_t *b = (fake_broker_t *)ctx;
  return b->open ? mem_link_send(&b->link, d, n) : -1;
}
static inline int32_t fb_recv(void *ctx, uint8_t *d, size_t n) {
  fake_broker_t *b = (fake_broker_t *)ctx;
  return b->open ? mem_link_recv(&b->link, d, n) : -1;
}
static inline void fb_close(void *ctx) {
  fake_broker_t *b = (fake_broker_t *)ctx;
  if (b->open) b->closes++;
  b->open = false;
}

static inline void fb_init(fake_broker_t *b) {
  memset(b, 0, sizeof *b);
  b->connected_result = 1;
  b->auto_connack = true;
}

static inline mqttdev_net_t fb_net(fake_broker_t *b) {
  mqttdev_net_t n = {fb_open, fb_connected, fb_send, fb_recv, fb_close, b};
  return n;
}

/* Consumes what the plug sent, records PUBLISHes and answers like a broker. */
static inline void fb_process(fake_broker_t *b) {
  size_t pos = 0;
  mem_link_t *l = &b->link;
  while (pos < l->fc_len) {
    mqtt_fixed_header_t fh;
    if (mqtt_parse_fixed_header(l->from_client + pos, l->fc_len - pos, &fh) != MQTT_OK) break;
    size_t total = fh.header_len + fh.remaining;
    if (pos + total > l->fc_len) break;
    const uint8_t *p = l->from_client + pos;
    const uint8_t *v = p + fh.header_len;
    switch (fh.type) {
      case MQTT_CONNECT:
        b->connects++;
        if (total <= sizeof b->connect_pkt) {
          memcpy(b->connect_pkt, p, total);
          b->connect_len = total;
        }
        if (b->auto_connack) {
          const uint8_t ack[] = {0x20, 2, 0, 0};
          mem_link_feed(l, ack, 4);
        }
        break;
      case MQTT_PUBLISH: {
        mqtt_packet_t m;
        if (mqtt_decode(p, total, &m, NULL) == MQTT_OK && b->nmsgs < FB_MAX_MSGS) {
          fb_msg_t *r = &b->msgs[b->nmsgs++];
          snprintf(r->topic, sizeof r->topic, "%.*s", (int)m.topic_len, m.topic);
          snprintf(r->payload, sizeof r->payload, "%.*s", (int)m.payload_len, (const char *)m.payload);
          r->qos = m.qos;
          r->retain = m.retain;
          if (m.qos == 1) {
            const uint8_t ack[] = {0x40, 2, (uint8_t)(m.packet_id >> 8), (uint8_t)m.packet_id};
            mem_link_feed(l, ack, 4);
          }
        }
        break;
      }
      case MQTT_SUBSCRIBE: {
        b->subscribes++;
        const uint8_t ack[] = {0x90, 3, v[0], v[1], 1};
        mem_link_feed(l, ack, 5);
        break;
      }
      case MQTT_PINGREQ: {
        b->pings++;
        const uint8_t ack[] = {0xD0, 0};
        mem_link_feed(l, ack, 2);
        break;
      }
      case MQTT_DISCONNECT: b->disconnects++; break;
      default: break;
    }
    pos += total;
  }
  memmove(l->from_client, l->from_client + pos, l->fc_len - pos);
  l->fc_len -= pos;
  /* keep the to_client buffer from filling up over long simulations */
  if (l->tc_pos == l->tc_len) l->tc_pos = l->tc_len = 0;
}

/* Broker → plug PUBLISH (QoS 0 or 1). */
static inline void fb_publish(fake_broker_t *b, const char *topic, const char *payload, uint8_t qos, bool retain,
                              uint16_t id) {
  uint8_t buf[1200];
  int32_t n = mqtt_encode_publish(buf, sizeof buf, topic, payload, strlen(payload), qos, retain, false, id);
  if (n > 0) mem_link_feed(&b->link, buf, (size_t)n);
}

static inline int fb_count(const fake_broker_t *b, const char *topic) {
  int n = 0;
  for (int i = 0; i < b->nmsgs; i++) n += strcmp(b->msgs[i].topic, topic) == 0;
  return n;
}

static inline const fb_msg_t *fb_last(const fake_broker_t *b, const char *topic) {
  for (int i = b->nmsgs - 1; i >= 0; i--)
    if (strcmp(b->msgs[i].topic, topic) == 0) return &b->msgs[i];
  return NULL;
}

#endif
