/* libFuzzer target: the HTTP request parser and the server state machine around it.
 * The first input byte picks how the rest is cut into recv() pieces, so every split point of a request
 * is exercised; the handler buffers, streams, answers early or opens SSE depending on the path. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/http_auth.h"
#include "http/http_policy.h"
#include "http/http_server.h"
#include "memnet.h"

static memnet_t mn;
static http_server_t srv;
static http_conn_t conns[2];

static http_head_action_t on_head(void *ctx, http_conn_t *c, const http_request_t *r) {
  (void)ctx;
  (void)http_auth_ok(r->authorization, "fuzz-password");
  /* the request policy sees whatever Host / Origin / Content-Type the parser kept */
  http_policy_t pol;
  http_policy_for_plug(&pol, (uint16_t)(r->path[0] == '/' ? 80 : 8080), "openbl602-fuzz",
                       (const uint8_t[4]){127, 0, 0, 1}, "127.0.0.1", r->has_query);
  http_refusal_t no;
  if (http_policy_refuse(&pol, r, r->method == HTTP_M_POST ? "application/json" : NULL, &no)) {
    if (no.status != 421 && no.status != 403 && no.status != 415) __builtin_trap();
  }
  if (r->host[HTTP_HOST_MAX] != '\0' || r->origin[HTTP_HOST_MAX] != '\0') __builtin_trap();
  if (r->path[1] == 's') return HTTP_HEAD_STREAM;
  if (r->path[1] == 'n') {
    http_respond_error(c, 404, "not_found", r->path, NULL, NULL);
    return HTTP_HEAD_RESPONDED;
  }
  return HTTP_HEAD_BUFFER;
}

static bool on_body(void *ctx, http_conn_t *c, const uint8_t *d, size_t n) {
  (void)ctx;
  if (n && d[0] == 'X') {
    http_respond_error(c, 400, "invalid_image", "x", NULL, NULL);
    return false;
  }
  return true;
}

static void on_request(void *ctx, http_conn_t *c, const http_request_t *r, const uint8_t *body, size_t len) {
  if (r->path[1] == 'e') {
    if (http_sse_start(ctx, c)) http_sse_send(c, "state", (const char *)body, len);
    return;
  }
  http_respond(c, 200, "application/json", body, len, NULL);
}

static void on_close(void *ctx, http_conn_t *c) {
  (void)ctx;
  (void)c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  http_net_t net;
  memnet_init(&mn, &net);
  http_handler_t h = {&srv, on_head, on_body, on_request, on_close};
  http_server_init(&srv, &net, &h, conns, 2, 1);
  size_t piece = (size_t)(data[0] % 64) + 1;
  data++;
  size--;
  int a = memnet_connect(&mn);
  int b = memnet_connect(&mn);
  uint64_t now = 0;
  /* the same bytes go to two connections, one of them read in small pieces */
  memnet_write(&mn, a, data, size);
  memnet_write(&mn, b, data, size);
  mn.c[b].recv_budget = piece;
  mn.c[b].send_budget = piece;
  for (int i = 0; i < 64; i++) {
    now += 50;
    http_server_poll(&srv, now);
  }
  http_sse_broadcast(&srv, "state", "{}", 2);
  memnet_peer_close(&mn, a);
  now += 20000;
  http_server_poll(&srv, now);
  http_server_close_all(&srv);

  http_parser_t p;
  http_parser_init(&p);
  size_t used = 0;
  (void)http_parser_feed(&p, data, size, &used);
  if (used > size) __builtin_trap();
  return 0;
}
