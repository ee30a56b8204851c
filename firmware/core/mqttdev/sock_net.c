/* sock_net.c — BSD-socket TCP client for the MQTT binding (Linux and lwIP). */
#include "mqttdev/sock_net.h"

#include <errno.h>
#include <string.h>

#if defined(OBL_LWIP)
#include "lwip/netdb.h"
#include "lwip/sockets.h"
#else
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* lwIP has no SIGPIPE to suppress */
#endif

static void net_close(void *ctx) {
  sock_net_t *s = (sock_net_t *)ctx;
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
}

static int net_open(void *ctx, const char *host, uint16_t port) {
  sock_net_t *s = (sock_net_t *)ctx;
  net_close(s);
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res) return -1;
  struct sockaddr_in sa;
  memcpy(&sa, res->ai_addr, sizeof sa);
  freeaddrinfo(res);
  sa.sin_port = htons(port);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int fl = fcntl(fd, F_GETFL, 0);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
    close(fd);
    return -1;
  }
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  s->fd = fd;
  return 0;
}

static int net_connected(void *ctx) {
  sock_net_t *s = (sock_net_t *)ctx;
  if (s->fd < 0) return -1;
  fd_set wr;
  FD_ZERO(&wr);
  FD_SET(s->fd, &wr);
  struct timeval tv = {0, 0};
  int r = select(s->fd + 1, NULL, &wr, NULL, &tv);
  if (r < 0) return errno == EINTR ? 0 : -1;
  if (r == 0) return 0;
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) return -1;
  return 1;
}

static int32_t net_send(void *ctx, const uint8_t *data, size_t len) {
  sock_net_t *s = (sock_net_t *)ctx;
  if (s->fd < 0) return -1;
  if (len > 0x7FFFFFFF) len = 0x7FFFFFFF;
  ssize_t n = send(s->fd, data, len, MSG_NOSIGNAL);
  if (n >= 0) return (int32_t)n;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
  return -1;
}

static int32_t net_recv(void *ctx, uint8_t *buf, size_t cap) {
  sock_net_t *s = (sock_net_t *)ctx;
  if (s->fd < 0) return -1;
  if (cap > 0x7FFFFFFF) cap = 0x7FFFFFFF;
  ssize_t n = recv(s->fd, buf, cap, 0);
  if (n > 0) return (int32_t)n;
  if (n == 0) return -1; /* orderly close by the broker */
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
  return -1;
}

void sock_net_init(sock_net_t *s) { s->fd = -1; }

mqttdev_net_t sock_net_interface(sock_net_t *s) {
  mqttdev_net_t n = {net_open, net_connected, net_send, net_recv, net_close, s};
  return n;
}

int sock_net_fd(const sock_net_t *s) { return s->fd; }
