/* ota_image.h — parsers for the two OTA containers (byte layout: docs/ota-image.md). Pure functions over
 * buffers: no flash, no crypto, so they are fuzzed on their own. */
#ifndef OBL_OTA_IMAGE_H
#define OBL_OTA_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OTA_OBLI_HEADER_SIZE 64u
#define OTA_BL60X_HEADER_SIZE 512u
#define OTA_TRAILER_MAX 256u
#define OTA_BL60X_SIGNED_SPAN 128u /* header bytes covered by our signature extension */

typedef enum {
  OTA_ERR_NONE = 0,
  OTA_ERR_BAD_MAGIC,     /* neither container */
  OTA_ERR_BAD_HEADER,    /* header or trailer fields invalid */
  OTA_ERR_WRONG_BOARD,   /* built for another board */
  OTA_ERR_TOO_LARGE,     /* does not fit the slot */
  OTA_ERR_SIZE_MISMATCH, /* upload length disagrees with the image, or more data than announced */
  OTA_ERR_TRUNCATED,     /* upload ended early */
  OTA_ERR_HASH_MISMATCH, /* SHA-256 differs (as received or as read back from flash) */
  OTA_ERR_BAD_SIGNATURE,
  OTA_ERR_UNSIGNED,      /* the plug has a public key, the image no signature */
  OTA_ERR_FLASH,         /* erase/write/read/boot-select failed */
  OTA_ERR_BUSY,          /* an update is running, or the running image is not confirmed yet */
  OTA_ERR_ABORTED,       /* the upload was cancelled (connection lost) */
  OTA_ERR_ROLLED_BACK,   /* the new image did not confirm itself; the old one runs again */
  OTA_ERR_DOWNGRADE,     /* security counter below the plug's floor, no downgrade allowed */
  OTA_ERR_COUNT
} ota_err_t;

typedef enum { OTA_FORMAT_NONE = 0, OTA_FORMAT_OBLI, OTA_FORMAT_BL60X } ota_format_t;

typedef struct {
  uint32_t payload_size;
  char board[17];
  char version[17];
  uint32_t security_counter; /* 0: none */
} ota_obli_header_t;

typedef struct {
  bool has_sha256;
  uint8_t sha256[32];
  bool has_signature;
  uint8_t signature[64];
} ota_obli_trailer_t;

typedef struct {
  bool xz;
  uint32_t body_len;
  uint32_t unpacked_len; /* 0xFFFFFFFF: unknown */
  char hw_version[17];
  char sw_version[17];
  uint8_t sha256[32];
  uint32_t security_counter; /* our extension at offset 100 (signed span); 0xFFFFFFFF on flash = 0: none */
  bool has_signature;
  uint8_t signature[64];
} ota_bl60x_header_t;

/* Which container starts with these bytes (needs 4 bytes for OBLI, 16 for BL60X); NONE if neither could. */
ota_format_t ota_detect(const uint8_t *p, size_t len);
/* true while these first bytes can still be the start of a known container (early rejection). */
bool ota_prefix_possible(const uint8_t *p, size_t len);

ota_err_t ota_obli_parse_header(const uint8_t h[OTA_OBLI_HEADER_SIZE], ota_obli_header_t *out);
/* The trailer must be exactly `len` bytes (its own length field must match). */
ota_err_t ota_obli_parse_trailer(const uint8_t *t, size_t len, ota_obli_trailer_t *out);
ota_err_t ota_bl60x_parse_header(const uint8_t h[OTA_BL60X_HEADER_SIZE], ota_bl60x_header_t *out);

#endif
