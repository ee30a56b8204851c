/* http_policy.c — see http_policy.h. */
#include "http/http_policy.h"

#include <stdio.h>
#include <string.h>

static char lower(char c) {
  return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

void http_policy_init(http_policy_t *p, uint16_t port) {
  memset(p, 0, sizeof(*p));
  p->port = port;
}

static bool name_eq(const char *a, size_t alen, const char *b) {
  if (alen && a[alen - 1] == '.') alen--; /* "plug.local." is "plug.local" */
  if (strlen(b) != alen) return false;
  for (size_t i = 0; i < alen; i++) {
    if (lower(a[i]) != b[i]) return false;
  }
  return true;
}

bool http_policy_add(http_policy_t *p, const char *name) {
  size_t n = strlen(name);
  if (n && name[n - 1] == '.') n--;
  if (n == 0 || n > HTTP_POLICY_NAME_MAX) return false;
  for (size_t i = 0; i < p->count; i++) {
    if (name_eq(name, n, p->names[i])) return true;
  }
  if (p->count >= HTTP_POLICY_NAMES) return false;
  for (size_t i = 0; i < n; i++) p->names[p->count][i] = lower(name[i]);
  p->names[p->count][n] = '\0';
  p->count++;
  return true;
}

bool http_policy_add_ipv4(http_policy_t *p, const uint8_t ip[4]) {
  char s[16];
  snprintf(s, sizeof(s), "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
  return http_policy_add(p, s);
}

void http_policy_for_plug(http_policy_t *p, uint16_t port, const char *hostname, const uint8_t ipv4[4],
                          const char *advertised_ip, bool setup_ap) {
  http_policy_init(p, port);
  if (ipv4[0] != 0) (void)http_policy_add_ipv4(p, ipv4);
  if (advertised_ip && advertised_ip[0]) (void)http_policy_add(p, advertised_ip);
  if (hostname && hostname[0]) {
    char local[HTTP_POLICY_NAME_MAX + 8];
    (void)http_policy_add(p, hostname);
    snprintf(local, sizeof(local), "%s.local", hostname);
    (void)http_policy_add(p, local);
  }
  if (setup_ap) (void)http_policy_add(p, HTTP_SETUP_AP_ADDRESS);
  bool loopback = ipv4[0] == 127 || (advertised_ip && strncmp(advertised_ip, "127.", 4) == 0);
  if (loopback) (void)http_policy_add(p, "localhost");
}

/* "name[:port]" of length n: the name must be ours and the port (none = 80) the plug's. */
static bool authority_ok(const http_policy_t *p, const char *s, size_t n) {
  size_t colon = n;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == ':') {
      if (colon != n) return false; /* IPv6 literals are not an address the plug has */
      colon = i;
    }
  }
  uint32_t port = 80;
  if (colon < n) {
    size_t digits = n - colon - 1;
    if (digits == 0 || digits > 5) return false;
    port = 0;
    for (size_t i = colon + 1; i < n; i++) {
      if (s[i] < '0' || s[i] > '9') return false;
      port = port * 10u + (uint32_t)(s[i] - '0');
    }
  }
  if (port != p->port) return false;
  for (size_t i = 0; i < p->count; i++) {
    if (name_eq(s, colon, p->names[i])) return true;
  }
  return false;
}

bool http_policy_host_ok(const http_policy_t *p, const char *host) {
  return authority_ok(p, host, strlen(host));
}

bool http_policy_origin_ok(const http_policy_t *p, const char *origin) {
  static const char scheme[] = "http://";
  size_t n = strlen(origin);
  if (n <= sizeof(scheme) - 1) return false; /* also "null": sandboxed frames, file:// pages */
  for (size_t i = 0; i < sizeof(scheme) - 1; i++) {
    if (lower(origin[i]) != scheme[i]) return false;
  }
  return authority_ok(p, origin + sizeof(scheme) - 1, n - (sizeof(scheme) - 1));
}

static bool refuse(http_refusal_t *out, int status, const char *code, const char *message) {
  out->status = status;
  out->code = code;
  out->message = message;
  return true;
}

bool http_policy_refuse(const http_policy_t *p, const http_request_t *r, const char *body_type,
                        http_refusal_t *out) {
  if (r->has_host && (r->host_bad || !http_policy_host_ok(p, r->host))) {
    return refuse(out, 421, "wrong_host", "Host is not this plug's address or name");
  }
  if (r->has_origin && (r->origin_bad || !http_policy_origin_ok(p, r->origin))) {
    return refuse(out, 403, "forbidden_origin", "requests from other web pages are refused");
  }
  if (body_type != NULL && (r->content_type_bad || strcmp(r->content_type, body_type) != 0)) {
    return refuse(out, 415, "unsupported_media_type",
                  strcmp(body_type, "application/json") == 0 ? "Content-Type must be application/json"
                                                             : "Content-Type must be application/octet-stream");
  }
  return false;
}
