/* net.h — the TCP connection the MQTT binding drives, behind function pointers.
 *
 * sock_net.h implements it over BSD sockets (Linux, lwIP on BL602); tests plug in an in-memory one. All
 * calls must return at once: the binding runs inside the firmware's network loop.
 */
#ifndef OBL_MQTTDEV_NET_H
#define OBL_MQTTDEV_NET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  /* Starts a TCP connection to host:port (numeric IPv4 or a name). 0 = under way, < 0 = failed at once. */
  int (*open)(void *ctx, const char *host, uint16_t port);
  /* 1 = connected, 0 = still connecting, < 0 = failed (refused, unreachable). */
  int (*connected)(void *ctx);
  /* Non-blocking I/O as mqtt_transport_t: bytes moved, 0 = would block, < 0 = broken / closed. */
  int32_t (*send)(void *ctx, const uint8_t *data, size_t len);
  int32_t (*recv)(void *ctx, uint8_t *buf, size_t cap);
  /* Closes (idempotent). */
  void (*close)(void *ctx);
  void *ctx;
} mqttdev_net_t;

#ifdef __cplusplus
}
#endif

#endif /* OBL_MQTTDEV_NET_H */
