/* mqttdev.h — the plug on MQTT (protocol: docs/protocol.md, "MQTT"), independent of the application.
 *
 * Topics under openbl602/<id>/:
 *   status   retained "online" (birth, after every CONNACK) / "offline" (last will, and on mqttdev_stop)
 *   info     retained, QoS 1: app->build_info()   — published after connect and on mqttdev_info_changed()
 *   state    retained, QoS 1: app->build_state()  — per the reporting policy in report.h; a state change
 *            caused by a command goes out before that command's result
 *   event    QoS 0, not retained: mqttdev_publish_event()
 *   cmd/+    subscribed QoS 1; each message → app->command(name, body); retained commands are ignored
 *            (a stale retained "reboot" must not boot-loop the plug)
 *   result   QoS 1 (QoS 0 while 8 messages await their PUBACK: a burst of commands is answered in full,
 *            in order on the connection, only not re-sent after a reconnect), not retained: {"cmd": name, "req": <"req" string from the body>|null, "ok": bool,
 *            "error": {"code", "message", "field"?}|null}; "req" is echoed if it is a string of <= 32 chars;
 *            a command name outside [a-z0-9_]{1,24} is answered with "not_found" without calling the app;
 *            a command larger than MQTTDEV_RX_SIZE with "payload_too_large"
 *
 * After CONNACK, in this order: status "online", info, state, then SUBSCRIBE cmd/+ (protocol §8.1).
 * Connection: non-blocking TCP through mqttdev_net_t, MQTT 3.1.1 clean session, keep-alive 30 s (default),
 * LWT "offline" retained QoS 1, credentials if set. Any failure closes the socket and retries after an
 * exponential backoff with jitter: delay d = min(backoff_max, backoff_min × 2^(failures-1)), waited as a
 * uniform random time in [0.8 d, 1.2 d]; the failure count resets once a connection stayed up 60 s, so a broker
 * that accepts and then drops us (duplicate client id, ACL) cannot cause a tight loop.
 *
 * Main loop, every iteration (single thread; nothing here blocks except DNS for a non-numeric host):
 *   mqttdev_poll(&dev, now_ms);
 *   timeout = mqttdev_next_timeout_ms(&dev, now_ms);   // ≤ 1000 while connected; wait at most this long
 *   fd = sock_net_fd(&sock);                            // if >= 0, wake when readable as well
 */
#ifndef OBL_MQTTDEV_H
#define OBL_MQTTDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json/json.h"
#include "mqtt/mqtt_client.h"
#include "mqttdev/net.h"
#include "mqttdev/report.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef MQTTDEV_TX_SIZE
#define MQTTDEV_TX_SIZE 2048 /* transmit queue: state + info + result in one burst after connect */
#endif
#ifndef MQTTDEV_RX_SIZE
/* Largest command packet: the HTTP API's 2048-byte JSON body limit plus topic and header; a bigger
 * command is skipped and answered with "payload_too_large". */
#define MQTTDEV_RX_SIZE 2176
#endif
#ifndef MQTTDEV_INFLIGHT_SIZE
#define MQTTDEV_INFLIGHT_SIZE 2048
#endif
/* A command is taken from the broker only when the transmit queue has room for its state report and its
 * result (mqtt_config_t.publish_reserve): a burst waits at the broker instead of losing answers. */
#define MQTTDEV_ANSWER_RESERVE 1024
#ifndef MQTTDEV_JSON_SIZE
#define MQTTDEV_JSON_SIZE 1024 /* scratch for one state / info / result document */
#endif
#define MQTTDEV_ID_MAX 32
#define MQTTDEV_CMD_NAME_MAX 24

/* A command's failure, mapped to the protocol's error object. Empty field = no "field" member. */
typedef struct {
  char code[32];    /* machine code, e.g. "invalid_value", "not_found", "not_allowed" */
  char message[96];
  char field[32];
} mqttdev_error_t;

typedef struct {
  /* Writes the protocol's state / info JSON into buf; returns its length, < 0 if it did not fit. */
  int (*build_state)(void *ctx, char *buf, size_t cap);
  int (*build_info)(void *ctx, char *buf, size_t cap);
  /* The values the reporting policy compares (cheap; called every poll while online). */
  void (*snapshot)(void *ctx, mqttdev_snapshot_t *out);
  /* Runs command name (e.g. "relay") with the message body (JSON, not NUL-terminated, may contain a "req"
   * member the app must ignore). true = done; false = fill err. Unknown names: code "not_found". */
  bool (*command)(void *ctx, const char *name, const char *body, size_t len, mqttdev_error_t *err);
  void *ctx;
} mqttdev_app_t;

typedef struct {
  char host[64];       /* "" = MQTT off */
  uint16_t port;       /* 0 → 1883 */
  char username[64];   /* "" = none */
  char password[64];   /* "" = none */
  char client_id[48];  /* "" → "openbl602-<id>" */
  uint16_t keep_alive_s; /* 0 → 30 */
} mqttdev_broker_t;

typedef struct {
  const char *device_id; /* protocol device id, [a-z0-9-]{1,32}; copied */
  mqttdev_net_t net;
  mqttdev_app_t app;
  mqttdev_report_cfg_t report; /* all zero → mqttdev_report_defaults() */
  uint32_t backoff_min_ms;     /* 0 → 1000 */
  uint32_t backoff_max_ms;     /* 0 → 60000 */
  uint32_t connect_timeout_ms; /* TCP connect and CONNACK, 0 → 10000 */
  uint32_t random_seed;        /* for the backoff jitter (hal_random on the plug) */
} mqttdev_config_t;

typedef enum {
  MQTTDEV_OFF = 0,       /* no broker configured */
  MQTTDEV_WAITING,       /* backing off before the next attempt */
  MQTTDEV_TCP_CONNECTING,
  MQTTDEV_MQTT_CONNECTING, /* CONNECT sent, waiting for CONNACK */
  MQTTDEV_ONLINE,
} mqttdev_state_t;

typedef struct {
  mqttdev_state_t state;
  uint32_t connects;        /* successful CONNACKs */
  uint32_t failures;        /* failed attempts + lost connections */
  uint32_t state_reports;   /* state messages published */
  uint32_t commands;        /* commands handled */
  uint32_t consecutive_failures;
  uint64_t next_attempt_ms; /* when WAITING */
  bool subscribed;          /* cmd/+ granted by the broker */
  char last_error[96];      /* e.g. "connect: CONNACK: bad user name or password" */
} mqttdev_stats_t;

/* Private fields; the struct is public for static allocation (about 8.5 KB with the default sizes). */
typedef struct {
  mqttdev_config_t cfg;
  mqttdev_broker_t broker;
  mqtt_client_t mqtt;
  mqttdev_stats_t stats;
  char id[MQTTDEV_ID_MAX + 1];
  char base[16 + MQTTDEV_ID_MAX];       /* "openbl602/<id>/" */
  char topic[16 + MQTTDEV_ID_MAX + 16]; /* scratch for one topic */
  uint64_t phase_ms;       /* start of the current TCP / MQTT connect phase */
  uint64_t online_ms;      /* CONNACK time */
  uint64_t last_report_ms;
  mqttdev_snapshot_t last_report;
  uint32_t rng;
  bool pending_birth, pending_info, pending_sub, pending_state;
  uint8_t tx[MQTTDEV_TX_SIZE];
  uint8_t rx[MQTTDEV_RX_SIZE];
  uint8_t inflight[MQTTDEV_INFLIGHT_SIZE];
  char json[MQTTDEV_JSON_SIZE];
  json_tok_t toks[48]; /* for reading "req" out of a command body */
  uint64_t now_ms;     /* time of the current poll, for event callbacks */
  uint16_t state_pid;  /* the retained state still waiting for its PUBACK (0 = none): a newer one replaces it */
  /* QoS 1 commands handled in this session: a redelivery (DUP) of one of them is acknowledged, not rerun */
  uint16_t handled_ids[8];
  uint8_t handled_next;
} mqttdev_t;

/* false if the device id or the interfaces are invalid. Starts OFF until mqttdev_set_broker(). */
bool mqttdev_init(mqttdev_t *d, const mqttdev_config_t *cfg);

/* Applies broker settings (NULL or empty host = off). A change ends the current connection cleanly
 * (offline + DISCONNECT) and connects to the new broker right away. Same settings: nothing happens. */
void mqttdev_set_broker(mqttdev_t *d, const mqttdev_broker_t *broker, uint64_t now_ms);

/* Drives connection, backoff, keep-alive, commands and reporting. Call every pass of the network loop. */
void mqttdev_poll(mqttdev_t *d, uint64_t now_ms);

/* Longest its loop may sleep before the next mqttdev_poll (it must also wake when the socket is
 * readable). */
uint32_t mqttdev_next_timeout_ms(const mqttdev_t *d, uint64_t now_ms);

/* New reporting thresholds (config change); they apply from the next poll. */
void mqttdev_set_report(mqttdev_t *d, const mqttdev_report_cfg_t *report);

/* Wi-Fi went down: drop the connection now (no DISCONNECT: the broker publishes the will) and retry
 * with the backoff; call mqttdev_poll as usual, it reconnects once the network is back. */
void mqttdev_network_lost(mqttdev_t *d, uint64_t now_ms);

/* Publish state at the next poll regardless of the policy (e.g. after a config change). */
void mqttdev_state_changed(mqttdev_t *d);
/* Re-publish the retained info (name, IP, firmware changed). */
void mqttdev_info_changed(mqttdev_t *d);

/* Publishes json on openbl602/<id>/event (QoS 0). MQTT_ERR_STATE when not online (events are not
 * queued across outages: they describe a moment), MQTT_ERR_NO_SPACE when the queue is full. */
mqtt_status_t mqttdev_publish_event(mqttdev_t *d, const char *json, size_t len, uint64_t now_ms);

/* Orderly end before a reboot or when MQTT is switched off: "offline" (retained), DISCONNECT, close. */
void mqttdev_stop(mqttdev_t *d, uint64_t now_ms);

const mqttdev_stats_t *mqttdev_stats(const mqttdev_t *d);

#ifdef __cplusplus
}
#endif

#endif /* OBL_MQTTDEV_H */
