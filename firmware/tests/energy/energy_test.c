/* Energy persistence policy: 10 Wh step, 10 min with growth, flush, never backwards, unknown ≠ 0. */
#include <stdio.h>
#include <string.h>

#include "cmdauth/cmdauth.h"
#include "energy/energy.h"
#include "app/app_persist.h"
#include "store/store_twin.h"
#include "supervisor/supervisor.h"
#include "fake_hal.h"
#include "unit.h"

#define WH 1000000ull
#define SEC 1000000ull

static store_t st;
static energy_t e;

static void boot(uint64_t now) {
  fake_flash_power_on();
  CHECK_EQ_INT(store_mount(&st, HAL_PART_SETTINGS, 0, APP_STORE_SIZE), STORE_OK);
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

/* The largest config record the plug accepts: every string at its maximum, an OTA key, then quotes in the
 * passwords (escaped as \" in the record) until one more would exceed APP_CONFIG_PERSIST_MAX, which
 * app_config_patch() refuses. Returns the record's length. */
static int32_t largest_config(app_config_t *c) {
  static char rec[APP_CONFIG_PERSIST_MAX];
  app_config_defaults(c, "openbl602-0a1b2c");
  fill(c->name, sizeof c->name);
  c->mqtt.enabled = true;
  fill(c->mqtt.host, sizeof c->mqtt.host);
  fill(c->mqtt.user, sizeof c->mqtt.user);
  fill(c->mqtt.password, sizeof c->mqtt.password);
  fill(c->wifi.ssid, sizeof c->wifi.ssid);
  fill(c->wifi.password, sizeof c->wifi.password);
  fill(c->api_password, sizeof c->api_password);
  c->ota_public_key[0] = '0';
  c->ota_public_key[1] = '4';
  for (size_t i = 2; i < 130; i++) c->ota_public_key[i] = 'f';
  c->ota_public_key[130] = 0;
  char *pw[] = {c->mqtt.password, c->wifi.password, c->api_password};
  for (size_t k = 0; k < 3; k++) {
    for (size_t i = 0; pw[k][i]; i++) {
      char was = pw[k][i];
      pw[k][i] = '"';
      if (app_config_encode(c, rec, sizeof rec) < 0) {
        pw[k][i] = was;
        return app_config_encode(c, rec, sizeof rec);
      }
    }
  }
  return app_config_encode(c, rec, sizeof rec);
}

/* Flash lifetime at 16 A continuous, measured on the store the plug uses (APP_STORE_SIZE) with the records it
 * writes: the largest config record it accepts (app_config_save), the relay record, the supervisor's boot
 * record, an OTA record and energy. The docs/storage.md calculation, checked. 250 V × 16 A = 4000 W worst
 * case, metered every second for one simulated day. */
static void test_flash_lifetime_at_16_amps(void) {
  fake_hal_reset();
  fake_log_quiet(true);
  boot(0);
  supervisor_t sup;
  CHECK_EQ_INT(supervisor_boot(&sup, &st, NULL, 0), STORE_OK);
  app_config_t c, loaded;
  int32_t cfg_len = largest_config(&c);
  CHECK(cfg_len > 1000 && cfg_len <= (int32_t)APP_CONFIG_PERSIST_MAX);
  CHECK_EQ_INT(app_config_save(&st, &c), STORE_OK);
  CHECK_EQ_INT(app_config_load(&st, &loaded, "other"), STORE_OK); /* a config the plug accepts */
  CHECK_EQ_INT(app_relay_save(&st, 1), STORE_OK);
  static const uint8_t ota_rec[21] = {1}; /* format, pending, slot, trial boots, error, version[16] (ota.c) */
  CHECK_EQ_INT(store_put(&st, STORE_KEY_OTA, ota_rec, sizeof ota_rec), STORE_OK);
  static const uint8_t trust_rec[71] = {1, 1}; /* format, key present, key[65], floor (ota_trust.c) */
  CHECK_EQ_INT(store_twin_put(&st, (store_twin_t){STORE_KEY_OTA_TRUST, STORE_KEY_OTA_TRUST_COPY}, trust_rec,
                              sizeof trust_rec),
               STORE_OK);
  static const uint8_t cmdauth_rec[8] = {1}; /* the MQTT command counter (cmdauth.c) */
  CHECK_EQ_INT(store_put(&st, CMDAUTH_STORE_KEY, cmdauth_rec, sizeof cmdauth_rec), STORE_OK);
  /* the config and the OTA trust record are each stored twice (store_twin.h) */
  uint32_t live = STORE_SECTOR_HEADER + 2u * store_record_size((size_t)cfg_len) + store_record_size(1) +
                  store_record_size(8) + store_record_size(sizeof ota_rec) + 2u * store_record_size(sizeof trust_rec) +
                  store_record_size(sizeof cmdauth_rec);
  size_t boot_len = 0;
  uint8_t tmp[64];
  CHECK_EQ_INT(store_get(&st, STORE_KEY_BOOT, tmp, sizeof tmp, &boot_len), STORE_OK);
  live += store_record_size(boot_len);
  uint32_t erases0 = fake_flash_erases(HAL_PART_SETTINGS);
  uint32_t relay_writes = 0;
  uint64_t uwh_per_s = 4000ull * WH / 3600u;
  for (uint64_t t = 1; t <= 86400; t++) {
    energy_add_uwh(&e, uwh_per_s);
    CHECK_EQ_INT(energy_poll(&e, t * SEC), STORE_OK);
    if (t % 1728 == 0) { /* 50 relay clicks a day */
      CHECK_EQ_INT(app_relay_save(&st, (uint8_t)((t / 1728) & 1)), STORE_OK);
      relay_writes++;
    }
  }
  uint32_t erases = fake_flash_erases(HAL_PART_SETTINGS) - erases0;
  uint32_t sectors = APP_STORE_SIZE / HAL_FLASH_SECTOR;
  double per_sector_day = (double)erases / sectors;
  double years = 100000.0 / per_sector_day / 365.25;
  printf("16 A at 250 V for a day: config record %d B (store record %u B), live set %u B, %u B of appends per "
         "sector; %u energy records (%u B each), %u relay records; %u sector erases over %u sectors = %.2f erase "
         "cycles per sector per day -> %.1f years to 100k cycles\n",
         (int)cfg_len, (unsigned)store_record_size((size_t)cfg_len), (unsigned)live,
         (unsigned)(HAL_FLASH_SECTOR - live), (unsigned)e.writes, (unsigned)store_record_size(8),
         (unsigned)relay_writes, (unsigned)erases, (unsigned)sectors, per_sector_day, years);
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
