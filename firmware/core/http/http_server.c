/* http_server.c — see http_server.h. */
#include "http/http_server.h"

#include <stdio.h>
#include <string.h>

#include "json/json.h"

/* Built once at the first reject: the Content-Length comes from the body, never typed by hand. */
#define BUSY_BODY "{\"error\":{\"code\":\"busy\",\"message\":\"too many connections, retry in a moment\"}}"
static char BUSY_RESPONSE[256];
static size_t busy_len;

static void busy_response_init(void) {
  if (busy_len) return;
  int n = snprintf(BUSY_RESPONSE, sizeof(BUSY_RESPONSE),
                   "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 2\r\n"
                   "Connection: close\r\nContent-Length: %u\r\n\r\n%s",
                   (unsigned)(sizeof(BUSY_BODY) - 1), BUSY_BODY);
  busy_len = n > 0 && (size_t)n < sizeof(BUSY_RESPONSE) ? (size_t)n : 0;
}

const char *http_status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 421: return "Misdirected Request";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

static void conn_reset(http_conn_t *c) {
  c->state = HTTP_CONN_FREE;
  c->handle = -1;
  c->peer_ipv4 = c->local_ipv4 = 0;
  c->fresh = false;
  c->defer_until_ms = c->deferred_since_ms = 0;
  c->stash_len = 0;
  c->body_len = 0;
  c->tx_off = c->tx_len = 0;
  c->ext = NULL;
  c->ext_len = 0;
  c->close_after_send = false;
  c->linger = false;
  c->handler_seen = false;
  c->user = NULL;
}

void http_server_init(http_server_t *s, const http_net_t *net, const http_handler_t *handler,
                      http_conn_t *conns, size_t conn_count, size_t sse_max) {
  memset(s, 0, sizeof(*s));
  s->net = *net;
  s->handler = *handler;
  s->conns = conns;
  s->conn_count = conn_count;
  s->sse_max = sse_max;
  busy_response_init();
  for (size_t i = 0; i < conn_count; i++) conn_reset(&conns[i]);
  for (size_t i = 0; i < HTTP_REJECTS_MAX; i++) s->rejects[i].handle = -1;
}

static void conn_close(http_server_t *s, http_conn_t *c) {
  if (c->state == HTTP_CONN_FREE) return;
  if (c->handler_seen && s->handler.on_close) s->handler.on_close(s->handler.ctx, c);
  s->net.close(s->net.ctx, c->handle);
  conn_reset(c);
}

void http_server_close_all(http_server_t *s) {
  for (size_t i = 0; i < s->conn_count; i++) conn_close(s, &s->conns[i]);
  for (size_t i = 0; i < HTTP_REJECTS_MAX; i++) {
    if (s->rejects[i].handle >= 0) s->net.close(s->net.ctx, s->rejects[i].handle);
    s->rejects[i].handle = -1;
  }
}

/* ---- responses ---------------------------------------------------------------------------------- */

/* Writes the head right in front of the body, which sits at tx[HTTP_TX_HEAD_RESERVE]. */
static void finish_response(http_conn_t *c, int status, const char *ctype, size_t body_len, size_t head_len_total,
                            const char *extra) {
  char head[HTTP_TX_HEAD_RESERVE];
  int n = snprintf(head, sizeof(head),
                   "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %lu\r\nCache-Control: no-store\r\n"
                   "Connection: close\r\n%s\r\n",
                   status, http_status_text(status), ctype ? ctype : "application/json",
                   (unsigned long)head_len_total, extra ? extra : "");
  if (n < 0 || (size_t)n >= sizeof(head)) { /* extra headers too long: drop them, never overflow */
    n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Length: %lu\r\nConnection: close\r\n\r\n", status,
                 http_status_text(status), (unsigned long)head_len_total);
  }
  size_t hl = (size_t)n;
  if (c->state == HTTP_CONN_HEAD || c->state == HTTP_CONN_BODY || c->state == HTTP_CONN_STREAM ||
      c->state == HTTP_CONN_DEFER) {
    c->linger = true;
  }
  memcpy(c->tx + HTTP_TX_HEAD_RESERVE - hl, head, hl);
  c->tx_off = (uint32_t)(HTTP_TX_HEAD_RESERVE - hl);
  c->tx_len = (uint32_t)(hl + body_len);
  c->close_after_send = true;
  c->state = HTTP_CONN_SEND;
}

char *http_body_buffer(http_conn_t *c, size_t *cap) {
  *cap = HTTP_TX_MAX - HTTP_TX_HEAD_RESERVE;
  return (char *)c->tx + HTTP_TX_HEAD_RESERVE;
}

void http_respond_in_place(http_conn_t *c, int status, const char *content_type, size_t len,
                           const char *extra_headers) {
  if (len > HTTP_TX_MAX - HTTP_TX_HEAD_RESERVE) len = 0;
  c->ext = NULL;
  c->ext_len = 0;
  finish_response(c, status, content_type, len, len, extra_headers);
}

bool http_respond(http_conn_t *c, int status, const char *content_type, const void *body, size_t len,
                  const char *extra_headers) {
  if (len > HTTP_TX_MAX - HTTP_TX_HEAD_RESERVE) {
    http_respond_error(c, 500, "internal", "response too large", NULL, NULL);
    return false;
  }
  if (len) memcpy(c->tx + HTTP_TX_HEAD_RESERVE, body, len);
  http_respond_in_place(c, status, content_type, len, extra_headers);
  return true;
}

void http_respond_static(http_conn_t *c, int status, const char *content_type, const void *body, size_t len,
                         const char *extra_headers) {
  finish_response(c, status, content_type, 0, len, extra_headers);
  c->ext = (const uint8_t *)body;
  c->ext_len = (uint32_t)len;
}

void http_respond_error(http_conn_t *c, int status, const char *code, const char *message, const char *field,
                        const char *extra_headers) {
  size_t cap;
  char *out = http_body_buffer(c, &cap);
  jsonw_t w;
  jsonw_init(&w, out, cap);
  jsonw_obj_begin(&w);
  jsonw_key(&w, "error");
  jsonw_obj_begin(&w);
  jsonw_kstr(&w, "code", code);
  jsonw_kstr(&w, "message", message ? message : "");
  if (field) jsonw_kstr(&w, "field", field);
  jsonw_obj_end(&w);
  jsonw_obj_end(&w);
  int32_t n = jsonw_finish(&w);
  if (n < 0) n = 0;
  http_respond_in_place(c, status, "application/json", (size_t)n, extra_headers);
}

/* ---- SSE ---------------------------------------------------------------------------------------- */

size_t http_sse_count(const http_server_t *s) {
  size_t n = 0;
  for (size_t i = 0; i < s->conn_count; i++) n += s->conns[i].state == HTTP_CONN_SSE;
  return n;
}

bool http_sse_start(http_server_t *s, http_conn_t *c) {
  if (http_sse_count(s) >= s->sse_max) {
    http_respond_error(c, 503, "busy", "too many event streams", NULL, "Retry-After: 5\r\n");
    return false;
  }
  static const char head[] =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
      "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  memcpy(c->tx, head, sizeof(head) - 1);
  c->tx_off = 0;
  c->tx_len = sizeof(head) - 1;
  c->ext = NULL;
  c->ext_len = 0;
  c->close_after_send = false;
  c->state = HTTP_CONN_SSE;
  c->last_event_ms = s->now_ms;
  c->last_tx_ms = s->now_ms;
  return true;
}

/* Appends one chunk holding `payload` (already SSE-framed) to the queue. */
static bool sse_queue(http_conn_t *c, const char *a, size_t alen, const char *b, size_t blen, const char *z,
                      size_t zlen) {
  if (c->state != HTTP_CONN_SSE) return false;
  size_t plen = alen + blen + zlen;
  char size_line[12];
  int sl = snprintf(size_line, sizeof(size_line), "%lx\r\n", (unsigned long)plen);
  size_t need = (size_t)sl + plen + 2;
  if (c->tx_off > 0) { /* compact */
    memmove(c->tx, c->tx + c->tx_off, c->tx_len);
    c->tx_off = 0;
  }
  if (c->tx_len + need > HTTP_TX_MAX) return false;
  uint8_t *p = c->tx + c->tx_len;
  memcpy(p, size_line, (size_t)sl);
  p += sl;
  memcpy(p, a, alen);
  p += alen;
  memcpy(p, b, blen);
  p += blen;
  memcpy(p, z, zlen);
  p += zlen;
  memcpy(p, "\r\n", 2);
  c->tx_len += (uint32_t)need;
  return true;
}

bool http_sse_send(http_conn_t *c, const char *event, const char *data, size_t len) {
  if (c->state != HTTP_CONN_SSE) return false;
  /* SSE data lines end at a newline: compact JSON never holds one, but refuse rather than split. */
  if (memchr(data, '\n', len) || memchr(data, '\r', len)) return false;
  char ev[48];
  int el = snprintf(ev, sizeof(ev), "event: %s\ndata: ", event);
  if (el < 0 || (size_t)el >= sizeof(ev)) return false;
  if (!sse_queue(c, ev, (size_t)el, data, len, "\n\n", 2)) {
    c->close_after_send = true; /* slow client: drop it once its queue drains (it cannot catch up) */
    c->tx_len = 0;
    return false;
  }
  return true;
}

size_t http_sse_broadcast(http_server_t *s, const char *event, const char *data, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < s->conn_count; i++) {
    http_conn_t *c = &s->conns[i];
    if (c->state == HTTP_CONN_SSE && !c->close_after_send && http_sse_send(c, event, data, len)) {
      c->last_event_ms = s->now_ms;
      n++;
    }
  }
  return n;
}

/* ---- request handling --------------------------------------------------------------------------- */

static void parse_error(http_server_t *s, http_conn_t *c) {
  s->stat_bad_requests++;
  uint16_t st = c->parser.error_status;
  http_respond_error(c, st, st == 413 ? "payload_too_large" : "bad_request", c->parser.error_message, NULL, NULL);
}

static void dispatch(http_server_t *s, http_conn_t *c) {
  s->stat_requests++;
  c->state = HTTP_CONN_HANDLER;
  s->handler.on_request(s->handler.ctx, c, &c->parser.req, c->body, c->body_len);
}

/* The client waits (curl: up to 1 s) for this before sending its body. 25 bytes into a fresh socket: the
 * send cannot be partial in practice, and if it were the client just sends after its own timeout. */
static void send_continue(http_server_t *s, http_conn_t *c) {
  static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
  if (c->parser.req.expect_continue && c->parser.req.content_length > 0) {
    (void)s->net.send(s->net.ctx, c->handle, cont, sizeof(cont) - 1);
  }
}

static void head_done(http_server_t *s, http_conn_t *c) {
  const http_request_t *r = &c->parser.req;
  c->handler_seen = true;
  http_head_action_t a = s->handler.on_head(s->handler.ctx, c, r);
  if (a == HTTP_HEAD_RESPONDED || c->state == HTTP_CONN_SEND) return;
  if (a == HTTP_HEAD_DEFER) {
    if (c->state != HTTP_CONN_DEFER) c->deferred_since_ms = s->now_ms;
    c->state = HTTP_CONN_DEFER;
    return;
  }
  if (a == HTTP_HEAD_STREAM) {
    if (!r->has_content_length) {
      http_respond_error(c, 400, "length_required", "Content-Length is required", NULL, NULL);
      return;
    }
    c->state = HTTP_CONN_STREAM;
    c->body_len = 0;
    send_continue(s, c);
    if (r->content_length == 0) dispatch(s, c);
    return;
  }
  if (r->content_length > HTTP_BODY_MAX) {
    http_respond_error(c, 413, "payload_too_large", "body larger than 2048 bytes", NULL, NULL);
    return;
  }
  c->body_len = 0;
  if (!r->has_content_length || r->content_length == 0) {
    dispatch(s, c);
  } else {
    c->state = HTTP_CONN_BODY;
    send_continue(s, c);
  }
}

/* Feeds received bytes into the state machine. */
static void consume(http_server_t *s, http_conn_t *c, const uint8_t *data, size_t len) {
  while (len > 0) {
    if (c->state == HTTP_CONN_HEAD) {
      size_t used = 0;
      http_parse_result_t r = http_parser_feed(&c->parser, data, len, &used);
      data += used;
      len -= used;
      if (r == HTTP_PARSE_ERROR) {
        parse_error(s, c);
        return;
      }
      if (r == HTTP_PARSE_DONE) {
        head_done(s, c);
        if (c->state == HTTP_CONN_DEFER) { /* keep what came with the head; the rest stays in the socket */
          size_t keep = len < HTTP_BODY_MAX ? len : HTTP_BODY_MAX;
          memcpy(c->body, data, keep);
          c->stash_len = (uint16_t)keep;
          return;
        }
      }
    } else if (c->state == HTTP_CONN_BODY) {
      uint32_t want = c->parser.req.content_length - c->body_len;
      size_t take = len < want ? len : want;
      memcpy(c->body + c->body_len, data, take);
      c->body_len += (uint32_t)take;
      data += take;
      len -= take;
      if (c->body_len == c->parser.req.content_length) dispatch(s, c);
    } else if (c->state == HTTP_CONN_STREAM) {
      uint32_t want = c->parser.req.content_length - c->body_len;
      size_t take = len < want ? len : want;
      c->body_len += (uint32_t)take;
      bool ok = s->handler.on_body(s->handler.ctx, c, data, take);
      data += take;
      len -= take;
      if (!ok) {
        if (c->state != HTTP_CONN_SEND) http_respond_error(c, 400, "bad_request", "upload refused", NULL, NULL);
        return;
      }
      if (c->body_len == c->parser.req.content_length) dispatch(s, c);
    } else {
      return; /* bytes after the request (pipelining, or a client talking into an SSE stream): ignored */
    }
  }
}

static void conn_read(http_server_t *s, http_conn_t *c) {
  uint8_t buf[512];
  c->fresh = false;
  if (c->state == HTTP_CONN_DEFER) return; /* its body waits in the socket */
  for (int rounds = 0; rounds < 8; rounds++) {
    bool reading = c->state == HTTP_CONN_HEAD || c->state == HTTP_CONN_BODY || c->state == HTTP_CONN_STREAM;
    int n = s->net.recv(s->net.ctx, c->handle, buf, sizeof(buf));
    if (n < 0) { /* peer closed or error */
      if (c->state == HTTP_CONN_SEND && (c->tx_len > 0 || c->ext_len > 0)) {
        /* a half-closed client may still read our answer; keep sending */
        return;
      }
      conn_close(s, c);
      return;
    }
    if (n == 0) return;
    c->last_rx_ms = s->now_ms;
    if (reading) consume(s, c, buf, (size_t)n);
  }
}

static void conn_write(http_server_t *s, http_conn_t *c) {
  while (c->tx_len > 0 || c->ext_len > 0) {
    const uint8_t *p = c->tx_len > 0 ? c->tx + c->tx_off : c->ext;
    uint32_t len = c->tx_len > 0 ? c->tx_len : c->ext_len;
    int n = s->net.send(s->net.ctx, c->handle, p, len);
    if (n < 0) {
      conn_close(s, c);
      return;
    }
    if (n == 0) break;
    c->last_tx_ms = s->now_ms;
    if (c->tx_len > 0) {
      c->tx_off += (uint32_t)n;
      c->tx_len -= (uint32_t)n;
      if (c->tx_len == 0) c->tx_off = 0;
    } else {
      c->ext += n;
      c->ext_len -= (uint32_t)n;
    }
  }
  if (c->tx_len == 0 && c->ext_len == 0) {
    c->last_tx_ms = s->now_ms;
    if (c->close_after_send && c->state == HTTP_CONN_SEND && c->linger) {
      c->state = HTTP_CONN_LINGER; /* read and drop the rest, so closing does not reset the answer */
      c->last_rx_ms = s->now_ms;
    } else if (c->close_after_send && c->state != HTTP_CONN_LINGER) {
      conn_close(s, c);
    }
  }
}

static void conn_timeouts(http_server_t *s, http_conn_t *c) {
  uint64_t now = s->now_ms;
  switch (c->state) {
    case HTTP_CONN_HEAD:
    case HTTP_CONN_BODY:
      if (now - c->started_ms >= (c->state == HTTP_CONN_HEAD ? HTTP_HEAD_TIMEOUT_MS : HTTP_REQUEST_TIMEOUT_MS)) {
        s->stat_timeouts++;
        bool got_any = c->state == HTTP_CONN_BODY || c->parser.line_len > 0 || c->parser.got_request_line;
        if (got_any) {
          http_respond_error(c, 408, "timeout", "request not received in time", NULL, NULL);
        } else {
          conn_close(s, c); /* an idle connection: nothing to answer */
        }
      }
      break;
    case HTTP_CONN_STREAM: {
      uint64_t took = now - c->started_ms;
      uint64_t due = HTTP_STREAM_GRACE_MS + (uint64_t)c->body_len * 1000u / HTTP_STREAM_MIN_BYTES_PER_S;
      if (now - c->last_rx_ms >= HTTP_STREAM_IDLE_TIMEOUT_MS) {
        s->stat_timeouts++;
        http_respond_error(c, 408, "timeout", "upload stalled", NULL, NULL);
      } else if (took >= HTTP_STREAM_MAX_MS || took > due) {
        s->stat_timeouts++;
        http_respond_error(c, 408, "timeout", "upload too slow", NULL, NULL);
      }
      break;
    }
    case HTTP_CONN_DEFER:
      if (now - c->deferred_since_ms >= HTTP_DEFER_MAX_MS) {
        http_respond_error(c, 503, "busy", "request held too long, retry", NULL, "Retry-After: 5\r\n");
      } else if (now >= c->defer_until_ms) {
        uint8_t stash[512];
        size_t n = c->stash_len < sizeof(stash) ? c->stash_len : sizeof(stash);
        memcpy(stash, c->body, n);
        c->stash_len = 0;
        head_done(s, c);
        if (c->state == HTTP_CONN_DEFER) { /* held again: keep the stash */
          memcpy(c->body, stash, n);
          c->stash_len = (uint16_t)n;
        } else if (c->state == HTTP_CONN_BODY || c->state == HTTP_CONN_STREAM) {
          consume(s, c, stash, n);
          if (c->state == HTTP_CONN_BODY || c->state == HTTP_CONN_STREAM) conn_read(s, c);
        }
      }
      break;
    case HTTP_CONN_HANDLER:
      if (now - c->started_ms >= HTTP_REQUEST_TIMEOUT_MS + HTTP_STREAM_IDLE_TIMEOUT_MS) {
        http_respond_error(c, 500, "internal", "no answer from handler", NULL, NULL);
      }
      break;
    case HTTP_CONN_SEND:
      if (now - c->last_tx_ms >= HTTP_SEND_STALL_MS) conn_close(s, c);
      break;
    case HTTP_CONN_LINGER:
      if (now - c->last_rx_ms >= 1000 || now - c->last_tx_ms >= HTTP_REQUEST_TIMEOUT_MS) conn_close(s, c);
      break;
    case HTTP_CONN_SSE:
      if (c->tx_len > 0 && now - c->last_tx_ms >= HTTP_SEND_STALL_MS) {
        conn_close(s, c);
      } else if (now - c->last_event_ms >= HTTP_SSE_KEEPALIVE_MS && !c->close_after_send) {
        if (!sse_queue(c, ": keepalive\n\n", 13, "", 0, "", 0)) c->close_after_send = true;
        c->last_event_ms = now;
      }
      break;
    default:
      break;
  }
}

/* Reads what a refused client sent; true when it closed. */
static bool drain_reject(http_server_t *s, http_reject_t *r, bool stop_at_head) {
  uint8_t buf[256];
  for (int k = 0; k < 4; k++) {
    int n = s->net.recv(s->net.ctx, r->handle, buf, sizeof(buf));
    if (n < 0) return true;
    if (n == 0) return false;
    for (int j = 0; j < n && stop_at_head; j++) {
      r->tail = (r->tail << 8) | buf[j];
      if (r->tail == 0x0d0a0d0au) return false;
    }
  }
  return false;
}

static void close_reject(http_server_t *s, http_reject_t *r) {
  s->net.close(s->net.ctx, r->handle);
  r->handle = -1;
}

/* Closing a socket with unread data makes the kernel send RST, and the client would see "connection reset"
 * or a broken pipe instead of our 503 — and could not know that its request did nothing (§5.1). So the head
 * is read before answering, and after the answer whatever else arrives (a request body) is drained until the
 * client closes, at most REJECT_LINGER_MS. */
#define REJECT_LINGER_MS 1000u

static void serve_rejects(http_server_t *s) {
  for (size_t i = 0; i < HTTP_REJECTS_MAX; i++) {
    http_reject_t *r = &s->rejects[i];
    if (r->handle < 0) continue;
    if (r->answered_ms != 0) {
      if (drain_reject(s, r, false) || s->now_ms - r->answered_ms >= REJECT_LINGER_MS) close_reject(s, r);
      continue;
    }
    bool eof = drain_reject(s, r, true);
    bool head_seen = r->tail == 0x0d0a0d0au;
    if (eof) {
      close_reject(s, r);
    } else if (head_seen || s->now_ms - r->since_ms >= 1000) {
      (void)s->net.send(s->net.ctx, r->handle, BUSY_RESPONSE, busy_len);
      r->answered_ms = s->now_ms ? s->now_ms : 1;
    }
  }
}

/* A connection already answered, only draining the request it was refused on (or waiting for the peer to
 * close): it has nothing left to gain from its slot, so it goes first. Without this a sender refused at once
 * (401 at the head) holds the slot for the linger, up to the request limit while it trickles a body. */
static bool answered(const http_conn_t *c) { return c->state == HTTP_CONN_LINGER; }

/* A connection that has not yet earned its slot: held by the handler, or still sending its head — a head
 * started but not finished (the slow-header attack), or nothing at all for HTTP_IDLE_EVICT_MS. A client that
 * just connected and whose head is still on its way is never the victim. */
static bool evictable(const http_server_t *s, const http_conn_t *c) {
  if (answered(c) || c->state == HTTP_CONN_DEFER) return true;
  if (c->state != HTTP_CONN_HEAD || c->fresh) return false;
  bool started = c->parser.line_len > 0 || c->parser.got_request_line;
  return started || s->now_ms - c->started_ms >= HTTP_IDLE_EVICT_MS;
}

/* The evictable connection to close, of `peer` only when peer != 0: the oldest answered one, else the
 * oldest of the rest. */
static http_conn_t *eviction_victim(http_server_t *s, uint32_t peer) {
  http_conn_t *v = NULL;
  for (size_t i = 0; i < s->conn_count; i++) {
    http_conn_t *c = &s->conns[i];
    if (!evictable(s, c) || (peer != 0 && c->peer_ipv4 != peer)) continue;
    if (v == NULL || (answered(c) && !answered(v)) ||
        (answered(c) == answered(v) && c->started_ms < v->started_ms)) {
      v = c;
    }
  }
  return v;
}

static void evict(http_server_t *s, http_conn_t *c) {
  s->stat_evicted++;
  if (c->state == HTTP_CONN_DEFER) { /* it has a whole request: tell it to come back */
    (void)s->net.send(s->net.ctx, c->handle, BUSY_RESPONSE, busy_len);
  } else if (answered(c)) { /* take what is readable now: closing on unread data resets the sent answer */
    uint8_t buf[256];
    for (int k = 0; k < 4 && s->net.recv(s->net.ctx, c->handle, buf, sizeof(buf)) > 0; k++) {
    }
  }
  conn_close(s, c);
}

/* Whether a connection accepted now gets a slot or at least a proper 503. When neither is possible it stays in
 * the listen backlog (the client waits, its request intact) instead of being reset unread. */
static bool can_take(const http_server_t *s) {
  for (size_t i = 0; i < HTTP_REJECTS_MAX; i++)
    if (s->rejects[i].handle < 0) return true;
  for (size_t i = 0; i < s->conn_count; i++)
    if (s->conns[i].state == HTTP_CONN_FREE || evictable(s, &s->conns[i])) return true;
  return false;
}

/* A slot for a new connection from `peer`, evicting if needed; NULL when every slot is earned. */
static http_conn_t *slot_for(http_server_t *s, uint32_t peer) {
  if (peer != 0) {
    size_t mine = 0;
    for (size_t i = 0; i < s->conn_count; i++) mine += s->conns[i].state != HTTP_CONN_FREE && s->conns[i].peer_ipv4 == peer;
    if (mine >= HTTP_PER_SOURCE_MAX(s->conn_count)) {
      http_conn_t *v = eviction_victim(s, peer);
      if (v == NULL) return NULL;
      evict(s, v);
      return v;
    }
  }
  for (size_t i = 0; i < s->conn_count; i++) {
    if (s->conns[i].state == HTTP_CONN_FREE) return &s->conns[i];
  }
  http_conn_t *v = eviction_victim(s, 0);
  if (v != NULL) evict(s, v);
  return v;
}

static void serve_conn(http_server_t *s, http_conn_t *c);

void http_server_poll(http_server_t *s, uint64_t now_ms) {
  s->now_ms = now_ms;
  /* Connections already in hand first: a request that arrived whole is served before any eviction. */
  for (size_t i = 0; i < s->conn_count; i++) {
    if (s->conns[i].state != HTTP_CONN_FREE) serve_conn(s, &s->conns[i]);
  }
  for (int k = 0; k < 4 && can_take(s); k++) { /* bounded accepts per poll */
    int h = s->net.accept(s->net.ctx);
    if (h < 0) break;
    uint32_t peer = s->net.peer_ipv4 ? s->net.peer_ipv4(s->net.ctx, h) : 0;
    http_conn_t *slot = slot_for(s, peer);
    if (slot) {
      conn_reset(slot);
      slot->state = HTTP_CONN_HEAD;
      slot->handle = h;
      slot->peer_ipv4 = peer;
      slot->local_ipv4 = s->net.local_ipv4 ? s->net.local_ipv4(s->net.ctx, h) : 0;
      slot->started_ms = slot->last_rx_ms = slot->last_tx_ms = slot->last_event_ms = now_ms;
      http_parser_init(&slot->parser);
      serve_conn(s, slot); /* a client sends its head with the connection: read it before more accepts */
      slot->fresh = slot->state == HTTP_CONN_HEAD && slot->parser.line_len == 0 && !slot->parser.got_request_line;
      continue;
    }
    s->stat_rejected_busy++;
    http_reject_t *r = NULL;
    for (size_t i = 0; i < HTTP_REJECTS_MAX; i++) {
      if (s->rejects[i].handle < 0) {
        r = &s->rejects[i];
        break;
      }
    }
    if (r) {
      r->handle = h;
      r->since_ms = now_ms;
      r->tail = 0;
      r->answered_ms = 0;
    } else {
      (void)s->net.send(s->net.ctx, h, BUSY_RESPONSE, busy_len);
      s->net.close(s->net.ctx, h);
    }
  }
  serve_rejects(s);
}

static void serve_conn(http_server_t *s, http_conn_t *c) {
  conn_read(s, c);
  if (c->state == HTTP_CONN_FREE) return;
  if (c->tx_len > 0 || c->ext_len > 0 ||
      (c->close_after_send && c->state != HTTP_CONN_HANDLER && c->state != HTTP_CONN_LINGER)) {
    conn_write(s, c);
  }
  if (c->state == HTTP_CONN_FREE) return;
  conn_timeouts(s, c);
  if (c->state != HTTP_CONN_FREE && (c->tx_len > 0 || c->ext_len > 0)) conn_write(s, c);
}
