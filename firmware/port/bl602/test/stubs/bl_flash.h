/* Host stand-in for the SDK's bl_flash.h (see hal_boot2.h here). */
#ifndef TEST_STUB_BL_FLASH_H
#define TEST_STUB_BL_FLASH_H
#include <stdint.h>
int bl_flash_erase(uint32_t addr, int len);
int bl_flash_write(uint32_t addr, uint8_t *src, int len);
int bl_flash_read(uint32_t addr, uint8_t *dst, int len);
#endif
