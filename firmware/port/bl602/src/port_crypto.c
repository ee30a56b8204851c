/* port_crypto.c — SHA-256 and ECDSA P-256 verification with the SDK's mbedTLS (2.28, "mbedtls_lts").
 *
 * With CONFIG_MBEDTLS_SHA256_USE_HW (our proj_config.mk) mbedtls_sha256_context is the SDK's bl_sha_ctx_t
 * driving the SEC engine; with it off it is mbedTLS's software context. Either must fit the core's
 * opaque hal_sha256_ctx_t, which the static assert below checks for the configuration being compiled.
 *
 * mbedtls_ecdsa_verify (hardware ECP when CONFIG_MBEDTLS_ECC_USE_HW) allocates its bignums from the SDK
 * heap for the duration of the call and frees them before returning; that is the only allocation in
 * the port after start-up and happens once per OTA image.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/sha256.h>

#include "hal.h"

_Static_assert(sizeof(mbedtls_sha256_context) <= sizeof(hal_sha256_ctx_t), "mbedTLS SHA-256 context too large");
_Static_assert(_Alignof(mbedtls_sha256_context) <= _Alignof(hal_sha256_ctx_t), "mbedTLS SHA-256 context alignment");

static mbedtls_sha256_context *sha(hal_sha256_ctx_t *ctx) { return (mbedtls_sha256_context *)(void *)ctx->opaque; }

void hal_sha256_init(hal_sha256_ctx_t *ctx)
{
  mbedtls_sha256_init(sha(ctx));
  (void)mbedtls_sha256_starts_ret(sha(ctx), 0);
}

void hal_sha256_update(hal_sha256_ctx_t *ctx, const void *data, size_t len)
{
  if (len > 0u) {
    (void)mbedtls_sha256_update_ret(sha(ctx), data, len);
  }
}

void hal_sha256_final(hal_sha256_ctx_t *ctx, uint8_t digest[32])
{
  (void)mbedtls_sha256_finish_ret(sha(ctx), digest);
  mbedtls_sha256_free(sha(ctx));
}

bool hal_ecdsa_p256_verify(const uint8_t public_key[65], const uint8_t digest[32], const uint8_t signature[64])
{
  if (public_key == NULL || digest == NULL || signature == NULL || public_key[0] != 0x04u) {
    return false;
  }
  mbedtls_ecp_group grp;
  mbedtls_ecp_point q;
  mbedtls_mpi r, s;
  mbedtls_ecp_group_init(&grp);
  mbedtls_ecp_point_init(&q);
  mbedtls_mpi_init(&r);
  mbedtls_mpi_init(&s);

  bool ok = mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) == 0 &&
            mbedtls_ecp_point_read_binary(&grp, &q, public_key, 65) == 0 &&
            mbedtls_ecp_check_pubkey(&grp, &q) == 0 && mbedtls_mpi_read_binary(&r, signature, 32) == 0 &&
            mbedtls_mpi_read_binary(&s, signature + 32, 32) == 0 &&
            mbedtls_ecdsa_verify(&grp, digest, 32, &q, &r, &s) == 0;

  mbedtls_mpi_free(&s);
  mbedtls_mpi_free(&r);
  mbedtls_ecp_point_free(&q);
  mbedtls_ecp_group_free(&grp);
  return ok;
}
