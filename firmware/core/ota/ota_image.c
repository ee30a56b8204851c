#include "ota/ota_image.h"

#include <string.h>

static const char k_obli[4] = {'O', 'B', 'L', 'I'};
static const char k_bl60x[16] = {'B', 'L', '6', '0', 'X', '_', 'O', 'T', 'A', '_', 'V', 'e', 'r', '1', '.', '0'};

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* Copies a NUL-padded fixed field: printable ASCII up to the first NUL (or 0xFF), then only padding. */
static bool text_field(const uint8_t *p, size_t n, char *out) {
  size_t len = 0;
  while (len < n && p[len] != 0 && p[len] != 0xFF) {
    if (p[len] < 0x20 || p[len] > 0x7E) return false;
    out[len] = (char)p[len];
    len++;
  }
  out[len] = 0;
  for (size_t i = len; i < n; i++)
    if (p[i] != 0 && p[i] != 0xFF) return false;
  return true;
}

bool ota_prefix_possible(const uint8_t *p, size_t len) {
  size_t a = len < 4 ? len : 4, b = len < 16 ? len : 16;
  return memcmp(p, k_obli, a) == 0 || memcmp(p, k_bl60x, b) == 0;
}

ota_format_t ota_detect(const uint8_t *p, size_t len) {
  if (len >= 4 && memcmp(p, k_obli, 4) == 0) return OTA_FORMAT_OBLI;
  if (len >= 16 && memcmp(p, k_bl60x, 16) == 0) return OTA_FORMAT_BL60X;
  return OTA_FORMAT_NONE;
}

ota_err_t ota_obli_parse_header(const uint8_t h[OTA_OBLI_HEADER_SIZE], ota_obli_header_t *out) {
  if (memcmp(h, k_obli, 4) != 0) return OTA_ERR_BAD_MAGIC;
  if (le16(h + 4) != OTA_OBLI_HEADER_SIZE || le16(h + 6) != 1 || le32(h + 12) != 0) return OTA_ERR_BAD_HEADER;
  out->payload_size = le32(h + 8);
  if (out->payload_size == 0) return OTA_ERR_BAD_HEADER;
  if (!text_field(h + 16, 16, out->board) || !text_field(h + 32, 16, out->version) || !out->board[0])
    return OTA_ERR_BAD_HEADER;
  out->security_counter = le32(h + 48);
  for (int i = 52; i < 64; i++)
    if (h[i] != 0) return OTA_ERR_BAD_HEADER;
  return OTA_ERR_NONE;
}

ota_err_t ota_obli_parse_trailer(const uint8_t *t, size_t len, ota_obli_trailer_t *out) {
  memset(out, 0, sizeof *out);
  if (len < 4 || len > OTA_TRAILER_MAX || le16(t) != 0x6907 || le16(t + 2) != len) return OTA_ERR_BAD_HEADER;
  for (size_t off = 4; off < len;) {
    if (len - off < 4) return OTA_ERR_BAD_HEADER;
    uint8_t type = t[off];
    uint16_t vlen = le16(t + off + 2);
    if (t[off + 1] != 0 || vlen > len - off - 4) return OTA_ERR_BAD_HEADER;
    const uint8_t *v = t + off + 4;
    if (type == 0x10) {
      if (vlen != 32 || out->has_sha256) return OTA_ERR_BAD_HEADER;
      memcpy(out->sha256, v, 32);
      out->has_sha256 = true;
    } else if (type == 0x22) {
      if (vlen != 64 || out->has_signature) return OTA_ERR_BAD_HEADER;
      memcpy(out->signature, v, 64);
      out->has_signature = true;
    } /* other types: skipped, for images from newer tools */
    off += 4u + vlen;
  }
  return out->has_sha256 ? OTA_ERR_NONE : OTA_ERR_BAD_HEADER;
}

ota_err_t ota_bl60x_parse_header(const uint8_t h[OTA_BL60X_HEADER_SIZE], ota_bl60x_header_t *out) {
  memset(out, 0, sizeof *out);
  if (memcmp(h, k_bl60x, 16) != 0) return OTA_ERR_BAD_MAGIC;
  if (memcmp(h + 16, "XZ  ", 4) == 0)
    out->xz = true;
  else if (memcmp(h + 16, "RAW ", 4) != 0)
    return OTA_ERR_BAD_HEADER;
  out->body_len = le32(h + 20);
  if (out->body_len == 0) return OTA_ERR_BAD_HEADER;
  if (!text_field(h + 32, 16, out->hw_version) || !text_field(h + 48, 16, out->sw_version))
    return OTA_ERR_BAD_HEADER;
  memcpy(out->sha256, h + 64, 32);
  out->unpacked_len = le32(h + 96);
  out->security_counter = le32(h + 100) == 0xFFFFFFFFu ? 0 : le32(h + 100);
  if (memcmp(h + 128, "OBLS", 4) == 0) {
    out->has_signature = true;
    memcpy(out->signature, h + 132, 64);
  }
  return OTA_ERR_NONE;
}
