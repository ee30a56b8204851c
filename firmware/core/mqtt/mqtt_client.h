/* mqtt_client.h — MQTT 3.1.1 client in the style of coreMQTT: it owns no socket, no heap and no thread.
 *
 * The caller provides a non-blocking transport (send/recv function pointers), three fixed buffers
 * (transmit queue, receive buffer, QoS 1 in-flight store) and a clock value on every call. One function,
 * mqtt_poll(), drives everything: flushing the transmit queue, reading and dispatching packets, PUBACKs
 * for received QoS 1 messages, keep-alive (PINGREQ / PINGRESP timeout), CONNACK timeout and QoS 1
 * retransmission. Results arrive through one event callback, called only from inside mqtt_poll().
 *
 * Life cycle (the caller owns the TCP connection):
 *   mqtt_init(&c, &cfg);                          once
 *   ... open TCP, wait until it is connected ...
 *   mqtt_connect(&c, &info, now_ms);              queues CONNECT (credentials, clean session, LWT)
 *   loop: st = mqtt_poll(&c, now_ms);             MQTT_EVT_CONNECTED arrives with the CONNACK
 *         if (st < 0) { close TCP; reconnect later }   the client is back in MQTT_STATE_DISCONNECTED
 *   mqtt_publish(...), mqtt_subscribe(...)       once connected; they queue and try to send at once
 *   mqtt_disconnect(&c, now_ms); close TCP        orderly end (no last will)
 *
 * Errors: any malformed or unexpected packet, a refused CONNACK, a missing PINGRESP/CONNACK, or a
 * transport error makes mqtt_poll() return a negative mqtt_status_t, with mqtt_last_error_detail() naming
 * the reason; the client is then disconnected and the caller must close the transport. Nothing is read or
 * written outside the caller's buffers. A PUBLISH larger than the receive buffer is skipped (acknowledged
 * if QoS 1) and reported as MQTT_EVT_DROPPED rather than killing the connection: a stray large retained
 * message on a subscribed topic must not cause a reconnect loop.
 *
 * QoS 1 publishes are copied into the in-flight store until their PUBACK arrives; they are re-sent with
 * DUP after retry_ms and after every reconnect (at-least-once across broker restarts), and reported as
 * MQTT_EVT_PUBLISH_FAILED after max_attempts sends.
 */
#ifndef OBL_MQTT_CLIENT_H
#define OBL_MQTT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqtt/mqtt_packet.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Non-blocking transport. send: bytes accepted (0 = would block), < 0 = connection broken.
 * recv: bytes read (0 = nothing available now), < 0 = connection broken or closed by the peer. */
typedef struct {
  int32_t (*send)(void *ctx, const uint8_t *data, size_t len);
  int32_t (*recv)(void *ctx, uint8_t *buf, size_t cap);
  void *ctx;
} mqtt_transport_t;

typedef enum {
  MQTT_EVT_CONNECTED = 1,   /* CONNACK accepted; session_present set */
  MQTT_EVT_PUBLISH,         /* message received (topic/payload valid only during the callback) */
  MQTT_EVT_PUBACK,          /* our QoS 1 publish packet_id was acknowledged */
  MQTT_EVT_SUBACK,          /* suback_codes[] per filter; MQTT_SUBACK_FAILURE = refused */
  MQTT_EVT_PUBLISH_FAILED,  /* QoS 1 packet_id given up after max_attempts */
  MQTT_EVT_DROPPED,         /* received PUBLISH larger than rx buffer skipped; topic if it fitted */
} mqtt_event_type_t;

typedef struct {
  mqtt_event_type_t type;
  uint16_t packet_id;
  bool session_present;
  const char *topic; /* not NUL-terminated */
  size_t topic_len;
  const uint8_t *payload;
  size_t payload_len;
  uint8_t qos;
  bool retain;
  bool dup;
  const uint8_t *suback_codes;
  size_t suback_count;
} mqtt_event_t;

/* May call mqtt_publish / mqtt_subscribe / mqtt_disconnect on the same client. */
typedef void (*mqtt_event_fn)(void *ctx, const mqtt_event_t *ev);

#define MQTT_MAX_INFLIGHT 8

typedef struct {
  mqtt_transport_t transport;
  uint8_t *tx_buf;          /* transmit queue: must hold the largest packet you publish */
  size_t tx_cap;
  uint8_t *rx_buf;          /* largest packet you accept (bigger PUBLISHes are dropped) ; >= 16 */
  size_t rx_cap;
  uint8_t *inflight_buf;    /* copies of unacknowledged QoS 1 publishes; NULL/0 = QoS 1 publish disabled */
  size_t inflight_cap;
  mqtt_event_fn on_event;
  void *event_ctx;
  uint32_t connack_timeout_ms; /* 0 → 10000 */
  uint32_t ping_timeout_ms;    /* 0 → 10000: PINGRESP (and stalled transmit) deadline */
  uint32_t retry_ms;           /* 0 → 10000: QoS 1 re-send interval while connected */
  uint8_t max_attempts;        /* 0 → 5: sends of one QoS 1 publish before MQTT_EVT_PUBLISH_FAILED */
  /* Room the transmit queue must have, besides the PUBACK, before a received PUBLISH is taken: what the
   * event callback publishes in answer (0 = nothing). A PUBLISH that finds less waits in the receive buffer
   * until the queue drains, so a burst of commands slows the broker down instead of losing answers.
   * Must leave room for the PUBACK: publish_reserve + 4 <= tx_cap. */
  size_t publish_reserve;
} mqtt_config_t;

typedef enum {
  MQTT_STATE_DISCONNECTED = 0,
  MQTT_STATE_CONNECTING, /* CONNECT queued/sent, waiting for CONNACK */
  MQTT_STATE_CONNECTED,
} mqtt_state_t;

typedef struct {
  uint16_t id;
  uint8_t attempts;
  uint32_t off, len;
  uint64_t sent_ms;
} mqtt_inflight_t;

/* All fields are private; the struct is public so the caller can allocate it statically. */
typedef struct {
  mqtt_config_t cfg;
  mqtt_state_t state;
  size_t tx_len;            /* queued bytes in tx_buf[0..tx_len) */
  size_t rx_len;            /* bytes in rx_buf[0..rx_len) */
  uint32_t rx_skip;         /* bytes of an oversized PUBLISH still to discard */
  uint16_t keep_alive_s;
  uint16_t next_id;
  bool ping_outstanding;
  uint64_t ping_sent_ms;
  uint64_t connect_ms;
  uint64_t last_tx_ms;      /* last complete packet handed to the transport */
  uint64_t last_rx_ms;      /* last complete packet received */
  uint64_t tx_progress_ms;  /* last time the transport accepted bytes (stall detection) */
  mqtt_inflight_t inflight[MQTT_MAX_INFLIGHT];
  size_t inflight_count;
  size_t inflight_used;     /* bytes used in inflight_buf */
  mqtt_status_t last_error;
  const char *last_error_detail;
} mqtt_client_t;

/* MQTT_ERR_ARG if the transport or buffers are missing. */
mqtt_status_t mqtt_init(mqtt_client_t *c, const mqtt_config_t *cfg);

/* Call when the transport has just connected: queues CONNECT and tries to send it. Any bytes left from a
 * previous connection are discarded; unacknowledged QoS 1 publishes are kept and re-sent after CONNACK. */
mqtt_status_t mqtt_connect(mqtt_client_t *c, const mqtt_connect_info_t *info, uint64_t now_ms);

/* Drives the client; call every loop iteration and whenever the transport is readable. MQTT_OK, or a
 * negative status when the connection is over (client now MQTT_STATE_DISCONNECTED; close the transport). */
mqtt_status_t mqtt_poll(mqtt_client_t *c, uint64_t now_ms);

/* Queues a PUBLISH (connected state only). QoS 1 needs an in-flight store; *packet_id (optional) gets
 * the id for matching MQTT_EVT_PUBACK. MQTT_ERR_NO_SPACE: queue or in-flight store full, try later. */
mqtt_status_t mqtt_publish(mqtt_client_t *c, const char *topic, const void *payload, size_t len, uint8_t qos,
                           bool retain, uint16_t *packet_id, uint64_t now_ms);

/* Queues a SUBSCRIBE for count filters (connected state only); MQTT_EVT_SUBACK reports the grant. */
mqtt_status_t mqtt_subscribe(mqtt_client_t *c, const mqtt_subscription_t *subs, size_t count,
                             uint16_t *packet_id, uint64_t now_ms);

/* Sends DISCONNECT (best effort, the broker then discards the last will) and goes to DISCONNECTED. */
void mqtt_disconnect(mqtt_client_t *c, uint64_t now_ms);

/* The transport was closed under the client (e.g. by the caller): forget the connection. */
void mqtt_reset(mqtt_client_t *c);

/* Forgets one unacknowledged QoS 1 publish (it is not re-sent): a newer retained message on the same topic
 * supersedes it. false: packet_id is not in flight (already acknowledged). */
bool mqtt_inflight_forget(mqtt_client_t *c, uint16_t packet_id);

/* Drops unacknowledged QoS 1 publishes (e.g. when the broker changes). */
void mqtt_clear_inflight(mqtt_client_t *c);

mqtt_state_t mqtt_state(const mqtt_client_t *c);
/* Milliseconds until mqtt_poll() has timed work to do (keep-alive, timeouts, retries); UINT32_MAX if none.
 * Use as a select()/poll() timeout together with the transport's readability. */
uint32_t mqtt_next_timeout_ms(const mqtt_client_t *c, uint64_t now_ms);
size_t mqtt_inflight_count(const mqtt_client_t *c);
/* Reason of the last failure, e.g. "CONNACK: unknown return code" or "PINGRESP timeout". */
mqtt_status_t mqtt_last_error(const mqtt_client_t *c);
const char *mqtt_last_error_detail(const mqtt_client_t *c);

#ifdef __cplusplus
}
#endif

#endif /* OBL_MQTT_CLIENT_H */
