/* http_server.h — the plug's HTTP/1.1 server: non-blocking, driven by one poll function, no heap.
 *
 * The server owns no socket API: a transport (http_net_t, two handfuls of function pointers) gives it
 * accepted connections and non-blocking recv/send. http_bsd.c is the BSD-sockets transport (Linux and
 * lwIP); the unit tests and the fuzz target use an in-memory one.
 *
 * Slots when the plug is busy (docs/protocol.md §5.1): a new connection that finds no free slot takes the
 * one of a connection already answered (draining what it was refused on) first, else of the oldest one still
 * sending its request head (or held by the handler) — slow-header ("slowloris") clients cannot starve quick
 * ones; one source holds at most HTTP_PER_SOURCE_MAX slots (its own answered one, else its oldest head, is
 * evicted first); the head has its own short deadline; streamed uploads a minimum rate.
 *
 * Connections live in caller-provided slots (http_conn_t[]), each with fixed buffers. One request per
 * connection (the server answers "Connection: close"), except Server-Sent Events streams, which stay
 * open until the client or the server ends them. Limits: docs/protocol.md §5.1.
 *
 * Request flow, all from http_server_poll():
 *   head parsed  -> handler.on_head(): decide BUFFER (body up to HTTP_BODY_MAX, then on_request),
 *                   STREAM (every body piece to on_body as it arrives, then on_request) or answer at once
 *                   (call http_respond*() inside on_head and return HTTP_HEAD_RESPONDED).
 *   body done    -> handler.on_request(): answer with http_respond*() or turn the connection into an SSE
 *                   stream with http_sse_start().
 *   closed       -> handler.on_close() for every connection that reached on_head (aborted uploads).
 */
#ifndef OBL_HTTP_SERVER_H
#define OBL_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http_parser.h"

#ifndef HTTP_BODY_MAX
#define HTTP_BODY_MAX 2048u /* buffered (JSON) request bodies */
#endif
#ifndef HTTP_TX_MAX
#define HTTP_TX_MAX 2560u /* response head + JSON body, or queued SSE events */
#endif
#define HTTP_TX_HEAD_RESERVE 384u /* part of the tx buffer kept in front of the body for the head */
#define HTTP_REQUEST_TIMEOUT_MS 10000u
#define HTTP_HEAD_TIMEOUT_MS 4000u          /* request line and headers: a client sends them at once */
#define HTTP_STREAM_IDLE_TIMEOUT_MS 30000u /* a streamed upload with no byte for this long */
/* A streamed upload must average this rate after a grace period, and never takes longer than the cap:
 * a trickling uploader cannot hold the OTA slot (and a connection) for hours. */
#define HTTP_STREAM_GRACE_MS 30000u
#define HTTP_STREAM_MIN_BYTES_PER_S 2048u
#define HTTP_STREAM_MAX_MS 900000u
#define HTTP_IDLE_EVICT_MS 1000u /* a connection that sent nothing for this long may lose its slot */
#define HTTP_DEFER_MAX_MS 20000u /* a held request (see HTTP_HEAD_DEFER) is answered 503 after this */
#define HTTP_SEND_STALL_MS 5000u           /* a client that takes nothing for this long is dropped */
#define HTTP_SSE_KEEPALIVE_MS 15000u
#define HTTP_REJECTS_MAX 2u                /* connections over the limit waiting for their 503 */

/* ---- transport ---------------------------------------------------------------------------------- */
typedef struct {
  void *ctx;
  /* A newly accepted connection handle (>= 0), or -1 when none is pending. */
  int (*accept)(void *ctx);
  /* > 0 bytes read; 0 nothing available now; < 0 peer closed or error. */
  int (*recv)(void *ctx, int h, void *buf, size_t cap);
  /* >= 0 bytes accepted (0 = try later); < 0 error. */
  int (*send)(void *ctx, int h, const void *buf, size_t len);
  void (*close)(void *ctx, int h);
  /* Optional (NULL: unknown, 0): the IPv4 address (host order) of the peer, and the local address the
   * connection arrived on. Per-source limits and interface checks use them. */
  uint32_t (*peer_ipv4)(void *ctx, int h);
  uint32_t (*local_ipv4)(void *ctx, int h);
} http_net_t;

/* ---- connections -------------------------------------------------------------------------------- */
typedef enum {
  HTTP_CONN_FREE = 0,
  HTTP_CONN_HEAD,    /* reading the request head */
  HTTP_CONN_BODY,    /* reading a buffered body */
  HTTP_CONN_STREAM,  /* reading a streamed body */
  HTTP_CONN_HANDLER, /* waiting for the handler to respond (it did not in on_request) */
  HTTP_CONN_SEND,    /* sending the response, then close */
  HTTP_CONN_SSE,     /* event stream */
  HTTP_CONN_LINGER,  /* answered before the request was read whole: drain it, then close */
  HTTP_CONN_DEFER,   /* head read, the handler holds it until defer_until_ms (body left in the socket) */
} http_conn_state_t;

typedef struct http_conn {
  http_conn_state_t state;
  int handle;
  uint32_t peer_ipv4, local_ipv4; /* 0 when the transport does not say */
  bool fresh;                     /* accepted but not read yet: never evicted */
  uint64_t started_ms, last_rx_ms, last_tx_ms, last_event_ms;
  uint64_t defer_until_ms, deferred_since_ms;
  uint16_t stash_len; /* body bytes read with a deferred head, kept at body[0..) until it resumes */
  http_parser_t parser;
  uint8_t body[HTTP_BODY_MAX];
  uint32_t body_len;       /* buffered bytes, or streamed bytes so far */
  uint8_t tx[HTTP_TX_MAX];
  uint32_t tx_off, tx_len; /* pending bytes are tx[tx_off .. tx_off+tx_len) */
  const uint8_t *ext;      /* optional second segment sent after tx (static bodies) */
  uint32_t ext_len;
  bool close_after_send;
  bool linger;             /* the request was not read whole when the answer was made */
  bool handler_seen;       /* on_head was called: on_close is owed */
  void *user;              /* the application's per-request data */
} http_conn_t;

typedef enum {
  HTTP_HEAD_BUFFER = 0,
  HTTP_HEAD_STREAM = 1,
  HTTP_HEAD_RESPONDED = 2,
  /* Hold the request: set c->defer_until_ms first; on_head is called again for it then (its body, if any,
   * stays unread in the socket meanwhile). */
  HTTP_HEAD_DEFER = 3,
} http_head_action_t;

typedef struct {
  void *ctx;
  http_head_action_t (*on_head)(void *ctx, http_conn_t *c, const http_request_t *req);
  /* STREAM mode only; return false to abort (respond first, the rest of the body is discarded). */
  bool (*on_body)(void *ctx, http_conn_t *c, const uint8_t *data, size_t len);
  void (*on_request)(void *ctx, http_conn_t *c, const http_request_t *req, const uint8_t *body,
                     size_t body_len);
  void (*on_close)(void *ctx, http_conn_t *c);
} http_handler_t;

typedef struct {
  int handle;
  uint64_t since_ms;
  uint32_t tail;        /* last 4 bytes received: "\r\n\r\n" ends the head */
  uint64_t answered_ms; /* 503 sent at; 0 = not yet. Then drained until the client closes (or 1 s) */
} http_reject_t;

typedef struct {
  http_net_t net;
  http_handler_t handler;
  http_conn_t *conns;
  size_t conn_count;
  size_t sse_max;
  http_reject_t rejects[HTTP_REJECTS_MAX];
  uint64_t now_ms;
  /* counters for the status page and tests */
  uint32_t stat_requests, stat_rejected_busy, stat_bad_requests, stat_timeouts, stat_evicted;
} http_server_t;

/* Connections one source address may hold at once: all slots but one, so one address can never take the
 * plug's last slot (a second source always finds one, or an evictable one). */
#define HTTP_PER_SOURCE_MAX(conn_count) ((conn_count) > 1 ? (conn_count) - 1 : 1)

void http_server_init(http_server_t *s, const http_net_t *net, const http_handler_t *handler,
                      http_conn_t *conns, size_t conn_count, size_t sse_max);
/* Accepts, reads, dispatches, sends and times out; never blocks. now_ms: a monotonic clock. */
void http_server_poll(http_server_t *s, uint64_t now_ms);
/* Closes every connection (e.g. the network went down). */
void http_server_close_all(http_server_t *s);

/* ---- responses (from on_head / on_request, or later while the connection is in HANDLER state) ----- */
/* The body is copied; it must fit HTTP_TX_MAX - HTTP_TX_HEAD_RESERVE. extra_headers: "" or lines each
 * ending in "\r\n". Returns false (and answers 500) when it does not fit. */
bool http_respond(http_conn_t *c, int status, const char *content_type, const void *body, size_t len,
                  const char *extra_headers);
/* The body is sent from `body` without copying: it must stay valid (static data). */
void http_respond_static(http_conn_t *c, int status, const char *content_type, const void *body, size_t len,
                         const char *extra_headers);
/* Space to write a body in place: then http_respond_in_place(c, ..., len, ...). */
char *http_body_buffer(http_conn_t *c, size_t *cap);
void http_respond_in_place(http_conn_t *c, int status, const char *content_type, size_t len,
                           const char *extra_headers);
/* {"error":{"code":..., "message":..., "field":...}} with the given status; field may be NULL. */
void http_respond_error(http_conn_t *c, int status, const char *code, const char *message, const char *field,
                        const char *extra_headers);

/* ---- Server-Sent Events ------------------------------------------------------------------------- */
/* Turns the connection into an event stream (sends the response head). false when the SSE limit is
 * reached (the connection then got a 503). */
bool http_sse_start(http_server_t *s, http_conn_t *c);
/* Queues one event on c; false when the client's queue is full (the connection is then closed: the
 * client reconnects and starts from a fresh state event). */
bool http_sse_send(http_conn_t *c, const char *event, const char *data, size_t len);
/* Queues the event on every SSE stream; returns how many took it. */
size_t http_sse_broadcast(http_server_t *s, const char *event, const char *data, size_t len);
size_t http_sse_count(const http_server_t *s);

const char *http_status_text(int status);

#endif
