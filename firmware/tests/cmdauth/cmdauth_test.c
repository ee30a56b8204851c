/* MQTT command authentication (docs/protocol.md §8.5): which commands need it, the HMAC (RFC 4231
 * vectors), the envelope, replay and tampering. */
#include <stdio.h>
#include <string.h>

#include "cmdauth/cmdauth.h"
#include "unit.h"

static void hex(const uint8_t *b, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", b[i]);
}

static void test_hmac_rfc4231(void) {
  uint8_t mac[32];
  char h[65];
  const char *data = "what do ya want for nothing?";
  /* split across parts: the MAC is over their concatenation */
  cmdauth_hmac_sha256((const uint8_t *)"Jefe", 4, data, 10, data + 10, strlen(data) - 10, NULL, 0, mac);
  hex(mac, 32, h);
  CHECK_STR(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  uint8_t key[131];
  memset(key, 0xaa, sizeof(key)); /* longer than a block: hashed first (test case 6) */
  const char *d6 = "Test Using Larger Than Block-Size Key - Hash Key First";
  cmdauth_hmac_sha256(key, sizeof(key), d6, strlen(d6), NULL, 0, NULL, 0, mac);
  hex(mac, 32, h);
  CHECK_STR(h, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void test_sensitive(void) {
  CHECK(cmdauth_sensitive("calibrate", "{\"reset\":true}", 14, false));
  CHECK(!cmdauth_sensitive("reboot", "", 0, false));
  CHECK(cmdauth_sensitive("reboot", "", 0, true));
  CHECK(!cmdauth_sensitive("relay", "on", 2, false));
  const char *c1 = "{\"protection\":{\"max_power_w\":0}}";
  CHECK(cmdauth_sensitive("config", c1, strlen(c1), false));
  const char *c2 = "{\"led\":\"off\",\"startup\":\"on\"}";
  CHECK(cmdauth_sensitive("config", c2, strlen(c2), false));
  const char *c3 = "{\"led\":\"off\",\"name\":\"x\",\"report\":{\"heartbeat_s\":60}}";
  CHECK(!cmdauth_sensitive("config", c3, strlen(c3), false));
  const char *c4 = "{\"button\":{\"enabled\":false}}";
  CHECK(cmdauth_sensitive("config", c4, strlen(c4), false));
  const char *c5 = "{\"calibration\":{\"current_gain\":0.5}}";
  CHECK(cmdauth_sensitive("config", c5, strlen(c5), false));
}

static size_t envelope(char *out, size_t cap, const char *password, const char *topic, unsigned long long ctr,
                       const char *body) {
  char c[24];
  snprintf(c, sizeof(c), "%llu", ctr);
  char msg[512];
  int n = snprintf(msg, sizeof(msg), "%s\n%s\n%s", topic, c, body);
  uint8_t mac[32];
  cmdauth_hmac_sha256((const uint8_t *)password, strlen(password), msg, (size_t)n, NULL, 0, NULL, 0, mac);
  char h[65];
  hex(mac, 32, h);
  return (size_t)snprintf(out, cap, "obl-hmac1 %s %s\n%s", c, h, body);
}

static void test_envelope(void) {
  cmdauth_t a = {0};
  const char *why = NULL;
  const char *body = "{\"protection\":{\"max_power_w\":0}}";
  size_t len = strlen(body);
  CHECK(!cmdauth_admit(&a, NULL, "p1", "s3cret-pass", false, "config", &body, &len, &why));
  CHECK(why != NULL);
  char env[400];
  len = envelope(env, sizeof(env), "s3cret-pass", "openbl602/p1/cmd/config", 5, "{\"protection\":{\"max_power_w\":0}}");
  const char *b = env;
  CHECK(cmdauth_admit(&a, NULL, "p1", "s3cret-pass", false, "config", &b, &len, &why));
  CHECK(len == strlen("{\"protection\":{\"max_power_w\":0}}") && memcmp(b, "{\"protection\"", 13) == 0);
  /* the same message again: replay */
  b = env;
  len = strlen(env);
  CHECK(!cmdauth_admit(&a, NULL, "p1", "s3cret-pass", false, "config", &b, &len, &why));
  CHECK(strstr(why, "replay") != NULL);
  /* a newer counter but another topic (another plug, another command): refused */
  len = envelope(env, sizeof(env), "s3cret-pass", "openbl602/p2/cmd/config", 6, "{}");
  b = env;
  CHECK(!cmdauth_admit(&a, NULL, "p1", "s3cret-pass", false, "config", &b, &len, &why));
  /* a tampered body */
  len = envelope(env, sizeof(env), "s3cret-pass", "openbl602/p1/cmd/config", 7, "{\"startup\":\"on\"}");
  env[len - 3] = 'f';
  b = env;
  CHECK(!cmdauth_admit(&a, NULL, "p1", "s3cret-pass", false, "config", &b, &len, &why));
  CHECK(strstr(why, "failed") != NULL);
  /* a wrong key */
  len = envelope(env, sizeof(env), "guess-pass", "openbl602/p1/cmd/config", 8, "{}");
  b = env;
  CHECK(!cmdauth_admit(&a, NULL, "p1", "s3cret-pass", false, "config", &b, &len, &why));
  /* no password on the plug: nothing authenticates */
  len = envelope(env, sizeof(env), "", "openbl602/p1/cmd/config", 9, "{}");
  b = env;
  CHECK(!cmdauth_admit(&a, NULL, "p1", "", false, "config", &b, &len, &why));
  /* malformed envelopes */
  const char *bad[] = {"obl-hmac1 ", "obl-hmac1 0 00\n{}", "obl-hmac1 12 zz\n{}",
                       "obl-hmac1 99999999999999999 0000000000000000000000000000000000000000000000000000000000000000\n{}"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    b = bad[i];
    len = strlen(bad[i]);
    CHECK(!cmdauth_admit(&a, NULL, "p1", "s3cret-pass", false, "config", &b, &len, &why));
  }
  /* ordinary commands pass untouched */
  b = "toggle";
  len = 6;
  CHECK(cmdauth_admit(&a, NULL, "p1", "", false, "relay", &b, &len, &why));
  CHECK(len == 6);
}

int main(void) {
  RUN(test_hmac_rfc4231);
  RUN(test_sensitive);
  RUN(test_envelope);
  return unit_report();
}
