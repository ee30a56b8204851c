/* app_transport_bsd.c — the app's transports over BSD sockets (Linux; lwIP's socket API on BL602):
 * http_bsd for the API, sock_net for MQTT. */
#include "app/app.h"
#include "http/http_bsd.h"
#include "mqttdev/sock_net.h"

static http_bsd_t s_http;
static sock_net_t s_mqtt;
static app_transport_t s_transport;

static int listen_bsd(void *ctx, const char *ip, uint16_t port, http_net_t *net) {
  (void)ctx;
  return http_bsd_listen(&s_http, ip, port, net);
}

static void close_bsd(void *ctx) {
  (void)ctx;
  http_bsd_close(&s_http);
}

static size_t fds_bsd(void *ctx, int *fds, size_t max) {
  (void)ctx;
  size_t n = 0;
  if (s_http.listen_fd >= 0 && n < max) fds[n++] = s_http.listen_fd;
  if (sock_net_fd(&s_mqtt) >= 0 && n < max) fds[n++] = sock_net_fd(&s_mqtt);
  return n;
}

const app_transport_t *app_transport_bsd(void) {
  sock_net_init(&s_mqtt);
  s_http.listen_fd = -1;
  s_transport = (app_transport_t){NULL, listen_bsd, close_bsd, sock_net_interface(&s_mqtt), fds_bsd};
  return &s_transport;
}
