/* http_policy.h — which requests a browser could have been tricked into sending, refused before any
 * handler sees them (docs/protocol.md §7, "Browser-proof API").
 *
 * A web page the owner visits can make the browser send "simple" requests to any address: GET, and POST
 * with a text/plain, urlencoded or multipart body, without a CORS preflight. It can also rebind its own
 * DNS name to the plug's address and so read answers "same-origin". Three checks stop both:
 *   - Host must name the plug (its addresses, openbl602-<id>[.local], the setup AP): a rebound name fails;
 *   - a present Origin must be the plug's own (http://<one of those names>[:port]);
 *   - a body-carrying endpoint gets exactly its media type (application/json, application/octet-stream),
 *     which no simple request can carry.
 * A request without Host is allowed: every browser sends one, HTTP/1.0 tools may not.
 * Pure code: no sockets, no clock (unit tests: firmware/tests/http/http_policy_test.c; fuzzed with the
 * HTTP parser). */
#ifndef OBL_HTTP_POLICY_H
#define OBL_HTTP_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http_parser.h"

#define HTTP_POLICY_NAMES 8u
#define HTTP_POLICY_NAME_MAX 64u
#define HTTP_SETUP_AP_ADDRESS "192.168.4.1" /* docs/protocol.md §9 */

typedef struct {
  char names[HTTP_POLICY_NAMES][HTTP_POLICY_NAME_MAX + 1]; /* lower case, no port */
  size_t count;
  uint16_t port; /* the plug's HTTP port: a Host/Origin port must be this one (none means 80) */
} http_policy_t;

typedef struct {
  int status;
  const char *code;
  const char *message;
} http_refusal_t;

void http_policy_init(http_policy_t *p, uint16_t port);
/* Adds a name (case-insensitive, a trailing dot ignored); false when full or too long. Duplicates are
 * kept once. */
bool http_policy_add(http_policy_t *p, const char *name);
bool http_policy_add_ipv4(http_policy_t *p, const uint8_t ip[4]);

/* The names a plug answers to: its address, the address it advertises (may be NULL), openbl602-<id> and
 * openbl602-<id>.local, the setup AP address while in setup mode, and "localhost" when its own address is
 * a loopback one (the simulated plug). */
void http_policy_for_plug(http_policy_t *p, uint16_t port, const char *hostname, const uint8_t ipv4[4],
                          const char *advertised_ip, bool setup_ap);

/* "name" or "name:port" */
bool http_policy_host_ok(const http_policy_t *p, const char *host);
/* "http://name" or "http://name:port" */
bool http_policy_origin_ok(const http_policy_t *p, const char *origin);

/* Fills *out and returns true when the request must be refused: 421 wrong_host, 403 forbidden_origin,
 * 415 unsupported_media_type. body_type: the media type the endpoint takes, or NULL (no check). */
bool http_policy_refuse(const http_policy_t *p, const http_request_t *r, const char *body_type,
                        http_refusal_t *out);

#endif
