/* API password check: Basic (user admin) and Bearer, docs/protocol.md §7. */
#include <string.h>

#include "http/http_auth.h"
#include "unit.h"

static void test_no_password_allows_everything(void) {
  CHECK(http_auth_ok(NULL, ""));
  CHECK(http_auth_ok("Bearer whatever", ""));
  CHECK(http_auth_ok(NULL, NULL));
}

static void test_bearer(void) {
  CHECK(http_auth_ok("Bearer s3cret-pass", "s3cret-pass"));
  CHECK(http_auth_ok("bearer s3cret-pass", "s3cret-pass"));
  CHECK(!http_auth_ok("Bearer s3cret-pas", "s3cret-pass"));
  CHECK(!http_auth_ok("Bearer s3cret-passs", "s3cret-pass"));
  CHECK(!http_auth_ok("Bearer ", "s3cret-pass"));
  CHECK(!http_auth_ok(NULL, "s3cret-pass"));
  CHECK(!http_auth_ok("", "s3cret-pass"));
  CHECK(!http_auth_ok("Token s3cret-pass", "s3cret-pass"));
}

static void test_basic(void) {
  /* base64("admin:s3cret-pass") */
  CHECK(http_auth_ok("Basic YWRtaW46czNjcmV0LXBhc3M=", "s3cret-pass"));
  /* base64("root:s3cret-pass"): wrong user */
  CHECK(!http_auth_ok("Basic cm9vdDpzM2NyZXQtcGFzcw==", "s3cret-pass"));
  /* base64("admin:wrong") */
  CHECK(!http_auth_ok("Basic YWRtaW46d3Jvbmc=", "s3cret-pass"));
  /* no colon: base64("admins3cret") */
  CHECK(!http_auth_ok("Basic YWRtaW5zM2NyZXQ=", "s3cret"));
  CHECK(!http_auth_ok("Basic !!!!", "s3cret-pass"));
  CHECK(!http_auth_ok("Basic YWRtaW46czNjcmV0LXBhc3M", "s3cret-pass")); /* missing padding */
  /* a password containing a colon: base64("admin:a:b-long-pw") */
  CHECK(http_auth_ok("Basic YWRtaW46YTpiLWxvbmctcHc=", "a:b-long-pw"));
}

static void test_base64(void) {
  unsigned char out[16];
  CHECK_EQ_INT(http_base64_decode("", 0, out, sizeof(out)), 0);
  CHECK_EQ_INT(http_base64_decode("Zg==", 4, out, sizeof(out)), 1);
  CHECK_EQ_INT(out[0], 'f');
  CHECK_EQ_INT(http_base64_decode("Zm9vYmFy", 8, out, sizeof(out)), 6);
  CHECK(memcmp(out, "foobar", 6) == 0);
  CHECK_EQ_INT(http_base64_decode("Zm9vYmFy", 8, out, 5), -1); /* does not fit */
  CHECK_EQ_INT(http_base64_decode("Z=9v", 4, out, sizeof(out)), -1);
  CHECK_EQ_INT(http_base64_decode("Zg=", 3, out, sizeof(out)), -1);
}

static void test_ct_equal(void) {
  CHECK(http_ct_equal("abc", 3, "abc", 3, 8));
  CHECK(!http_ct_equal("abc", 3, "abd", 3, 8));
  CHECK(!http_ct_equal("abc", 3, "abc\0", 4, 8));
  CHECK(!http_ct_equal("abcdefghij", 10, "abcdefghij", 10, 8)); /* over the bound: never equal */
}

int main(void) {
  RUN(test_no_password_allows_everything);
  RUN(test_bearer);
  RUN(test_basic);
  RUN(test_base64);
  RUN(test_ct_equal);
  return unit_report();
}
