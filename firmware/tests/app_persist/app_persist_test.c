/* The app's config and relay records (core/app/app_persist): what a plug reads back from flash, including
 * records it must refuse as a whole. The power-cut sweep (tests/powercut) covers torn writes. */
#include <stdio.h>
#include <string.h>

#include "app/app_persist.h"
#include "fake_hal.h"
#include "unit.h"

static store_t st;

static void mount(void) {
  fake_flash_power_on();
  CHECK_EQ_INT(store_mount(&st, HAL_PART_SETTINGS, 0, APP_STORE_SIZE), STORE_OK);
}

static bool same(const app_config_t *a, const app_config_t *b) {
  static char ra[APP_CONFIG_PERSIST_MAX], rb[APP_CONFIG_PERSIST_MAX];
  int32_t na = app_config_encode(a, ra, sizeof ra), nb = app_config_encode(b, rb, sizeof rb);
  return na > 0 && na == nb && memcmp(ra, rb, (size_t)na) == 0;
}

static void test_fresh_plug_gets_defaults_named_after_host(void) {
  fake_hal_reset();
  mount();
  app_config_t c;
  CHECK_EQ_INT(app_config_load(&st, &c, "openbl602-abc123"), STORE_ERR_NOT_FOUND);
  CHECK_STR(c.name, "openbl602-abc123");
  CHECK_EQ_INT(c.startup, APP_STARTUP_RESTORE);
  uint8_t m = 7;
  CHECK(!app_relay_load(&st, &m));
  CHECK_EQ_INT(m, 7);
}

static void test_config_and_relay_round_trip(void) {
  fake_hal_reset();
  mount();
  app_config_t c, got;
  app_config_defaults(&c, "h");
  app_errors_t errs;
  const char *patch = "{\"name\":\"Kitchen \\\"kettle\\\"\",\"startup\":\"toggle\",\"mqtt\":{\"enabled\":true,"
                      "\"host\":\"broker.lan\",\"password\":\"p\\\\w\"},\"calibration\":{\"power_gain\":1.0625}}";
  CHECK(app_config_patch(&c, patch, strlen(patch), APP_SRC_HTTP, &errs));
  CHECK_EQ_INT(app_config_save(&st, &c), STORE_OK);
  CHECK_EQ_INT(app_relay_save(&st, 1), STORE_OK);
  uint32_t appends = st.stats.appends;
  CHECK_EQ_INT(app_config_save(&st, &c), STORE_OK); /* unchanged: no flash write */
  CHECK_EQ_INT(st.stats.appends, appends);
  mount();
  CHECK_EQ_INT(app_config_load(&st, &got, "other"), STORE_OK);
  CHECK(same(&got, &c));
  CHECK_STR(got.name, "Kitchen \"kettle\"");
  CHECK_STR(got.mqtt.password, "p\\w");
  uint8_t m = 0;
  CHECK(app_relay_load(&st, &m));
  CHECK_EQ_INT(m, 1);
  CHECK_EQ_INT(app_config_power_on(&got), RELAY_POWER_ON_TOGGLE);
}

/* A record that is no JSON object cannot be read at all: the defaults, never a guess. */
static void test_unreadable_record_gives_defaults(void) {
  static const char *const bad[] = {
      "{\"name\":\"half\",", /* truncated */
      "[1,2,3]",
      "",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    fake_hal_reset();
    mount();
    CHECK_EQ_INT(store_put(&st, STORE_KEY_SETTINGS, bad[i], strlen(bad[i])), STORE_OK);
    app_config_t c, def;
    CHECK_EQ_INT(app_config_load(&st, &c, "host-x"), STORE_ERR_CORRUPT);
    app_config_defaults(&def, "host-x");
    CHECK(same(&c, &def));
  }
}

/* A value this firmware does not accept drops that field alone: it keeps its default, the rest loads. */
static void test_bad_value_drops_only_its_field(void) {
  static const struct {
    const char *record;
  } cases[] = {
      {"{\"name\":\"half\",\"protection\":{\"max_power_w\":99999,\"hold_s\":7}}"}, /* out of range */
      {"{\"name\":\"half\",\"startup\":7,\"protection\":{\"hold_s\":7}}"},        /* wrong type */
      {"{\"name\":\"half\",\"protection\":\"high\",\"startup\":\"on\"}"},       /* group of wrong type */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    fake_hal_reset();
    mount();
    CHECK_EQ_INT(store_put(&st, STORE_KEY_SETTINGS, cases[i].record, strlen(cases[i].record)), STORE_OK);
    app_config_t c;
    CHECK_EQ_INT(app_config_load(&st, &c, "host-x"), STORE_OK);
    CHECK_STR(c.name, "half");
    CHECK_NEAR(c.protection.max_power_w, 3680.0f, 0.0);
    if (i < 2) CHECK_EQ_INT(c.protection.hold_s, 7);
    CHECK_EQ_INT(c.startup, i == 2 ? APP_STARTUP_ON : APP_STARTUP_RESTORE);
  }
}

/* #12: a record written by a newer firmware with a new LED mode and a longer setup hold is read after a
 * downgrade. Both fields fall back to their defaults; Wi-Fi, API password, OTA key and every other field
 * survive, so the plug stays on its network and stays closed. The API still refuses the same values. */
static void test_newer_firmware_values_drop_alone(void) {
  static const char key[] = "04"
                            "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
                            "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";
  static char record[APP_CONFIG_PERSIST_MAX];
  int n = snprintf(record, sizeof record,
                   "{\"name\":\"desk\",\"startup\":\"off\",\"led\":\"breathing\","
                   "\"button\":{\"enabled\":true,\"double_press\":false,\"long_press_ms\":1500,\"setup_hold_s\":120},"
                   "\"report\":{\"heartbeat_s\":120},\"mqtt\":{\"enabled\":true,\"host\":\"broker.lan\",\"port\":1884,"
                   "\"user\":\"u\",\"password\":\"mqttpw\"},\"wifi\":{\"ssid\":\"home\",\"password\":\"correct horse\"},"
                   "\"api_password\":\"s3cret-pass\",\"ota_public_key\":\"%s\"}",
                   key);
  CHECK(n > 0 && (size_t)n < sizeof record);
  fake_hal_reset();
  mount();
  CHECK_EQ_INT(store_put(&st, STORE_KEY_SETTINGS, record, (size_t)n), STORE_OK);
  app_config_t c;
  CHECK_EQ_INT(app_config_load(&st, &c, "h"), STORE_OK);
  CHECK_STR(c.wifi.ssid, "home");
  CHECK_STR(c.wifi.password, "correct horse");
  CHECK_STR(c.api_password, "s3cret-pass");
  CHECK_STR(c.ota_public_key, key);
  CHECK_EQ_INT(c.led, APP_LED_RELAY);         /* default */
  CHECK_EQ_INT(c.button.setup_hold_s, 10);    /* default */
  CHECK_STR(c.name, "desk");
  CHECK_EQ_INT(c.startup, APP_STARTUP_OFF);
  CHECK(c.button.enabled);
  CHECK(!c.button.double_press);
  CHECK_EQ_INT(c.button.long_press_ms, 1500);
  CHECK_EQ_INT(c.report.heartbeat_s, 120);
  CHECK(c.mqtt.enabled);
  CHECK_STR(c.mqtt.host, "broker.lan");
  CHECK_EQ_INT(c.mqtt.port, 1884);
  CHECK_STR(c.mqtt.password, "mqttpw");
  /* what loads saves back whole: the next boot reads the same */
  CHECK_EQ_INT(app_config_save(&st, &c), STORE_OK);
  app_config_t again;
  CHECK_EQ_INT(app_config_load(&st, &again, "h"), STORE_OK);
  CHECK(same(&again, &c));
  /* the API path still refuses each value with a clear error */
  static const struct {
    const char *body, *field, *code;
  } api[] = {
      {"{\"led\":\"breathing\"}", "led", "invalid_value"},
      {"{\"button\":{\"setup_hold_s\":120}}", "button.setup_hold_s", "out_of_range"},
      {"{\"glow\":1}", "glow", "unknown_field"},
  };
  for (size_t i = 0; i < sizeof api / sizeof api[0]; i++) {
    app_errors_t errs;
    app_config_t before = c;
    CHECK(!app_config_patch(&c, api[i].body, strlen(api[i].body), APP_SRC_HTTP, &errs));
    CHECK_STR(errs.e[0].field, api[i].field);
    CHECK_STR(errs.e[0].code, api[i].code);
    CHECK(same(&c, &before));
  }
}

/* A broker whose host a newer firmware stored in a form this one refuses is switched off, not half on. */
static void test_dropped_broker_host_disables_mqtt(void) {
  fake_hal_reset();
  mount();
  const char *rec = "{\"mqtt\":{\"enabled\":true,\"host\":\"bad host!\"},\"wifi\":{\"ssid\":\"home\"}}";
  CHECK_EQ_INT(store_put(&st, STORE_KEY_SETTINGS, rec, strlen(rec)), STORE_OK);
  app_config_t c;
  CHECK_EQ_INT(app_config_load(&st, &c, "h"), STORE_OK);
  CHECK(!c.mqtt.enabled);
  CHECK_STR(c.wifi.ssid, "home");
}

/* An older firmware's record lacks the fields added since: they keep their defaults, the rest loads. */
static void test_older_record_without_new_fields_loads(void) {
  fake_hal_reset();
  mount();
  const char *old = "{\"name\":\"old plug\",\"startup\":\"on\",\"report\":{\"heartbeat_s\":300}}";
  CHECK_EQ_INT(store_put(&st, STORE_KEY_SETTINGS, old, strlen(old)), STORE_OK);
  app_config_t c;
  CHECK_EQ_INT(app_config_load(&st, &c, "h"), STORE_OK);
  CHECK_STR(c.name, "old plug");
  CHECK_EQ_INT(c.startup, APP_STARTUP_ON);
  CHECK_EQ_INT(c.report.heartbeat_s, 300);
  CHECK_STR(c.ota_public_key, "");
  CHECK_NEAR(c.protection.max_power_w, 3680.0f, 0.0);
}

/* A newer firmware's record (read after an OTA rollback) has fields this one does not know: they are
 * skipped and everything else loads, so the plug keeps its Wi-Fi and MQTT settings. */
static void test_newer_record_with_unknown_fields_loads(void) {
  fake_hal_reset();
  mount();
  const char *newer = "{\"name\":\"new plug\",\"future\":{\"a\":1},\"button\":{\"enabled\":false,"
                      "\"triple_press\":true},\"wifi\":{\"ssid\":\"home\",\"password\":\"correct horse\"}}";
  CHECK_EQ_INT(store_put(&st, STORE_KEY_SETTINGS, newer, strlen(newer)), STORE_OK);
  app_config_t c;
  CHECK_EQ_INT(app_config_load(&st, &c, "h"), STORE_OK);
  CHECK_STR(c.name, "new plug");
  CHECK(!c.button.enabled);
  CHECK_STR(c.wifi.ssid, "home");
  /* the same body over the API is still refused */
  app_errors_t errs;
  CHECK(!app_config_patch(&c, newer, strlen(newer), APP_SRC_HTTP, &errs));
  CHECK_STR(errs.e[0].code, "unknown_field");
}

static void test_wrong_length_relay_record_is_ignored(void) {
  fake_hal_reset();
  mount();
  uint8_t two[2] = {1, 1};
  CHECK_EQ_INT(store_put(&st, STORE_KEY_RELAY, two, 2), STORE_OK);
  uint8_t m = 9;
  CHECK(!app_relay_load(&st, &m));
  CHECK_EQ_INT(m, 9);
}

static void test_startup_maps_to_relay_policy(void) {
  app_config_t c;
  app_config_defaults(&c, "h");
  const relay_power_on_t want[] = {RELAY_POWER_ON_OFF, RELAY_POWER_ON_ON, RELAY_POWER_ON_RESTORE,
                                   RELAY_POWER_ON_TOGGLE, RELAY_POWER_ON_RESTORE};
  for (uint8_t s = 0; s < 5; s++) {
    c.startup = s;
    CHECK_EQ_INT(app_config_power_on(&c), want[s]);
  }
}

static void test_unreadable_flash_is_a_store_error(void) {
  fake_hal_reset();
  mount();
  app_config_t c;
  app_config_defaults(&c, "h");
  c.startup = APP_STARTUP_ON;
  CHECK_EQ_INT(app_config_save(&st, &c), STORE_OK);
  fake_flash_power_off();
  CHECK_EQ_INT(app_config_load(&st, &c, "h"), STORE_ERR_IO);
  CHECK_EQ_INT(c.startup, APP_STARTUP_RESTORE); /* defaults, not whatever was in c */
  fake_flash_power_on();
}

/* Plugs that ran with the 4-sector store (16 KiB) keep their config, relay and energy when a firmware
 * with the 8-sector APP_STORE_SIZE mounts the same partition: the extra sectors are erased or never valid. */
static void test_four_sector_store_upgrades_in_place(void) {
  fake_hal_reset();
  store_t old;
  CHECK_EQ_INT(store_mount(&old, HAL_PART_SETTINGS, 0, 4u * HAL_FLASH_SECTOR), STORE_OK);
  app_config_t c, got;
  app_config_defaults(&c, "h");
  snprintf(c.name, sizeof c.name, "upgraded");
  for (int i = 0; i < 40; i++) { /* through several compactions of the small ring */
    c.report.heartbeat_s = (uint16_t)(60 + i);
    CHECK_EQ_INT(app_config_save(&old, &c), STORE_OK);
    CHECK_EQ_INT(app_relay_save(&old, (uint8_t)(i & 1)), STORE_OK);
  }
  CHECK(old.stats.compactions >= 4);
  mount();
  CHECK_EQ_INT(app_config_load(&st, &got, "h"), STORE_OK);
  CHECK(same(&got, &c));
  uint8_t m = 9;
  CHECK(app_relay_load(&st, &m));
  CHECK_EQ_INT(m, 1);
}

/* ---- the two copies of the config (store_twin.h, docs/storage.md "Two copies of the config") ---- */

static void full_config(app_config_t *c, const char *name) {
  app_config_defaults(c, "h");
  snprintf(c->name, sizeof c->name, "%s", name);
  c->startup = APP_STARTUP_ON;
  c->protection.max_power_w = 1500.0f;
  snprintf(c->wifi.ssid, sizeof c->wifi.ssid, "home");
  snprintf(c->wifi.password, sizeof c->wifi.password, "wifi-secret");
  snprintf(c->api_password, sizeof c->api_password, "api-secret");
  c->ota_public_key[0] = '0';
  c->ota_public_key[1] = '4';
  for (size_t i = 2; i < 130; i++) c->ota_public_key[i] = "0123456789abcdef"[i % 16u];
  c->ota_public_key[130] = '\0';
}

/* Clears one bit (NOR rot) in the value of the latest record of `key`. */
static void rot(uint16_t key) {
  for (uint8_t i = 0; i < st.n_keys; i++) {
    if (st.idx[i].key != key) continue;
    uint32_t size;
    uint8_t *b = fake_flash_mem(HAL_PART_SETTINGS, &size) + st.active * HAL_FLASH_SECTOR + st.idx[i].off + 4 + 20;
    *b = (uint8_t)(*b & (*b - 1u));
    return;
  }
  CHECK(0);
}

static size_t record_of(uint16_t key, char *buf) {
  size_t n = 0;
  CHECK_EQ_INT(store_get(&st, key, buf, APP_CONFIG_PERSIST_MAX, &n), STORE_OK);
  return n;
}

/* Both records hold the encoding of c. */
static void both_hold(const app_config_t *c) {
  static char a[APP_CONFIG_PERSIST_MAX], b[APP_CONFIG_PERSIST_MAX], want[APP_CONFIG_PERSIST_MAX];
  int32_t n = app_config_encode(c, want, sizeof want);
  CHECK(n > 0);
  CHECK_EQ_INT(record_of(STORE_KEY_SETTINGS, a), (size_t)n);
  CHECK_EQ_INT(record_of(STORE_KEY_SETTINGS_COPY, b), (size_t)n);
  CHECK(memcmp(a, want, (size_t)n) == 0 && memcmp(b, want, (size_t)n) == 0);
}

/* #12: one rotted config record (either copy) loses no setting — Wi-Fi, API password, OTA key and the rest —
 * and the load repairs it, so a later rot of the other record loses nothing either. */
static void test_one_rotted_config_record_loses_nothing(void) {
  for (int first = 0; first < 2; first++) {
    uint16_t k1 = first == 0 ? STORE_KEY_SETTINGS : STORE_KEY_SETTINGS_COPY;
    uint16_t k2 = first == 0 ? STORE_KEY_SETTINGS_COPY : STORE_KEY_SETTINGS;
    fake_hal_reset();
    mount();
    app_config_t c, got;
    full_config(&c, "kettle");
    CHECK_EQ_INT(app_config_save(&st, &c), STORE_OK);
    CHECK_EQ_INT(app_relay_save(&st, 1), STORE_OK); /* a later record: the rot is not a torn tail */
    rot(k1);
    mount();
    CHECK_EQ_INT(app_config_load(&st, &got, "h"), STORE_OK);
    CHECK(same(&got, &c));
    both_hold(&c); /* repaired */
    CHECK_EQ_INT(app_relay_save(&st, 0), STORE_OK);
    rot(k2);
    mount();
    CHECK_EQ_INT(app_config_load(&st, &got, "h"), STORE_OK);
    CHECK(same(&got, &c));
    both_hold(&c);
  }
}

/* A power cut between the two writes leaves the new value in the config record and the old one in the copy:
 * the config record wins (the copy is never newer) and the copy is brought up to date at load. */
static void test_cut_between_the_copies_loads_the_new_value(void) {
  fake_hal_reset();
  mount();
  app_config_t old, next, got;
  full_config(&old, "old name");
  full_config(&next, "new name");
  snprintf(next.api_password, sizeof next.api_password, "new-api-secret");
  CHECK_EQ_INT(app_config_save(&st, &old), STORE_OK);
  static char rec[APP_CONFIG_PERSIST_MAX];
  int32_t n = app_config_encode(&next, rec, sizeof rec);
  CHECK_EQ_INT(store_put(&st, STORE_KEY_SETTINGS, rec, (size_t)n), STORE_OK); /* the cut: no copy written */
  mount();
  CHECK_EQ_INT(app_config_load(&st, &got, "h"), STORE_OK);
  CHECK(same(&got, &next));
  both_hold(&next);
}

/* Migration: a plug whose config was written by the firmware before the copy (one record) keeps every field,
 * and gets its copy at the first load. */
static void test_single_record_of_older_firmware_migrates(void) {
  fake_hal_reset();
  mount();
  app_config_t c, got;
  full_config(&c, "from 0.x");
  static char rec[APP_CONFIG_PERSIST_MAX];
  int32_t n = app_config_encode(&c, rec, sizeof rec);
  CHECK_EQ_INT(store_put(&st, STORE_KEY_SETTINGS, rec, (size_t)n), STORE_OK); /* what app_config_save wrote */
  mount();
  CHECK_EQ_INT(app_config_load(&st, &got, "h"), STORE_OK);
  CHECK(same(&got, &c));
  both_hold(&c);
  CHECK_EQ_INT(app_relay_save(&st, 1), STORE_OK);
  rot(STORE_KEY_SETTINGS); /* and it is protected from then on */
  mount();
  CHECK_EQ_INT(app_config_load(&st, &got, "h"), STORE_OK);
  CHECK(same(&got, &c));
}

/* Downgrade: the firmware before the copy reads only STORE_KEY_SETTINGS with its loader (the store record
 * through app_config_patch, field by field) and finds every field — it stays on its network and closed. What
 * it then writes (the config record alone) wins over the stale copy when this firmware runs again. */
static void test_downgrade_reads_the_config_record_alone(void) {
  fake_hal_reset();
  mount();
  app_config_t c, old_fw, got;
  full_config(&c, "written by new");
  CHECK_EQ_INT(app_config_save(&st, &c), STORE_OK);
  mount();
  static char rec[APP_CONFIG_PERSIST_MAX];
  size_t n = record_of(STORE_KEY_SETTINGS, rec); /* the older firmware's app_config_load */
  app_config_defaults(&old_fw, "h");
  app_errors_t errs;
  CHECK(app_config_patch(&old_fw, rec, n, APP_SRC_FLASH, &errs));
  CHECK_EQ_INT(errs.count, 0);
  CHECK(same(&old_fw, &c));
  snprintf(old_fw.name, sizeof old_fw.name, "renamed by old");
  int32_t m = app_config_encode(&old_fw, rec, sizeof rec);
  CHECK_EQ_INT(store_put(&st, STORE_KEY_SETTINGS, rec, (size_t)m), STORE_OK); /* its app_config_save */
  mount();
  CHECK_EQ_INT(app_config_load(&st, &got, "h"), STORE_OK);
  CHECK_STR(got.name, "renamed by old");
  both_hold(&old_fw);
}

/* Neither record readable: the defaults, reported as such (CORRUPT), never a guess. */
static void test_both_records_rotted_gives_defaults(void) {
  fake_hal_reset();
  mount();
  app_config_t c, got, def;
  full_config(&c, "kettle");
  CHECK_EQ_INT(app_config_save(&st, &c), STORE_OK);
  CHECK_EQ_INT(app_relay_save(&st, 1), STORE_OK);
  rot(STORE_KEY_SETTINGS);
  rot(STORE_KEY_SETTINGS_COPY);
  mount();
  CHECK_EQ_INT(app_config_load(&st, &got, "h"), STORE_ERR_CORRUPT);
  app_config_defaults(&def, "h");
  CHECK(same(&got, &def));
}

int main(void) {
  fake_log_quiet(true);
  RUN(test_fresh_plug_gets_defaults_named_after_host);
  RUN(test_config_and_relay_round_trip);
  RUN(test_unreadable_record_gives_defaults);
  RUN(test_bad_value_drops_only_its_field);
  RUN(test_newer_firmware_values_drop_alone);
  RUN(test_dropped_broker_host_disables_mqtt);
  RUN(test_older_record_without_new_fields_loads);
  RUN(test_newer_record_with_unknown_fields_loads);
  RUN(test_wrong_length_relay_record_is_ignored);
  RUN(test_startup_maps_to_relay_policy);
  RUN(test_unreadable_flash_is_a_store_error);
  RUN(test_four_sector_store_upgrades_in_place);
  RUN(test_one_rotted_config_record_loses_nothing);
  RUN(test_cut_between_the_copies_loads_the_new_value);
  RUN(test_single_record_of_older_firmware_migrates);
  RUN(test_downgrade_reads_the_config_record_alone);
  RUN(test_both_records_rotted_gives_defaults);
  return unit_report();
}
