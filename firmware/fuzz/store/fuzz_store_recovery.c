/* Record-store recovery from arbitrary flash contents. Input byte 0 picks the mode:
 *   even: the rest is the raw settings partition (padded with 0xFF);
 *   odd:  the rest is a list of (offset u16, xor u8) patches applied to a valid store image, so the fuzzer
 *         reaches deep into real records and sector headers despite their CRCs.
 * Then the plug boots as obl_app_init() does: mount, supervisor, the app's config and relay records
 * (core/app/app_persist), energy. Mount must succeed; a config that loads must be one the protocol accepts
 * (re-validated from its own record: never garbage); a new value must be writable and read back after
 * another mount. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_persist.h"
#include "energy/energy.h"
#include "fake_hal.h"
#include "supervisor/supervisor.h"

static uint8_t base[FAKE_SETTINGS_SIZE];
static int base_ready;

static void make_base(void) {
  fake_hal_reset();
  store_t st;
  if (store_mount(&st, HAL_PART_SETTINGS, 0, FAKE_SETTINGS_SIZE) != STORE_OK) abort();
  app_config_t c;
  app_config_defaults(&c, "openbl602-fuzz");
  snprintf(c.mqtt.host, sizeof c.mqtt.host, "broker.lan");
  snprintf(c.wifi.ssid, sizeof c.wifi.ssid, "home");
  energy_t en;
  energy_init(&en, &st, 0);
  for (uint32_t i = 0; i < 700; i++) {
    if (i % 50 == 0) {
      c.report.heartbeat_s = (uint16_t)(60 + i % 1000);
      c.mqtt.enabled = (i / 50) & 1;
      app_config_save(&st, &c);
    }
    if (i % 7 == 0) app_relay_save(&st, i & 1);
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
  supervisor_t sup;
  (void)supervisor_boot(&sup, &st, NULL, 0); /* must not crash; a store error here is allowed */
  app_config_t c;
  store_err_t ce = app_config_load(&st, &c, "openbl602-fuzz");
  static char rec[APP_CONFIG_PERSIST_MAX];
  int32_t n = app_config_encode(&c, rec, sizeof rec); /* loaded or defaults: either must re-validate */
  if (n < 0) abort();
  app_config_t again;
  app_config_defaults(&again, "other");
  app_errors_t errs;
  if (!app_config_patch(&again, rec, (size_t)n, APP_SRC_HTTP, &errs)) abort(); /* never garbage */
  if (ce == STORE_OK && c.mqtt.enabled && c.mqtt.host[0] == '\0') abort();
  uint8_t mask = 0;
  (void)app_relay_load(&st, &mask);
  energy_t en;
  store_err_t ee = energy_init(&en, &st, 0);
  if (ee != STORE_OK && ee != STORE_ERR_CORRUPT) abort();

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
