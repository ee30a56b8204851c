/* The whole HTTP API and the MQTT command path through the real application (core/app), in memory: no
 * sockets, the same code the plug runs, with a network command crossing into the main loop. */
#include <stdio.h>
#include <string.h>

#include "app_rig.h"
#include "posix_io.h"
#include "unit.h"

static bool has(const char *hay, const char *needle) { return hay && strstr(hay, needle) != NULL; }

static void boot(void) {
  rig_reset();
  rig_boot();
  for (int i = 0; i < 10; i++) rig_step(10);
}

static void test_info_state_config(void) {
  boot();
  const char *b;
  CHECK_EQ_INT(rig_req("GET", "/api/v1/info", NULL, NULL, &b), 200);
  CHECK(has(b, "\"id\":\"rig1\""));
  CHECK(has(b, "\"ota_board\":\"rig-board\""));
  CHECK(has(b, "\"hostname\":\"openbl602-rig1\""));
  CHECK_STR(g_rig.dhcp_hostname_at_join, "openbl602-rig1"); /* handed to the Wi-Fi port before it joins */
  CHECK_EQ_INT(rig_req("GET", "/api/v1/state", NULL, NULL, &b), 200);
  CHECK(has(b, "\"relay\":"));
  CHECK_EQ_INT(rig_req("GET", "/api/v1/config", NULL, NULL, &b), 200);
  CHECK(has(b, "\"name\":\"openbl602-rig1\""));
  CHECK(has(b, "\"ssid\":\"home\""));
  CHECK_EQ_INT(rig_req("GET", "/api/v1/nope", NULL, NULL, &b), 404);
  CHECK_EQ_INT(rig_req("DELETE", "/api/v1/state", NULL, NULL, &b), 405);
}

static void test_relay_command_drives_the_pin(void) {
  boot();
  uint8_t pin = g_rig.board.relays[0].pin;
  bool closed_level = !g_rig.board.relays[0].active_low;
  const char *b;
  CHECK_EQ_INT(rig_req("POST", "/api/v1/relay", "{\"on\":true}", NULL, &b), 200);
  CHECK(has(b, "\"relay\":true"));
  CHECK_EQ_INT(posix_io_output(pin), closed_level);
  CHECK(has(b, "\"relay_pending\":null"));
  /* inside the minimum interval (§5.4): the answer shows the old state and the pending one */
  CHECK_EQ_INT(rig_req("POST", "/api/v1/relay", "toggle", NULL, &b), 200);
  CHECK(has(b, "\"relay\":true") && has(b, "\"relay_pending\":false"));
  CHECK_EQ_INT(posix_io_output(pin), closed_level);
  for (int i = 0; i < 25; i++) rig_step(10);
  CHECK_EQ_INT(posix_io_output(pin), !closed_level);
  CHECK_EQ_INT(rig_req("GET", "/api/v1/state", NULL, NULL, &b), 200);
  CHECK(has(b, "\"relay\":false") && has(b, "\"relay_pending\":null"));
  /* after a quiet interval a command switches at once */
  for (int i = 0; i < 25; i++) rig_step(10);
  CHECK_EQ_INT(rig_req("POST", "/api/v1/relay", "toggle", NULL, &b), 200);
  CHECK(has(b, "\"relay\":true") && has(b, "\"relay_pending\":null"));
  for (int i = 0; i < 25; i++) rig_step(10);
  CHECK_EQ_INT(rig_req("POST", "/api/v1/relay", "{\"on\":3}", NULL, &b), 400);
  CHECK(has(b, "\"field\":\"on\""));
}

static void test_config_patch_and_refusals(void) {
  boot();
  const char *b;
  CHECK_EQ_INT(rig_req("PATCH", "/api/v1/config", "{\"name\":\"Desk\",\"button\":{\"long_press_ms\":1500}}", NULL, &b),
               200);
  CHECK(has(b, "\"name\":\"Desk\""));
  CHECK_EQ_INT(rig_req("GET", "/api/v1/config", NULL, NULL, &b), 200);
  CHECK(has(b, "\"long_press_ms\":1500"));
  /* the API refuses what a stored record would merely drop (#12 item 6) */
  CHECK_EQ_INT(rig_req("PATCH", "/api/v1/config", "{\"led\":\"breathing\"}", NULL, &b), 400);
  CHECK(has(b, "\"code\":\"invalid_value\"") && has(b, "\"field\":\"led\""));
  CHECK_EQ_INT(rig_req("PATCH", "/api/v1/config", "{\"button\":{\"setup_hold_s\":120}}", NULL, &b), 400);
  CHECK(has(b, "\"code\":\"out_of_range\""));
  CHECK_EQ_INT(rig_req("PATCH", "/api/v1/config", "{\"glow\":1}", NULL, &b), 400);
  CHECK(has(b, "\"code\":\"unknown_field\""));
  CHECK_EQ_INT(rig_req("GET", "/api/v1/config", NULL, NULL, &b), 200);
  CHECK(has(b, "\"name\":\"Desk\"") && has(b, "\"led\":\"relay\""));
}

/* #10: a config body is parsed once, on the network side, into a change set the main loop applies. Before, it
 * was parsed three times, first by the command parser sized for small command bodies: a PATCH of more than
 * 23 JSON values (a whole config, as the setup of a new plug sends it) was refused as "too many values". */
static void test_whole_config_in_one_patch(void) {
  boot();
  const char *b;
  static const char body[] =
      "{\"name\":\"Kitchen\",\"startup\":\"on\",\"led\":\"inverted\","
      "\"button\":{\"enabled\":true,\"double_press\":false,\"long_press_ms\":1500,\"setup_hold_s\":20},"
      "\"protection\":{\"max_power_w\":1500,\"max_current_a\":8,\"hold_s\":3,\"reclose_s\":60},"
      "\"report\":{\"power_delta_w\":2,\"power_delta_pct\":5,\"min_interval_s\":5,\"heartbeat_s\":300},"
      "\"wifi\":{\"ssid\":\"home\",\"password\":\"wifi-secret\"},\"api_password\":\"correct-horse\"}";
  CHECK_EQ_INT(rig_req("PATCH", "/api/v1/config", body, NULL, &b), 200);
  CHECK(has(b, "\"name\":\"Kitchen\"") && has(b, "\"heartbeat_s\":300") && has(b, "\"reclose_s\":60"));
  CHECK_EQ_INT(rig_req("GET", "/api/v1/config", NULL, "admin:correct-horse", &b), 200);
  CHECK(has(b, "\"led\":\"inverted\"") && has(b, "\"setup_hold_s\":20") && has(b, "\"api_password_set\":true"));
  /* a refused field still refuses the whole change, with the same errors as before */
  CHECK_EQ_INT(
      rig_req("PATCH", "/api/v1/config", "{\"name\":\"Other\",\"mqtt\":{\"enabled\":true}}", "admin:correct-horse", &b),
      400);
  CHECK(has(b, "\"code\":\"required\"") && has(b, "\"field\":\"mqtt.host\""));
  CHECK_EQ_INT(rig_req("PATCH", "/api/v1/config", "", "admin:correct-horse", &b), 400);
  CHECK(has(b, "\"code\":\"invalid_json\""));
  CHECK_EQ_INT(rig_req("GET", "/api/v1/config", NULL, "admin:correct-horse", &b), 200);
  CHECK(has(b, "\"name\":\"Kitchen\""));
}

static void test_password_guards_the_api(void) {
  boot();
  const char *b;
  CHECK_EQ_INT(rig_req("PATCH", "/api/v1/config", "{\"api_password\":\"correct-horse\"}", NULL, &b), 200);
  CHECK_EQ_INT(rig_req("GET", "/api/v1/state", NULL, NULL, &b), 401);
  CHECK_EQ_INT(rig_req("GET", "/api/v1/state", NULL, "admin:wrong-horse", &b), 401);
  CHECK_EQ_INT(rig_req("GET", "/api/v1/state", NULL, "admin:correct-horse", &b), 200);
  CHECK_EQ_INT(rig_req("GET", "/api/v1/info", NULL, NULL, &b), 200); /* info stays open (§7) */
  CHECK(has(b, "\"auth\":true"));
  CHECK_EQ_INT(rig_req("POST", "/api/v1/relay", "on", NULL, &b), 401);
  CHECK_EQ_INT(rig_req("POST", "/api/v1/relay", "on", "admin:correct-horse", &b), 200);
}

static void test_identify_energy_reset_calibrate(void) {
  boot();
  const char *b;
  CHECK_EQ_INT(rig_req("POST", "/api/v1/identify", "{\"seconds\":3}", NULL, &b), 200);
  CHECK_EQ_INT(rig_req("POST", "/api/v1/energy/reset", "{\"confirm\":true}", NULL, &b), 200);
  CHECK(has(b, "\"energy_wh\":0"));
  CHECK_EQ_INT(rig_req("POST", "/api/v1/calibrate", "{\"reset\":true}", NULL, &b), 200);
  CHECK(has(b, "\"power_gain\":1"));
  /* relay off: a power reference cannot be used */
  CHECK_EQ_INT(rig_req("POST", "/api/v1/relay", "off", NULL, &b), 200);
  CHECK_EQ_INT(rig_req("POST", "/api/v1/calibrate", "{\"power_w\":100}", NULL, &b), 409);
}

static void test_reboot_says_goodbye_then_reboots(void) {
  boot();
  const char *b;
  CHECK_EQ_INT(rig_req("POST", "/api/v1/reboot", "", NULL, &b), 200);
  CHECK(!g_rig.reboot_requested);
  for (int i = 0; i < 200 && !g_rig.reboot_requested; i++) rig_step(10);
  CHECK(g_rig.reboot_requested);
}

static void test_mqtt_commands_reach_the_device(void) {
  rig_reset();
  g_rig.opt.mqtt_host = "broker.lan";
  rig_boot();
  for (int i = 0; i < 200 && g_rig.broker.subscribes == 0; i++) rig_step(10);
  CHECK(g_rig.broker.connects >= 1);
  CHECK_STR(g_rig.broker.host, "broker.lan");
  uint8_t pin = g_rig.board.relays[0].pin;
  bool closed_level = !g_rig.board.relays[0].active_low;
  fb_publish(&g_rig.broker, "openbl602/rig1/cmd/relay", "{\"on\":true,\"req\":\"r1\"}", 1, false, 7);
  for (int i = 0; i < 20; i++) rig_step(10);
  CHECK_EQ_INT(posix_io_output(pin), closed_level);
  const fb_msg_t *r = fb_last(&g_rig.broker, "openbl602/rig1/result");
  CHECK(r != NULL && has(r->payload, "\"ok\":true") && has(r->payload, "\"req\":\"r1\""));
  const fb_msg_t *st = fb_last(&g_rig.broker, "openbl602/rig1/state");
  CHECK(st != NULL && has(st->payload, "\"relay\":true"));
  /* credentials cannot change over MQTT (§8.3) */
  fb_publish(&g_rig.broker, "openbl602/rig1/cmd/config", "{\"api_password\":\"12345678\"}", 0, false, 0);
  for (int i = 0; i < 20; i++) rig_step(10);
  r = fb_last(&g_rig.broker, "openbl602/rig1/result");
  CHECK(r != NULL && has(r->payload, "not_allowed"));
  /* a config change over MQTT is seen by the HTTP API */
  fb_publish(&g_rig.broker, "openbl602/rig1/cmd/config", "{\"name\":\"via mqtt\"}", 0, false, 0);
  for (int i = 0; i < 20; i++) rig_step(10);
  const char *b;
  CHECK_EQ_INT(rig_req("GET", "/api/v1/config", NULL, NULL, &b), 200);
  CHECK(has(b, "\"name\":\"via mqtt\""));
  const fb_msg_t *info = fb_last(&g_rig.broker, "openbl602/rig1/info");
  CHECK(info != NULL && has(info->payload, "via mqtt"));
}

/* §3 config_rev: every applied change counts, whatever its source, and the state goes out at once. */
static void test_config_rev_counts_changes_and_is_pushed_at_once(void) {
  rig_reset();
  g_rig.opt.mqtt_host = "broker.lan";
  rig_boot();
  for (int i = 0; i < 200 && g_rig.broker.subscribes == 0; i++) rig_step(10);
  const char *b;
  CHECK_EQ_INT(rig_req("GET", "/api/v1/state", NULL, NULL, &b), 200);
  CHECK(has(b, "\"config_rev\":0"));
  for (int i = 0; i < 10; i++) rig_step(10);
  int states = fb_count(&g_rig.broker, "openbl602/rig1/state");
  CHECK_EQ_INT(rig_req("PATCH", "/api/v1/config", "{\"name\":\"Desk\"}", NULL, &b), 200);
  rig_step(10); /* one pass: not held back by report.min_interval_s */
  CHECK_EQ_INT(fb_count(&g_rig.broker, "openbl602/rig1/state"), states + 1);
  const fb_msg_t *st = fb_last(&g_rig.broker, "openbl602/rig1/state");
  CHECK(st != NULL && has(st->payload, "\"config_rev\":1"));
  /* refused or unchanged: nothing to re-read */
  CHECK_EQ_INT(rig_req("PATCH", "/api/v1/config", "{\"led\":\"breathing\"}", NULL, &b), 400);
  CHECK_EQ_INT(rig_req("PATCH", "/api/v1/config", "{\"name\":\"Desk\"}", NULL, &b), 200);
  CHECK_EQ_INT(rig_req("GET", "/api/v1/state", NULL, NULL, &b), 200);
  CHECK(has(b, "\"config_rev\":1"));
  /* an MQTT config command counts the same */
  fb_publish(&g_rig.broker, "openbl602/rig1/cmd/config", "{\"led\":\"off\"}", 1, false, 9);
  for (int i = 0; i < 3; i++) rig_step(10);
  st = fb_last(&g_rig.broker, "openbl602/rig1/state");
  CHECK(st != NULL && has(st->payload, "\"config_rev\":2"));
  /* calibration is a config change too */
  CHECK_EQ_INT(rig_req("POST", "/api/v1/calibrate", "{\"reset\":true}", NULL, &b), 200); /* gains already 1 */
  CHECK_EQ_INT(rig_req("GET", "/api/v1/state", NULL, NULL, &b), 200);
  CHECK(has(b, "\"config_rev\":2"));
  /* a relay command is not a config change */
  CHECK_EQ_INT(rig_req("POST", "/api/v1/relay", "{\"on\":true}", NULL, &b), 200);
  CHECK(has(b, "\"config_rev\":2"));
}

static void test_link_loss_drops_mqtt_without_goodbye(void) {
  rig_reset();
  g_rig.opt.mqtt_host = "broker.lan";
  rig_boot();
  for (int i = 0; i < 200 && g_rig.broker.subscribes == 0; i++) rig_step(10);
  CHECK(g_rig.broker.open);
  int disconnects = g_rig.broker.disconnects;
  rig_wifi_set(HAL_WIFI_OFF);
  for (int i = 0; i < 5; i++) rig_step(10);
  CHECK(!g_rig.broker.open);
  CHECK_EQ_INT(g_rig.broker.disconnects, disconnects); /* no DISCONNECT: the broker sends our will */
  rig_wifi_set(HAL_WIFI_CONNECTED);
  for (int i = 0; i < 500 && !g_rig.broker.open; i++) rig_step(10);
  CHECK(g_rig.broker.open);
}

static void test_setup_mode_form_joins_the_network(void) {
  rig_reset();
  g_rig.opt.default_ssid = NULL; /* a fresh plug: setup mode */
  rig_boot();
  for (int i = 0; i < 10; i++) rig_step(10);
  const char *b;
  CHECK_EQ_INT(rig_req("GET", "/api/v1/info", NULL, NULL, &b), 200);
  CHECK(has(b, "\"setup_mode\":true"));
  CHECK_EQ_INT(rig_req("GET", "/api/v1/setup/networks", NULL, NULL, &b), 200);
  CHECK(has(b, "\"ssid\":\"home\""));
  CHECK_EQ_INT(rig_req("POST", "/api/v1/setup", "{\"wifi\":{\"password\":\"correct horse\"}}", NULL, &b), 400);
  CHECK(has(b, "\"field\":\"wifi.ssid\""));
  CHECK_EQ_INT(
      rig_req("POST", "/api/v1/setup", "{\"wifi\":{\"ssid\":\"home\",\"password\":\"correct horse\"}}", NULL, &b), 200);
  for (int i = 0; i < 10; i++) rig_step(10);
  CHECK_EQ_INT(rig_req("GET", "/api/v1/info", NULL, NULL, &b), 200);
  CHECK(has(b, "\"setup_mode\":false"));
  CHECK_EQ_INT(rig_req("GET", "/api/v1/setup/networks", NULL, NULL, &b), 404);
  CHECK_EQ_INT(rig_req("GET", "/api/v1/config", NULL, NULL, &b), 200);
  CHECK(has(b, "\"ssid\":\"home\"") && has(b, "\"password_set\":true"));
  CHECK_EQ_INT(rig_req("GET", "/api/v1/state", NULL, NULL, &b), 200);
  CHECK(has(b, "\"config_rev\":1")); /* the setup form is a config change (§3) */
}

int main(void) {
  RUN(test_info_state_config);
  RUN(test_relay_command_drives_the_pin);
  RUN(test_config_patch_and_refusals);
  RUN(test_password_guards_the_api);
  RUN(test_identify_energy_reset_calibrate);
  RUN(test_reboot_says_goodbye_then_reboots);
  RUN(test_whole_config_in_one_patch);
  RUN(test_mqtt_commands_reach_the_device);
  RUN(test_config_rev_counts_changes_and_is_pushed_at_once);
  RUN(test_link_loss_drops_mqtt_without_goodbye);
  RUN(test_setup_mode_form_joins_the_network);
  return unit_report();
}
