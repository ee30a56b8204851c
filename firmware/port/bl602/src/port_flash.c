/* port_flash.c — the core's flash partitions over the SDK's partition table and bl_flash driver.
 *
 * Why not bl_mtd or hosal_flash: both allocate a handle per open, bl_mtd_open() spins forever when a
 * partition is missing, and bl_mtd_read/write/erase drop the driver's error codes. We resolve absolute
 * addresses once from the table boot2 left in RAM (hal_boot2_partition_addr) and call bl_flash_* with
 * our own bounds checks.
 *
 * bl_flash_* run from RAM with every interrupt disabled for the whole call. Long calls would stall the
 * BL0937 edge interrupts and the scheduler, so reads go in 1 KiB pieces, writes in 256-byte (page)
 * pieces and erases one 4 KiB sector at a time (a sector erase alone keeps interrupts off for the
 * chip's erase time, typically ~45 ms, up to 300 ms per the SDK's flash timing table).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <FreeRTOS.h>
#include <task.h>

#include <bl_flash.h>
#include <hal_boot2.h>

#include "hal.h"
#include "port.h"

#define READ_CHUNK 1024u
#define WRITE_CHUNK 256u
#define SETTINGS_MAX_BYTES (128u * 1024u)

typedef struct {
  uint32_t addr;
  uint32_t size;
} region_t;

static region_t s_part[HAL_PART_COUNT];
static bool s_ready;

/* Our own table names the record store "obl_set". A plug that came over the air from OpenBeken keeps
 * OpenBeken's table (OTA never rewrites it); its "media" partition (OpenBeken's LittleFS) is then ours. */
static const char *const k_settings_names[] = {"obl_set", "media"};

bool port_flash_lookup(const char *const *names, size_t count, uint32_t *addr, uint32_t *size)
{
  for (size_t i = 0; i < count; i++) {
    uint32_t addr0 = 0, addr1 = 0, size0 = 0, size1 = 0;
    int active = 0;
    if (hal_boot2_partition_addr(names[i], &addr0, &addr1, &size0, &size1, &active) == 0 && addr0 != 0 &&
        size0 >= HAL_FLASH_SECTOR) {
      *addr = addr0;
      *size = size0;
      return true;
    }
  }
  return false;
}

hal_status_t port_flash_init(void)
{
  uint32_t addr0 = 0, addr1 = 0, size0 = 0, size1 = 0;
  int active = 0;
  if (hal_boot2_partition_addr("FW", &addr0, &addr1, &size0, &size1, &active) != 0 || addr0 == 0 ||
      addr1 == 0) {
    hal_log(HAL_LOG_ERROR, "flash", "partition table has no two-slot FW entry");
    return HAL_ERR_IO;
  }
  s_part[HAL_PART_FW_A] = (region_t){addr0, size0 & ~(HAL_FLASH_SECTOR - 1u)};
  s_part[HAL_PART_FW_B] = (region_t){addr1, size1 & ~(HAL_FLASH_SECTOR - 1u)};

  uint32_t addr = 0, size = 0;
  if (!port_flash_lookup(k_settings_names, sizeof k_settings_names / sizeof k_settings_names[0], &addr, &size)) {
    hal_log(HAL_LOG_ERROR, "flash", "partition table has no settings partition (obl_set)");
    return HAL_ERR_IO;
  }
  size &= ~(HAL_FLASH_SECTOR - 1u);
  if (size > SETTINGS_MAX_BYTES) {
    size = SETTINGS_MAX_BYTES;
  }
  if (size < 2u * HAL_FLASH_SECTOR) {
    hal_log(HAL_LOG_ERROR, "flash", "settings partition is smaller than two sectors");
    return HAL_ERR_IO;
  }
  s_part[HAL_PART_SETTINGS] = (region_t){addr, size};
  s_ready = true;
  hal_log(HAL_LOG_INFO, "flash", "FW A 0x%06lx+0x%lx, FW B 0x%06lx+0x%lx, settings 0x%06lx+0x%lx",
          (unsigned long)s_part[HAL_PART_FW_A].addr, (unsigned long)s_part[HAL_PART_FW_A].size,
          (unsigned long)s_part[HAL_PART_FW_B].addr, (unsigned long)s_part[HAL_PART_FW_B].size,
          (unsigned long)addr, (unsigned long)size);
  return HAL_OK;
}

hal_status_t port_flash_read_abs(uint32_t addr, void *buf, size_t len)
{
  uint8_t *dst = buf;
  while (len > 0u) {
    const size_t n = len < READ_CHUNK ? len : READ_CHUNK;
    if (bl_flash_read(addr, dst, (int)n) != 0) {
      return HAL_ERR_IO;
    }
    addr += (uint32_t)n;
    dst += n;
    len -= n;
  }
  return HAL_OK;
}

hal_status_t port_flash_write_abs(uint32_t addr, const void *buf, size_t len)
{
  const uint8_t *src = buf;
  uint8_t bounce[WRITE_CHUNK];
  while (len > 0u) {
    /* Stay inside one flash page per call: shorter interrupt-off windows, no page wrap. */
    const size_t page_left = WRITE_CHUNK - (addr % WRITE_CHUNK);
    const size_t n = len < page_left ? len : page_left;
    /* The driver cannot program from memory-mapped flash while it drives the flash: constants in
     * .rodata (XIP) go through a RAM copy. */
    memcpy(bounce, src, n);
    if (bl_flash_write(addr, bounce, (int)n) != 0) {
      return HAL_ERR_IO;
    }
    addr += (uint32_t)n;
    src += n;
    len -= n;
  }
  return HAL_OK;
}

hal_status_t port_flash_erase_abs(uint32_t addr, size_t len)
{
  if ((addr % HAL_FLASH_SECTOR) != 0u || (len % HAL_FLASH_SECTOR) != 0u) {
    return HAL_ERR_ARG;
  }
  for (size_t done = 0; done < len; done += HAL_FLASH_SECTOR) {
    if (bl_flash_erase(addr + (uint32_t)done, (int)HAL_FLASH_SECTOR) != 0) {
      return HAL_ERR_IO;
    }
    if (xTaskGetSchedulerState() == taskSCHEDULER_RUNNING) {
      taskYIELD(); /* let equal-priority tasks (network, main loop) run between sectors */
    }
  }
  return HAL_OK;
}

/* offset/len inside the partition, overflow-safe. */
static hal_status_t locate(hal_partition_t part, uint32_t offset, size_t len, uint32_t *addr)
{
  if (!s_ready || (unsigned)part >= (unsigned)HAL_PART_COUNT) {
    return HAL_ERR_ARG;
  }
  const region_t *r = &s_part[part];
  if (offset > r->size || len > (size_t)(r->size - offset)) {
    return HAL_ERR_ARG;
  }
  *addr = r->addr + offset;
  return HAL_OK;
}

hal_status_t hal_flash_info(hal_partition_t part, hal_partition_info_t *out)
{
  if (out == NULL || !s_ready || (unsigned)part >= (unsigned)HAL_PART_COUNT) {
    return HAL_ERR_ARG;
  }
  out->size = s_part[part].size;
  out->address = s_part[part].addr;
  return HAL_OK;
}

hal_status_t hal_flash_read(hal_partition_t part, uint32_t offset, void *buf, size_t len)
{
  uint32_t addr = 0;
  hal_status_t st = locate(part, offset, len, &addr);
  if (st != HAL_OK || len == 0u) {
    return st;
  }
  return buf == NULL ? HAL_ERR_ARG : port_flash_read_abs(addr, buf, len);
}

hal_status_t hal_flash_write(hal_partition_t part, uint32_t offset, const void *buf, size_t len)
{
  uint32_t addr = 0;
  hal_status_t st = locate(part, offset, len, &addr);
  if (st != HAL_OK || len == 0u) {
    return st;
  }
  return buf == NULL ? HAL_ERR_ARG : port_flash_write_abs(addr, buf, len);
}

hal_status_t hal_flash_erase(hal_partition_t part, uint32_t offset, size_t len)
{
  uint32_t addr = 0;
  hal_status_t st = locate(part, offset, len, &addr);
  if (st != HAL_OK) {
    return st;
  }
  return port_flash_erase_abs(addr, len);
}
