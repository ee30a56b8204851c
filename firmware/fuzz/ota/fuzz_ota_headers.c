/* OTA container parsers on arbitrary bytes: OBLI header, OBLI trailer, BL60X header, detection. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ota/ota_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t h[OTA_BL60X_HEADER_SIZE];
  memset(h, 0xFF, sizeof h);
  memcpy(h, data, size < sizeof h ? size : sizeof h);
  ota_obli_header_t o;
  if (ota_obli_parse_header(h, &o) == OTA_ERR_NONE && (o.payload_size == 0 || strlen(o.board) > 16))
    abort();
  ota_bl60x_header_t b;
  if (ota_bl60x_parse_header(h, &b) == OTA_ERR_NONE && b.body_len == 0) abort();
  ota_obli_trailer_t t;
  size_t tl = size < OTA_TRAILER_MAX ? size : OTA_TRAILER_MAX;
  if (ota_obli_parse_trailer(data, tl, &t) == OTA_ERR_NONE && !t.has_sha256) abort();
  (void)ota_detect(data, size);
  (void)ota_prefix_possible(data, size < 16 ? size : 16);
  return 0;
}
