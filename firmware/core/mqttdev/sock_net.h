/* sock_net.h — mqttdev_net_t over BSD sockets, the same code on Linux and on lwIP (BL602).
 *
 * Connect is non-blocking (O_NONBLOCK + connect() → EINPROGRESS, completion seen with select() and
 * SO_ERROR). Name resolution uses getaddrinfo(), which blocks for the DNS round trip on both stacks;
 * numeric addresses (the usual broker setting) never touch DNS. TCP_NODELAY: MQTT packets are small and
 * a state report should leave at once. Build with -DOBL_LWIP to use lwIP's headers.
 */
#ifndef OBL_MQTTDEV_SOCK_NET_H
#define OBL_MQTTDEV_SOCK_NET_H

#include "mqttdev/net.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int fd; /* -1 when closed */
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
