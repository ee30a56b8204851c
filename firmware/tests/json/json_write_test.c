/* JSON writer: commas, escaping, numbers, overflow and misuse detection, round trip through the reader. */
#include <string.h>

#include "json/json.h"
#include "unit.h"

static void test_builds_nested_document(void) {
  char out[256];
  jsonw_t w;
  jsonw_init(&w, out, sizeof out);
  jsonw_obj_begin(&w);
  jsonw_kbool(&w, "relay", true);
  jsonw_kfloat(&w, "power_w", 12.345f, 2);
  jsonw_kint(&w, "neg", -42);
  jsonw_kuint(&w, "energy_wh", 18446744073709551615ull);
  jsonw_knull(&w, "x");
  jsonw_key(&w, "ota");
  jsonw_obj_begin(&w);
  jsonw_kstr(&w, "state", "idle");
  jsonw_obj_end(&w);
  jsonw_key(&w, "list");
  jsonw_arr_begin(&w);
  jsonw_int(&w, 1);
  jsonw_arr_begin(&w);
  jsonw_arr_end(&w);
  jsonw_obj_begin(&w);
  jsonw_obj_end(&w);
  jsonw_str(&w, NULL);
  jsonw_raw(&w, "{\"r\":1}", 7);
  jsonw_arr_end(&w);
  jsonw_obj_end(&w);
  CHECK_EQ_INT(jsonw_finish(&w), (int32_t)strlen(out));
  CHECK_STR(out,
            "{\"relay\":true,\"power_w\":12.35,\"neg\":-42,\"energy_wh\":18446744073709551615,\"x\":null,"
            "\"ota\":{\"state\":\"idle\"},\"list\":[1,[],{},null,{\"r\":1}]}");
}

static void test_escapes_strings(void) {
  char out[128];
  jsonw_t w;
  jsonw_init(&w, out, sizeof out);
  jsonw_str(&w, "q\"b\\s/\n\r\t\b\f\x01\x1f\x7f\xc3\xa9");
  CHECK(jsonw_finish(&w) > 0);
  CHECK_STR(out, "\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f\xc3\xa9\"");
}

static void test_invalid_utf8_becomes_replacement_char(void) {
  char out[64];
  jsonw_t w;
  jsonw_init(&w, out, sizeof out);
  jsonw_strn(&w, "a\xff" "b\xc3" "\xed\xa0\x80", 7);
  CHECK(jsonw_finish(&w) > 0);
  CHECK_STR(out, "\"a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
  /* and the result is valid JSON for our strict reader */
  json_tok_t t[2];
  json_doc_t d;
  CHECK_EQ_INT(json_parse(&d, out, strlen(out), t, 2), JSON_OK);
}

static void test_numbers(void) {
  static const struct {
    double v;
    int dec;
    const char *want;
  } cases[] = {
      {0.0, 2, "0.00"},      {-0.001, 2, "0.00"},   {-0.005, 2, "-0.01"}, {1.5, 0, "2"},
      {-1.5, 0, "-2"},       {229.87, 1, "229.9"},  {3680, 3, "3680.000"}, {0.1, 6, "0.100000"},
      {123456.789, 9, "123456.789000"}, {1e19, 0, "null"}, {-7, -3, "-7"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[32];
    jsonw_t w;
    jsonw_init(&w, out, sizeof out);
    jsonw_double(&w, cases[i].v, cases[i].dec);
    CHECK(jsonw_finish(&w) > 0);
    if (!unit_streq(out, cases[i].want)) unit_fail(__FILE__, __LINE__, "case %u: %s != %s", (unsigned)i, out, cases[i].want);
  }
  char out[32];
  jsonw_t w;
  jsonw_init(&w, out, sizeof out);
  float nan = 0.0f;
  nan = nan / nan;
  jsonw_float(&w, nan, 2);
  CHECK_STR(out, "null");
  jsonw_init(&w, out, sizeof out);
  jsonw_int(&w, INT64_MIN);
  CHECK_STR(out, "-9223372036854775808");
}

static void test_overflow_is_latched_and_terminated(void) {
  char out[10];
  memset(out, 'X', sizeof out);
  jsonw_t w;
  jsonw_init(&w, out, sizeof out);
  jsonw_obj_begin(&w);
  jsonw_kstr(&w, "key", "value that does not fit");
  jsonw_obj_end(&w);
  CHECK(!jsonw_ok(&w));
  CHECK_EQ_INT(jsonw_finish(&w), -1);
  CHECK(strlen(out) < sizeof out);
  /* exactly fitting output works: 9 chars + NUL */
  jsonw_init(&w, out, sizeof out);
  jsonw_str(&w, "1234567");
  CHECK_EQ_INT(jsonw_finish(&w), 9);
  jsonw_init(&w, out, sizeof out);
  jsonw_str(&w, "12345678");
  CHECK_EQ_INT(jsonw_finish(&w), -1);
  jsonw_init(&w, NULL, 0);
  jsonw_null(&w);
  CHECK_EQ_INT(jsonw_finish(&w), -1);
}

static void test_misuse_is_detected(void) {
  char out[64];
  jsonw_t w;
  jsonw_init(&w, out, sizeof out);
  jsonw_obj_begin(&w);
  jsonw_int(&w, 1); /* value without a key */
  CHECK(!jsonw_ok(&w));

  jsonw_init(&w, out, sizeof out);
  jsonw_arr_begin(&w);
  jsonw_key(&w, "k"); /* key in an array */
  CHECK(!jsonw_ok(&w));

  jsonw_init(&w, out, sizeof out);
  jsonw_obj_begin(&w);
  jsonw_arr_end(&w); /* wrong closer */
  CHECK(!jsonw_ok(&w));

  jsonw_init(&w, out, sizeof out);
  jsonw_obj_begin(&w);
  CHECK_EQ_INT(jsonw_finish(&w), -1); /* unbalanced */

  jsonw_init(&w, out, sizeof out);
  jsonw_int(&w, 1);
  jsonw_int(&w, 2); /* two roots */
  CHECK_EQ_INT(jsonw_finish(&w), -1);

  jsonw_init(&w, out, sizeof out);
  jsonw_obj_begin(&w);
  jsonw_key(&w, "k");
  jsonw_obj_end(&w); /* key without value */
  CHECK(!jsonw_ok(&w));

  jsonw_init(&w, out, sizeof out);
  for (int i = 0; i < JSONW_MAX_DEPTH; i++) jsonw_arr_begin(&w);
  CHECK(jsonw_ok(&w));
  jsonw_arr_begin(&w);
  CHECK(!jsonw_ok(&w));
}

static void test_round_trip_through_reader(void) {
  char out[256];
  jsonw_t w;
  jsonw_init(&w, out, sizeof out);
  jsonw_obj_begin(&w);
  jsonw_kstr(&w, "s\"k", "line\nbreak \xe2\x82\xac");
  jsonw_kfloat(&w, "f", -3.25f, 2);
  jsonw_kint(&w, "i", -9007199254740993LL);
  jsonw_obj_end(&w);
  CHECK(jsonw_finish(&w) > 0);
  json_tok_t t[16];
  json_doc_t d;
  CHECK_EQ_INT(json_parse(&d, out, strlen(out), t, 16), JSON_OK);
  char s[32];
  CHECK_EQ_INT(json_get_string(&d, json_obj_get(&d, 0, "s\"k"), s, sizeof s, NULL), JSON_OK);
  CHECK_STR(s, "line\nbreak \xe2\x82\xac");
  float f;
  CHECK_EQ_INT(json_get_float(&d, json_obj_get(&d, 0, "f"), &f), JSON_OK);
  CHECK(f == -3.25f);
  int64_t i;
  CHECK_EQ_INT(json_get_int64(&d, json_obj_get(&d, 0, "i"), &i), JSON_OK);
  CHECK(i == -9007199254740993LL);
}

int main(void) {
  RUN(test_builds_nested_document);
  RUN(test_escapes_strings);
  RUN(test_invalid_utf8_becomes_replacement_char);
  RUN(test_numbers);
  RUN(test_overflow_is_latched_and_terminated);
  RUN(test_misuse_is_detected);
  RUN(test_round_trip_through_reader);
  return unit_report();
}
