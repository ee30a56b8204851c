/* The OTA manager's streaming state machine on arbitrary uploads. Input: u32 announced length, u16 chunk
 * size, then the body. Crypto is stubbed (a sum instead of SHA-256, signatures never valid): the target is
 * header assembly, offsets, trailer capture and slot bounds, under ASan/UBSan. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fake_hal.h"
#include "ota/ota.h"

void hal_sha256_init(hal_sha256_ctx_t *ctx) { memset(ctx, 0, sizeof *ctx); }
void hal_sha256_update(hal_sha256_ctx_t *ctx, const void *data, size_t len) {
  const uint8_t *p = data;
  for (size_t i = 0; i < len; i++) ctx->opaque[i % 4] += p[i];
}
void hal_sha256_final(hal_sha256_ctx_t *ctx, uint8_t digest[32]) { memcpy(digest, ctx->opaque, 32); }
bool hal_ecdsa_p256_verify(const uint8_t public_key[65], const uint8_t digest[32], const uint8_t signature[64]) {
  (void)public_key, (void)digest, (void)signature;
  return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 6) return 0;
  fake_hal_reset();
  store_t st;
  if (store_mount(&st, HAL_PART_SETTINGS, 0, FAKE_SETTINGS_SIZE) != STORE_OK) abort();
  ota_config_t cfg;
  ota_config_defaults(&cfg);
  cfg.board_id = "posix-sim";
  cfg.accept_bl60x = true;
  ota_t ota;
  ota_init(&ota, &st, &cfg, 0);
  if (data[5] & 0x80) {
    static const uint8_t key[65] = {4};
    ota_set_public_key(&ota, key);
  }
  uint32_t total = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
  size_t chunk = ((size_t)data[4] | (size_t)(data[5] & 0x7F) << 8) + 1;
  data += 6;
  size -= 6;
  if (total > 2 * FAKE_FW_SIZE) total = (uint32_t)size;
  ota_err_t e = ota_begin(&ota, total);
  for (size_t off = 0; !e && off < size; off += chunk) e = ota_write(&ota, data + off, size - off < chunk ? size - off : chunk);
  if (!e) e = ota_finish(&ota);
  ota_status_t s;
  ota_status(&ota, &s);
  if (e == OTA_ERR_NONE && s.state != OTA_REBOOTING) abort();
  if (e != OTA_ERR_NONE && s.state != OTA_FAILED) abort();
  if (s.progress > 100) abort();
  return 0;
}
