/* sock_net.h — mqttdev_net_t over BSD sockets, the same code on Linux and on lwIP (BL602).
 *
 * Nothing blocks: connect is non-blocking (O_NONBLOCK + connect() → EINPROGRESS, completion seen with
 * select() and SO_ERROR), and a host name goes to the HAL's non-blocking resolver (hal_dns_start/poll):
 * open() starts the lookup and returns "under way", connected() polls it and connects when the address
 * comes. The last address a name resolved to is kept: while a new lookup for that name is pending (a
 * stalled DNS server) the connection goes to the cached address at once, and the lookup refreshes the cache
 * in the background. A lookup still pending when the binding gives up (its connect timeout) keeps running;
 * the next open() for the same name waits for it instead of starting over. Numeric addresses never touch
 * DNS. TCP_NODELAY: MQTT packets are small and a state report should leave at once. Build with -DOBL_LWIP
 * to use lwIP's headers.
 */
#ifndef OBL_MQTTDEV_SOCK_NET_H
#define OBL_MQTTDEV_SOCK_NET_H

#include <stdbool.h>

#include "mqttdev/net.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int fd; /* -1 when closed */
  char host[64];         /* the name being resolved ("" when none) */
  uint16_t port;
  bool resolving;        /* hal_dns_start(host) was called and its answer not taken yet */
  bool want_connect;     /* open() is waiting for that answer to connect */
  char cache_host[64];   /* the last name resolved, and its address */
  uint8_t cache_ip[4];
} sock_net_t;

void sock_net_init(sock_net_t *s);
/* The interface bound to s (s must outlive it). */
mqttdev_net_t sock_net_interface(sock_net_t *s);
/* The socket for select()/poll() in the main loop (readable → call mqttdev_poll), or -1. */
int sock_net_fd(const sock_net_t *s);

#ifdef __cplusplus
}
#endif

#endif /* OBL_MQTTDEV_SOCK_NET_H */
