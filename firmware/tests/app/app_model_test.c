/* Config validation, state/info JSON and command bodies, checked against docs/protocol.md §2–§5, §8.3. */
#include <stdio.h>
#include <string.h>

#include "app/app_model.h"
#include "unit.h"

static app_config_t cfg;
static app_errors_t errs;
static char out[2048];

static bool patch(const char *json, app_source_t src) { return app_config_patch(&cfg, json, strlen(json), src, &errs); }

static const char *config_json(void) {
  jsonw_t w;
  jsonw_init(&w, out, sizeof(out));
  app_config_write(&cfg, &w);
  CHECK(jsonw_finish(&w) > 0);
  return out;
}

static void test_defaults_as_documented(void) {
  app_config_defaults(&cfg, "openbl602-abc");
  const char *j = config_json();
  CHECK(strstr(j, "\"name\":\"openbl602-abc\"") != NULL);
  CHECK(strstr(j, "\"startup\":\"restore\"") != NULL);
  CHECK(strstr(j, "\"led\":\"relay\"") != NULL);
  CHECK(strstr(j, "\"max_power_w\":3680.0") != NULL);
  CHECK(strstr(j, "\"heartbeat_s\":60") != NULL);
  CHECK(strstr(j, "\"port\":1883") != NULL);
  CHECK(strstr(j, "\"api_password_set\":false") != NULL);
  CHECK(strstr(j, "\"password\":") == NULL); /* secrets never shown */
}

static void test_partial_patch_applies(void) {
  app_config_defaults(&cfg, "p");
  CHECK(patch("{\"startup\":\"on\",\"protection\":{\"max_power_w\":2000},\"name\":\"Kettle\"}", APP_SRC_HTTP));
  CHECK_EQ_INT(cfg.startup, APP_STARTUP_ON);
  CHECK_NEAR(cfg.protection.max_power_w, 2000.0, 1e-3);
  CHECK_NEAR(cfg.protection.max_current_a, 16.0, 1e-3);
  CHECK_STR(cfg.name, "Kettle");
}

static void test_bad_patch_changes_nothing_and_lists_every_error(void) {
  app_config_defaults(&cfg, "p");
  app_config_t before = cfg;
  CHECK(!patch("{\"name\":\"ok\",\"startup\":\"sometimes\",\"protection\":{\"max_power_w\":5},"
               "\"report\":{\"heartbeat_s\":10},\"colour\":1,\"led\":3}",
               APP_SRC_HTTP));
  CHECK(memcmp(&before, &cfg, sizeof(cfg)) == 0);
  CHECK_EQ_INT(errs.count, 5);
  CHECK_STR(errs.e[0].field, "startup");
  CHECK_STR(errs.e[0].code, "invalid_value");
  CHECK_STR(errs.e[1].field, "protection.max_power_w");
  CHECK_STR(errs.e[1].code, "out_of_range");
  CHECK_STR(errs.e[2].field, "report.heartbeat_s");
  CHECK_STR(errs.e[3].field, "colour");
  CHECK_STR(errs.e[3].code, "unknown_field");
  CHECK_STR(errs.e[4].code, "wrong_type");
  jsonw_t w;
  jsonw_init(&w, out, sizeof(out));
  app_errors_write(&errs, &w);
  CHECK(jsonw_finish(&w) > 0);
  CHECK(strncmp(out, "{\"error\":{\"code\":\"invalid_value\"", 32) == 0);
  CHECK(strstr(out, "\"errors\":[") != NULL);
}

static void test_field_rules(void) {
  app_config_defaults(&cfg, "p");
  CHECK(patch("{\"protection\":{\"max_power_w\":0}}", APP_SRC_HTTP)); /* 0 disables */
  CHECK(!patch("{\"protection\":{\"max_current_a\":17.5}}", APP_SRC_HTTP));
  CHECK(!patch("{\"button\":{\"long_press_ms\":1000.5}}", APP_SRC_HTTP));
  CHECK_STR(errs.e[0].code, "wrong_type");
  CHECK(!patch("{\"name\":\"\"}", APP_SRC_HTTP));
  CHECK_STR(errs.e[0].code, "too_short");
  CHECK(!patch("{\"name\":\"123456789012345678901234567890123\"}", APP_SRC_HTTP));
  CHECK_STR(errs.e[0].code, "too_long");
  CHECK(!patch("{\"api_password\":\"short\"}", APP_SRC_HTTP));
  CHECK_STR(errs.e[0].code, "too_short");
  CHECK(patch("{\"api_password\":\"long-enough\"}", APP_SRC_HTTP));
  CHECK_STR(cfg.api_password, "long-enough");
  CHECK(!patch("{\"api_password_set\":false}", APP_SRC_HTTP));
  CHECK_STR(errs.e[0].code, "read_only");
  CHECK(!patch("{\"mqtt\":{\"enabled\":true}}", APP_SRC_HTTP));
  CHECK_STR(errs.e[0].code, "required");
  CHECK_STR(errs.e[0].field, "mqtt.host");
  CHECK(!patch("{\"mqtt\":{\"host\":\"bad host!\"}}", APP_SRC_HTTP));
  CHECK_STR(errs.e[0].code, "invalid_value");
  CHECK(
      patch("{\"mqtt\":{\"enabled\":true,\"host\":\"192.168.1.10\",\"port\":1884,\"password\":\"x\"}}", APP_SRC_HTTP));
  CHECK(strstr(config_json(), "\"password_set\":true") != NULL);
  CHECK(!patch("{\"wifi\":{\"password\":\"1234567\"}}", APP_SRC_HTTP));
  CHECK(!patch("[1]", APP_SRC_HTTP));
  CHECK_STR(errs.e[0].code, "invalid_json");
  CHECK(!patch("{\"name\":", APP_SRC_HTTP));
  CHECK_STR(errs.e[0].code, "invalid_json");
  CHECK(!patch("{\"name\":\"a\",\"name\":\"b\"}", APP_SRC_HTTP));
}

static void test_mqtt_cannot_touch_credentials(void) {
  app_config_defaults(&cfg, "p");
  CHECK(!patch("{\"api_password\":\"long-enough\",\"req\":\"7\"}", APP_SRC_MQTT));
  CHECK_STR(errs.e[0].code, "not_allowed");
  CHECK(!patch("{\"mqtt\":{\"host\":\"evil\"}}", APP_SRC_MQTT));
  CHECK_STR(errs.e[0].code, "not_allowed");
  CHECK(!patch("{\"wifi\":{\"ssid\":\"evil\"}}", APP_SRC_MQTT));
  CHECK(patch("{\"led\":\"off\",\"req\":\"7\"}", APP_SRC_MQTT));
  CHECK_EQ_INT(cfg.led, APP_LED_OFF);
}

static void test_ota_key_and_record_size(void) {
  app_config_defaults(&cfg, "p");
  char body[400];
  char key[131] = "04";
  for (int i = 2; i < 130; i++) key[i] = "0123456789abcdef"[i % 16];
  key[130] = 0;
  snprintf(body, sizeof(body), "{\"ota_public_key\":\"%s\"}", key);
  CHECK(patch(body, APP_SRC_HTTP));
  uint8_t raw[65];
  CHECK(app_config_ota_key(&cfg, raw));
  CHECK_EQ_INT(raw[0], 4);
  CHECK(strstr(config_json(), key) != NULL); /* public: shown */
  CHECK(!patch(body, APP_SRC_MQTT));
  CHECK_STR(errs.e[0].code, "not_allowed");
  CHECK(!patch("{\"ota_public_key\":\"05abc\"}", APP_SRC_HTTP));
  CHECK_STR(errs.e[0].code, "invalid_value");
  CHECK(patch("{\"ota_public_key\":\"\"}", APP_SRC_HTTP));
  CHECK(!app_config_ota_key(&cfg, raw));
  /* quotes everywhere: escaped, the record would exceed 1 KiB: refused as a whole, nothing applied */
  CHECK(patch(body, APP_SRC_HTTP));
  /* every password and name made of quotes: each escapes to two bytes on flash */
  char big[1400];
  size_t n = 0;
  n += (size_t)snprintf(big + n, sizeof(big) - n, "{\"name\":\"");
  for (int i = 0; i < 32; i++) n += (size_t)snprintf(big + n, sizeof(big) - n, "\\\"");
  n += (size_t)snprintf(big + n, sizeof(big) - n, "\",\"api_password\":\"");
  for (int i = 0; i < 64; i++) n += (size_t)snprintf(big + n, sizeof(big) - n, "\\\"");
  n += (size_t)snprintf(big + n, sizeof(big) - n, "\",\"mqtt\":{\"user\":\"");
  for (int i = 0; i < 32; i++) n += (size_t)snprintf(big + n, sizeof(big) - n, "\\\"");
  n += (size_t)snprintf(big + n, sizeof(big) - n, "\",\"password\":\"");
  for (int i = 0; i < 63; i++) n += (size_t)snprintf(big + n, sizeof(big) - n, "\\\"");
  n += (size_t)snprintf(big + n, sizeof(big) - n, "\"},\"wifi\":{\"ssid\":\"");
  for (int i = 0; i < 32; i++) n += (size_t)snprintf(big + n, sizeof(big) - n, "\\\"");
  n += (size_t)snprintf(big + n, sizeof(big) - n, "\",\"password\":\"");
  for (int i = 0; i < 63; i++) n += (size_t)snprintf(big + n, sizeof(big) - n, "\\\"");
  snprintf(big + n, sizeof(big) - n, "\"}}");
  app_config_t before = cfg;
  CHECK(!patch(big, APP_SRC_HTTP));
  CHECK_STR(errs.e[0].code, "too_long");
  CHECK(memcmp(&before, &cfg, sizeof(cfg)) == 0);
}

static void test_state_json(void) {
  app_state_t s = {0};
  s.relay = true;
  s.power_w = 115.24f;
  s.voltage_v = 230.0f;
  s.current_a = 0.5f;
  s.energy_wh = 12873;
  s.reset_reason = "power_on";
  jsonw_t w;
  jsonw_init(&w, out, sizeof(out));
  app_state_write(&s, &w);
  CHECK(jsonw_finish(&w) > 0);
  CHECK(strstr(out,
               "\"relay\":true,\"power_w\":115.2,\"voltage_v\":230.0,\"current_a\":0.500,"
               "\"apparent_power_va\":115.0,\"power_factor\":1.00,\"energy_wh\":12873,\"tripped\":\"none\"") != NULL);
  CHECK(strstr(out, "\"ota\":{\"state\":\"idle\",\"progress\":0,\"error\":null}") != NULL);
  s.current_a = 0.0f;
  jsonw_init(&w, out, sizeof(out));
  app_state_write(&s, &w);
  CHECK(strstr(out, "\"power_factor\":null") != NULL);
  /* §3: before the stored total is read, energy is null, never 0 (and never a stale value) */
  s.energy_unknown = true;
  jsonw_init(&w, out, sizeof(out));
  app_state_write(&s, &w);
  CHECK(jsonw_finish(&w) > 0);
  CHECK(strstr(out, "\"energy_wh\":null,\"tripped\"") != NULL);
  s.energy_unknown = false;
  s.energy_wh = 0;
  jsonw_init(&w, out, sizeof(out));
  app_state_write(&s, &w);
  CHECK(strstr(out, "\"energy_wh\":0,") != NULL);
}

/* The largest state document fits the buffers that carry it (app_publish.c's SSE document, 640 B; MQTT's
 * MQTTDEV_JSON_SIZE) with every field at its longest. */
static void test_state_json_worst_case_fits(void) {
  app_state_t s = {0};
  s.relay = true;
  s.pending = true;
  s.power_w = 99999.9f;
  s.voltage_v = 999.9f;
  s.current_a = 99.999f;
  s.energy_wh = UINT64_MAX;
  s.tripped = 2;
  s.lockout = true;
  s.config_rev = UINT32_MAX;
  s.rssi_dbm = -128;
  s.uptime_s = UINT64_MAX;
  s.reset_reason = "exception";
  s.safe_mode = true;
  s.ota.state = 2;
  s.ota.progress = 100;
  memset(s.ota.error, 'e', sizeof(s.ota.error) - 1);
  s.stale_voltage = s.stale_current = true;
  jsonw_t w;
  jsonw_init(&w, out, sizeof(out));
  app_state_write(&s, &w);
  int32_t n = jsonw_finish(&w);
  CHECK(n > 0 && n < 640);
  printf("largest state document: %d bytes\n", (int)n);
}

static void test_info_json(void) {
  app_info_t i = {0};
  strcpy(i.id, "kettle");
  strcpy(i.mac, "02aabbccddee");
  strcpy(i.hostname, "openbl602-kettle");
  i.fw = "0.1.0";
  i.caps = APP_CAP_RELAY | APP_CAP_OTA;
  jsonw_t w;
  jsonw_init(&w, out, sizeof(out));
  app_info_write(&i, &w);
  CHECK(jsonw_finish(&w) > 0);
  CHECK(strncmp(out, "{\"protocol\":1,\"id\":\"kettle\"", 27) == 0);
  CHECK(strstr(out, "\"name\":\"openbl602-kettle\"") != NULL);
  CHECK(strstr(out, "\"capabilities\":[\"relay\",\"ota\"]") != NULL);
  CHECK(strstr(out, "\"http\"") == NULL);
  CHECK(strstr(out, "\"ota_board\"") == NULL); /* no OTA manager: no OTA board id */
  i.board = "SM-028_V1.3";
  i.ota_board = "sm-028-v1.3";
  jsonw_init(&w, out, sizeof(out));
  app_info_write(&i, &w);
  CHECK(jsonw_finish(&w) > 0);
  CHECK(strstr(out, "\"board\":\"SM-028_V1.3\",\"ota_board\":\"sm-028-v1.3\",\"fw\"") != NULL);
  CHECK(app_id_valid("a1b2c3"));
  CHECK(!app_id_valid("A1"));
  CHECK(!app_id_valid(""));
  CHECK(!app_id_valid("123456789012345678901234567890123"));
}

static void test_commands(void) {
  app_cmd_t c;
  CHECK_EQ_INT(app_cmd_kind("energy_reset"), APP_CMD_ENERGY_RESET);
  CHECK_EQ_INT(app_cmd_kind("dance"), -1);
  CHECK(app_cmd_parse(&c, APP_CMD_RELAY, "{\"on\":false,\"req\":\"42\"}", 23, &errs));
  CHECK(c.relay_op == APP_RELAY_SET && !c.relay_on);
  CHECK(app_cmd_parse(&c, APP_CMD_RELAY, "{\"toggle\":true}", 15, &errs));
  CHECK_EQ_INT(c.relay_op, APP_RELAY_TOGGLE);
  CHECK(app_cmd_parse(&c, APP_CMD_RELAY, "on", 2, &errs));
  CHECK(c.relay_on);
  CHECK(app_cmd_parse(&c, APP_CMD_RELAY, "toggle\n", 7, &errs));
  CHECK(!app_cmd_parse(&c, APP_CMD_RELAY, "{}", 2, &errs));
  CHECK_STR(errs.e[0].code, "required");
  CHECK(!app_cmd_parse(&c, APP_CMD_RELAY, "{\"on\":1}", 8, &errs));
  CHECK_STR(errs.e[0].code, "wrong_type");
  CHECK(!app_cmd_parse(&c, APP_CMD_RELAY, "{\"on\":true,\"toggle\":true}", 25, &errs));
  CHECK(!app_cmd_parse(&c, APP_CMD_RELAY, "{\"on\":true,\"x\":1}", 17, &errs));
  CHECK_STR(errs.e[0].code, "unknown_field");
  CHECK(!app_cmd_parse(&c, APP_CMD_RELAY, "nonsense", 8, &errs));
  CHECK_STR(errs.e[0].code, "invalid_json");
  CHECK(app_cmd_parse(&c, APP_CMD_CALIBRATE, "{\"power_w\":60,\"voltage_v\":230.5}", 32, &errs));
  CHECK(c.has_power && c.has_voltage && !c.has_current);
  CHECK(!app_cmd_parse(&c, APP_CMD_CALIBRATE, "{\"power_w\":0}", 13, &errs));
  CHECK_STR(errs.e[0].code, "out_of_range");
  CHECK(!app_cmd_parse(&c, APP_CMD_CALIBRATE, "{}", 2, &errs));
  CHECK(app_cmd_parse(&c, APP_CMD_CALIBRATE, "{\"reset\":true}", 14, &errs));
  CHECK(!app_cmd_parse(&c, APP_CMD_ENERGY_RESET, "{}", 2, &errs));
  CHECK_STR(errs.e[0].field, "confirm");
  CHECK(app_cmd_parse(&c, APP_CMD_ENERGY_RESET, "{\"confirm\":true}", 16, &errs));
  CHECK(app_cmd_parse(&c, APP_CMD_IDENTIFY, "", 0, &errs));
  CHECK_EQ_INT(c.identify_s, 5);
  CHECK(app_cmd_parse(&c, APP_CMD_IDENTIFY, "{\"seconds\":9}", 13, &errs));
  CHECK_EQ_INT(c.identify_s, 9);
  CHECK(!app_cmd_parse(&c, APP_CMD_IDENTIFY, "{\"seconds\":61}", 14, &errs));
  CHECK(app_cmd_parse(&c, APP_CMD_REBOOT, "{}", 2, &errs));
  CHECK(!app_cmd_parse(&c, APP_CMD_REBOOT, "{\"now\":1}", 9, &errs));
  const char *long_req = "{\"on\":true,\"req\":\"123456789012345678901234567890123\"}";
  CHECK(!app_cmd_parse(&c, APP_CMD_RELAY, long_req, strlen(long_req), &errs));
  CHECK_STR(errs.e[0].field, "req");
}

/* #10: a change parsed once (network loop) applies onto the config the main loop holds when it runs: only the
 * fields the request named change, so a change the main loop made meanwhile (a button's LED action) stays. */
static void test_change_set_applies_only_its_fields(void) {
  static app_config_change_t ch;
  const char *body = "{\"name\":\"Desk\",\"report\":{\"heartbeat_s\":120}}";
  CHECK(app_config_parse(&ch, body, strlen(body), APP_SRC_HTTP, &errs));
  CHECK(app_config_change_ota_key(&ch) == NULL);
  app_config_defaults(&cfg, "h");
  cfg.led = APP_LED_OFF; /* changed by the main loop after the request was parsed */
  cfg.report.min_interval_s = 7;
  CHECK(app_config_apply(&cfg, &ch, APP_SRC_HTTP, &errs));
  CHECK_STR(cfg.name, "Desk");
  CHECK_EQ_INT(cfg.report.heartbeat_s, 120);
  CHECK_EQ_INT(cfg.led, APP_LED_OFF);
  CHECK_EQ_INT(cfg.report.min_interval_s, 7);
  /* whole-config rules are checked against the config it lands on */
  body = "{\"mqtt\":{\"enabled\":true}}";
  CHECK(app_config_parse(&ch, body, strlen(body), APP_SRC_HTTP, &errs));
  app_config_t before = cfg;
  CHECK(!app_config_apply(&cfg, &ch, APP_SRC_HTTP, &errs));
  CHECK_STR(errs.e[0].code, "required");
  CHECK(memcmp(&cfg, &before, sizeof cfg) == 0);
  snprintf(cfg.mqtt.host, sizeof cfg.mqtt.host, "broker.lan");
  memset(&errs, 0, sizeof errs);
  CHECK(app_config_apply(&cfg, &ch, APP_SRC_HTTP, &errs));
  CHECK(cfg.mqtt.enabled);
  body = "{\"ota_public_key\":\"\"}";
  CHECK(app_config_parse(&ch, body, strlen(body), APP_SRC_HTTP, &errs));
  CHECK(app_config_change_ota_key(&ch) != NULL && app_config_change_ota_key(&ch)[0] == '\0');
}

int main(void) {
  RUN(test_defaults_as_documented);
  RUN(test_change_set_applies_only_its_fields);
  RUN(test_partial_patch_applies);
  RUN(test_bad_patch_changes_nothing_and_lists_every_error);
  RUN(test_field_rules);
  RUN(test_mqtt_cannot_touch_credentials);
  RUN(test_ota_key_and_record_size);
  RUN(test_state_json);
  RUN(test_state_json_worst_case_fits);
  RUN(test_info_json);
  RUN(test_commands);
  return unit_report();
}
