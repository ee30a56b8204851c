#include "fake_hal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static uint8_t g_settings[FAKE_SETTINGS_SIZE];
static uint8_t g_fw_a[FAKE_FW_SIZE];
static uint8_t g_fw_b[FAKE_FW_SIZE];
static uint32_t g_erases[HAL_PART_COUNT];

static uint64_t g_units;
static bool g_armed, g_off, g_scramble;
static uint64_t g_budget;
static uint32_t g_rng = 1;
static int g_stuck_part = -1, g_stuck_sector = -1;

static hal_reset_reason_t g_reason = HAL_RESET_POWER_ON;
static uint32_t g_feeds, g_wdt_ms;
static hal_partition_t g_running = HAL_PART_FW_A, g_selected = HAL_PART_FW_A;
static bool g_trial, g_quiet = true;

static uint32_t rnd(void) { /* xorshift32: deterministic per seed, so a failing cut point reproduces */
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 17;
  g_rng ^= g_rng << 5;
  return g_rng;
}

void fake_hal_reset(void) {
  memset(g_settings, 0xFF, sizeof g_settings);
  memset(g_fw_a, 0xFF, sizeof g_fw_a);
  memset(g_fw_b, 0xFF, sizeof g_fw_b);
  memset(g_erases, 0, sizeof g_erases);
  g_units = 0;
  g_armed = g_off = false;
  g_reason = HAL_RESET_POWER_ON;
  g_feeds = g_wdt_ms = 0;
  g_running = g_selected = HAL_PART_FW_A;
  g_trial = false;
  g_stuck_part = g_stuck_sector = -1;
}

void fake_flash_stuck_sector(hal_partition_t part, int sector) {
  g_stuck_part = (int)part;
  g_stuck_sector = sector;
}

uint8_t *fake_flash_mem(hal_partition_t part, uint32_t *size) {
  switch (part) {
    case HAL_PART_SETTINGS: *size = sizeof g_settings; return g_settings;
    case HAL_PART_FW_A: *size = sizeof g_fw_a; return g_fw_a;
    case HAL_PART_FW_B: *size = sizeof g_fw_b; return g_fw_b;
    default: *size = 0; return NULL;
  }
}

void fake_flash_cut_after(uint64_t units, uint32_t seed, bool scramble) {
  g_armed = true;
  g_budget = units;
  g_rng = seed ? seed : 1;
  g_scramble = scramble;
}
void fake_flash_power_on(void) { g_armed = g_off = false; }
void fake_flash_power_off(void) { g_off = true; }
bool fake_flash_powered(void) { return !g_off; }
uint64_t fake_flash_units(void) { return g_units; }
uint32_t fake_flash_erases(hal_partition_t part) { return part < HAL_PART_COUNT ? g_erases[part] : 0; }

/* Consumes one unit; false when this unit is the one the power cut tears. */
static bool unit_completes(void) {
  if (g_armed && g_budget == 0) {
    g_off = true;
    return false;
  }
  if (g_armed) g_budget--;
  g_units++;
  return true;
}

static uint8_t *region(hal_partition_t part, uint32_t off, size_t len) {
  uint32_t size;
  uint8_t *mem = fake_flash_mem(part, &size);
  if (!mem || off > size || len > size - off) return NULL;
  return mem + off;
}

hal_status_t hal_flash_info(hal_partition_t part, hal_partition_info_t *out) {
  uint32_t size;
  if (!fake_flash_mem(part, &size)) return HAL_ERR_ARG;
  out->size = size;
  out->address = (uint32_t)part * 0x100000u;
  return HAL_OK;
}

hal_status_t hal_flash_read(hal_partition_t part, uint32_t offset, void *buf, size_t len) {
  if (g_off) return HAL_ERR_POWER;
  uint8_t *p = region(part, offset, len);
  if (!p) return HAL_ERR_ARG;
  memcpy(buf, p, len);
  return HAL_OK;
}

hal_status_t hal_flash_write(hal_partition_t part, uint32_t offset, const void *buf, size_t len) {
  if (g_off) return HAL_ERR_POWER;
  uint8_t *p = region(part, offset, len);
  if (!p) return HAL_ERR_ARG;
  const uint8_t *d = buf;
  for (size_t i = 0; i < len; i++) {
    if ((int)part == g_stuck_part && (int)((offset + i) / HAL_FLASH_SECTOR) == g_stuck_sector) {
      (void)unit_completes();
      continue;
    }
    if (unit_completes()) {
      p[i] &= d[i]; /* NOR: programming only clears bits */
      continue;
    }
    if (g_scramble) {
      for (size_t j = i; j < len; j++)
        if (rnd() & 1u) p[j] &= d[j];
    }
    p[i] &= (uint8_t)(d[i] | (uint8_t)rnd());
    return HAL_ERR_POWER;
  }
  return HAL_OK;
}

hal_status_t hal_flash_erase(hal_partition_t part, uint32_t offset, size_t len) {
  if (g_off) return HAL_ERR_POWER;
  if (offset % HAL_FLASH_SECTOR || len % HAL_FLASH_SECTOR) return HAL_ERR_ARG;
  uint8_t *p = region(part, offset, len);
  if (!p) return HAL_ERR_ARG;
  for (size_t s = 0; s < len; s += HAL_FLASH_SECTOR) {
    if (!unit_completes()) {
      uint32_t done = rnd() % HAL_FLASH_SECTOR;
      memset(p + s, 0xFF, done);
      for (uint32_t i = done; i < done + 16 && i < HAL_FLASH_SECTOR; i++) p[s + i] |= (uint8_t)rnd();
      return HAL_ERR_POWER;
    }
    memset(p + s, 0xFF, HAL_FLASH_SECTOR);
    g_erases[part]++;
  }
  return HAL_OK;
}

hal_partition_t hal_boot_running_slot(void) { return g_running; }
hal_status_t hal_boot_select(hal_partition_t slot, bool trial) {
  if (slot != HAL_PART_FW_A && slot != HAL_PART_FW_B) return HAL_ERR_ARG;
  g_selected = slot;
  g_trial = trial;
  return HAL_OK;
}
bool hal_boot_trial_pending(void) { return false; }
void fake_set_running_slot(hal_partition_t slot) { g_running = slot; }
hal_partition_t fake_selected_slot(bool *trial) {
  if (trial) *trial = g_trial;
  return g_selected;
}

hal_status_t hal_watchdog_start(uint32_t timeout_ms) {
  g_wdt_ms = timeout_ms;
  return HAL_OK;
}
void hal_watchdog_feed(void) { g_feeds++; }
uint32_t fake_watchdog_feeds(void) { return g_feeds; }
uint32_t fake_watchdog_timeout_ms(void) { return g_wdt_ms; }

hal_reset_reason_t hal_reset_reason(void) { return g_reason; }
void fake_set_reset_reason(hal_reset_reason_t r) { g_reason = r; }

void fake_log_quiet(bool quiet) { g_quiet = quiet; }
void hal_log(hal_log_level_t level, const char *module, const char *fmt, ...) {
  if (g_quiet) return;
  va_list ap;
  va_start(ap, fmt);
  printf("[%d] %s: ", (int)level, module);
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
}
