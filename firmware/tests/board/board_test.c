/* Board profiles: SM-028 default, OpenBeken template import (all-or-nothing), export round trip. */
#include <string.h>

#include "board/board.h"
#include "unit.h"

/* The template the elektroda thread shares for the Aubess SM-028_V1.3. */
static const char k_aubess[] =
    "{\"vendor\":\"Aubess\",\"bDetailed\":\"0\",\"name\":\"Aubess 16A Smart Plug\",\"model\":\"SM-028\","
    "\"chip\":\"BL602\",\"board\":\"SM-028_V1.3\",\"flags\":\"1024\",\"keywords\":[\"plug\",\"BL0937\"],"
    "\"pins\":{\"2\":\"Rel;1\",\"3\":\"BL0937CF1;0\",\"14\":\"BL0937CF;0\",\"17\":\"Btn;1\",\"20\":\"LED_n;1\","
    "\"21\":\"BL0937SEL;0\"},\"command\":\"\",\"image\":\"https://obrazki.elektroda.pl/x.jpg\","
    "\"wiki\":\"https://www.elektroda.com/rtvforum/topic4020634.html\"}";

static board_error_t err;

static board_err_t import(const char *s, board_profile_t *p) {
  return board_import_openbeken(s, strlen(s), p, &err);
}

static void test_default_is_sm028(void) {
  board_profile_t p;
  board_default(&p);
  CHECK_STR(p.name, "SM-028_V1.3");
  CHECK_EQ_INT(p.relay_count, 1);
  CHECK_EQ_INT(p.relays[0].pin, 2);
  CHECK(!p.relays[0].active_low);
  CHECK_EQ_INT(p.led_count, 1);
  CHECK_EQ_INT(p.leds[0].pin, 20);
  CHECK(p.leds[0].active_low);
  CHECK_EQ_INT(p.button_count, 1);
  CHECK_EQ_INT(p.buttons[0].pin, 17);
  CHECK(!p.buttons[0].active_high);
  CHECK(p.bl0937.present);
  CHECK_EQ_INT(p.bl0937.cf, 14);
  CHECK_EQ_INT(p.bl0937.cf1, 3);
  CHECK_EQ_INT(p.bl0937.sel, 21);
  CHECK(p.bl0937.sel_high_is_voltage);
  CHECK_EQ_INT(board_validate(&p, &err), BOARD_OK);
  CHECK(board_builtin("sm-028_v1.3-b22", &p));
  CHECK_EQ_INT(p.buttons[0].pin, 22);
  CHECK(!board_builtin("nope", &p));
}

static void test_imports_aubess_template_equal_to_default(void) {
  board_profile_t p, def;
  CHECK_EQ_INT(import(k_aubess, &p), BOARD_OK);
  board_default(&def);
  CHECK_STR(p.name, "SM-028_V1.3");
  CHECK(memcmp(&p, &def, sizeof p) == 0);
}

static void test_roles_polarities_and_channels(void) {
  board_profile_t p;
  CHECK_EQ_INT(import("{\"name\":\"Two gang\",\"pins\":{\"5\":\"Btn_n;2\",\"6\":\"Rel_n;2\",\"7\":\"Rel;1\","
                      "\"8\":\"LED;2\",\"9\":\"WifiLED_n;0\",\"10\":\"BL0937SEL_n;0\",\"11\":\"BL0937CF;0\","
                      "\"12\":\"BL0937CF1;0\",\"13\":\"AlwaysHigh;0\",\"0\":\"Btn_Tgl_All;0\",\"1\":\"None;0\"}}",
                      &p),
               BOARD_OK);
  CHECK_STR(p.name, "Two gang");
  CHECK_EQ_INT(p.relay_count, 2);
  CHECK_EQ_INT(p.relays[0].pin, 7); /* channel 1 first */
  CHECK(!p.relays[0].active_low);
  CHECK_EQ_INT(p.relays[1].pin, 6);
  CHECK(p.relays[1].active_low);
  CHECK_EQ_INT(p.button_count, 2);
  CHECK_EQ_INT(p.buttons[1].pin, 5); /* sorted by pin */
  CHECK(p.buttons[1].active_high);
  CHECK_EQ_INT(p.buttons[1].relay, 1);
  CHECK(p.buttons[0].all_relays);
  CHECK_EQ_INT(p.led_count, 2);
  CHECK_EQ_INT(p.leds[0].kind, BOARD_LED_RELAY);
  CHECK_EQ_INT(p.leds[0].relay, 1);
  CHECK(!p.leds[0].active_low);
  CHECK_EQ_INT(p.leds[1].kind, BOARD_LED_STATUS);
  CHECK(p.leds[1].active_low);
  CHECK(!p.bl0937.sel_high_is_voltage);
  CHECK_EQ_INT(p.fixed_count, 1);
  CHECK(p.fixed[0].level);
}

static void test_bad_templates_change_nothing(void) {
  static const struct {
    const char *json;
    board_err_t code;
    const char *field;
  } bad[] = {
      {"{\"pins\":{\"2\":\"Rel;1\",}}", BOARD_ERR_JSON, ""},
      {"not json", BOARD_ERR_JSON, ""},
      {"[1]", BOARD_ERR_FORMAT, ""},
      {"{\"name\":\"x\"}", BOARD_ERR_FORMAT, "pins"},
      {"{\"pins\":[\"Rel;1\"]}", BOARD_ERR_FORMAT, "pins"},
      {"{\"pins\":{\"2\":\"Rel;1\",\"5\":\"PWM;1\"}}", BOARD_ERR_ROLE, "pins.5"},
      {"{\"pins\":{\"2\":\"Relay;1\"}}", BOARD_ERR_ROLE, "pins.2"},
      {"{\"pins\":{\"2\":1}}", BOARD_ERR_FORMAT, "pins.2"},
      {"{\"pins\":{\"2\":\"Rel;x\"}}", BOARD_ERR_FORMAT, "pins.2"},
      {"{\"pins\":{\"23\":\"Rel;1\"}}", BOARD_ERR_PIN, "pins.23"},
      {"{\"pins\":{\"a\":\"Rel;1\"}}", BOARD_ERR_PIN, "pins"},
      {"{\"pins\":{\"2\":\"Rel;1\",\"02\":\"Btn;1\"}}", BOARD_ERR_CONFLICT, "pins.2"},
      {"{\"pins\":{\"2\":\"Rel;1\",\"3\":\"BL0937CF;0\",\"4\":\"BL0937CF;0\"}}", BOARD_ERR_CONFLICT, "pins.4"},
      {"{\"pins\":{\"2\":\"Rel;1\",\"3\":\"BL0937CF;0\",\"4\":\"BL0937CF1;0\"}}", BOARD_ERR_INCOMPLETE, "pins"},
      {"{\"pins\":{\"17\":\"Btn;1\"}}", BOARD_ERR_INCOMPLETE, "pins"},
      {"{\"pins\":{\"1\":\"Rel;1\",\"2\":\"Rel;2\",\"3\":\"Rel;3\",\"4\":\"Rel;4\",\"5\":\"Rel;5\"}}", BOARD_ERR_CONFLICT,
       "pins.5"},
      {"{\"chip\":\"BK7231N\",\"pins\":{\"2\":\"Rel;1\"}}", BOARD_ERR_CHIP, "chip"},
      {"{\"pins\":{\"2\":\"Rel;1\",\"2\":\"Btn;1\"}}", BOARD_ERR_JSON, ""},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    board_profile_t p;
    memset(&p, 0xA5, sizeof p);
    board_err_t e = import(bad[i].json, &p);
    if (e != bad[i].code || !unit_streq(err.field, bad[i].field)) {
      unit_fail(__FILE__, __LINE__, "case %u: code %d field '%s' (%s), want %d '%s'", (unsigned)i, (int)e, err.field,
                err.message, (int)bad[i].code, bad[i].field);
    }
    CHECK(err.message[0] != '\0');
    const unsigned char *b = (const unsigned char *)&p;
    bool untouched = true;
    for (size_t k = 0; k < sizeof p; k++) untouched = untouched && b[k] == 0xA5;
    CHECK(untouched);
  }
  /* the JSON position travels out */
  board_profile_t p;
  CHECK_EQ_INT(import("{\"pins\":{\"2\":\"Rel;1\",}}", &p), BOARD_ERR_JSON);
  CHECK_EQ_U64(err.json_pos, 21);
}

static void test_role_message_names_the_role(void) {
  board_profile_t p;
  CHECK_EQ_INT(import("{\"pins\":{\"2\":\"Rel;1\",\"5\":\"ADC;1\"}}", &p), BOARD_ERR_ROLE);
  CHECK(strstr(err.message, "ADC") != NULL);
}

static void test_name_is_cut_at_character_boundary(void) {
  board_profile_t p;
  /* 30 ASCII bytes then a 3-byte euro sign: does not fit 31 bytes, must not be split */
  CHECK_EQ_INT(import("{\"board\":\"abcdefghijklmnopqrstuvwxyz0123\xe2\x82\xac\",\"pins\":{\"2\":\"Rel;1\"}}", &p),
               BOARD_OK);
  CHECK_STR(p.name, "abcdefghijklmnopqrstuvwxyz0123");
  CHECK_EQ_INT(import("{\"board\":\"\",\"name\":\"a\\nb\",\"pins\":{\"2\":\"Rel\"}}", &p), BOARD_OK);
  CHECK_STR(p.name, "a b");
  CHECK_EQ_INT(p.relays[0].channel, 0);
}

static void test_export_round_trips(void) {
  board_profile_t p, q;
  CHECK_EQ_INT(import("{\"board\":\"X\",\"pins\":{\"5\":\"Btn_n;2\",\"6\":\"Rel_n;2\",\"7\":\"Rel;1\",\"8\":\"LED;2\","
                      "\"9\":\"WifiLED_n;0\",\"10\":\"BL0937SEL_n;0\",\"11\":\"BL0937CF;0\",\"12\":\"BL0937CF1;0\","
                      "\"13\":\"AlwaysLow;0\",\"0\":\"Btn_Tgl_All_n;0\"}}",
                      &p),
               BOARD_OK);
  char out[512];
  jsonw_t w;
  jsonw_init(&w, out, sizeof out);
  board_export_openbeken(&p, &w);
  CHECK(jsonw_finish(&w) > 0);
  CHECK_EQ_INT(board_import_openbeken(out, strlen(out), &q, &err), BOARD_OK);
  CHECK(memcmp(&p, &q, sizeof p) == 0);

  board_default(&p);
  jsonw_init(&w, out, sizeof out);
  board_export_openbeken(&p, &w);
  CHECK_STR(out,
            "{\"name\":\"SM-028_V1.3\",\"chip\":\"BL602\",\"board\":\"SM-028_V1.3\",\"pins\":{\"2\":\"Rel;1\","
            "\"3\":\"BL0937CF1;0\",\"14\":\"BL0937CF;0\",\"17\":\"Btn;1\",\"20\":\"LED_n;1\",\"21\":\"BL0937SEL;0\"}}");
}

/* Templates as people paste them: pretty-printed, with "command", "keywords", a Wi-Fi LED. */
static void test_pretty_printed_template_with_wifi_led(void) {
  static const char t[] =
      "{\n  \"vendor\": \"Tuya\",\n  \"bDetailed\": \"0\",\n  \"name\": \"Smart Plug 16A\",\n"
      "  \"model\": \"WHDZ01\",\n  \"chip\": \"BL602\",\n  \"board\": \"WH_BL602\",\n  \"flags\": \"1024\",\n"
      "  \"keywords\": [\n    \"BL602\",\n    \"WHDZ01\"\n  ],\n  \"pins\": {\n    \"1\": \"BL0937CF1;0\",\n"
      "    \"4\": \"BL0937CF;0\",\n    \"5\": \"WifiLED_n;0\",\n    \"11\": \"Btn;1\",\n"
      "    \"12\": \"BL0937SEL;0\",\n    \"16\": \"Rel;1\"\n  },\n"
      "  \"command\": \"backlog startDriver NTP; SetupEnergyStats 1 60 60;\",\n"
      "  \"image\": \"https://obrazki.elektroda.pl/YOUR_IMAGE.jpg\",\n"
      "  \"wiki\": \"https://www.elektroda.com/rtvforum/topic_YOUR_TOPIC.html\"\n}\n";
  board_profile_t p;
  CHECK_EQ_INT(import(t, &p), BOARD_OK);
  CHECK_STR(p.name, "WH_BL602");
  CHECK_EQ_INT(p.relays[0].pin, 16);
  CHECK_EQ_INT(p.leds[0].kind, BOARD_LED_STATUS);
  CHECK(p.leds[0].active_low);
  CHECK_EQ_INT(p.bl0937.cf1, 1);
  /* the same plug's BK7231N template: refused, the pins mean nothing on a BL602 */
  static const char bk[] = "{\"chip\": \"BK7231N\", \"pins\": {\"24\": \"BL0937SEL;0\", \"26\": \"Rel;1\"}}";
  CHECK_EQ_INT(import(bk, &p), BOARD_ERR_CHIP);
  CHECK(strstr(err.message, "BL602") != NULL);
}

static void test_validate_catches_bad_profiles(void) {
  board_profile_t p;
  board_default(&p);
  p.leds[0].pin = 2; /* same as relay */
  CHECK_EQ_INT(board_validate(&p, &err), BOARD_ERR_CONFLICT);
  board_default(&p);
  p.buttons[0].relay = 3;
  CHECK_EQ_INT(board_validate(&p, &err), BOARD_ERR_CONFLICT);
  board_default(&p);
  p.bl0937.sel = BOARD_PIN_NONE;
  CHECK_EQ_INT(board_validate(&p, &err), BOARD_ERR_INCOMPLETE);
  board_default(&p);
  p.relays[0].pin = 40;
  CHECK_EQ_INT(board_validate(&p, NULL), BOARD_ERR_PIN);
}

int main(void) {
  RUN(test_default_is_sm028);
  RUN(test_imports_aubess_template_equal_to_default);
  RUN(test_roles_polarities_and_channels);
  RUN(test_bad_templates_change_nothing);
  RUN(test_role_message_names_the_role);
  RUN(test_name_is_cut_at_character_boundary);
  RUN(test_export_round_trips);
  RUN(test_pretty_printed_template_with_wifi_led);
  RUN(test_validate_catches_bad_profiles);
  return unit_report();
}
