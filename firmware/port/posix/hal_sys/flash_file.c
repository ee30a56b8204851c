/* Flash as a file: [settings][fw A][fw B], NOR semantics (erase → 0xFF, write ANDs), plus the power-cut
 * injector described in posix_sys.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix_sys_internal.h"

static int g_fd = -1;
static uint32_t g_size[HAL_PART_COUNT], g_base[HAL_PART_COUNT];
static uint64_t g_ops;
static int64_t g_cut_after = -1;
static int32_t g_torn = -1;
static bool g_cut_exits, g_off;
static uint32_t g_fw_writes[HAL_PART_COUNT]; /* writes into a firmware slot since start (OTA phase points) */

void posix_sys_arm_cut(int64_t after_ops, int32_t torn_bytes, bool exits) {
  g_cut_after = after_ops < 0 ? -1 : (int64_t)g_ops + after_ops;
  g_torn = torn_bytes;
  g_cut_exits = exits;
}
void posix_sys_power_on(void) {
  g_off = false;
  g_cut_after = -1;
}
bool posix_sys_powered(void) { return !g_off; }
uint64_t posix_sys_flash_ops(void) { return g_ops; }

static int fill_ff(uint64_t from, uint64_t to) {
  uint8_t ff[4096];
  memset(ff, 0xFF, sizeof ff);
  while (from < to) {
    size_t n = to - from < sizeof ff ? (size_t)(to - from) : sizeof ff;
    ssize_t w = pwrite(g_fd, ff, n, (off_t)from);
    if (w <= 0) return -1;
    from += (uint64_t)w;
  }
  return 0;
}

int posix_flash_open(const char *path, uint32_t settings_size, uint32_t fw_size) {
  if (settings_size % HAL_FLASH_SECTOR || fw_size % HAL_FLASH_SECTOR || !settings_size || !fw_size) {
    fprintf(stderr, "posix_sys: partition sizes must be non-zero multiples of %u\n", HAL_FLASH_SECTOR);
    return -1;
  }
  g_size[HAL_PART_SETTINGS] = settings_size;
  g_size[HAL_PART_FW_A] = fw_size;
  g_size[HAL_PART_FW_B] = fw_size;
  g_base[HAL_PART_SETTINGS] = 0;
  g_base[HAL_PART_FW_A] = settings_size;
  g_base[HAL_PART_FW_B] = settings_size + fw_size;
  uint64_t total = (uint64_t)settings_size + 2u * (uint64_t)fw_size;
  if (g_fd >= 0) close(g_fd);
  g_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (g_fd < 0) {
    fprintf(stderr, "posix_sys: cannot open flash file %s: %s\n", path, strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(g_fd, &st) != 0) return -1;
  if ((uint64_t)st.st_size < total && fill_ff((uint64_t)st.st_size, total) != 0) {
    fprintf(stderr, "posix_sys: cannot size flash file %s\n", path);
    return -1;
  }
  return 0;
}

static bool range_ok(hal_partition_t part, uint32_t off, size_t len) {
  return g_fd >= 0 && part < HAL_PART_COUNT && off <= g_size[part] && len <= g_size[part] - off;
}

hal_status_t hal_flash_info(hal_partition_t part, hal_partition_info_t *out) {
  if (g_fd < 0 || part >= HAL_PART_COUNT || !out) return HAL_ERR_ARG;
  out->size = g_size[part];
  out->address = g_base[part];
  return HAL_OK;
}

hal_status_t hal_flash_read(hal_partition_t part, uint32_t offset, void *buf, size_t len) {
  if (g_off) return HAL_ERR_POWER;
  if (!range_ok(part, offset, len)) return HAL_ERR_ARG;
  if (part != HAL_PART_SETTINGS && offset == 0 && g_fw_writes[part]) posix_powercut_point("verify");
  if (len == 0) return HAL_OK;
  ssize_t r = pread(g_fd, buf, len, (off_t)g_base[part] + offset);
  return r == (ssize_t)len ? HAL_OK : HAL_ERR_IO;
}

/* Returns how many bytes of an op of `len` may complete: len normally, fewer for the torn op. */
static size_t op_budget(size_t len, bool *cut) {
  *cut = g_cut_after >= 0 && (int64_t)g_ops >= g_cut_after;
  g_ops++;
  if (!*cut) return len;
  size_t n = g_torn < 0 ? len / 2 : (size_t)g_torn;
  return n < len ? n : len;
}

static hal_status_t power_cut(void) {
  g_off = true;
  hal_log(HAL_LOG_WARN, "flash", "power cut injected after %llu flash operations",
          (unsigned long long)(g_ops - 1));
  if (g_cut_exits) _exit(99);
  return HAL_ERR_POWER;
}

hal_status_t hal_flash_write(hal_partition_t part, uint32_t offset, const void *buf, size_t len) {
  if (g_off) return HAL_ERR_POWER;
  if (!range_ok(part, offset, len)) return HAL_ERR_ARG;
  if (len == 0) return HAL_OK;
  if (part != HAL_PART_SETTINGS && ++g_fw_writes[part] == 8) posix_powercut_point("upload");
  bool cut;
  size_t n = op_budget(len, &cut);
  const uint8_t *d = buf;
  uint8_t tmp[256];
  for (size_t done = 0; done < n;) {
    size_t k = n - done < sizeof tmp ? n - done : sizeof tmp;
    off_t at = (off_t)g_base[part] + offset + (off_t)done;
    if (pread(g_fd, tmp, k, at) != (ssize_t)k) return HAL_ERR_IO;
    for (size_t i = 0; i < k; i++) tmp[i] &= d[done + i]; /* NOR: bits only go 1 → 0 */
    if (pwrite(g_fd, tmp, k, at) != (ssize_t)k) return HAL_ERR_IO;
    done += k;
  }
  return cut ? power_cut() : HAL_OK;
}

hal_status_t hal_flash_erase(hal_partition_t part, uint32_t offset, size_t len) {
  if (g_off) return HAL_ERR_POWER;
  if (!range_ok(part, offset, len) || offset % HAL_FLASH_SECTOR || len % HAL_FLASH_SECTOR)
    return HAL_ERR_ARG;
  if (len == 0) return HAL_OK;
  bool cut;
  size_t n = op_budget(len, &cut);
  uint64_t at = (uint64_t)g_base[part] + offset;
  if (fill_ff(at, at + n) != 0) return HAL_ERR_IO;
  return cut ? power_cut() : HAL_OK;
}
