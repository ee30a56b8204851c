/* MQTT client state machine over an in-memory transport: the test plays the broker. */
#include <string.h>

#include "mem_link.h"
#include "mqtt/mqtt_client.h"
#include "unit.h"

typedef struct {
  int connected, pubacks, subacks, failed, dropped, publishes;
  uint16_t last_id;
  char topic[64];
  char payload[256];
  bool retain;
  uint8_t suback_code;
  bool publish_from_callback;
} events_t;

static mem_link_t link_;
static mqtt_client_t cli;
static events_t evs;
static uint8_t txb[512], rxb[128], infl[512];

static void on_event(void *ctx, const mqtt_event_t *ev) {
  events_t *e = (events_t *)ctx;
  switch (ev->type) {
    case MQTT_EVT_CONNECTED: e->connected++; break;
    case MQTT_EVT_PUBACK: e->pubacks++; e->last_id = ev->packet_id; break;
    case MQTT_EVT_SUBACK: e->subacks++; e->suback_code = ev->suback_codes[0]; break;
    case MQTT_EVT_PUBLISH_FAILED: e->failed++; e->last_id = ev->packet_id; break;
    case MQTT_EVT_DROPPED:
      e->dropped++;
      memcpy(e->topic, ev->topic ? ev->topic : "", ev->topic ? ev->topic_len : 1);
      e->topic[ev->topic ? ev->topic_len : 0] = 0;
      break;
    case MQTT_EVT_PUBLISH:
      e->publishes++;
      memcpy(e->topic, ev->topic, ev->topic_len);
      e->topic[ev->topic_len] = 0;
      memcpy(e->payload, ev->payload, ev->payload_len);
      e->payload[ev->payload_len] = 0;
      e->retain = ev->retain;
      if (e->publish_from_callback)
        CHECK_EQ_INT(mqtt_publish(&cli, "reply", "r", 1, 0, false, NULL, 0), MQTT_OK);
      break;
  }
}

static void setup(size_t rx_cap) {
  memset(&link_, 0, sizeof link_);
  memset(&evs, 0, sizeof evs);
  mqtt_config_t cfg = {
      .transport = {mem_link_send, mem_link_recv, &link_},
      .tx_buf = txb, .tx_cap = sizeof txb, .rx_buf = rxb, .rx_cap = rx_cap,
      .inflight_buf = infl, .inflight_cap = sizeof infl,
      .on_event = on_event, .event_ctx = &evs,
      .connack_timeout_ms = 5000, .ping_timeout_ms = 3000, .retry_ms = 2000, .max_attempts = 3,
  };
  CHECK_EQ_INT(mqtt_init(&cli, &cfg), MQTT_OK);
}

static const uint8_t CONNACK_OK[] = {0x20, 2, 0, 0};

static void connect_ok(uint64_t now) {
  mqtt_connect_info_t ci = {.client_id = "plug", .keep_alive_s = 30, .clean_session = true};
  CHECK_EQ_INT(mqtt_connect(&cli, &ci, now), MQTT_OK);
  CHECK_EQ_INT(mqtt_state(&cli), MQTT_STATE_CONNECTING);
  mem_link_feed(&link_, CONNACK_OK, 4);
  CHECK_EQ_INT(mqtt_poll(&cli, now), MQTT_OK);
  CHECK_EQ_INT(mqtt_state(&cli), MQTT_STATE_CONNECTED);
  mem_link_drain(&link_);
}

static void test_connect_sends_connect_and_reports_connack(void) {
  setup(sizeof rxb);
  mqtt_connect_info_t ci = {.client_id = "plug", .keep_alive_s = 30, .clean_session = true};
  CHECK_EQ_INT(mqtt_publish(&cli, "t", "x", 1, 0, false, NULL, 0), MQTT_ERR_STATE);
  CHECK_EQ_INT(mqtt_connect(&cli, &ci, 0), MQTT_OK);
  CHECK_EQ_INT(link_.from_client[0], 0x10);
  CHECK_EQ_INT(mqtt_publish(&cli, "t", "x", 1, 0, false, NULL, 0), MQTT_ERR_STATE); /* before CONNACK */
  CHECK_EQ_INT(mqtt_poll(&cli, 10), MQTT_OK);
  CHECK_EQ_INT(evs.connected, 0);
  mem_link_feed(&link_, CONNACK_OK, 4);
  CHECK_EQ_INT(mqtt_poll(&cli, 20), MQTT_OK);
  CHECK_EQ_INT(evs.connected, 1);
  CHECK_EQ_INT(mqtt_connect(&cli, &ci, 30), MQTT_ERR_STATE);
}

static void test_refused_connack_is_an_error_with_reason(void) {
  setup(sizeof rxb);
  mqtt_connect_info_t ci = {.client_id = "plug", .username = "u", .password = "bad", .clean_session = true};
  CHECK_EQ_INT(mqtt_connect(&cli, &ci, 0), MQTT_OK);
  const uint8_t refused[] = {0x20, 2, 0, 4};
  mem_link_feed(&link_, refused, 4);
  CHECK_EQ_INT(mqtt_poll(&cli, 1), MQTT_ERR_REFUSED);
  CHECK_EQ_INT(mqtt_state(&cli), MQTT_STATE_DISCONNECTED);
  CHECK(strstr(mqtt_last_error_detail(&cli), "password") != NULL);
  CHECK_EQ_INT(evs.connected, 0);
}

static void test_connack_timeout(void) {
  setup(sizeof rxb);
  mqtt_connect_info_t ci = {.client_id = "plug", .clean_session = true};
  CHECK_EQ_INT(mqtt_connect(&cli, &ci, 1000), MQTT_OK);
  CHECK_EQ_INT(mqtt_next_timeout_ms(&cli, 1000), 5000);
  CHECK_EQ_INT(mqtt_poll(&cli, 5999), MQTT_OK);
  CHECK_EQ_INT(mqtt_poll(&cli, 6000), MQTT_ERR_TIMEOUT);
}

static void test_keepalive_pings_and_times_out_without_pingresp(void) {
  setup(sizeof rxb);
  connect_ok(0);
  CHECK_EQ_INT(mqtt_next_timeout_ms(&cli, 0), 30000);
  CHECK_EQ_INT(mqtt_poll(&cli, 29999), MQTT_OK);
  CHECK_EQ_INT(link_.fc_len, 0);
  CHECK_EQ_INT(mqtt_poll(&cli, 30000), MQTT_OK);
  CHECK_EQ_INT(link_.fc_len, 2);
  CHECK_EQ_INT(link_.from_client[0], 0xC0);
  const uint8_t pingresp[] = {0xD0, 0};
  mem_link_feed(&link_, pingresp, 2);
  CHECK_EQ_INT(mqtt_poll(&cli, 30100), MQTT_OK);
  mem_link_drain(&link_);
  CHECK_EQ_INT(mqtt_poll(&cli, 60000), MQTT_OK); /* last tx at 30000 → next ping */
  CHECK_EQ_INT(link_.fc_len, 2);
  CHECK_EQ_INT(mqtt_poll(&cli, 62999), MQTT_OK);
  CHECK_EQ_INT(mqtt_poll(&cli, 63000), MQTT_ERR_TIMEOUT);
  CHECK(strstr(mqtt_last_error_detail(&cli), "PINGRESP") != NULL);
}

static void test_qos1_publish_acked(void) {
  setup(sizeof rxb);
  connect_ok(0);
  uint16_t id = 0;
  CHECK_EQ_INT(mqtt_publish(&cli, "openbl602/a/result", "{}", 2, 1, false, &id, 5), MQTT_OK);
  CHECK(id != 0);
  CHECK_EQ_INT(link_.from_client[0], 0x32);
  CHECK_EQ_INT(mqtt_inflight_count(&cli), 1);
  const uint8_t puback[] = {0x40, 2, (uint8_t)(id >> 8), (uint8_t)id};
  mem_link_feed(&link_, puback, 4);
  CHECK_EQ_INT(mqtt_poll(&cli, 10), MQTT_OK);
  CHECK_EQ_INT(evs.pubacks, 1);
  CHECK_EQ_INT(evs.last_id, id);
  CHECK_EQ_INT(mqtt_inflight_count(&cli), 0);
}

static void test_qos1_retried_with_dup_then_given_up(void) {
  setup(sizeof rxb);
  connect_ok(0);
  uint16_t id = 0;
  CHECK_EQ_INT(mqtt_publish(&cli, "t", "abc", 3, 1, false, &id, 0), MQTT_OK);
  size_t first = link_.fc_len;
  mem_link_drain(&link_);
  CHECK_EQ_INT(mqtt_poll(&cli, 1999), MQTT_OK);
  CHECK_EQ_INT(link_.fc_len, 0);
  CHECK_EQ_INT(mqtt_poll(&cli, 2000), MQTT_OK);
  CHECK_EQ_INT(link_.fc_len, first);
  CHECK_EQ_INT(link_.from_client[0], 0x3A); /* DUP set on re-send */
  CHECK_EQ_INT(mqtt_poll(&cli, 4000), MQTT_OK); /* third attempt */
  CHECK_EQ_INT(evs.failed, 0);
  CHECK_EQ_INT(mqtt_poll(&cli, 6000), MQTT_OK);
  CHECK_EQ_INT(evs.failed, 1);
  CHECK_EQ_INT(evs.last_id, id);
  CHECK_EQ_INT(mqtt_inflight_count(&cli), 0);
}

static void test_unacked_qos1_resent_after_reconnect(void) {
  setup(sizeof rxb);
  connect_ok(0);
  uint16_t a = 0, b = 0;
  CHECK_EQ_INT(mqtt_publish(&cli, "t/a", "1", 1, 1, false, &a, 0), MQTT_OK);
  CHECK_EQ_INT(mqtt_publish(&cli, "t/b", "2", 1, 1, false, &b, 0), MQTT_OK);
  const uint8_t ack_a[] = {0x40, 2, (uint8_t)(a >> 8), (uint8_t)a};
  mem_link_feed(&link_, ack_a, 4);
  CHECK_EQ_INT(mqtt_poll(&cli, 1), MQTT_OK);
  link_.broken = true;
  CHECK_EQ_INT(mqtt_poll(&cli, 2), MQTT_ERR_TRANSPORT);
  CHECK_EQ_INT(mqtt_state(&cli), MQTT_STATE_DISCONNECTED);
  memset(&link_, 0, sizeof link_);
  mqtt_connect_info_t ci = {.client_id = "plug", .keep_alive_s = 30, .clean_session = true};
  CHECK_EQ_INT(mqtt_connect(&cli, &ci, 100), MQTT_OK);
  mem_link_drain(&link_);
  mem_link_feed(&link_, CONNACK_OK, 4);
  CHECK_EQ_INT(mqtt_poll(&cli, 101), MQTT_OK);
  /* only the unacknowledged t/b is re-sent, with DUP */
  const uint8_t want[] = {0x3A, 8, 0, 3, 't', '/', 'b', (uint8_t)(b >> 8), (uint8_t)b, '2'};
  CHECK_EQ_INT(link_.fc_len, sizeof want);
  CHECK(memcmp(link_.from_client, want, sizeof want) == 0);
}

static void test_incoming_qos1_publish_is_acked_and_delivered(void) {
  setup(sizeof rxb);
  connect_ok(0);
  const uint8_t pub[] = {0x33, 12, 0, 5, 'c', 'm', 'd', '/', 'x', 0, 42, '{', '}', '!'};
  /* remaining: 2+5+2+3 = 12 */
  mem_link_feed(&link_, pub, sizeof pub);
  CHECK_EQ_INT(mqtt_poll(&cli, 1), MQTT_OK);
  CHECK_EQ_INT(evs.publishes, 1);
  CHECK_STR(evs.topic, "cmd/x");
  CHECK_STR(evs.payload, "{}!");
  CHECK(evs.retain);
  const uint8_t ack[] = {0x40, 2, 0, 42};
  CHECK_EQ_INT(link_.fc_len, 4);
  CHECK(memcmp(link_.from_client, ack, 4) == 0);
}

static void test_byte_by_byte_and_coalesced_packets(void) {
  setup(sizeof rxb);
  connect_ok(0);
  link_.recv_chunk = 1;
  const uint8_t two[] = {0x30, 4, 0, 1, 'a', 'X', 0x30, 4, 0, 1, 'b', 'Y'};
  mem_link_feed(&link_, two, sizeof two);
  for (int i = 0; i < 20; i++) CHECK_EQ_INT(mqtt_poll(&cli, 1), MQTT_OK);
  CHECK_EQ_INT(evs.publishes, 2);
  CHECK_STR(evs.topic, "b");
  link_.recv_chunk = 0;
  mem_link_feed(&link_, two, sizeof two);
  CHECK_EQ_INT(mqtt_poll(&cli, 2), MQTT_OK);
  CHECK_EQ_INT(evs.publishes, 4);
}

static void test_oversized_publish_is_dropped_acked_and_stream_continues(void) {
  setup(32);
  connect_ok(0);
  uint8_t big[80];
  size_t n = 0;
  big[n++] = 0x32;
  big[n++] = 2 + 3 + 2 + 60;
  big[n++] = 0;
  big[n++] = 3;
  memcpy(big + n, "a/b", 3);
  n += 3;
  big[n++] = 0;
  big[n++] = 77;
  memset(big + n, 'p', 60);
  n += 60;
  mem_link_feed(&link_, big, n);
  const uint8_t small[] = {0x30, 4, 0, 1, 'z', 'Q'};
  mem_link_feed(&link_, small, sizeof small);
  for (int i = 0; i < 4; i++) CHECK_EQ_INT(mqtt_poll(&cli, 1), MQTT_OK);
  CHECK_EQ_INT(evs.dropped, 1);
  CHECK_EQ_INT(evs.publishes, 1);
  CHECK_STR(evs.topic, "z");
  const uint8_t ack[] = {0x40, 2, 0, 77};
  CHECK_EQ_INT(link_.fc_len, 4);
  CHECK(memcmp(link_.from_client, ack, 4) == 0);
}

static void test_malformed_packet_disconnects_with_reason(void) {
  const uint8_t bad[][4] = {
      {0x20, 2, 0, 0},    /* second CONNACK */
      {0x40, 2, 0, 0},    /* PUBACK id 0 */
      {0x36, 2, 0, 0},    /* QoS 3 publish */
      {0x10, 0, 0, 0},    /* CONNECT from the server */
      {0xF0, 0, 0, 0},    /* reserved type */
      {0x90, 0xFF, 0x7F, 0},    /* SUBACK longer than the buffer */
  };
  const size_t len[] = {4, 4, 4, 2, 2, 3};
  for (size_t i = 0; i < sizeof len / sizeof len[0]; i++) {
    setup(sizeof rxb);
    connect_ok(0);
    mem_link_feed(&link_, bad[i], len[i]);
    mqtt_status_t st = mqtt_poll(&cli, 1);
    CHECK(st == MQTT_ERR_MALFORMED || st == MQTT_ERR_PROTOCOL);
    CHECK_EQ_INT(mqtt_state(&cli), MQTT_STATE_DISCONNECTED);
    CHECK(mqtt_last_error_detail(&cli)[0] != '\0');
    CHECK_EQ_INT(mqtt_poll(&cli, 2), MQTT_ERR_STATE);
  }
}

static void test_partial_sends_complete_and_stall_times_out(void) {
  setup(sizeof rxb);
  connect_ok(0);
  link_.send_chunk = 3;
  char payload[100];
  memset(payload, 'q', sizeof payload);
  CHECK_EQ_INT(mqtt_publish(&cli, "t", payload, sizeof payload, 0, false, NULL, 0), MQTT_OK);
  CHECK_EQ_INT(link_.fc_len, 1 + 1 + 3 + 100); /* send loop keeps going while the transport accepts */
  mem_link_drain(&link_);
  link_.send_blocked = true;
  CHECK_EQ_INT(mqtt_publish(&cli, "t", payload, sizeof payload, 0, false, NULL, 1000), MQTT_OK);
  for (int i = 0; i < 3; i++)
    CHECK_EQ_INT(mqtt_publish(&cli, "t", payload, sizeof payload, 0, false, NULL, 1000), MQTT_OK);
  CHECK_EQ_INT(mqtt_publish(&cli, "t", payload, sizeof payload, 0, false, NULL, 1000), MQTT_ERR_NO_SPACE);
  CHECK_EQ_INT(mqtt_poll(&cli, 1000 + 30000 + 2999), MQTT_OK);
  CHECK_EQ_INT(mqtt_poll(&cli, 1000 + 30000 + 3000), MQTT_ERR_TIMEOUT);
  CHECK(strstr(mqtt_last_error_detail(&cli), "stalled") != NULL);
}

static void test_subscribe_and_suback(void) {
  setup(sizeof rxb);
  connect_ok(0);
  mqtt_subscription_t s = {"openbl602/a/cmd/+", 1};
  uint16_t id = 0;
  CHECK_EQ_INT(mqtt_subscribe(&cli, &s, 1, &id, 0), MQTT_OK);
  CHECK_EQ_INT(link_.from_client[0], 0x82);
  const uint8_t suback[] = {0x90, 3, (uint8_t)(id >> 8), (uint8_t)id, 1};
  mem_link_feed(&link_, suback, sizeof suback);
  CHECK_EQ_INT(mqtt_poll(&cli, 1), MQTT_OK);
  CHECK_EQ_INT(evs.subacks, 1);
  CHECK_EQ_INT(evs.suback_code, 1);
}

static void test_publish_from_inside_callback(void) {
  setup(sizeof rxb);
  connect_ok(0);
  evs.publish_from_callback = true;
  const uint8_t pub[] = {0x30, 4, 0, 1, 'a', 'X'};
  mem_link_feed(&link_, pub, sizeof pub);
  CHECK_EQ_INT(mqtt_poll(&cli, 1), MQTT_OK);
  CHECK_EQ_INT(evs.publishes, 1);
  CHECK_EQ_INT(link_.from_client[0], 0x30);
  CHECK_EQ_INT(link_.fc_len, 2 + 2 + 5 + 1);
}

static void test_disconnect_sends_disconnect(void) {
  setup(sizeof rxb);
  connect_ok(0);
  mqtt_disconnect(&cli, 5);
  CHECK_EQ_INT(link_.fc_len, 2);
  CHECK_EQ_INT(link_.from_client[0], 0xE0);
  CHECK_EQ_INT(mqtt_state(&cli), MQTT_STATE_DISCONNECTED);
}

static void test_qos1_needs_inflight_store_and_table_limit(void) {
  setup(sizeof rxb);
  connect_ok(0);
  for (int i = 0; i < MQTT_MAX_INFLIGHT; i++) CHECK_EQ_INT(mqtt_publish(&cli, "t", "x", 1, 1, false, NULL, 0), MQTT_OK);
  CHECK_EQ_INT(mqtt_publish(&cli, "t", "x", 1, 1, false, NULL, 0), MQTT_ERR_NO_SPACE);
  CHECK_EQ_INT(mqtt_publish(&cli, "t", "x", 1, 0, false, NULL, 0), MQTT_OK);
}

static void test_incoming_qos1_waits_for_queue_space_then_acks(void) {
  setup(sizeof rxb);
  connect_ok(0);
  char payload[200];
  memset(payload, 'q', sizeof payload);
  link_.send_blocked = true;
  while (mqtt_publish(&cli, "t", payload, sizeof payload, 0, false, NULL, 1) == MQTT_OK) {
  }
  while (mqtt_publish(&cli, "t", NULL, 0, 0, false, NULL, 1) == MQTT_OK) { /* 5-byte packets: < 4 bytes left */
  }
  const uint8_t pub[] = {0x32, 6, 0, 1, 'a', 0, 9, 'X'};
  mem_link_feed(&link_, pub, sizeof pub);
  CHECK_EQ_INT(mqtt_poll(&cli, 2), MQTT_OK);
  CHECK_EQ_INT(evs.publishes, 0); /* no room for its PUBACK yet: not taken */
  link_.send_blocked = false;
  CHECK_EQ_INT(mqtt_poll(&cli, 3), MQTT_OK); /* no new bytes arrive: the kept packet must still be handled */
  CHECK_EQ_INT(evs.publishes, 1);
  const uint8_t ack[] = {0x40, 2, 0, 9};
  CHECK(link_.fc_len >= 4 && memcmp(link_.from_client + link_.fc_len - 4, ack, 4) == 0);
}

/* publish_reserve: an incoming PUBLISH waits until the queue has room for the answers it causes. */
static void test_incoming_publish_waits_for_the_answer_reserve(void) {
  memset(&link_, 0, sizeof link_);
  memset(&evs, 0, sizeof evs);
  mqtt_config_t cfg = {
      .transport = {mem_link_send, mem_link_recv, &link_},
      .tx_buf = txb, .tx_cap = sizeof txb, .rx_buf = rxb, .rx_cap = sizeof rxb,
      .inflight_buf = infl, .inflight_cap = sizeof infl,
      .on_event = on_event, .event_ctx = &evs, .publish_reserve = 300,
  };
  CHECK_EQ_INT(mqtt_init(&cli, &cfg), MQTT_OK);
  connect_ok(0);
  char payload[250];
  memset(payload, 'q', sizeof payload);
  link_.send_blocked = true;
  CHECK_EQ_INT(mqtt_publish(&cli, "t", payload, sizeof payload, 0, false, NULL, 1), MQTT_OK); /* 512-255 left */
  const uint8_t pub[] = {0x32, 6, 0, 1, 'a', 0, 9, 'X'};
  mem_link_feed(&link_, pub, sizeof pub);
  CHECK_EQ_INT(mqtt_poll(&cli, 2), MQTT_OK);
  CHECK_EQ_INT(evs.publishes, 0); /* room for the PUBACK, not for the answers: not taken, not acknowledged */
  link_.send_blocked = false;
  CHECK_EQ_INT(mqtt_poll(&cli, 3), MQTT_OK);
  CHECK_EQ_INT(evs.publishes, 1);
  /* a reserve that leaves no room for the PUBACK is refused */
  cfg.publish_reserve = sizeof txb - 3;
  CHECK_EQ_INT(mqtt_init(&cli, &cfg), MQTT_ERR_ARG);
}

/* A superseded QoS 1 message can be forgotten: it leaves the in-flight store and is not re-sent. */
static void test_inflight_forget(void) {
  setup(sizeof rxb);
  connect_ok(0);
  uint16_t a = 0, b = 0;
  CHECK_EQ_INT(mqtt_publish(&cli, "s", "OLD", 3, 1, true, &a, 0), MQTT_OK);
  CHECK_EQ_INT(mqtt_publish(&cli, "r", "xyz", 3, 1, false, &b, 0), MQTT_OK);
  CHECK_EQ_INT(mqtt_inflight_count(&cli), 2);
  CHECK(mqtt_inflight_forget(&cli, a));
  CHECK(!mqtt_inflight_forget(&cli, a));
  CHECK_EQ_INT(mqtt_inflight_count(&cli), 1);
  mem_link_drain(&link_);
  CHECK_EQ_INT(mqtt_poll(&cli, 2500), MQTT_OK); /* retry time: only the result is re-sent */
  CHECK(link_.fc_len > 0 && link_.from_client[0] == 0x3A); /* PUBLISH QoS 1 DUP */
  CHECK(memchr(link_.from_client, 'O', link_.fc_len) == NULL);
  const uint8_t ack[] = {0x40, 2, (uint8_t)(b >> 8), (uint8_t)b};
  mem_link_feed(&link_, ack, 4);
  CHECK_EQ_INT(mqtt_poll(&cli, 2600), MQTT_OK);
  CHECK_EQ_INT(mqtt_inflight_count(&cli), 0);
}

int main(void) {
  RUN(test_connect_sends_connect_and_reports_connack);
  RUN(test_refused_connack_is_an_error_with_reason);
  RUN(test_connack_timeout);
  RUN(test_keepalive_pings_and_times_out_without_pingresp);
  RUN(test_qos1_publish_acked);
  RUN(test_qos1_retried_with_dup_then_given_up);
  RUN(test_unacked_qos1_resent_after_reconnect);
  RUN(test_incoming_qos1_publish_is_acked_and_delivered);
  RUN(test_byte_by_byte_and_coalesced_packets);
  RUN(test_oversized_publish_is_dropped_acked_and_stream_continues);
  RUN(test_malformed_packet_disconnects_with_reason);
  RUN(test_partial_sends_complete_and_stall_times_out);
  RUN(test_subscribe_and_suback);
  RUN(test_publish_from_inside_callback);
  RUN(test_disconnect_sends_disconnect);
  RUN(test_qos1_needs_inflight_store_and_table_limit);
  RUN(test_incoming_qos1_waits_for_queue_space_then_acks);
  RUN(test_incoming_publish_waits_for_the_answer_reserve);
  RUN(test_inflight_forget);
  return unit_report();
}
