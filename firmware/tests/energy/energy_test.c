/* Energy persistence policy: 10 Wh step, 10 min with growth, flush, never backwards, unknown ≠ 0. */
#include <stdio.h>
#include <string.h>

#include "energy/energy.h"
#include "settings/settings.h"
#include "fake_hal.h"
#include "unit.h"

#define WH 1000000ull
#define SEC 1000000ull

static store_t st;
static energy_t e;

static void boot(uint64_t now) {
  fake_flash_power_on();
  CHECK_EQ_INT(store_mount(&st, HAL_PART_SETTINGS, 0, FAKE_SETTINGS_SIZE), STORE_OK);
  CHECK_EQ_INT(energy_init(&e, &st, now), STORE_OK);
}

static uint64_t wh(void) {
  uint64_t v = 999999;
  CHECK(energy_wh(&e, &v));
  return v;
}

static void test_new_plug_starts_at_zero(void) {
  fake_hal_reset();
  boot(0);
  CHECK_EQ_U64(wh(), 0);
}

static void test_persists_every_10_wh(void) {
  fake_hal_reset();
  boot(0);
  energy_add_uwh(&e, 9 * WH);
  CHECK_EQ_INT(energy_poll(&e, 1 * SEC), STORE_OK);
  CHECK_EQ_INT(e.writes, 0);
  energy_add_uwh(&e, 1 * WH);
  CHECK_EQ_INT(energy_poll(&e, 2 * SEC), STORE_OK);
  CHECK_EQ_INT(e.writes, 1);
  energy_add_uwh(&e, 5 * WH); /* lost by the power cut below: < 10 Wh */
  CHECK_EQ_INT(energy_poll(&e, 3 * SEC), STORE_OK);
  boot(0);
  CHECK_EQ_U64(wh(), 10);
}

static void test_persists_after_10_minutes_of_growth(void) {
  fake_hal_reset();
  boot(0);
  energy_add_uwh(&e, 3 * WH);
  CHECK_EQ_INT(energy_poll(&e, 599 * SEC), STORE_OK);
  CHECK_EQ_INT(e.writes, 0);
  CHECK_EQ_INT(energy_poll(&e, 600 * SEC), STORE_OK);
  CHECK_EQ_INT(e.writes, 1);
  /* no growth: no writes, however long */
  CHECK_EQ_INT(energy_poll(&e, 6000 * SEC), STORE_OK);
  CHECK_EQ_INT(e.writes, 1);
  boot(0);
  CHECK_EQ_U64(wh(), 3);
}

static void test_flush_before_reboot(void) {
  fake_hal_reset();
  boot(0);
  energy_add_uwh(&e, 2 * WH + 500000);
  CHECK_EQ_INT(energy_flush(&e, 1), STORE_OK);
  boot(0);
  CHECK_EQ_U64(wh(), 2);
  CHECK_EQ_U64(e.total_uwh, 2 * WH + 500000);
}

static void test_unknown_until_loaded_never_zero(void) {
  fake_hal_reset();
  boot(0);
  energy_add_uwh(&e, 42 * WH);
  CHECK_EQ_INT(energy_flush(&e, 0), STORE_OK);
  fake_flash_power_off(); /* flash unreadable at boot */
  CHECK(energy_init(&e, &st, 0) != STORE_OK);
  uint64_t v = 7;
  CHECK(!energy_wh(&e, &v));
  CHECK_EQ_U64(v, 7);
  energy_add_uwh(&e, 1 * WH);
  CHECK(energy_flush(&e, 0) != STORE_OK); /* must not overwrite 42 with 1 */
  CHECK(energy_reset(&e, 0) != STORE_OK);
  fake_flash_power_on();
  CHECK_EQ_INT(energy_poll(&e, 1), STORE_OK); /* retries the load */
  CHECK_EQ_U64(wh(), 43);
}

static void test_reset_is_persisted(void) {
  fake_hal_reset();
  boot(0);
  energy_add_uwh(&e, 20 * WH);
  CHECK_EQ_INT(energy_poll(&e, 1), STORE_OK);
  CHECK_EQ_INT(energy_reset(&e, 2), STORE_OK);
  CHECK_EQ_U64(wh(), 0);
  boot(0);
  CHECK_EQ_U64(wh(), 0);
}

static void fill(char *dst, size_t size) {
  memset(dst, 'x', size - 1);
  dst[size - 1] = 0;
}

/* Flash lifetime at 16 A continuous, measured on the real store with the largest possible settings record:
 * the docs/storage.md calculation, checked. 250 V × 16 A = 4000 W worst case, metered every second. */
static void test_flash_lifetime_at_16_amps(void) {
  fake_hal_reset();
  boot(0);
  settings_t s;
  settings_defaults(&s);
  fill(s.mqtt_host, sizeof s.mqtt_host);
  fill(s.mqtt_user, sizeof s.mqtt_user);
  fill(s.mqtt_password, sizeof s.mqtt_password);
  fill(s.name, sizeof s.name);
  fill(s.api_password, sizeof s.api_password);
  fill(s.wifi_ssid, sizeof s.wifi_ssid);
  fill(s.wifi_password, sizeof s.wifi_password);
  s.has_ota_key = true;
  s.ota_public_key[0] = 4;
  CHECK_EQ_INT(settings_save(&st, &s), SETTINGS_OK);
  CHECK_EQ_INT(settings_save_relay(&st, true), SETTINGS_OK);
  uint32_t erases0 = fake_flash_erases(HAL_PART_SETTINGS);
  uint64_t uwh_per_s = 4000ull * WH / 3600u;
  for (uint64_t t = 1; t <= 86400; t++) {
    energy_add_uwh(&e, uwh_per_s);
    CHECK_EQ_INT(energy_poll(&e, t * SEC), STORE_OK);
    if (t % 1728 == 0) CHECK_EQ_INT(settings_save_relay(&st, (t / 1728) & 1), SETTINGS_OK); /* 50/day */
  }
  uint32_t erases = fake_flash_erases(HAL_PART_SETTINGS) - erases0;
  uint32_t sectors = FAKE_SETTINGS_SIZE / HAL_FLASH_SECTOR;
  double per_sector_day = (double)erases / sectors;
  double years = 100000.0 / per_sector_day / 365.25;
  printf("16 A at 250 V for a day: %u energy records, %u sector erases over %u sectors = %.2f erase cycles per "
         "sector per day -> %.1f years to 100k cycles\n",
         (unsigned)e.writes, (unsigned)erases, (unsigned)sectors, per_sector_day, years);
  CHECK(e.writes >= 8600); /* one per ≥ 10 Wh */
  CHECK(years >= 20.0);
}

static void test_write_rate_at_16_amps(void) {
  /* 3680 W for one simulated day, metered every second: one write per ≥ 10 Wh (≈ 9.8 s). */
  fake_hal_reset();
  boot(0);
  uint64_t uwh_per_s = 3680ull * WH / 3600u;
  for (uint64_t t = 1; t <= 86400; t++) {
    energy_add_uwh(&e, uwh_per_s);
    CHECK_EQ_INT(energy_poll(&e, t * SEC), STORE_OK);
  }
  CHECK(e.writes >= 8600 && e.writes <= 8840); /* 86400 s / 10 s */
  CHECK_EQ_U64(wh(), 3680ull * 24u - 1u); /* 88319.99 Wh: integer µWh/s rounds down */
}

int main(void) {
  RUN(test_new_plug_starts_at_zero);
  RUN(test_persists_every_10_wh);
  RUN(test_persists_after_10_minutes_of_growth);
  RUN(test_flush_before_reboot);
  RUN(test_unknown_until_loaded_never_zero);
  RUN(test_reset_is_persisted);
  RUN(test_write_rate_at_16_amps);
  RUN(test_flash_lifetime_at_16_amps);
  return unit_report();
}
