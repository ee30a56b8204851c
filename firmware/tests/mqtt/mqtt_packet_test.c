/* MQTT 3.1.1 wire format: encoders produce the spec's bytes, the decoder accepts what a broker sends and
 * refuses every malformed field with a reason. */
#include <string.h>

#include "mqtt/mqtt_packet.h"
#include "unit.h"

static bool bytes_eq(const uint8_t *a, const uint8_t *b, size_t n) { return memcmp(a, b, n) == 0; }

static void test_connect_with_credentials_and_will_matches_spec_bytes(void) {
  const uint8_t will[] = {'o', 'f', 'f'};
  mqtt_connect_info_t ci = {.client_id = "c1", .username = "u", .password = "p", .keep_alive_s = 60,
                            .clean_session = true, .will_topic = "t", .will_payload = will, .will_len = 3,
                            .will_qos = 1, .will_retain = true};
  uint8_t buf[64];
  const uint8_t want[] = {0x10, 28, 0, 4, 'M', 'Q', 'T', 'T', 4, 0xEE, 0, 60, 0, 2, 'c', '1', 0, 1, 't',
                          0, 3, 'o', 'f', 'f', 0, 1, 'u', 0, 1, 'p'};
  int32_t n = mqtt_encode_connect(buf, sizeof buf, &ci);
  CHECK_EQ_INT(n, sizeof want);
  CHECK(bytes_eq(buf, want, sizeof want));
  CHECK_EQ_INT(mqtt_encode_connect(buf, 20, &ci), MQTT_ERR_NO_SPACE);
  ci.username = NULL; /* password without user name is forbidden [MQTT-3.1.2-22] */
  CHECK_EQ_INT(mqtt_encode_connect(buf, sizeof buf, &ci), MQTT_ERR_ARG);
  ci.username = "u";
  ci.will_topic = "a/+";
  CHECK_EQ_INT(mqtt_encode_connect(buf, sizeof buf, &ci), MQTT_ERR_ARG);
}

static void test_connect_minimal(void) {
  mqtt_connect_info_t ci = {.client_id = "x", .clean_session = true};
  uint8_t buf[32];
  const uint8_t want[] = {0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 0, 0, 1, 'x'};
  CHECK_EQ_INT(mqtt_encode_connect(buf, sizeof buf, &ci), sizeof want);
  CHECK(bytes_eq(buf, want, sizeof want));
}

static void test_publish_encoding(void) {
  uint8_t buf[64];
  const uint8_t q0[] = {0x31, 7, 0, 3, 'a', '/', 'b', 'h', 'i'};
  CHECK_EQ_INT(mqtt_encode_publish(buf, sizeof buf, "a/b", "hi", 2, 0, true, false, 0), sizeof q0);
  CHECK(bytes_eq(buf, q0, sizeof q0));
  const uint8_t q1[] = {0x3A, 9, 0, 3, 'a', '/', 'b', 0x12, 0x34, 'h', 'i'};
  CHECK_EQ_INT(mqtt_encode_publish(buf, sizeof buf, "a/b", "hi", 2, 1, false, true, 0x1234), sizeof q1);
  CHECK(bytes_eq(buf, q1, sizeof q1));
  CHECK_EQ_INT(mqtt_encode_publish(buf, sizeof buf, "a/#", "x", 1, 0, false, false, 0), MQTT_ERR_ARG);
  CHECK_EQ_INT(mqtt_encode_publish(buf, sizeof buf, "", "x", 1, 0, false, false, 0), MQTT_ERR_ARG);
  CHECK_EQ_INT(mqtt_encode_publish(buf, sizeof buf, "a", "x", 1, 2, false, false, 1), MQTT_ERR_ARG);
  CHECK_EQ_INT(mqtt_encode_publish(buf, sizeof buf, "a", "x", 1, 1, false, false, 0), MQTT_ERR_ARG);
  CHECK_EQ_INT(mqtt_encode_publish(buf, 8, "a/b", "hi", 2, 0, false, false, 0), MQTT_ERR_NO_SPACE);
}

static void test_publish_long_payload_uses_multibyte_length(void) {
  static uint8_t buf[20000];
  static uint8_t payload[16384];
  memset(payload, 'z', sizeof payload);
  /* remaining = 2 + 1 + 16384 = 16387 → 3 length bytes (16384 needs three) */
  int32_t n = mqtt_encode_publish(buf, sizeof buf, "t", payload, sizeof payload, 0, false, false, 0);
  CHECK_EQ_INT(n, 1 + 3 + 16387);
  mqtt_fixed_header_t fh;
  CHECK_EQ_INT(mqtt_parse_fixed_header(buf, (size_t)n, &fh), MQTT_OK);
  CHECK_EQ_INT(fh.header_len, 4);
  CHECK_EQ_INT(fh.remaining, 16387);
  mqtt_packet_t p;
  CHECK_EQ_INT(mqtt_decode(buf, (size_t)n, &p, NULL), MQTT_OK);
  CHECK_EQ_INT(p.payload_len, sizeof payload);
}

static void test_remaining_length_boundaries(void) {
  mqtt_fixed_header_t fh;
  const uint8_t l127[] = {0x30, 0x7F};
  const uint8_t l128[] = {0x30, 0x80, 0x01};
  const uint8_t l16383[] = {0x30, 0xFF, 0x7F};
  const uint8_t lmax[] = {0x30, 0xFF, 0xFF, 0xFF, 0x7F};
  const uint8_t five[] = {0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
  CHECK_EQ_INT(mqtt_parse_fixed_header(l127, 2, &fh), MQTT_OK);
  CHECK_EQ_INT(fh.remaining, 127);
  CHECK_EQ_INT(mqtt_parse_fixed_header(l128, 3, &fh), MQTT_OK);
  CHECK_EQ_INT(fh.remaining, 128);
  CHECK_EQ_INT(mqtt_parse_fixed_header(l128, 2, &fh), MQTT_ERR_INCOMPLETE);
  CHECK_EQ_INT(mqtt_parse_fixed_header(l16383, 3, &fh), MQTT_OK);
  CHECK_EQ_INT(fh.remaining, 16383);
  CHECK_EQ_INT(mqtt_parse_fixed_header(lmax, 5, &fh), MQTT_OK);
  CHECK_EQ_U64(fh.remaining, MQTT_MAX_REMAINING);
  CHECK_EQ_INT(mqtt_parse_fixed_header(five, 6, &fh), MQTT_ERR_MALFORMED);
  const uint8_t reserved0[] = {0x00, 0x00};
  const uint8_t reserved15[] = {0xF0, 0x00};
  CHECK_EQ_INT(mqtt_parse_fixed_header(reserved0, 2, &fh), MQTT_ERR_MALFORMED);
  CHECK_EQ_INT(mqtt_parse_fixed_header(reserved15, 2, &fh), MQTT_ERR_MALFORMED);
}

static void test_subscribe_encoding_and_filter_rules(void) {
  uint8_t buf[64];
  mqtt_subscription_t s[2] = {{"a/+/c", 1}, {"#", 0}};
  const uint8_t want[] = {0x82, 14, 0, 7, 0, 5, 'a', '/', '+', '/', 'c', 1, 0, 1, '#', 0};
  CHECK_EQ_INT(mqtt_encode_subscribe(buf, sizeof buf, 7, s, 2), sizeof want);
  CHECK(bytes_eq(buf, want, sizeof want));
  const char *bad[] = {"a/#/b", "a+", "a/b#", "+a", ""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    mqtt_subscription_t b = {bad[i], 0};
    CHECK_EQ_INT(mqtt_encode_subscribe(buf, sizeof buf, 1, &b, 1), MQTT_ERR_ARG);
  }
  CHECK_EQ_INT(mqtt_encode_subscribe(buf, sizeof buf, 0, s, 1), MQTT_ERR_ARG);
}

static void test_small_packets(void) {
  uint8_t buf[4];
  CHECK_EQ_INT(mqtt_encode_pingreq(buf, 4), 2);
  CHECK_EQ_INT(buf[0], 0xC0);
  CHECK_EQ_INT(mqtt_encode_disconnect(buf, 4), 2);
  CHECK_EQ_INT(buf[0], 0xE0);
  CHECK_EQ_INT(mqtt_encode_puback(buf, 4, 0x0102), 4);
  CHECK_EQ_INT(buf[0], 0x40);
  CHECK_EQ_INT(buf[3], 0x02);
  CHECK_EQ_INT(mqtt_encode_puback(buf, 3, 1), MQTT_ERR_NO_SPACE);
}

static mqtt_status_t dec(const uint8_t *b, size_t n, mqtt_packet_t *p) {
  const char *why = NULL;
  mqtt_status_t st = mqtt_decode(b, n, p, &why);
  if (st != MQTT_OK) CHECK(why != NULL && why[0] != '\0'); /* every refusal names its reason */
  return st;
}

static void test_decode_connack(void) {
  mqtt_packet_t p;
  const uint8_t ok[] = {0x20, 2, 1, 0};
  CHECK_EQ_INT(dec(ok, 4, &p), MQTT_OK);
  CHECK(p.session_present);
  CHECK_EQ_INT(p.return_code, 0);
  const uint8_t refused[] = {0x20, 2, 0, 5};
  CHECK_EQ_INT(dec(refused, 4, &p), MQTT_OK);
  CHECK_EQ_INT(p.return_code, 5);
  const uint8_t bad_rc[] = {0x20, 2, 0, 6};
  const uint8_t bad_flags[] = {0x21, 2, 0, 0};
  const uint8_t bad_ack_flags[] = {0x20, 2, 2, 0};
  const uint8_t bad_len[] = {0x20, 3, 0, 0, 0};
  const uint8_t sp_on_refusal[] = {0x20, 2, 1, 4};
  CHECK_EQ_INT(dec(bad_rc, 4, &p), MQTT_ERR_MALFORMED);
  CHECK_EQ_INT(dec(bad_flags, 4, &p), MQTT_ERR_MALFORMED);
  CHECK_EQ_INT(dec(bad_ack_flags, 4, &p), MQTT_ERR_MALFORMED);
  CHECK_EQ_INT(dec(bad_len, 5, &p), MQTT_ERR_MALFORMED);
  CHECK_EQ_INT(dec(sp_on_refusal, 4, &p), MQTT_ERR_MALFORMED);
  CHECK_EQ_INT(dec(ok, 3, &p), MQTT_ERR_MALFORMED); /* length says 2, only 1 byte given */
}

static void test_decode_publish(void) {
  mqtt_packet_t p;
  const uint8_t q1[] = {0x3B, 8, 0, 3, 'a', '/', 'b', 0, 9, 'X'};
  CHECK_EQ_INT(dec(q1, sizeof q1, &p), MQTT_OK);
  CHECK_EQ_INT(p.qos, 1);
  CHECK(p.dup && p.retain);
  CHECK_EQ_INT(p.packet_id, 9);
  CHECK_EQ_INT(p.topic_len, 3);
  CHECK(memcmp(p.topic, "a/b", 3) == 0);
  CHECK_EQ_INT(p.payload_len, 1);
  CHECK_EQ_INT(p.payload[0], 'X');
  const uint8_t empty_payload[] = {0x30, 3, 0, 1, 't'};
  CHECK_EQ_INT(dec(empty_payload, sizeof empty_payload, &p), MQTT_OK);
  CHECK_EQ_INT(p.payload_len, 0);

  const uint8_t topic_overflow[] = {0x30, 4, 0, 9, 'a', 'b'};
  const uint8_t empty_topic[] = {0x30, 2, 0, 0};
  const uint8_t no_topic_len[] = {0x30, 1, 0};
  const uint8_t bad_utf8[] = {0x30, 4, 0, 2, 0xC0, 0x80};
  const uint8_t nul_topic[] = {0x30, 3, 0, 1, 0};
  const uint8_t wildcard[] = {0x30, 3, 0, 1, '#'};
  const uint8_t id_zero[] = {0x32, 5, 0, 1, 't', 0, 0};
  const uint8_t no_id[] = {0x32, 4, 0, 1, 't', 0};
  const uint8_t qos3[] = {0x36, 5, 0, 1, 't', 0, 1};
  const uint8_t dup_q0[] = {0x38, 3, 0, 1, 't'};
  CHECK_EQ_INT(dec(topic_overflow, sizeof topic_overflow, &p), MQTT_ERR_MALFORMED);
  CHECK_EQ_INT(dec(empty_topic, sizeof empty_topic, &p), MQTT_ERR_MALFORMED);
  CHECK_EQ_INT(dec(no_topic_len, sizeof no_topic_len, &p), MQTT_ERR_MALFORMED);
  CHECK_EQ_INT(dec(bad_utf8, sizeof bad_utf8, &p), MQTT_ERR_MALFORMED);
  CHECK_EQ_INT(dec(nul_topic, sizeof nul_topic, &p), MQTT_ERR_MALFORMED);
  CHECK_EQ_INT(dec(wildcard, sizeof wildcard, &p), MQTT_ERR_MALFORMED);
  CHECK_EQ_INT(dec(id_zero, sizeof id_zero, &p), MQTT_ERR_MALFORMED);
  CHECK_EQ_INT(dec(no_id, sizeof no_id, &p), MQTT_ERR_MALFORMED);
  CHECK_EQ_INT(dec(qos3, sizeof qos3, &p), MQTT_ERR_MALFORMED);
  CHECK_EQ_INT(dec(dup_q0, sizeof dup_q0, &p), MQTT_ERR_MALFORMED);
  const uint8_t qos2[] = {0x34, 5, 0, 1, 't', 0, 1};
  CHECK_EQ_INT(dec(qos2, sizeof qos2, &p), MQTT_ERR_PROTOCOL);
}

static void test_decode_acks_and_ping(void) {
  mqtt_packet_t p;
  const uint8_t puback[] = {0x40, 2, 0x12, 0x34};
  CHECK_EQ_INT(dec(puback, 4, &p), MQTT_OK);
  CHECK_EQ_INT(p.packet_id, 0x1234);
  const uint8_t puback0[] = {0x40, 2, 0, 0};
  const uint8_t puback_flags[] = {0x42, 2, 0, 1};
  CHECK_EQ_INT(dec(puback0, 4, &p), MQTT_ERR_MALFORMED);
  CHECK_EQ_INT(dec(puback_flags, 4, &p), MQTT_ERR_MALFORMED);
  const uint8_t suback[] = {0x90, 5, 0, 7, 0, 1, 0x80};
  CHECK_EQ_INT(dec(suback, sizeof suback, &p), MQTT_OK);
  CHECK_EQ_INT(p.suback_count, 3);
  CHECK_EQ_INT(p.suback_codes[2], MQTT_SUBACK_FAILURE);
  const uint8_t suback_bad[] = {0x90, 3, 0, 7, 3};
  const uint8_t suback_empty[] = {0x90, 2, 0, 7};
  CHECK_EQ_INT(dec(suback_bad, sizeof suback_bad, &p), MQTT_ERR_MALFORMED);
  CHECK_EQ_INT(dec(suback_empty, sizeof suback_empty, &p), MQTT_ERR_MALFORMED);
  const uint8_t pingresp[] = {0xD0, 0};
  const uint8_t pingresp_long[] = {0xD0, 1, 0};
  CHECK_EQ_INT(dec(pingresp, 2, &p), MQTT_OK);
  CHECK_EQ_INT(dec(pingresp_long, 3, &p), MQTT_ERR_MALFORMED);
  const uint8_t pubrel[] = {0x62, 2, 0, 1};
  const uint8_t connect[] = {0x10, 0};
  const uint8_t pingreq[] = {0xC0, 0};
  CHECK_EQ_INT(dec(pubrel, 4, &p), MQTT_ERR_PROTOCOL);
  CHECK_EQ_INT(dec(connect, 2, &p), MQTT_ERR_PROTOCOL);
  CHECK_EQ_INT(dec(pingreq, 2, &p), MQTT_ERR_PROTOCOL);
}

static void test_utf8_rules(void) {
  CHECK(mqtt_utf8_valid("plain/topic", 11));
  CHECK(mqtt_utf8_valid("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x94\x8C", 9)); /* é € 🔌 */
  CHECK(!mqtt_utf8_valid("\xC0\x80", 2));         /* overlong NUL */
  CHECK(!mqtt_utf8_valid("\xE0\x80\xAF", 3));     /* overlong '/' */
  CHECK(!mqtt_utf8_valid("\xED\xA0\x80", 3));     /* surrogate */
  CHECK(!mqtt_utf8_valid("\xF4\x90\x80\x80", 4)); /* > U+10FFFF */
  CHECK(!mqtt_utf8_valid("\xE2\x82", 2));         /* truncated */
  CHECK(!mqtt_utf8_valid("a\0b", 3));
}

int main(void) {
  RUN(test_connect_with_credentials_and_will_matches_spec_bytes);
  RUN(test_connect_minimal);
  RUN(test_publish_encoding);
  RUN(test_publish_long_payload_uses_multibyte_length);
  RUN(test_remaining_length_boundaries);
  RUN(test_subscribe_encoding_and_filter_rules);
  RUN(test_small_packets);
  RUN(test_decode_connack);
  RUN(test_decode_publish);
  RUN(test_decode_acks_and_ping);
  RUN(test_utf8_rules);
  return unit_report();
}
