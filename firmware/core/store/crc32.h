/* crc32.h — CRC-32 (IEEE 802.3, reflected, as zlib), small table, usable incrementally.
 *   crc = obl_crc32(0, a, n); crc = obl_crc32(crc, b, m);  == obl_crc32(0, a‖b, n+m) */
#ifndef OBL_STORE_CRC32_H
#define OBL_STORE_CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t obl_crc32(uint32_t crc, const void *data, size_t len);

#endif
