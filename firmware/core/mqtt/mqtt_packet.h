/* mqtt_packet.h — MQTT 3.1.1 packet encoding and decoding, pure functions over caller buffers.
 *
 * The client (mqtt_client.h) is built on this; it is separate so the decoder can be fuzzed and tested
 * byte by byte. Decoding covers every packet a server may send to a client (CONNACK, PUBLISH, PUBACK,
 * SUBACK, UNSUBACK, PINGRESP) and checks every field against its length and the spec's fixed values;
 * anything else is MQTT_ERR_MALFORMED or MQTT_ERR_PROTOCOL with a short reason, never a read past len.
 * Encoders write nothing past cap and return the packet length or a negative mqtt_status_t.
 */
#ifndef OBL_MQTT_PACKET_H
#define OBL_MQTT_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  MQTT_OK = 0,
  MQTT_ERR_ARG = -1,        /* bad argument (empty topic, wildcard in a publish topic, QoS 2, ...) */
  MQTT_ERR_NO_SPACE = -2,   /* buffer too small, transmit queue or in-flight table full: retry later */
  MQTT_ERR_MALFORMED = -3,  /* bytes from the server break the packet format */
  MQTT_ERR_PROTOCOL = -4,   /* a well-formed packet the server must not send now */
  MQTT_ERR_REFUSED = -5,    /* CONNACK with a non-zero return code */
  MQTT_ERR_TIMEOUT = -6,    /* no CONNACK / PINGRESP in time, or the transport stopped draining */
  MQTT_ERR_TRANSPORT = -7,  /* send/recv reported an error or the peer closed */
  MQTT_ERR_STATE = -8,      /* not allowed in the current state (e.g. publish while disconnected) */
  MQTT_ERR_INCOMPLETE = -9, /* decoder: more bytes needed */
} mqtt_status_t;

const char *mqtt_strerror(mqtt_status_t st);

enum {
  MQTT_CONNECT = 1,
  MQTT_CONNACK = 2,
  MQTT_PUBLISH = 3,
  MQTT_PUBACK = 4,
  MQTT_PUBREC = 5,
  MQTT_PUBREL = 6,
  MQTT_PUBCOMP = 7,
  MQTT_SUBSCRIBE = 8,
  MQTT_SUBACK = 9,
  MQTT_UNSUBSCRIBE = 10,
  MQTT_UNSUBACK = 11,
  MQTT_PINGREQ = 12,
  MQTT_PINGRESP = 13,
  MQTT_DISCONNECT = 14,
};

#define MQTT_MAX_REMAINING 268435455u /* 4-byte variable length integer */
#define MQTT_SUBACK_FAILURE 0x80u

typedef struct {
  uint8_t type;        /* MQTT_CONNACK ... */
  uint8_t flags;       /* low nibble of byte 0 */
  uint8_t header_len;  /* 2..5 */
  uint32_t remaining;  /* remaining length */
} mqtt_fixed_header_t;

/* Fixed header from the first len bytes: MQTT_OK, MQTT_ERR_INCOMPLETE (need more) or MQTT_ERR_MALFORMED
 * (a 5th length byte, or type 0/15). */
mqtt_status_t mqtt_parse_fixed_header(const uint8_t *buf, size_t len, mqtt_fixed_header_t *out);

/* A decoded server-to-client packet. Pointers point into the decoded buffer. */
typedef struct {
  uint8_t type;
  /* CONNACK */
  bool session_present;
  uint8_t return_code;
  /* PUBLISH (topic is validated UTF-8 without NUL or wildcards, NOT NUL-terminated) */
  const char *topic;
  uint16_t topic_len;
  const uint8_t *payload;
  size_t payload_len;
  uint8_t qos;
  bool retain;
  bool dup;
  /* PUBLISH with QoS 1, PUBACK, SUBACK, UNSUBACK */
  uint16_t packet_id;
  /* SUBACK: one code per topic filter (0, 1, 2 or MQTT_SUBACK_FAILURE) */
  const uint8_t *suback_codes;
  size_t suback_count;
} mqtt_packet_t;

/* Decodes one complete packet pkt[0..len) (fixed header included, len = header_len + remaining).
 * why (optional) receives a static reason on failure. QoS 2 PUBLISH and the QoS 2 handshake packets are
 * MQTT_ERR_PROTOCOL: this client never subscribes above QoS 1, so a server must never send them. */
mqtt_status_t mqtt_decode(const uint8_t *pkt, size_t len, mqtt_packet_t *out, const char **why);

/* UTF-8 as MQTT 3.1.1 §1.5.3 requires: well-formed, no U+0000, no surrogates. */
bool mqtt_utf8_valid(const char *s, size_t len);

typedef struct {
  const char *client_id;       /* 1..23 chars is what every broker must accept; longer allowed */
  const char *username;        /* NULL = none */
  const char *password;        /* NULL = none; needs a username */
  uint16_t keep_alive_s;       /* 0 = no keep-alive */
  bool clean_session;
  const char *will_topic;      /* NULL = no last will */
  const uint8_t *will_payload;
  size_t will_len;
  uint8_t will_qos;            /* 0 or 1 */
  bool will_retain;
} mqtt_connect_info_t;

typedef struct {
  const char *filter; /* may hold + and # */
  uint8_t qos;        /* 0 or 1 */
} mqtt_subscription_t;

/* Encoders: bytes written (> 0) or MQTT_ERR_ARG / MQTT_ERR_NO_SPACE. */
int32_t mqtt_encode_connect(uint8_t *buf, size_t cap, const mqtt_connect_info_t *ci);
/* qos 0 or 1; packet_id must be non-zero for qos 1 and is ignored for qos 0. */
int32_t mqtt_encode_publish(uint8_t *buf, size_t cap, const char *topic, const void *payload, size_t len,
                            uint8_t qos, bool retain, bool dup, uint16_t packet_id);
int32_t mqtt_encode_subscribe(uint8_t *buf, size_t cap, uint16_t packet_id, const mqtt_subscription_t *subs,
                              size_t count);
int32_t mqtt_encode_puback(uint8_t *buf, size_t cap, uint16_t packet_id);
int32_t mqtt_encode_pingreq(uint8_t *buf, size_t cap);
int32_t mqtt_encode_disconnect(uint8_t *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* OBL_MQTT_PACKET_H */
