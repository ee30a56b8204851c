/* SHA-256 and ECDSA P-256 verification with OpenSSL libcrypto. */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_CTX fits hal_sha256_ctx_t; EVP contexts would need the heap */
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>
#include <string.h>

#include "hal.h"

_Static_assert(sizeof(SHA256_CTX) <= sizeof(hal_sha256_ctx_t), "hal_sha256_ctx_t too small");

void hal_sha256_init(hal_sha256_ctx_t *ctx) { SHA256_Init((SHA256_CTX *)(void *)ctx); }
void hal_sha256_update(hal_sha256_ctx_t *ctx, const void *data, size_t len) {
  SHA256_Update((SHA256_CTX *)(void *)ctx, data, len);
}
void hal_sha256_final(hal_sha256_ctx_t *ctx, uint8_t digest[32]) {
  SHA256_Final(digest, (SHA256_CTX *)(void *)ctx);
}

static EVP_PKEY *p256_key(const uint8_t public_key[65]) {
  EVP_PKEY *pkey = NULL;
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM *params = NULL;
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
  if (bld && ctx &&
      OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, public_key, 65) &&
      (params = OSSL_PARAM_BLD_to_param(bld)) && EVP_PKEY_fromdata_init(ctx) > 0) {
    if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) pkey = NULL;
  }
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  EVP_PKEY_CTX_free(ctx);
  return pkey;
}

bool hal_ecdsa_p256_verify(const uint8_t public_key[65], const uint8_t digest[32],
                           const uint8_t signature[64]) {
  if (!public_key || !digest || !signature || public_key[0] != 0x04) return false;
  bool ok = false;
  EVP_PKEY *pkey = p256_key(public_key); /* rejects points not on the curve */
  ECDSA_SIG *sig = ECDSA_SIG_new();
  BIGNUM *r = BN_bin2bn(signature, 32, NULL), *s = BN_bin2bn(signature + 32, 32, NULL);
  unsigned char *der = NULL;
  EVP_PKEY_CTX *vctx = NULL;
  if (pkey && sig && r && s && ECDSA_SIG_set0(sig, r, s)) {
    r = s = NULL; /* owned by sig now */
    int der_len = i2d_ECDSA_SIG(sig, &der);
    vctx = EVP_PKEY_CTX_new(pkey, NULL);
    if (der_len > 0 && vctx && EVP_PKEY_verify_init(vctx) > 0)
      ok = EVP_PKEY_verify(vctx, der, (size_t)der_len, digest, 32) == 1;
  }
  BN_free(r);
  BN_free(s);
  OPENSSL_free(der);
  EVP_PKEY_CTX_free(vctx);
  ECDSA_SIG_free(sig);
  EVP_PKEY_free(pkey);
  return ok;
}
