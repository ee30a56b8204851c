/* Container parsers on hand-made headers: every rejection rule of docs/ota-image.md. */
#include <string.h>

#include "ota/ota_image.h"
#include "unit.h"

static void obli(uint8_t h[64]) {
  memset(h, 0, 64);
  memcpy(h, "OBLI", 4);
  h[4] = 64;
  h[6] = 1;
  h[8] = 0x10; /* payload 16 */
  memcpy(h + 16, "posix-sim", 9);
  memcpy(h + 32, "1.0.0", 5);
}

static void test_obli_header(void) {
  uint8_t h[64];
  ota_obli_header_t o;
  obli(h);
  CHECK_EQ_INT(ota_obli_parse_header(h, &o), OTA_ERR_NONE);
  CHECK_EQ_INT(o.payload_size, 16);
  CHECK_STR(o.board, "posix-sim");
  CHECK_STR(o.version, "1.0.0");
  obli(h);
  h[0] = 'X';
  CHECK_EQ_INT(ota_obli_parse_header(h, &o), OTA_ERR_BAD_MAGIC);
  obli(h);
  h[6] = 2; /* format version */
  CHECK_EQ_INT(ota_obli_parse_header(h, &o), OTA_ERR_BAD_HEADER);
  obli(h);
  h[12] = 1; /* unknown flag */
  CHECK_EQ_INT(ota_obli_parse_header(h, &o), OTA_ERR_BAD_HEADER);
  obli(h);
  h[8] = 0; /* empty payload */
  CHECK_EQ_INT(ota_obli_parse_header(h, &o), OTA_ERR_BAD_HEADER);
  obli(h);
  h[20] = '\n'; /* control character in board */
  CHECK_EQ_INT(ota_obli_parse_header(h, &o), OTA_ERR_BAD_HEADER);
  obli(h);
  h[40] = 'x'; /* text after the NUL */
  CHECK_EQ_INT(ota_obli_parse_header(h, &o), OTA_ERR_BAD_HEADER);
  obli(h);
  memset(h + 16, 'b', 16); /* 16 characters, no NUL: allowed */
  CHECK_EQ_INT(ota_obli_parse_header(h, &o), OTA_ERR_NONE);
  CHECK_EQ_INT(strlen(o.board), 16);
}

static void test_obli_trailer(void) {
  uint8_t t[256];
  ota_obli_trailer_t o;
  memset(t, 0, sizeof t);
  t[0] = 0x07, t[1] = 0x69, t[2] = 40;
  t[4] = 0x10, t[6] = 32;
  memset(t + 8, 0xAB, 32);
  CHECK_EQ_INT(ota_obli_parse_trailer(t, 40, &o), OTA_ERR_NONE);
  CHECK(o.has_sha256 && !o.has_signature);
  CHECK_EQ_INT(o.sha256[31], 0xAB);
  CHECK_EQ_INT(ota_obli_parse_trailer(t, 39, &o), OTA_ERR_BAD_HEADER); /* length field disagrees */
  /* unknown TLV skipped, then a signature */
  t[2] = 40 + 8 + 68;
  t[40] = 0x77, t[42] = 4;
  t[48] = 0x22, t[50] = 64;
  CHECK_EQ_INT(ota_obli_parse_trailer(t, 116, &o), OTA_ERR_NONE);
  CHECK(o.has_signature);
  t[50] = 63; /* wrong signature length */
  CHECK_EQ_INT(ota_obli_parse_trailer(t, 116, &o), OTA_ERR_BAD_HEADER);
  t[50] = 64;
  t[6] = 31; /* wrong hash length */
  CHECK_EQ_INT(ota_obli_parse_trailer(t, 116, &o), OTA_ERR_BAD_HEADER);
  t[6] = 32;
  t[4] = 0x11; /* no hash at all */
  CHECK_EQ_INT(ota_obli_parse_trailer(t, 116, &o), OTA_ERR_BAD_HEADER);
  t[4] = 0x10;
  t[42] = 200; /* TLV runs past the end */
  CHECK_EQ_INT(ota_obli_parse_trailer(t, 116, &o), OTA_ERR_BAD_HEADER);
}

static void bl60x(uint8_t h[512]) {
  memset(h, 0xFF, 512);
  memcpy(h, "BL60X_OTA_Ver1.0", 16);
  memcpy(h + 16, "XZ  ", 4);
  h[20] = 0x00, h[21] = 0x10, h[22] = 0, h[23] = 0; /* 4096 */
  memset(h + 32, 0, 32);
  memcpy(h + 32, "BL602", 5);
  memcpy(h + 48, "1.17.0", 6);
}

static void test_bl60x_header(void) {
  uint8_t h[512];
  ota_bl60x_header_t o;
  bl60x(h);
  CHECK_EQ_INT(ota_bl60x_parse_header(h, &o), OTA_ERR_NONE);
  CHECK(o.xz && !o.has_signature);
  CHECK_EQ_INT(o.body_len, 4096);
  CHECK_EQ_INT(o.unpacked_len, 0xFFFFFFFFu);
  CHECK_STR(o.hw_version, "BL602");
  memcpy(h + 16, "RAW ", 4);
  CHECK_EQ_INT(ota_bl60x_parse_header(h, &o), OTA_ERR_NONE);
  CHECK(!o.xz);
  memcpy(h + 16, "LZ4 ", 4);
  CHECK_EQ_INT(ota_bl60x_parse_header(h, &o), OTA_ERR_BAD_HEADER);
  bl60x(h);
  h[15] = '1';
  CHECK_EQ_INT(ota_bl60x_parse_header(h, &o), OTA_ERR_BAD_MAGIC);
  bl60x(h);
  memcpy(h + 128, "OBLS", 4);
  CHECK_EQ_INT(ota_bl60x_parse_header(h, &o), OTA_ERR_NONE);
  CHECK(o.has_signature);
}

static void test_detect(void) {
  CHECK_EQ_INT(ota_detect((const uint8_t *)"OBLI", 4), OTA_FORMAT_OBLI);
  CHECK_EQ_INT(ota_detect((const uint8_t *)"BL60X_OTA_Ver1.0", 16), OTA_FORMAT_BL60X);
  CHECK_EQ_INT(ota_detect((const uint8_t *)"BL60X_OTA_Ver1.", 15), OTA_FORMAT_NONE);
  CHECK(ota_prefix_possible((const uint8_t *)"BL6", 3));
  CHECK(ota_prefix_possible((const uint8_t *)"OB", 2));
  CHECK(!ota_prefix_possible((const uint8_t *)"\x7f" "ELF", 4));
  CHECK(!ota_prefix_possible((const uint8_t *)"BL60Y", 5));
}

int main(void) {
  RUN(test_obli_header);
  RUN(test_obli_trailer);
  RUN(test_bl60x_header);
  RUN(test_detect);
  return unit_report();
}
