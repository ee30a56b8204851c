/* http_parser.h — incremental HTTP/1.1 request-head parser with fixed bounds.
 *
 * Bytes arrive in arbitrary pieces; the parser keeps only the current line (HTTP_LINE_MAX bytes) and the
 * few header values the plug acts on, so a request head of any length costs the same RAM. Every limit
 * from docs/protocol.md §5.1 is enforced here; a violation ends parsing with the HTTP status to answer.
 * Pure code: no sockets, no clock, no heap (fuzzed by firmware/fuzz/http/).
 */
#ifndef OBL_HTTP_PARSER_H
#define OBL_HTTP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_REQUEST_LINE_MAX 256u /* method SP target SP version */
#define HTTP_LINE_MAX 512u         /* one header line */
#define HTTP_HEADERS_MAX 24u
#define HTTP_PATH_MAX 128u
#define HTTP_AUTH_MAX 200u /* longer Authorization values are kept as "too long" (never valid) */
#define HTTP_HOST_MAX 96u  /* Host and Origin values kept for the request policy (http_policy.h) */
#define HTTP_CTYPE_MAX 48u /* media type of Content-Type, lower-cased, parameters dropped */

typedef enum {
  HTTP_M_UNKNOWN = 0,
  HTTP_M_GET,
  HTTP_M_HEAD,
  HTTP_M_POST,
  HTTP_M_PUT,
  HTTP_M_PATCH,
  HTTP_M_DELETE,
  HTTP_M_OPTIONS,
} http_method_t;

typedef struct {
  http_method_t method;
  char path[HTTP_PATH_MAX]; /* target without the query string, NUL-terminated */
  bool has_query;
  uint8_t version_minor;    /* HTTP/1.x */
  bool has_content_length;
  uint32_t content_length;
  bool chunked;             /* Transfer-Encoding present (we refuse request bodies sent that way) */
  char authorization[HTTP_AUTH_MAX + 1];
  bool authorization_too_long;
  bool accept_event_stream; /* Accept mentions text/event-stream */
  bool expect_continue;     /* Expect: 100-continue (curl sends it before bodies over 1 KiB) */
  /* Kept for the request policy. A value too long or given twice is kept as "bad" (never allowed). */
  char host[HTTP_HOST_MAX + 1];
  bool has_host, host_bad;
  char origin[HTTP_HOST_MAX + 1];
  bool has_origin, origin_bad;
  char content_type[HTTP_CTYPE_MAX + 1]; /* "" when absent */
  bool content_type_bad;
  bool from_page; /* X-Requested-With present: the plug's own page (no Basic challenge for it) */
  uint16_t header_count;
} http_request_t;

typedef enum {
  HTTP_PARSE_MORE = 0, /* feed more bytes */
  HTTP_PARSE_DONE = 1, /* head complete; remaining bytes are the body */
  HTTP_PARSE_ERROR = 2 /* see http_parser_t.error_status / error_message */
} http_parse_result_t;

typedef struct {
  http_request_t req;
  char line[HTTP_LINE_MAX];
  uint16_t line_len;
  bool got_request_line;
  bool saw_cr; /* the previous byte was CR */
  uint8_t state; /* 0 parsing, 1 done, 2 error */
  uint16_t error_status;
  const char *error_message;
} http_parser_t;

void http_parser_init(http_parser_t *p);

/* Consumes bytes up to and including the blank line that ends the head; *consumed says how many.
 * After DONE or ERROR further calls consume nothing and return the same result. */
http_parse_result_t http_parser_feed(http_parser_t *p, const uint8_t *data, size_t len, size_t *consumed);

const char *http_method_name(http_method_t m);

#endif
