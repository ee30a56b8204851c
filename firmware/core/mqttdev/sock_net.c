/* sock_net.c — BSD-socket TCP client for the MQTT binding (Linux and lwIP). */
#include "mqttdev/sock_net.h"

#include <errno.h>

#include "hal.h"
#include <string.h>

#if defined(OBL_LWIP)
#include <sys/time.h> /* struct timeval: lwipopts.h has LWIP_TIMEVAL_PRIVATE 0 (the C library's) */

#include "lwip/sockets.h"
#else
#include <fcntl.h>
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

/* Dotted-quad IPv4 ("192.168.1.5") → true and ip; anything else is a name. */
static bool parse_ipv4(const char *s, uint8_t ip[4]) {
  for (int i = 0; i < 4; i++) {
    unsigned v = 0, digits = 0;
    while (*s >= '0' && *s <= '9' && digits < 4) v = v * 10u + (unsigned)(*s++ - '0'), digits++;
    if (digits == 0 || digits > 3 || v > 255) return false;
    ip[i] = (uint8_t)v;
    if (i < 3 && *s++ != '.') return false;
  }
  return *s == '\0';
}

static int connect_to(sock_net_t *s, const uint8_t ip[4], uint16_t port) {
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  memcpy(&sa.sin_addr, ip, 4);
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

/* Takes the resolver's answer if there is one: 1 resolved (cache updated), 0 pending, -1 failed. */
static int take_answer(sock_net_t *s) {
  if (!s->resolving) return -1;
  uint8_t ip[4];
  hal_dns_state_t st = hal_dns_poll(ip);
  if (st == HAL_DNS_PENDING) return 0;
  s->resolving = false;
  if (st != HAL_DNS_DONE) return -1;
  memcpy(s->cache_host, s->host, sizeof s->cache_host);
  memcpy(s->cache_ip, ip, 4);
  return 1;
}

static int net_open(void *ctx, const char *host, uint16_t port) {
  sock_net_t *s = (sock_net_t *)ctx;
  net_close(s);
  s->want_connect = false;
  uint8_t ip[4];
  if (parse_ipv4(host, ip)) return connect_to(s, ip, port);
  if (strlen(host) >= sizeof s->host) return -1;
  bool cached = strcmp(s->cache_host, host) == 0;
  if (s->resolving && strcmp(s->host, host) == 0) {
    (void)take_answer(s); /* an earlier lookup may have answered meanwhile */
  }
  if (!(s->resolving && strcmp(s->host, host) == 0)) {
    /* A fresh lookup (also to refresh a cached address); never two at once for the same name. */
    memcpy(s->host, host, strlen(host) + 1);
    s->resolving = hal_dns_start(host) == HAL_OK;
    if (!s->resolving && !cached) return -1;
  }
  if (cached) return connect_to(s, s->cache_ip, port); /* no waiting on DNS for a name we know */
  s->port = port;
  s->want_connect = true;
  return 0;
}

static int net_connected(void *ctx) {
  sock_net_t *s = (sock_net_t *)ctx;
  if (s->resolving && !s->want_connect) (void)take_answer(s); /* background refresh of the cache */
  if (s->want_connect) {
    int r = take_answer(s);
    if (r == 0) return 0;
    s->want_connect = false;
    if (r < 0 || connect_to(s, s->cache_ip, s->port) != 0) return -1;
  }
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

void sock_net_init(sock_net_t *s) {
  memset(s, 0, sizeof *s);
  s->fd = -1;
}

mqttdev_net_t sock_net_interface(sock_net_t *s) {
  mqttdev_net_t n = {net_open, net_connected, net_send, net_recv, net_close, s};
  return n;
}

int sock_net_fd(const sock_net_t *s) { return s->fd; }
