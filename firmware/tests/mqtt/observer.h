/* observer.h — a test-side MQTT client (our mqtt client over sock_net, real time) that records what it
 * receives, used to watch a real broker from the outside. Host only. */
#ifndef OBL_TEST_OBSERVER_H
#define OBL_TEST_OBSERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "mqtt/mqtt_client.h"
#include "mqttdev/sock_net.h"

#define OBS_MAX 64

typedef struct {
  char topic[96];
  char payload[1600];
  bool retain;
  uint8_t qos;
} obs_msg_t;

typedef struct {
  sock_net_t sock;
  mqttdev_net_t net;
  mqtt_client_t c;
  uint8_t tx[4096], rx[2048], infl[4096];
  obs_msg_t msgs[OBS_MAX]; /* 64 × 1.7 KB: allocate observers statically */
  int n;
  int pubacks, subacks;
} observer_t;

/* Connects (clean session, optional will), waits for CONNACK. Returns the final status. */
mqtt_status_t obs_connect(observer_t *o, uint16_t port, const mqtt_connect_info_t *ci);
/* Polls for ms milliseconds. MQTT_OK or the error that ended the connection. */
mqtt_status_t obs_run(observer_t *o, unsigned ms);
bool obs_subscribe(observer_t *o, const char *filter);
/* Polls until a message on topic (with payload, if not NULL) arrived, or timeout. */
const obs_msg_t *obs_wait(observer_t *o, const char *topic, const char *payload_substr, unsigned timeout_ms);
int obs_count(const observer_t *o, const char *topic);
/* Closes the socket without DISCONNECT (the broker then publishes the will). */
void obs_drop(observer_t *o);
void obs_close(observer_t *o);

#endif
