/* Request policy (docs/protocol.md §7): Host, Origin and Content-Type checks against cross-site and
 * DNS-rebinding requests, and the parser keeping those headers. */
#include <string.h>

#include "http/http_policy.h"
#include "unit.h"

static const uint8_t IP[4] = {192, 168, 1, 23};

static http_request_t parse(const char *head) {
  http_parser_t p;
  http_parser_init(&p);
  size_t used = 0;
  http_parse_result_t r = http_parser_feed(&p, (const uint8_t *)head, strlen(head), &used);
  CHECK_EQ_INT(r, HTTP_PARSE_DONE);
  return p.req;
}

static void test_names(void) {
  http_policy_t p;
  http_policy_for_plug(&p, 80, "openbl602-a1b2c3", IP, NULL, false);
  CHECK(http_policy_host_ok(&p, "192.168.1.23"));
  CHECK(http_policy_host_ok(&p, "192.168.1.23:80"));
  CHECK(http_policy_host_ok(&p, "openbl602-a1b2c3.local"));
  CHECK(http_policy_host_ok(&p, "OPENBL602-A1B2C3.LOCAL."));
  CHECK(http_policy_host_ok(&p, "openbl602-a1b2c3"));
  CHECK(!http_policy_host_ok(&p, "192.168.1.23:8080"));
  CHECK(!http_policy_host_ok(&p, "192.168.1.230"));
  CHECK(!http_policy_host_ok(&p, "evil.example"));
  CHECK(!http_policy_host_ok(&p, "openbl602-a1b2c3.local.evil.example"));
  CHECK(!http_policy_host_ok(&p, "localhost")); /* only a loopback plug answers to it */
  CHECK(!http_policy_host_ok(&p, "192.168.4.1")); /* setup AP address only in setup mode */
  CHECK(!http_policy_host_ok(&p, ""));
  CHECK(!http_policy_host_ok(&p, ":80"));
  CHECK(!http_policy_host_ok(&p, "192.168.1.23:"));
  CHECK(!http_policy_host_ok(&p, "192.168.1.23:000080x"));
  CHECK(!http_policy_host_ok(&p, "[::1]:80"));
  http_policy_for_plug(&p, 80, "openbl602-a1b2c3", IP, NULL, true);
  CHECK(http_policy_host_ok(&p, "192.168.4.1"));
  http_policy_for_plug(&p, 18080, "openbl602-sim", (const uint8_t[4]){127, 0, 0, 1}, "127.0.0.1", false);
  CHECK(http_policy_host_ok(&p, "localhost:18080"));
  CHECK(http_policy_host_ok(&p, "127.0.0.1:18080"));
  CHECK(!http_policy_host_ok(&p, "127.0.0.1"));
}

static void test_origin(void) {
  http_policy_t p;
  http_policy_for_plug(&p, 80, "openbl602-a1b2c3", IP, NULL, false);
  CHECK(http_policy_origin_ok(&p, "http://192.168.1.23"));
  CHECK(http_policy_origin_ok(&p, "HTTP://openbl602-a1b2c3.local"));
  CHECK(!http_policy_origin_ok(&p, "https://192.168.1.23"));
  CHECK(!http_policy_origin_ok(&p, "null"));
  CHECK(!http_policy_origin_ok(&p, "http://"));
  CHECK(!http_policy_origin_ok(&p, "http://evil.example"));
  CHECK(!http_policy_origin_ok(&p, "http://192.168.1.23:81"));
  CHECK(!http_policy_origin_ok(&p, "http://192.168.1.23/"));
}

static void test_refusals(void) {
  http_policy_t p;
  http_policy_for_plug(&p, 80, "openbl602-a1b2c3", IP, NULL, false);
  http_refusal_t no;
  http_request_t r = parse("POST /api/v1/relay HTTP/1.1\r\nHost: 192.168.1.23\r\n"
                           "Content-Type: application/json; charset=utf-8\r\n\r\n");
  CHECK(!http_policy_refuse(&p, &r, "application/json", &no));
  r = parse("POST /api/v1/relay HTTP/1.1\r\nHost: 192.168.1.23\r\nContent-Type: text/plain\r\n\r\n");
  CHECK(http_policy_refuse(&p, &r, "application/json", &no));
  CHECK_EQ_INT(no.status, 415);
  CHECK(strcmp(no.code, "unsupported_media_type") == 0);
  CHECK(!http_policy_refuse(&p, &r, NULL, &no)); /* a GET carries no body type check */
  r = parse("POST /api/v1/relay HTTP/1.1\r\nHost: 192.168.1.23\r\n\r\n");
  CHECK(http_policy_refuse(&p, &r, "application/json", &no)); /* no Content-Type at all */
  r = parse("POST / HTTP/1.1\r\nContent-Type: application/json\r\nContent-Type: application/json\r\n\r\n");
  CHECK(http_policy_refuse(&p, &r, "application/json", &no)); /* given twice */
  r = parse("GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n");
  CHECK(http_policy_refuse(&p, &r, NULL, &no));
  CHECK_EQ_INT(no.status, 421);
  r = parse("GET / HTTP/1.1\r\nHost: 192.168.1.23\r\nHost: 192.168.1.23\r\n\r\n");
  CHECK(http_policy_refuse(&p, &r, NULL, &no)); /* two Hosts: never */
  r = parse("GET / HTTP/1.1\r\nHost: 192.168.1.23\r\nOrigin: http://evil.example\r\n\r\n");
  CHECK(http_policy_refuse(&p, &r, NULL, &no));
  CHECK_EQ_INT(no.status, 403);
  r = parse("GET / HTTP/1.1\r\nHost: 192.168.1.23\r\nOrigin: http://192.168.1.23\r\n\r\n");
  CHECK(!http_policy_refuse(&p, &r, NULL, &no));
  r = parse("GET / HTTP/1.0\r\n\r\n"); /* no Host: HTTP/1.0 tools */
  CHECK(!http_policy_refuse(&p, &r, NULL, &no));
  char longhost[200] = "GET / HTTP/1.1\r\nHost: ";
  memset(longhost + strlen(longhost), 'a', 120);
  strcat(longhost, "\r\n\r\n");
  r = parse(longhost);
  CHECK(r.host_bad);
  CHECK(http_policy_refuse(&p, &r, NULL, &no));
  r = parse("GET / HTTP/1.1\r\nX-Requested-With: fetch\r\n\r\n");
  CHECK(r.from_page);
}

static void test_table_bounds(void) {
  http_policy_t p;
  http_policy_init(&p, 80);
  char name[8] = "n0";
  for (int i = 0; i < (int)HTTP_POLICY_NAMES; i++) {
    name[1] = (char)('0' + i);
    CHECK(http_policy_add(&p, name));
  }
  CHECK(!http_policy_add(&p, "one-too-many"));
  CHECK(http_policy_add(&p, "N0")); /* a duplicate needs no room */
  char big[HTTP_POLICY_NAME_MAX + 2];
  memset(big, 'x', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  CHECK(!http_policy_add(&p, big));
}

int main(void) {
  RUN(test_names);
  RUN(test_origin);
  RUN(test_refusals);
  RUN(test_table_bounds);
  return unit_report();
}
