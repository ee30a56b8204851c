/* http_auth.c — see http_auth.h. */
#include "http/http_auth.h"

#include <string.h>

#define PASSWORD_CMP_MAX 72u /* > the 64-byte password limit: every compare walks the same length */

bool http_ct_equal(const char *a, size_t alen, const char *b, size_t blen, size_t max_len) {
  unsigned diff = (unsigned)(alen != blen);
  for (size_t i = 0; i < max_len; i++) {
    unsigned char x = i < alen ? (unsigned char)a[i] : 0;
    unsigned char y = i < blen ? (unsigned char)b[i] : 0;
    diff |= (unsigned)(x ^ y);
  }
  if (alen > max_len || blen > max_len) diff |= 1u;
  return diff == 0;
}

static int b64val(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int http_base64_decode(const char *in, size_t inlen, unsigned char *out, size_t cap) {
  if (inlen % 4 != 0) return -1;
  size_t o = 0;
  for (size_t i = 0; i < inlen; i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; k++) {
      char c = in[i + (size_t)k];
      if (c == '=') {
        if (i + 4 != inlen || k < 2) return -1;
        v[k] = 0;
        pad++;
      } else {
        if (pad) return -1; /* data after padding */
        v[k] = b64val(c);
        if (v[k] < 0) return -1;
      }
    }
    unsigned long triple = ((unsigned long)v[0] << 18) | ((unsigned long)v[1] << 12) |
                           ((unsigned long)v[2] << 6) | (unsigned long)v[3];
    int n = 3 - pad;
    for (int k = 0; k < n; k++) {
      if (o >= cap) return -1;
      out[o++] = (unsigned char)(triple >> (16 - 8 * k));
    }
  }
  return (int)o;
}

static bool prefix_ci(const char *s, const char *prefix) {
  for (; *prefix; s++, prefix++) {
    char c = *s;
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != *prefix) return false;
  }
  return true;
}

bool http_auth_ok(const char *authorization, const char *password) {
  if (password == NULL || password[0] == '\0') return true;
  if (authorization == NULL) return false;
  size_t plen = strlen(password);
  const char *given = NULL;
  size_t glen = 0;
  unsigned char decoded[160];
  if (prefix_ci(authorization, "bearer ")) {
    given = authorization + 7;
    while (*given == ' ') given++;
    glen = strlen(given);
  } else if (prefix_ci(authorization, "basic ")) {
    const char *b = authorization + 6;
    while (*b == ' ') b++;
    int n = http_base64_decode(b, strlen(b), decoded, sizeof(decoded));
    if (n < 0) return false;
    const char *colon = memchr(decoded, ':', (size_t)n);
    if (colon == NULL) return false;
    size_t ulen = (size_t)(colon - (const char *)decoded);
    bool user_ok = http_ct_equal((const char *)decoded, ulen, HTTP_AUTH_USER, strlen(HTTP_AUTH_USER), 8);
    given = colon + 1;
    glen = (size_t)n - ulen - 1;
    bool pass_ok = http_ct_equal(given, glen, password, plen, PASSWORD_CMP_MAX);
    return user_ok && pass_ok;
  } else {
    return false;
  }
  return http_ct_equal(given, glen, password, plen, PASSWORD_CMP_MAX);
}
