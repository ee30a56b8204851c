/* Record-store recovery from arbitrary flash contents. Input byte 0 picks the mode:
 *   even: the rest is the raw settings partition (padded with 0xFF);
 *   odd:  the rest is a list of (offset u16, xor u8) patches applied to a valid store image, so the fuzzer
 *         reaches deep into real records and sector headers despite their CRCs.
 * Then the plug boots: mount, settings, energy, supervisor must succeed and settings must be valid (never
 * garbage); a new value must be writable and read back after another mount. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "energy/energy.h"
#include "fake_hal.h"
#include "settings/settings.h"
#include "supervisor/supervisor.h"

static uint8_t base[FAKE_SETTINGS_SIZE];
static int base_ready;

static void make_base(void) {
  fake_hal_reset();
  store_t st;
  if (store_mount(&st, HAL_PART_SETTINGS, 0, FAKE_SETTINGS_SIZE) != STORE_OK) abort();
  settings_t s;
  settings_defaults(&s);
  energy_t en;
  energy_init(&en, &st, 0);
  for (uint32_t i = 0; i < 700; i++) {
    if (i % 50 == 0) {
      s.heartbeat_s = (uint16_t)(60 + i % 1000);
      settings_save(&st, &s);
    }
    if (i % 7 == 0) settings_save_relay(&st, i & 1);
    energy_add_uwh(&en, 11000000);
    energy_poll(&en, i);
  }
  uint32_t size;
  memcpy(base, fake_flash_mem(HAL_PART_SETTINGS, &size), sizeof base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!base_ready) {
    make_base();
    base_ready = 1;
  }
  if (size < 1) return 0;
  fake_hal_reset();
  uint32_t psize;
  uint8_t *mem = fake_flash_mem(HAL_PART_SETTINGS, &psize);
  if (data[0] & 1u) {
    memcpy(mem, base, psize);
    for (size_t i = 1; i + 3 <= size; i += 3) {
      uint32_t off = ((uint32_t)data[i] | (uint32_t)data[i + 1] << 8) % psize;
      mem[off] ^= data[i + 2];
    }
  } else {
    size_t n = size - 1 < psize ? size - 1 : psize;
    memcpy(mem, data + 1, n);
  }

  store_t st;
  if (store_mount(&st, HAL_PART_SETTINGS, 0, FAKE_SETTINGS_SIZE) != STORE_OK) abort();
  settings_t s;
  bool relay;
  if (settings_load(&st, &s, &relay) != SETTINGS_OK) abort();
  if (settings_check_all(&s, NULL) != SETTINGS_OK) abort(); /* never garbage */
  energy_t en;
  store_err_t ee = energy_init(&en, &st, 0);
  if (ee != STORE_OK && ee != STORE_ERR_CORRUPT) abort();
  supervisor_t sup;
  (void)supervisor_boot(&sup, &st, NULL, 0); /* must not crash; a store error here is allowed */

  uint32_t v = 0xC0FFEE;
  store_err_t pe = store_put(&st, 1, &v, sizeof v);
  if (pe == STORE_ERR_FULL) return 0;
  if (pe != STORE_OK) abort();
  store_t st2;
  if (store_mount(&st2, HAL_PART_SETTINGS, 0, FAKE_SETTINGS_SIZE) != STORE_OK) abort();
  uint32_t got = 0;
  if (store_get(&st2, 1, &got, sizeof got, NULL) != STORE_OK || got != v) abort();
  return 0;
}
