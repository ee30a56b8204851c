#define OPENSSL_SUPPRESS_DEPRECATED
#include "ota_images.h"

#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>
#include <openssl/sha.h>
#include <string.h>

struct test_key {
  EC_KEY *k;
};

test_key_t *test_key_new(void) {
  static test_key_t keys[8];
  static int n;
  test_key_t *t = &keys[n++ % 8];
  t->k = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
  EC_KEY_generate_key(t->k);
  return t;
}

void test_key_public(const test_key_t *t, uint8_t pub[65]) {
  EC_POINT_point2oct(EC_KEY_get0_group(t->k), EC_KEY_get0_public_key(t->k), POINT_CONVERSION_UNCOMPRESSED,
                     pub, 65, NULL);
}

void test_key_free(test_key_t *t) {
  EC_KEY_free(t->k);
  t->k = NULL;
}

static void sign(const test_key_t *t, const uint8_t digest[32], uint8_t rs[64]) {
  ECDSA_SIG *sig = ECDSA_do_sign(digest, 32, t->k);
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs, 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs + 32, 32);
  ECDSA_SIG_free(sig);
}

static void le32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t test_security_counter;

size_t make_obli(uint8_t *out, const char *board, const char *version, const uint8_t *payload, size_t n,
                 const test_key_t *key) {
  memset(out, 0, 64);
  memcpy(out, "OBLI", 4);
  out[4] = 64;
  out[6] = 1;
  le32(out + 8, (uint32_t)n);
  strncpy((char *)out + 16, board, 16);
  strncpy((char *)out + 32, version, 16);
  le32(out + 48, test_security_counter);
  memcpy(out + 64, payload, n);
  uint8_t digest[32];
  SHA256(out, 64 + n, digest);
  uint8_t *t = out + 64 + n;
  size_t tl = 4 + 36 + (key ? 68 : 0);
  t[0] = 0x07;
  t[1] = 0x69;
  t[2] = (uint8_t)tl;
  t[3] = 0;
  t[4] = 0x10;
  t[5] = 0;
  t[6] = 32;
  t[7] = 0;
  memcpy(t + 8, digest, 32);
  if (key) {
    t[40] = 0x22;
    t[41] = 0;
    t[42] = 64;
    t[43] = 0;
    sign(key, digest, t + 44);
  }
  return 64 + n + tl;
}

size_t make_bl60x(uint8_t *out, bool xz, const char *hw, const char *sw, const uint8_t *body, size_t n,
                  const test_key_t *key) {
  memset(out, 0xFF, 512);
  memcpy(out, "BL60X_OTA_Ver1.0", 16);
  memcpy(out + 16, xz ? "XZ  " : "RAW ", 4);
  le32(out + 20, (uint32_t)n);
  for (int i = 0; i < 8; i++) out[24 + i] = (uint8_t)(i + 1);
  memset(out + 32, 0, 32);
  strncpy((char *)out + 32, hw, 16);
  strncpy((char *)out + 48, sw, 16);
  SHA256(body, n, out + 64);
  le32(out + 96, (uint32_t)(n * 3));
  if (test_security_counter) le32(out + 100, test_security_counter);
  if (key) {
    uint8_t digest[32];
    memcpy(out + 128, "OBLS", 4);
    SHA256(out, 128, digest);
    sign(key, digest, out + 132);
  }
  memcpy(out + 512, body, n);
  return 512 + n;
}
