/* HTTP server state machine over the in-memory transport: routing hooks, buffered and streamed bodies,
 * the connection limit (503), timeouts (408), malformed input (400), SSE framing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_server.h"
#include "memnet.h"
#include "unit.h"

static memnet_t mn;
static http_net_t net;
static http_server_t srv;
static http_conn_t conns[4];
static uint64_t now;
static size_t streamed, closes;
static http_conn_t *held; /* /slow: answered later */
static int defers;        /* /defer: held this many times (100 ms each) before it is buffered */

static http_head_action_t on_head(void *ctx, http_conn_t *c, const http_request_t *r) {
  (void)ctx;
  if (strcmp(r->path, "/stream") == 0) return HTTP_HEAD_STREAM;
  if (strcmp(r->path, "/defer") == 0 && defers > 0) {
    defers--;
    c->defer_until_ms = now + 100;
    return HTTP_HEAD_DEFER;
  }
  if (strcmp(r->path, "/nope") == 0) {
    http_respond_error(c, 404, "not_found", "no such path", NULL, NULL);
    return HTTP_HEAD_RESPONDED;
  }
  return HTTP_HEAD_BUFFER;
}

static bool on_body(void *ctx, http_conn_t *c, const uint8_t *d, size_t n) {
  (void)ctx;
  streamed += n;
  if (memchr(d, 'X', n)) {
    http_respond_error(c, 400, "invalid_image", "bad byte", NULL, NULL);
    return false;
  }
  return true;
}

static void on_request(void *ctx, http_conn_t *c, const http_request_t *r, const uint8_t *body, size_t len) {
  if (strcmp(r->path, "/events") == 0) {
    if (http_sse_start(ctx, c)) http_sse_send(c, "state", "{\"a\":1}", 7);
    return;
  }
  if (strcmp(r->path, "/slow") == 0) {
    held = c;
    return;
  }
  if (strcmp(r->path, "/static") == 0) {
    static const char page[] = "<html>hello</html>";
    http_respond_static(c, 200, "text/html", page, sizeof(page) - 1, NULL);
    return;
  }
  if (strcmp(r->path, "/stream") == 0) {
    char msg[32];
    int n = snprintf(msg, sizeof(msg), "{\"got\":%lu}", (unsigned long)len);
    http_respond(c, 200, "application/json", msg, (size_t)n, NULL);
    return;
  }
  http_respond(c, 200, "application/json", body, len, "X-Echo: 1\r\n");
}

static void on_close(void *ctx, http_conn_t *c) {
  (void)ctx;
  (void)c;
  closes++;
}

static void setup(void) {
  memnet_init(&mn, &net);
  http_handler_t h = {&srv, on_head, on_body, on_request, on_close};
  http_server_init(&srv, &net, &h, conns, 4, 2);
  now = 1000;
  streamed = closes = 0;
  held = NULL;
  defers = 0;
}

static void poll_n(int n) {
  for (int i = 0; i < n; i++) {
    now += 5;
    http_server_poll(&srv, now);
  }
}

static const char *body_of(const char *resp) {
  const char *p = strstr(resp, "\r\n\r\n");
  return p ? p + 4 : "";
}

static void test_echo_with_body(void) {
  setup();
  int c = memnet_connect(&mn);
  memnet_write_str(&mn, c, "POST /echo HTTP/1.1\r\nContent-Length: 11\r\n\r\n{\"on\":true}");
  poll_n(3);
  CHECK(strncmp(mn.c[c].out, "HTTP/1.1 200 OK\r\n", 17) == 0);
  CHECK(strstr(mn.c[c].out, "Content-Length: 11\r\n") != NULL);
  CHECK(strstr(mn.c[c].out, "X-Echo: 1\r\n") != NULL);
  CHECK(strstr(mn.c[c].out, "Connection: close\r\n") != NULL);
  CHECK_STR(body_of(mn.c[c].out), "{\"on\":true}");
  CHECK(mn.c[c].server_closed);
  CHECK_EQ_INT(closes, 1);
  CHECK_EQ_INT(srv.stat_requests, 1);
}

static void test_expect_continue(void) {
  setup();
  int c = memnet_connect(&mn);
  memnet_write_str(&mn, c, "POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  poll_n(2);
  CHECK_STR(mn.c[c].out, "HTTP/1.1 100 Continue\r\n\r\n");
  memnet_write_str(&mn, c, "{}");
  poll_n(2);
  CHECK(strstr(mn.c[c].out, "HTTP/1.1 200 OK\r\n") != NULL);
  CHECK_STR(body_of(strstr(mn.c[c].out, "HTTP/1.1 200")), "{}");
  /* a refused head gets no 100: the client must not send the body */
  int d = memnet_connect(&mn);
  memnet_write_str(&mn, d, "POST /nope HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  poll_n(2);
  CHECK(strncmp(mn.c[d].out, "HTTP/1.1 404 ", 13) == 0);
}

static void test_body_in_small_pieces_and_slow_send(void) {
  setup();
  int c = memnet_connect(&mn);
  mn.c[c].recv_budget = 3;
  mn.c[c].send_budget = 7;
  memnet_write_str(&mn, c, "POST /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
  poll_n(200);
  CHECK_STR(body_of(mn.c[c].out), "hello");
  CHECK(mn.c[c].server_closed);
}

static void test_static_body(void) {
  setup();
  int c = memnet_connect(&mn);
  memnet_write_str(&mn, c, "GET /static HTTP/1.1\r\n\r\n");
  poll_n(2);
  CHECK(strstr(mn.c[c].out, "Content-Type: text/html\r\n") != NULL);
  CHECK(strstr(mn.c[c].out, "Content-Length: 18\r\n") != NULL);
  CHECK_STR(body_of(mn.c[c].out), "<html>hello</html>");
}

static void test_malformed_gets_400_and_close(void) {
  setup();
  int c = memnet_connect(&mn);
  memnet_write_str(&mn, c, "GARBAGE\r\n\r\n");
  poll_n(2);
  CHECK(strncmp(mn.c[c].out, "HTTP/1.1 400 ", 13) == 0);
  CHECK(strstr(mn.c[c].out, "\"code\":\"bad_request\"") != NULL);
  poll_n(300); /* lingers at most 1 s without data */
  CHECK(mn.c[c].server_closed);
  CHECK_EQ_INT(srv.stat_bad_requests, 1);
}

static void test_body_too_large_is_413(void) {
  setup();
  int c = memnet_connect(&mn);
  memnet_write_str(&mn, c, "POST /echo HTTP/1.1\r\nContent-Length: 5000\r\n\r\n");
  poll_n(2);
  CHECK(strncmp(mn.c[c].out, "HTTP/1.1 413 ", 13) == 0);
  CHECK(strstr(mn.c[c].out, "payload_too_large") != NULL);
}

static void test_handler_404(void) {
  setup();
  int c = memnet_connect(&mn);
  memnet_write_str(&mn, c, "GET /nope HTTP/1.1\r\n\r\n");
  poll_n(2);
  CHECK(strncmp(mn.c[c].out, "HTTP/1.1 404 Not Found\r\n", 24) == 0);
  CHECK(strstr(body_of(mn.c[c].out), "\"field\"") == NULL);
}

static void test_streamed_body(void) {
  setup();
  int c = memnet_connect(&mn);
  char req[6000];
  int n = snprintf(req, sizeof(req), "POST /stream HTTP/1.1\r\nContent-Length: 5000\r\n\r\n");
  memset(req + n, 'a', 5000);
  memnet_write(&mn, c, req, (size_t)n + 5000);
  poll_n(10);
  CHECK_EQ_INT(streamed, 5000);
  CHECK_STR(body_of(mn.c[c].out), "{\"got\":5000}");
}

static void test_streamed_body_abort(void) {
  setup();
  int c = memnet_connect(&mn);
  memnet_write_str(&mn, c, "POST /stream HTTP/1.1\r\nContent-Length: 100\r\n\r\naaaaX");
  poll_n(3);
  CHECK(strncmp(mn.c[c].out, "HTTP/1.1 400 ", 13) == 0);
  CHECK(strstr(mn.c[c].out, "invalid_image") != NULL);
  memnet_peer_close(&mn, c);
  poll_n(2);
  CHECK(mn.c[c].server_closed);
  CHECK_EQ_INT(closes, 1);
}

static void test_stream_without_length(void) {
  setup();
  int c = memnet_connect(&mn);
  memnet_write_str(&mn, c, "POST /stream HTTP/1.1\r\n\r\n");
  poll_n(2);
  CHECK(strstr(mn.c[c].out, "length_required") != NULL);
}

static void test_connection_limit_503(void) {
  setup();
  int c[7];
  for (int i = 0; i < 7; i++) c[i] = memnet_connect(&mn);
  for (int i = 0; i < 7; i++) memnet_write_str(&mn, c[i], "GET /slow HTTP/1.1\r\n\r\n");
  poll_n(2);
  /* no slot and no room for another 503: the seventh waits in the backlog, its request intact */
  CHECK_EQ_INT(mn.c[c[6]].out_len, 0);
  CHECK(!mn.c[c[6]].server_closed);
  /* four are held by the handler, the fifth and sixth get 503 */
  for (int i = 0; i < 4; i++) CHECK_EQ_INT(mn.c[c[i]].out_len, 0);
  for (int i = 4; i < 6; i++) {
    CHECK(strncmp(mn.c[c[i]].out, "HTTP/1.1 503 ", 13) == 0);
    CHECK(strstr(mn.c[c[i]].out, "Retry-After: 2") != NULL);
    CHECK(strstr(mn.c[c[i]].out, "\"busy\"") != NULL);
    /* answered, then drained until the client closes: closing with unread data would reset the connection
     * and hide the 503 (the client could not tell that its request did nothing) */
    CHECK(!mn.c[c[i]].server_closed);
    /* the announced length is the body's length */
    const char *cl = strstr(mn.c[c[i]].out, "Content-Length: ");
    CHECK(cl != NULL);
    if (cl) CHECK_EQ_INT(strtol(cl + 16, NULL, 10), strlen(body_of(mn.c[c[i]].out)));
  }
  CHECK_EQ_INT(srv.stat_rejected_busy, 2);
  memnet_write_str(&mn, c[4], "{\"on\":true}"); /* a body after the head is drained too */
  memnet_peer_close(&mn, c[4]);
  poll_n(2);
  CHECK(mn.c[c[4]].server_closed);
  CHECK(!mn.c[c[5]].server_closed);
  poll_n(200); /* a client that never closes: let go after 1 s */
  CHECK(mn.c[c[5]].server_closed);
  CHECK(strncmp(mn.c[c[6]].out, "HTTP/1.1 503 ", 13) == 0); /* taken from the backlog once a 503 was done */
  /* answering a held request frees a slot */
  CHECK(held != NULL);
  http_respond(held, 200, "application/json", "{}", 2, NULL);
  poll_n(2);
  int d = memnet_connect(&mn);
  memnet_write_str(&mn, d, "GET /echo HTTP/1.1\r\n\r\n");
  poll_n(3);
  CHECK(strncmp(mn.c[d].out, "HTTP/1.1 200 ", 13) == 0);
}

static void test_incomplete_request_times_out_408(void) {
  setup();
  int c = memnet_connect(&mn);
  int idle = memnet_connect(&mn);
  memnet_write_str(&mn, c, "GET /echo HTTP/1.1\r\nHost: x");
  poll_n(10);
  CHECK_EQ_INT(mn.c[c].out_len, 0);
  now += HTTP_REQUEST_TIMEOUT_MS;
  poll_n(300);
  CHECK(strncmp(mn.c[c].out, "HTTP/1.1 408 ", 13) == 0);
  CHECK(mn.c[c].server_closed);
  CHECK_EQ_INT(mn.c[idle].out_len, 0); /* never said anything: closed silently */
  CHECK(mn.c[idle].server_closed);
}

static void test_sse_stream(void) {
  setup();
  int c = memnet_connect(&mn);
  memnet_write_str(&mn, c, "GET /events HTTP/1.1\r\nAccept: text/event-stream\r\n\r\n");
  poll_n(2);
  CHECK(strstr(mn.c[c].out, "Content-Type: text/event-stream\r\n") != NULL);
  CHECK(strstr(mn.c[c].out, "Transfer-Encoding: chunked\r\n") != NULL);
  CHECK(strstr(mn.c[c].out, "\r\n\r\n1c\r\nevent: state\ndata: {\"a\":1}\n\n\r\n") != NULL);
  CHECK_EQ_INT(http_sse_count(&srv), 1);
  CHECK_EQ_INT(http_sse_broadcast(&srv, "button", "{\"action\":\"single\"}", 19), 1);
  poll_n(1);
  CHECK(strstr(mn.c[c].out, "event: button\ndata: {\"action\":\"single\"}\n\n") != NULL);
  CHECK(!http_sse_send(&conns[0], "x", "a\nb", 3)); /* newline in data refused */
  size_t before = mn.c[c].out_len;
  now += HTTP_SSE_KEEPALIVE_MS;
  poll_n(1);
  CHECK(strstr(mn.c[c].out + before, ": keepalive\n\n") != NULL);
  CHECK(!mn.c[c].server_closed);
  memnet_peer_close(&mn, c);
  poll_n(1);
  CHECK(mn.c[c].server_closed);
  CHECK_EQ_INT(http_sse_count(&srv), 0);
}

static void test_sse_limit(void) {
  setup();
  int c[3];
  for (int i = 0; i < 3; i++) {
    c[i] = memnet_connect(&mn);
    memnet_write_str(&mn, c[i], "GET /events HTTP/1.1\r\n\r\n");
  }
  poll_n(2);
  CHECK_EQ_INT(http_sse_count(&srv), 2);
  CHECK(strncmp(mn.c[c[2]].out, "HTTP/1.1 503 ", 13) == 0);
}

static void test_sse_slow_client_dropped(void) {
  setup();
  int c = memnet_connect(&mn);
  memnet_write_str(&mn, c, "GET /events HTTP/1.1\r\n\r\n");
  poll_n(2);
  mn.c[c].send_budget = 1;
  char big[400];
  memset(big, 'x', sizeof(big));
  int ok = 0;
  for (int i = 0; i < 20; i++) ok += http_sse_send(&conns[0], "state", big, sizeof(big));
  CHECK(ok < 20);
  poll_n(2);
  CHECK(mn.c[c].server_closed);
}

static void test_slow_heads_are_evicted_for_a_new_client(void) {
  setup();
  int slow[4];
  for (int i = 0; i < 4; i++) {
    slow[i] = memnet_connect(&mn);
    mn.c[slow[i]].peer_ipv4 = 0x0a000010u + (uint32_t)i;
    memnet_write_str(&mn, slow[i], "GET /echo HTTP/1.1\r\nX-a: 1\r\n");
    poll_n(2); /* one after the other: slow[0] is the oldest */
  }
  int ok = memnet_connect(&mn);
  mn.c[ok].peer_ipv4 = 0x0a000099u;
  memnet_write_str(&mn, ok, "GET /echo HTTP/1.1\r\n\r\n");
  poll_n(3);
  CHECK(strncmp(mn.c[ok].out, "HTTP/1.1 200 ", 13) == 0);
  CHECK(mn.c[slow[0]].server_closed);
  for (int i = 1; i < 4; i++) CHECK(!mn.c[slow[i]].server_closed);
  CHECK_EQ_INT(srv.stat_evicted, 1);
  CHECK_EQ_INT(srv.stat_rejected_busy, 0);
}

static void test_requests_being_answered_are_never_evicted(void) {
  setup();
  int c[4];
  for (int i = 0; i < 4; i++) {
    c[i] = memnet_connect(&mn);
    mn.c[c[i]].peer_ipv4 = 0x0a000010u + (uint32_t)i;
    memnet_write_str(&mn, c[i], "GET /slow HTTP/1.1\r\n\r\n"); /* whole requests, held by the handler */
  }
  poll_n(2);
  int late = memnet_connect(&mn);
  memnet_write_str(&mn, late, "GET /echo HTTP/1.1\r\n\r\n");
  poll_n(3);
  CHECK(strncmp(mn.c[late].out, "HTTP/1.1 503 ", 13) == 0);
  for (int i = 0; i < 4; i++) CHECK(!mn.c[c[i]].server_closed);
}

static void test_one_source_cannot_take_every_slot(void) {
  setup();
  int mine[5];
  for (int i = 0; i < 5; i++) {
    mine[i] = memnet_connect(&mn);
    mn.c[mine[i]].peer_ipv4 = 0x0a000002u;
    memnet_write_str(&mn, mine[i], "GET /echo HTTP/1.1\r\nX-a: 1\r\n");
    poll_n(2);
  }
  /* three slots at most: each new one from that source evicts its own oldest head */
  size_t open = 0;
  for (int i = 0; i < 5; i++) open += !mn.c[mine[i]].server_closed;
  CHECK_EQ_INT(open, HTTP_PER_SOURCE_MAX(4));
  CHECK(mn.c[mine[0]].server_closed);
  CHECK(mn.c[mine[1]].server_closed);
  int other = memnet_connect(&mn);
  mn.c[other].peer_ipv4 = 0x0a000003u;
  memnet_write_str(&mn, other, "GET /echo HTTP/1.1\r\n\r\n");
  poll_n(3);
  CHECK(strncmp(mn.c[other].out, "HTTP/1.1 200 ", 13) == 0);
}

static void test_silent_connections_keep_their_slot_for_a_second(void) {
  setup();
  int idle[4];
  for (int i = 0; i < 4; i++) {
    idle[i] = memnet_connect(&mn);
    mn.c[idle[i]].peer_ipv4 = 0x0a000010u + (uint32_t)i;
  }
  poll_n(3);
  int early = memnet_connect(&mn);
  memnet_write_str(&mn, early, "GET /echo HTTP/1.1\r\n\r\n");
  poll_n(3);
  CHECK(strncmp(mn.c[early].out, "HTTP/1.1 503 ", 13) == 0); /* their heads may still be on the way */
  now += HTTP_IDLE_EVICT_MS;
  int late = memnet_connect(&mn);
  memnet_write_str(&mn, late, "GET /echo HTTP/1.1\r\n\r\n");
  poll_n(3);
  CHECK(strncmp(mn.c[late].out, "HTTP/1.1 200 ", 13) == 0);
  CHECK(mn.c[idle[0]].server_closed);
}

static void test_head_deadline(void) {
  setup();
  int c = memnet_connect(&mn);
  memnet_write_str(&mn, c, "GET /echo HTTP/1.1\r\nX-a: 1\r\n");
  poll_n(2);
  now += HTTP_HEAD_TIMEOUT_MS;
  poll_n(2);
  CHECK(strncmp(mn.c[c].out, "HTTP/1.1 408 ", 13) == 0);
}

static void test_deferred_request_keeps_its_body(void) {
  setup();
  defers = 2;
  int c = memnet_connect(&mn);
  memnet_write_str(&mn, c, "POST /defer HTTP/1.1\r\nContent-Length: 11\r\n\r\n{\"on\":true}");
  poll_n(2);
  CHECK_EQ_INT(mn.c[c].out_len, 0);
  poll_n(50); /* 2 x 100 ms */
  CHECK(strncmp(mn.c[c].out, "HTTP/1.1 200 ", 13) == 0);
  CHECK_STR(body_of(mn.c[c].out), "{\"on\":true}");
}

static void test_trickled_upload_times_out(void) {
  setup();
  int c = memnet_connect(&mn);
  memnet_write_str(&mn, c, "POST /stream HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n");
  poll_n(2);
  char chunk[100];
  memset(chunk, 'a', sizeof(chunk));
  /* 100 bytes a second: never idle for 30 s, but far below the minimum rate */
  for (int s = 0; s < 60 && mn.c[c].out_len == 0; s++) {
    memnet_write(&mn, c, chunk, sizeof(chunk));
    now += 1000;
    poll_n(1);
  }
  CHECK(strncmp(mn.c[c].out, "HTTP/1.1 408 ", 13) == 0);
  CHECK(strstr(mn.c[c].out, "too slow") != NULL);
  CHECK(streamed < 10000);
}

/* §7: a request refused at once costs its sender nothing it can keep. Answered connections that the
 * peer never closes (or that trickle an announced body) give up their slot to a newcomer. */
static void test_answered_connections_give_up_their_slot(void) {
  setup();
  int sse = memnet_connect(&mn);
  mn.c[sse].peer_ipv4 = 0x0a000001u;
  memnet_write_str(&mn, sse, "GET /events HTTP/1.1\r\n\r\n");
  poll_n(2);
  int refused[3];
  for (int i = 0; i < 3; i++) {
    refused[i] = memnet_connect(&mn);
    mn.c[refused[i]].peer_ipv4 = 0x0a000002u;
    memnet_write_str(&mn, refused[i], i == 0 ? "GET /nope HTTP/1.1\r\n\r\n"
                                             : "POST /nope HTTP/1.1\r\nContent-Length: 2000\r\n\r\na");
    poll_n(2);
    CHECK(strncmp(mn.c[refused[i]].out, "HTTP/1.1 404 ", 13) == 0);
  }
  for (int k = 0; k < 4; k++) { /* the body keeps trickling: none of them is idle */
    memnet_write_str(&mn, refused[1], "b");
    memnet_write_str(&mn, refused[2], "b");
    poll_n(1);
  }
  for (int i = 0; i < 3; i++) CHECK(!mn.c[refused[i]].server_closed);
  int owner = memnet_connect(&mn);
  mn.c[owner].peer_ipv4 = 0x0a000001u;
  memnet_write_str(&mn, owner, "POST /echo HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
  poll_n(3);
  CHECK(strncmp(mn.c[owner].out, "HTTP/1.1 200 ", 13) == 0);
  CHECK(mn.c[refused[0]].server_closed); /* the oldest answered one */
  CHECK(!mn.c[sse].server_closed);
  CHECK_EQ_INT(srv.stat_evicted, 1);
  CHECK_EQ_INT(srv.stat_rejected_busy, 0);
}

/* An answered connection goes first, before an older head still in progress, for any source and
 * within one source at its limit. */
static void test_answered_connections_are_evicted_before_heads(void) {
  setup();
  int c[4];
  for (int i = 0; i < 4; i++) {
    c[i] = memnet_connect(&mn);
    mn.c[c[i]].peer_ipv4 = 0x0a000010u + (uint32_t)i;
    memnet_write_str(&mn, c[i], i == 2 ? "POST /nope HTTP/1.1\r\nContent-Length: 2000\r\n\r\n"
                                       : "GET /echo HTTP/1.1\r\nX-a: 1\r\n");
    poll_n(2);
  }
  int quick = memnet_connect(&mn);
  mn.c[quick].peer_ipv4 = 0x0a000099u;
  memnet_write_str(&mn, quick, "GET /echo HTTP/1.1\r\n\r\n");
  poll_n(3);
  CHECK(strncmp(mn.c[quick].out, "HTTP/1.1 200 ", 13) == 0);
  CHECK(mn.c[c[2]].server_closed);
  CHECK(!mn.c[c[0]].server_closed);

  setup();
  int mine[4];
  for (int i = 0; i < 4; i++) {
    mine[i] = memnet_connect(&mn);
    mn.c[mine[i]].peer_ipv4 = 0x0a000002u;
    memnet_write_str(&mn, mine[i], i == 1 ? "GET /nope HTTP/1.1\r\n\r\n" : "GET /echo HTTP/1.1\r\nX-a: 1\r\n");
    poll_n(2);
  }
  CHECK(mn.c[mine[1]].server_closed); /* at its limit, the source lost its answered one, not its oldest head */
  CHECK(!mn.c[mine[0]].server_closed);
  CHECK(!mn.c[mine[2]].server_closed);
  CHECK(!mn.c[mine[3]].server_closed);
}

int main(void) {
  RUN(test_answered_connections_give_up_their_slot);
  RUN(test_answered_connections_are_evicted_before_heads);
  RUN(test_slow_heads_are_evicted_for_a_new_client);
  RUN(test_requests_being_answered_are_never_evicted);
  RUN(test_one_source_cannot_take_every_slot);
  RUN(test_silent_connections_keep_their_slot_for_a_second);
  RUN(test_head_deadline);
  RUN(test_deferred_request_keeps_its_body);
  RUN(test_trickled_upload_times_out);
  RUN(test_echo_with_body);
  RUN(test_expect_continue);
  RUN(test_body_in_small_pieces_and_slow_send);
  RUN(test_static_body);
  RUN(test_malformed_gets_400_and_close);
  RUN(test_body_too_large_is_413);
  RUN(test_handler_404);
  RUN(test_streamed_body);
  RUN(test_streamed_body_abort);
  RUN(test_stream_without_length);
  RUN(test_connection_limit_503);
  RUN(test_incomplete_request_times_out_408);
  RUN(test_sse_stream);
  RUN(test_sse_limit);
  RUN(test_sse_slow_client_dropped);
  return unit_report();
}
