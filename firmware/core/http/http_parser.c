/* http_parser.c — see http_parser.h. RFC 9112 request syntax, minus what a plug has no use for
 * (obsolete line folding, chunked request bodies, absolute-form targets: all refused with 400). */
#include "http/http_parser.h"

#include <string.h>

enum { ST_PARSING = 0, ST_DONE = 1, ST_ERROR = 2 };

static http_parse_result_t fail(http_parser_t *p, uint16_t status, const char *msg) {
  p->state = ST_ERROR;
  p->error_status = status;
  p->error_message = msg;
  return HTTP_PARSE_ERROR;
}

void http_parser_init(http_parser_t *p) {
  memset(p, 0, sizeof(*p));
}

const char *http_method_name(http_method_t m) {
  switch (m) {
    case HTTP_M_GET: return "GET";
    case HTTP_M_HEAD: return "HEAD";
    case HTTP_M_POST: return "POST";
    case HTTP_M_PUT: return "PUT";
    case HTTP_M_PATCH: return "PATCH";
    case HTTP_M_DELETE: return "DELETE";
    case HTTP_M_OPTIONS: return "OPTIONS";
    default: return "?";
  }
}

/* RFC 9110 tchar */
static bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool ieq(const char *a, size_t alen, const char *b) {
  size_t n = strlen(b);
  if (alen != n) return false;
  for (size_t i = 0; i < n; i++) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

/* case-insensitive substring search within a non-terminated value */
static bool icontains(const char *hay, size_t hlen, const char *needle) {
  size_t n = strlen(needle);
  for (size_t i = 0; i + n <= hlen; i++) {
    if (ieq(hay + i, n, needle)) return true;
  }
  return false;
}

/* Keeps a header value once: a second copy (two Hosts: request smuggling, a confused policy) marks it bad. */
static void keep_value(char *dst, size_t cap, bool *has, bool *bad, const char *v, size_t vlen) {
  if (*has || vlen >= cap) {
    *bad = true;
    dst[0] = '\0';
  } else {
    memcpy(dst, v, vlen);
    dst[vlen] = '\0';
  }
  *has = true;
}

/* Content-Type: the media type only ("application/json; charset=utf-8" -> "application/json"). */
static void keep_media_type(http_request_t *r, const char *v, size_t vlen) {
  size_t n = 0;
  while (n < vlen && v[n] != ';' && v[n] != ' ' && v[n] != '\t') n++;
  if (r->content_type[0] != '\0' || r->content_type_bad || n == 0 || n > HTTP_CTYPE_MAX) {
    r->content_type_bad = true;
    r->content_type[0] = '\0';
    return;
  }
  for (size_t i = 0; i < n; i++) {
    char ch = v[i];
    r->content_type[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
  }
  r->content_type[n] = '\0';
}

static http_method_t method_from(const char *s, size_t n) {
  static const struct {
    const char *name;
    http_method_t m;
  } table[] = {{"GET", HTTP_M_GET},     {"HEAD", HTTP_M_HEAD},     {"POST", HTTP_M_POST},
               {"PUT", HTTP_M_PUT},     {"PATCH", HTTP_M_PATCH},   {"DELETE", HTTP_M_DELETE},
               {"OPTIONS", HTTP_M_OPTIONS}};
  for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
    if (strlen(table[i].name) == n && memcmp(table[i].name, s, n) == 0) return table[i].m;
  }
  return HTTP_M_UNKNOWN;
}

static http_parse_result_t request_line(http_parser_t *p, const char *s, size_t n) {
  http_request_t *r = &p->req;
  size_t i = 0;
  while (i < n && s[i] != ' ') {
    if (!is_tchar(s[i])) return fail(p, 400, "bad method");
    i++;
  }
  if (i == 0 || i == n) return fail(p, 400, "bad request line");
  r->method = method_from(s, i);
  size_t t0 = ++i;
  while (i < n && s[i] != ' ') {
    unsigned char c = (unsigned char)s[i];
    if (c <= 0x20 || c >= 0x7f) return fail(p, 400, "bad character in target");
    i++;
  }
  size_t tlen = i - t0;
  if (tlen == 0 || i == n) return fail(p, 400, "bad request line");
  if (s[t0] != '/') return fail(p, 400, "target must be an absolute path");
  const char *ver = s + i + 1;
  size_t vlen = n - i - 1;
  if (vlen != 8 || memcmp(ver, "HTTP/1.", 7) != 0 || (ver[7] != '0' && ver[7] != '1')) {
    return fail(p, 400, "unsupported HTTP version");
  }
  r->version_minor = (uint8_t)(ver[7] - '0');
  size_t plen = 0;
  while (plen < tlen && s[t0 + plen] != '?' && s[t0 + plen] != '#') plen++;
  if (plen >= HTTP_PATH_MAX) return fail(p, 400, "path too long");
  memcpy(r->path, s + t0, plen);
  r->path[plen] = '\0';
  r->has_query = plen < tlen;
  p->got_request_line = true;
  return HTTP_PARSE_MORE;
}

static http_parse_result_t header_line(http_parser_t *p, const char *s, size_t n) {
  http_request_t *r = &p->req;
  if (s[0] == ' ' || s[0] == '\t') return fail(p, 400, "folded header");
  if (++r->header_count > HTTP_HEADERS_MAX) return fail(p, 400, "too many headers");
  size_t c = 0;
  while (c < n && s[c] != ':') {
    if (!is_tchar(s[c])) return fail(p, 400, "bad header name");
    c++;
  }
  if (c == 0 || c == n) return fail(p, 400, "header without colon");
  size_t v0 = c + 1, v1 = n;
  while (v0 < v1 && (s[v0] == ' ' || s[v0] == '\t')) v0++;
  while (v1 > v0 && (s[v1 - 1] == ' ' || s[v1 - 1] == '\t')) v1--;
  for (size_t i = v0; i < v1; i++) {
    unsigned char ch = (unsigned char)s[i];
    if ((ch < 0x20 && ch != '\t') || ch == 0x7f) return fail(p, 400, "control character in header");
  }
  const char *v = s + v0;
  size_t vlen = v1 - v0;
  if (ieq(s, c, "content-length")) {
    if (vlen == 0 || vlen > 10) return fail(p, 400, "bad Content-Length");
    uint64_t x = 0;
    for (size_t i = 0; i < vlen; i++) {
      if (v[i] < '0' || v[i] > '9') return fail(p, 400, "bad Content-Length");
      x = x * 10u + (uint64_t)(v[i] - '0');
    }
    if (x > 0xFFFFFFFFu) return fail(p, 413, "body too large");
    if (r->has_content_length && r->content_length != (uint32_t)x) {
      return fail(p, 400, "conflicting Content-Length");
    }
    r->has_content_length = true;
    r->content_length = (uint32_t)x;
  } else if (ieq(s, c, "transfer-encoding")) {
    r->chunked = true;
  } else if (ieq(s, c, "authorization")) {
    if (vlen > HTTP_AUTH_MAX) {
      r->authorization_too_long = true;
      r->authorization[0] = '\0';
    } else {
      memcpy(r->authorization, v, vlen);
      r->authorization[vlen] = '\0';
      r->authorization_too_long = false;
    }
  } else if (ieq(s, c, "expect")) {
    if (!ieq(v, vlen, "100-continue")) return fail(p, 400, "unsupported Expect");
    r->expect_continue = true;
  } else if (ieq(s, c, "host")) {
    keep_value(r->host, sizeof(r->host), &r->has_host, &r->host_bad, v, vlen);
  } else if (ieq(s, c, "origin")) {
    keep_value(r->origin, sizeof(r->origin), &r->has_origin, &r->origin_bad, v, vlen);
  } else if (ieq(s, c, "content-type")) {
    keep_media_type(r, v, vlen);
  } else if (ieq(s, c, "x-requested-with")) {
    r->from_page = true;
  } else if (ieq(s, c, "accept")) {
    if (icontains(v, vlen, "text/event-stream")) r->accept_event_stream = true;
  }
  return HTTP_PARSE_MORE;
}

static http_parse_result_t end_of_line(http_parser_t *p) {
  const char *s = p->line;
  size_t n = p->line_len;
  p->line_len = 0;
  if (!p->got_request_line) {
    if (n == 0) return HTTP_PARSE_MORE; /* RFC 9112 §2.2: ignore empty lines before the request line */
    return request_line(p, s, n);
  }
  if (n == 0) {
    if (p->req.chunked) return fail(p, 400, "chunked request bodies are not supported");
    p->state = ST_DONE;
    return HTTP_PARSE_DONE;
  }
  return header_line(p, s, n);
}

http_parse_result_t http_parser_feed(http_parser_t *p, const uint8_t *data, size_t len, size_t *consumed) {
  size_t i = 0;
  http_parse_result_t res = p->state == ST_DONE    ? HTTP_PARSE_DONE
                            : p->state == ST_ERROR ? HTTP_PARSE_ERROR
                                                   : HTTP_PARSE_MORE;
  while (res == HTTP_PARSE_MORE && i < len) {
    char ch = (char)data[i++];
    if (ch == '\n') {
      p->saw_cr = false;
      res = end_of_line(p);
      continue;
    }
    if (p->saw_cr) { /* a bare CR inside a line */
      res = fail(p, 400, "bare CR");
      break;
    }
    if (ch == '\r') {
      p->saw_cr = true;
      continue;
    }
    if (ch == '\0') {
      res = fail(p, 400, "NUL in request head");
      break;
    }
    size_t limit = p->got_request_line ? HTTP_LINE_MAX : HTTP_REQUEST_LINE_MAX;
    if ((size_t)p->line_len + 1 > limit) {
      res = fail(p, 400, p->got_request_line ? "header line too long" : "request line too long");
      break;
    }
    p->line[p->line_len++] = ch;
  }
  if (consumed) *consumed = i;
  return res;
}
