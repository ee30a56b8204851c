/* http_bsd.h — the HTTP server's transport over BSD sockets (Linux; lwIP's socket API on BL602).
 * Listens on one IPv4 address and port; every socket is non-blocking. */
#ifndef OBL_HTTP_BSD_H
#define OBL_HTTP_BSD_H

#include <stdint.h>

#include "http/http_server.h"

typedef struct {
  int listen_fd;
} http_bsd_t;

/* Binds ip:port ("0.0.0.0" for all interfaces), listens, and fills *net. 0 on success, -errno-like
 * negative on failure. */
int http_bsd_listen(http_bsd_t *b, const char *ip, uint16_t port, http_net_t *net);
void http_bsd_close(http_bsd_t *b);

#endif
