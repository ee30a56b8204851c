/* Request-head parser: the limits and refusals of docs/protocol.md §5.1. */
#include <stdio.h>
#include <string.h>

#include "http/http_parser.h"
#include "unit.h"

static http_parse_result_t parse_all(http_parser_t *p, const char *s, size_t *consumed) {
  http_parser_init(p);
  return http_parser_feed(p, (const uint8_t *)s, strlen(s), consumed);
}

static void test_simple_get(void) {
  http_parser_t p;
  size_t used = 0;
  const char *req = "GET /api/v1/info?x=1 HTTP/1.1\r\nHost: plug\r\nAccept: text/event-stream\r\n\r\nBODY";
  CHECK_EQ_INT(parse_all(&p, req, &used), HTTP_PARSE_DONE);
  CHECK_EQ_INT(used, strlen(req) - 4);
  CHECK_EQ_INT(p.req.method, HTTP_M_GET);
  CHECK_STR(p.req.path, "/api/v1/info");
  CHECK(p.req.has_query);
  CHECK(p.req.accept_event_stream);
  CHECK(!p.req.has_content_length);
  CHECK_EQ_INT(p.req.version_minor, 1);
  CHECK_EQ_INT(p.req.header_count, 2);
}

static void test_byte_by_byte_equals_whole(void) {
  const char *req = "PATCH /api/v1/config HTTP/1.1\r\nContent-Length: 17\r\nAuthorization: Bearer abc\r\n\r\n";
  http_parser_t p;
  http_parser_init(&p);
  http_parse_result_t r = HTTP_PARSE_MORE;
  size_t n = strlen(req), i = 0;
  while (i < n && r == HTTP_PARSE_MORE) {
    size_t used = 0;
    r = http_parser_feed(&p, (const uint8_t *)req + i, 1, &used);
    CHECK_EQ_INT(used, 1);
    i += used;
  }
  CHECK_EQ_INT(r, HTTP_PARSE_DONE);
  CHECK_EQ_INT(i, n);
  CHECK_EQ_INT(p.req.method, HTTP_M_PATCH);
  CHECK(p.req.has_content_length);
  CHECK_EQ_INT(p.req.content_length, 17);
  CHECK_STR(p.req.authorization, "Bearer abc");
}

static void test_bare_lf_and_leading_empty_lines(void) {
  http_parser_t p;
  size_t used;
  CHECK_EQ_INT(parse_all(&p, "\r\n\nPOST /x HTTP/1.0\ncontent-length:  5 \n\n", &used), HTTP_PARSE_DONE);
  CHECK_EQ_INT(p.req.content_length, 5);
  CHECK_EQ_INT(p.req.version_minor, 0);
}

static void expect_error(const char *req, int status) {
  http_parser_t p;
  size_t used;
  http_parse_result_t r = parse_all(&p, req, &used);
  if (r != HTTP_PARSE_ERROR) printf("  not refused: %s\n", req);
  CHECK_EQ_INT(r, HTTP_PARSE_ERROR);
  CHECK_EQ_INT(p.error_status, status);
  CHECK(p.error_message != NULL);
  /* sticky: further bytes change nothing */
  CHECK_EQ_INT(http_parser_feed(&p, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18, &used), HTTP_PARSE_ERROR);
  CHECK_EQ_INT(used, 0);
}

static void test_malformed_request_lines(void) {
  expect_error("GET\r\n\r\n", 400);
  expect_error("GET /\r\n\r\n", 400);
  expect_error("GET  / HTTP/1.1\r\n\r\n", 400);
  expect_error("GET / HTTP/2.0\r\n\r\n", 400);
  expect_error("GET / HTTP/1.1 extra\r\n\r\n", 400);
  expect_error("GET http://x/ HTTP/1.1\r\n\r\n", 400);
  expect_error("G(T / HTTP/1.1\r\n\r\n", 400);
  expect_error("GET /a\x01 HTTP/1.1\r\n\r\n", 400);
  expect_error("GET / HTTP/1.1\r\rHost: x\r\n\r\n", 400);
}

static void test_malformed_headers(void) {
  expect_error("GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400);
  expect_error("GET / HTTP/1.1\r\n: empty name\r\n\r\n", 400);
  expect_error("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400);
  expect_error("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400);
  expect_error("GET / HTTP/1.1\r\nContent-Length: 12a\r\n\r\n", 400);
  expect_error("GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400);
  expect_error("GET / HTTP/1.1\r\nContent-Length:\r\n\r\n", 400);
  expect_error("GET / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", 400);
  expect_error("GET / HTTP/1.1\r\nContent-Length: 9999999999\r\n\r\n", 413);
  expect_error("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400);
  expect_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
  expect_error("GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n", 400);
  expect_error("POST / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n", 400);
}

static void test_limits(void) {
  char buf[2048];
  /* request line: 256 bytes is the limit */
  int n = snprintf(buf, sizeof(buf), "GET /");
  while (n < 256 - 9) buf[n++] = 'a';
  memcpy(buf + n, " HTTP/1.1\r\n\r\n", 14);
  http_parser_t p;
  size_t used;
  CHECK_EQ_INT(parse_all(&p, buf, &used), HTTP_PARSE_ERROR); /* path > HTTP_PATH_MAX */
  memset(buf, 0, sizeof(buf));
  n = snprintf(buf, sizeof(buf), "GET /");
  while (n < 300) buf[n++] = 'a';
  memcpy(buf + n, " HTTP/1.1\r\n\r\n", 14);
  expect_error(buf, 400);
  /* header line: 512 ok, 513 not */
  memset(buf, 0, sizeof(buf));
  n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nX: ");
  int start = 16;
  while (n - start < 512) buf[n++] = 'v';
  memcpy(buf + n, "\r\n\r\n", 5);
  CHECK_EQ_INT(parse_all(&p, buf, &used), HTTP_PARSE_DONE);
  buf[n] = 'v';
  memcpy(buf + n + 1, "\r\n\r\n", 5);
  expect_error(buf, 400);
  /* 24 headers ok, 25 not */
  memset(buf, 0, sizeof(buf));
  n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n");
  for (int i = 0; i < 24; i++) n += snprintf(buf + n, sizeof(buf) - (size_t)n, "H%d: v\r\n", i);
  snprintf(buf + n, sizeof(buf) - (size_t)n, "\r\n");
  CHECK_EQ_INT(parse_all(&p, buf, &used), HTTP_PARSE_DONE);
  snprintf(buf + n, sizeof(buf) - (size_t)n, "H24: v\r\n\r\n");
  expect_error(buf, 400);
}

static void test_long_authorization_is_kept_as_invalid(void) {
  char buf[1024];
  int n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nAuthorization: Bearer ");
  while (n < 400) buf[n++] = 'x';
  memcpy(buf + n, "\r\n\r\n", 5);
  http_parser_t p;
  size_t used;
  CHECK_EQ_INT(parse_all(&p, buf, &used), HTTP_PARSE_DONE);
  CHECK(p.req.authorization_too_long);
  CHECK_STR(p.req.authorization, "");
}

static void test_methods(void) {
  http_parser_t p;
  size_t used;
  CHECK_EQ_INT(parse_all(&p, "BREW /pot HTTP/1.1\r\n\r\n", &used), HTTP_PARSE_DONE);
  CHECK_EQ_INT(p.req.method, HTTP_M_UNKNOWN);
  CHECK_EQ_INT(parse_all(&p, "DELETE /x HTTP/1.1\r\n\r\n", &used), HTTP_PARSE_DONE);
  CHECK_EQ_INT(p.req.method, HTTP_M_DELETE);
  CHECK_STR(http_method_name(HTTP_M_PATCH), "PATCH");
}

int main(void) {
  RUN(test_simple_get);
  RUN(test_byte_by_byte_equals_whole);
  RUN(test_bare_lf_and_leading_empty_lines);
  RUN(test_malformed_request_lines);
  RUN(test_malformed_headers);
  RUN(test_limits);
  RUN(test_long_authorization_is_kept_as_invalid);
  RUN(test_methods);
  return unit_report();
}
