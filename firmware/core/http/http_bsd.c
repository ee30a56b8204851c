/* http_bsd.c — see http_bsd.h. */
#define _DEFAULT_SOURCE 1 /* accept, fcntl, MSG_NOSIGNAL under -std=c11 */
#include "http/http_bsd.h"

#include <stdbool.h>

/* OBL_LWIP (set by the BL602 build) picks lwIP's own socket API: the SDK's newlib also ships
 * <sys/socket.h>, whose declarations conflict with lwIP's. */
#if defined(OBL_LWIP)
#include <errno.h>
#include <lwip/sockets.h>
#define OBL_CLOSE lwip_close
#else
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#define OBL_CLOSE close
#endif

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

static int set_nonblocking(int fd) {
  int fl = fcntl(fd, F_GETFL, 0);
  if (fl < 0) return -1;
  return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int bsd_accept(void *ctx) {
  http_bsd_t *b = ctx;
  if (b->listen_fd < 0) return -1;
  int fd = accept(b->listen_fd, NULL, NULL);
  if (fd < 0) return -1;
  if (set_nonblocking(fd) != 0) {
    OBL_CLOSE(fd);
    return -1;
  }
  int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

static int bsd_recv(void *ctx, int h, void *buf, size_t cap) {
  (void)ctx;
  ssize_t n = recv(h, buf, cap, 0);
  if (n > 0) return (int)n;
  if (n == 0) return -1; /* orderly shutdown by the peer */
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
  return -1;
}

static int bsd_send(void *ctx, int h, const void *buf, size_t len) {
  (void)ctx;
  ssize_t n = send(h, buf, len, MSG_NOSIGNAL);
  if (n >= 0) return (int)n;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
  return -1;
}

static uint32_t bsd_addr(int h, bool peer) {
  struct sockaddr_in sa;
  socklen_t len = sizeof(sa);
  int rc = peer ? getpeername(h, (struct sockaddr *)&sa, &len) : getsockname(h, (struct sockaddr *)&sa, &len);
  if (rc != 0 || sa.sin_family != AF_INET) return 0;
  return ntohl(sa.sin_addr.s_addr);
}

static uint32_t bsd_peer(void *ctx, int h) {
  (void)ctx;
  return bsd_addr(h, true);
}

static uint32_t bsd_local(void *ctx, int h) {
  (void)ctx;
  return bsd_addr(h, false);
}

static void bsd_close(void *ctx, int h) {
  (void)ctx;
  OBL_CLOSE(h);
}

int http_bsd_listen(http_bsd_t *b, const char *ip, uint16_t port, http_net_t *net) {
  b->listen_fd = -1;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  /* A restarted plug (or simulated plug) must get its port back at once, not after TIME_WAIT. */
  (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
    OBL_CLOSE(fd);
    return -2;
  }
  if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 8) != 0 || set_nonblocking(fd) != 0) {
    OBL_CLOSE(fd);
    return -3;
  }
  b->listen_fd = fd;
  net->ctx = b;
  net->accept = bsd_accept;
  net->recv = bsd_recv;
  net->send = bsd_send;
  net->close = bsd_close;
  net->peer_ipv4 = bsd_peer;
  net->local_ipv4 = bsd_local;
  return 0;
}

void http_bsd_close(http_bsd_t *b) {
  if (b->listen_fd >= 0) OBL_CLOSE(b->listen_fd);
  b->listen_fd = -1;
}
