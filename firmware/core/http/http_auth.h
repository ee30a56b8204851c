/* http_auth.h — checks an Authorization header against the API password (docs/protocol.md §7).
 * Accepts "Basic base64(admin:<password>)" and "Bearer <password>". The comparison takes the same time
 * whatever the guess, so timing does not reveal how many leading characters were right. */
#ifndef OBL_HTTP_AUTH_H
#define OBL_HTTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_AUTH_USER "admin"

/* Equal-length-independent constant-time comparison of two byte strings (runs over max_len bytes). */
bool http_ct_equal(const char *a, size_t alen, const char *b, size_t blen, size_t max_len);

/* true when `authorization` (the header value, may be NULL or empty) proves knowledge of `password`.
 * An empty password means "no password set": every request is allowed. */
bool http_auth_ok(const char *authorization, const char *password);

/* Decodes standard base64 (with padding) into out; returns the decoded length or -1 when invalid or
 * longer than cap. */
int http_base64_decode(const char *in, size_t inlen, unsigned char *out, size_t cap);

#endif
