/* JSON reader: strict validation with error positions, navigation, typed getters. */
#include <string.h>

#include "json/json.h"
#include "unit.h"

static json_tok_t toks[64];
static json_doc_t doc;

static json_err_t parse(const char *s) { return json_parse(&doc, s, strlen(s), toks, 64); }

/* Asserts s is rejected with err at byte offset pos. */
static void expect_error(const char *s, json_err_t err, size_t pos) {
  json_err_t e = parse(s);
  if (e != err || doc.error_pos != pos) {
    unit_fail(__FILE__, __LINE__, "input '%s': got err %d at %u, want %d at %u", s, (int)e,
              (unsigned)doc.error_pos, (int)err, (unsigned)pos);
  }
}

static void test_accepts_valid_documents(void) {
  static const char *ok[] = {
      "{}", "[]", "0", "-0", "1.5e-3", "1E+2", "\"\"", "true", "false", "null", " \t\r\n{ \"a\" : [ 1 , 2 ] } \n",
      "{\"a\":{\"b\":{\"c\":[[],{}]}}}", "\"\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\\\"\\\\\"",
      "\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", "-12345678901234567890123", "[1,\"x\",null,true,{\"k\":false}]",
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    json_err_t e = parse(ok[i]);
    if (e != JSON_OK) unit_fail(__FILE__, __LINE__, "rejected '%s': %d at %u", ok[i], (int)e, (unsigned)doc.error_pos);
  }
}

static void test_rejects_malformed_with_position(void) {
  expect_error("", JSON_ERR_SYNTAX, 0);
  expect_error("   ", JSON_ERR_SYNTAX, 3);
  expect_error("{", JSON_ERR_SYNTAX, 1);
  expect_error("{\"a\":1,}", JSON_ERR_SYNTAX, 7);   /* trailing comma */
  expect_error("[1,]", JSON_ERR_SYNTAX, 3);
  expect_error("[1 2]", JSON_ERR_SYNTAX, 3);
  expect_error("{\"a\" 1}", JSON_ERR_SYNTAX, 5);    /* missing colon */
  expect_error("{a:1}", JSON_ERR_SYNTAX, 1);        /* unquoted key */
  expect_error("{1:1}", JSON_ERR_SYNTAX, 1);
  expect_error("01", JSON_ERR_SYNTAX, 1);           /* leading zero */
  expect_error("-", JSON_ERR_SYNTAX, 1);
  expect_error("1.", JSON_ERR_SYNTAX, 2);
  expect_error(".5", JSON_ERR_SYNTAX, 0);
  expect_error("+1", JSON_ERR_SYNTAX, 0);
  expect_error("1e", JSON_ERR_SYNTAX, 2);
  expect_error("tru", JSON_ERR_SYNTAX, 3);
  expect_error("nul1", JSON_ERR_SYNTAX, 3);
  expect_error("{} {}", JSON_ERR_SYNTAX, 3);        /* trailing content */
  expect_error("[1]]", JSON_ERR_SYNTAX, 3);
  expect_error("\"abc", JSON_ERR_SYNTAX, 4);        /* unterminated */
  expect_error("\"a\tb\"", JSON_ERR_SYNTAX, 2);     /* raw control char */
  expect_error("\"\\x\"", JSON_ERR_SYNTAX, 2);      /* bad escape */
  expect_error("\"\\u12G4\"", JSON_ERR_SYNTAX, 1);
  expect_error("\"\\udc00\"", JSON_ERR_SYNTAX, 1);  /* lone low surrogate */
  expect_error("\"\\ud800x\"", JSON_ERR_SYNTAX, 1); /* high surrogate without partner */
  expect_error("\"\\ud800\\u0041\"", JSON_ERR_SYNTAX, 7);
  expect_error("\"\xc3\"", JSON_ERR_SYNTAX, 1);     /* truncated UTF-8 */
  expect_error("\"\xc0\xaf\"", JSON_ERR_SYNTAX, 1); /* overlong */
  expect_error("\"\xed\xa0\x80\"", JSON_ERR_SYNTAX, 1); /* encoded surrogate */
  expect_error("\"\xf4\x90\x80\x80\"", JSON_ERR_SYNTAX, 1); /* > U+10FFFF */
  expect_error("[1,/*c*/2]", JSON_ERR_SYNTAX, 3);
  expect_error("{\"a\":1,\"b\":2,\"a\":3}", JSON_ERR_DUP_KEY, 13);
  expect_error("{\"a\":1,\"\\u0061\":2}", JSON_ERR_DUP_KEY, 7); /* same key after unescaping */
}

static void test_embedded_nul_byte_is_rejected(void) {
  const char s[] = "{\"a\":\"x\0y\"}";
  CHECK_EQ_INT(json_parse(&doc, s, sizeof s - 1, toks, 64), JSON_ERR_SYNTAX);
  CHECK_EQ_U64(doc.error_pos, 7);
}

static void test_token_limit_is_an_error_not_a_crash(void) {
  json_tok_t few[3];
  CHECK_EQ_INT(json_parse(&doc, "[1,2,3]", 7, few, 3), JSON_ERR_TOKENS);
  CHECK_EQ_U64(doc.error_pos, 5);
  CHECK_EQ_INT(json_parse(&doc, "[1,2]", 5, few, 3), JSON_OK);
  CHECK_EQ_INT(json_parse(&doc, "1", 1, few, 0), JSON_ERR_TOKENS);
}

static void test_deep_nesting_costs_no_stack(void) {
  static char deep[4001];
  static json_tok_t many[2100];
  for (int i = 0; i < 2000; i++) {
    deep[i] = '[';
    deep[2000 + i] = ']';
  }
  CHECK_EQ_INT(json_parse(&doc, deep, 4000, many, 2100), JSON_OK);
  CHECK_EQ_U64(doc.ntoks, 2000);
  CHECK_EQ_INT(json_parse(&doc, deep, 3999, many, 2100), JSON_ERR_SYNTAX);
}

static void test_object_lookup_and_iteration(void) {
  CHECK_EQ_INT(parse("{\"relay\":{\"on\":true,\"n\":[1,{\"x\":2},3]},\"name\":\"plug\",\"e\":{}}"), JSON_OK);
  CHECK_EQ_INT(json_type(&doc, JSON_ROOT), JSON_OBJECT);
  CHECK_EQ_U64(json_count(&doc, JSON_ROOT), 3);
  int relay = json_obj_get(&doc, JSON_ROOT, "relay");
  CHECK_EQ_INT(json_type(&doc, relay), JSON_OBJECT);
  bool on = false;
  CHECK_EQ_INT(json_get_bool(&doc, json_obj_get(&doc, relay, "on"), &on), JSON_OK);
  CHECK(on);
  int n = json_obj_get(&doc, relay, "n");
  CHECK_EQ_U64(json_count(&doc, n), 3);
  int64_t v = 0;
  CHECK_EQ_INT(json_get_int64(&doc, json_arr_get(&doc, n, 2), &v), JSON_OK);
  CHECK_EQ_INT(v, 3);
  CHECK_EQ_INT(json_get_int64(&doc, json_obj_get(&doc, json_arr_get(&doc, n, 1), "x"), &v), JSON_OK);
  CHECK_EQ_INT(v, 2);
  CHECK_EQ_INT(json_arr_get(&doc, n, 3), -1);
  char name[8];
  CHECK_EQ_INT(json_get_string(&doc, json_obj_get(&doc, JSON_ROOT, "name"), name, sizeof name, NULL), JSON_OK);
  CHECK_STR(name, "plug");
  /* keys in order, nested values skipped */
  const char *want[] = {"relay", "name", "e"};
  size_t i = 0;
  for (int k = json_next_child(&doc, JSON_ROOT, -1); k >= 0; k = json_next_child(&doc, JSON_ROOT, k)) {
    CHECK(i < 3);
    if (i < 3) CHECK(json_str_eq(&doc, k, want[i]));
    i++;
  }
  CHECK_EQ_U64(i, 3);
  CHECK_EQ_INT(json_next_child(&doc, json_obj_get(&doc, JSON_ROOT, "e"), -1), -1);
  /* misuse: a value token as prev, the last one of the document, stays in bounds */
  CHECK_EQ_INT(json_parse(&doc, "{\"k\":1}", 7, toks, 3), JSON_OK);
  CHECK_EQ_INT(json_next_child(&doc, JSON_ROOT, 2), -1);
  CHECK_EQ_INT(parse("{\"relay\":{\"on\":true,\"n\":[1,{\"x\":2},3]},\"name\":\"plug\",\"e\":{}}"), JSON_OK);
  /* missing keys chain into NOT_FOUND */
  CHECK_EQ_INT(json_obj_get(&doc, JSON_ROOT, "nope"), -1);
  CHECK_EQ_INT(json_get_bool(&doc, json_obj_get(&doc, json_obj_get(&doc, JSON_ROOT, "nope"), "on"), &on),
               JSON_ERR_NOT_FOUND);
  CHECK_EQ_INT(json_obj_get(&doc, n, "x"), -1); /* not an object */
  CHECK_EQ_INT(json_get_bool(&doc, 9999, &on), JSON_ERR_NOT_FOUND);
}

static void test_string_unescaping(void) {
  CHECK_EQ_INT(parse("[\"a\\\"b\\\\c\\/d\\n\", \"\\u00e9\\u20ac\\ud83d\\ude00\", \"\\u0000\", \"toolong\"]"), JSON_OK);
  char buf[16];
  size_t n = 0;
  CHECK_EQ_INT(json_get_string(&doc, json_arr_get(&doc, JSON_ROOT, 0), buf, sizeof buf, &n), JSON_OK);
  CHECK_STR(buf, "a\"b\\c/d\n");
  CHECK_EQ_U64(n, 8);
  CHECK_EQ_INT(json_get_string(&doc, json_arr_get(&doc, JSON_ROOT, 1), buf, sizeof buf, &n), JSON_OK);
  CHECK_STR(buf, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  CHECK_EQ_U64(n, 9);
  CHECK_EQ_INT(json_get_string(&doc, json_arr_get(&doc, JSON_ROOT, 2), buf, sizeof buf, NULL), JSON_ERR_RANGE);
  CHECK_EQ_INT(json_get_string(&doc, json_arr_get(&doc, JSON_ROOT, 3), buf, 8, NULL), JSON_OK);
  CHECK_EQ_INT(json_get_string(&doc, json_arr_get(&doc, JSON_ROOT, 3), buf, 7, NULL), JSON_ERR_NOSPACE);
  CHECK_STR(buf, "");
  CHECK(json_str_eq(&doc, json_arr_get(&doc, JSON_ROOT, 3), "toolong"));
  CHECK(!json_str_eq(&doc, json_arr_get(&doc, JSON_ROOT, 3), "toolon"));
  CHECK(!json_str_eq(&doc, json_arr_get(&doc, JSON_ROOT, 3), "toolongg"));
  int64_t v;
  CHECK_EQ_INT(json_get_int64(&doc, json_arr_get(&doc, JSON_ROOT, 0), &v), JSON_ERR_TYPE);
}

static void test_integers(void) {
  CHECK_EQ_INT(parse("[0,-0,9223372036854775807,-9223372036854775808,9223372036854775808,"
                     "-9223372036854775809,1.0,1e3,\"5\",42]"),
               JSON_OK);
  int64_t v = 1;
  CHECK_EQ_INT(json_get_int64(&doc, json_arr_get(&doc, 0, 0), &v), JSON_OK);
  CHECK_EQ_INT(v, 0);
  CHECK_EQ_INT(json_get_int64(&doc, json_arr_get(&doc, 0, 1), &v), JSON_OK);
  CHECK_EQ_INT(v, 0);
  CHECK_EQ_INT(json_get_int64(&doc, json_arr_get(&doc, 0, 2), &v), JSON_OK);
  CHECK(v == INT64_MAX);
  CHECK_EQ_INT(json_get_int64(&doc, json_arr_get(&doc, 0, 3), &v), JSON_OK);
  CHECK(v == INT64_MIN);
  CHECK_EQ_INT(json_get_int64(&doc, json_arr_get(&doc, 0, 4), &v), JSON_ERR_RANGE);
  CHECK_EQ_INT(json_get_int64(&doc, json_arr_get(&doc, 0, 5), &v), JSON_ERR_RANGE);
  CHECK_EQ_INT(json_get_int64(&doc, json_arr_get(&doc, 0, 6), &v), JSON_ERR_TYPE);
  CHECK_EQ_INT(json_get_int64(&doc, json_arr_get(&doc, 0, 7), &v), JSON_ERR_TYPE);
  CHECK_EQ_INT(json_get_int64(&doc, json_arr_get(&doc, 0, 8), &v), JSON_ERR_TYPE);
  CHECK_EQ_INT(json_get_int_range(&doc, json_arr_get(&doc, 0, 9), 0, 41, &v), JSON_ERR_RANGE);
  CHECK_EQ_INT(json_get_int_range(&doc, json_arr_get(&doc, 0, 9), 0, 42, &v), JSON_OK);
  CHECK_EQ_INT(v, 42);
}

static void test_unsigned(void) {
  CHECK_EQ_INT(parse("[18446744073709551615,18446744073709551616,-0,-1,1.5]"), JSON_OK);
  uint64_t u = 0;
  CHECK_EQ_INT(json_get_uint64(&doc, json_arr_get(&doc, 0, 0), &u), JSON_OK);
  CHECK(u == UINT64_MAX);
  CHECK_EQ_INT(json_get_uint64(&doc, json_arr_get(&doc, 0, 1), &u), JSON_ERR_RANGE);
  CHECK_EQ_INT(json_get_uint64(&doc, json_arr_get(&doc, 0, 2), &u), JSON_OK);
  CHECK_EQ_U64(u, 0);
  CHECK_EQ_INT(json_get_uint64(&doc, json_arr_get(&doc, 0, 3), &u), JSON_ERR_RANGE);
  CHECK_EQ_INT(json_get_uint64(&doc, json_arr_get(&doc, 0, 4), &u), JSON_ERR_TYPE);
  CHECK_EQ_INT(json_get_uint64(&doc, -1, &u), JSON_ERR_NOT_FOUND);
}

static void test_floats(void) {
  CHECK_EQ_INT(parse("[1.5,-0.25,3680,1e-3,2.5E+2,0.1,123456.789,1e39,1e400,1e-400,"
                     "0.000000000000000000000000000001,12345678901234567890123.0,true]"),
               JSON_OK);
  float f = 0;
  double d = 0;
  CHECK_EQ_INT(json_get_float(&doc, json_arr_get(&doc, 0, 0), &f), JSON_OK);
  CHECK(f == 1.5f);
  CHECK_EQ_INT(json_get_float(&doc, json_arr_get(&doc, 0, 1), &f), JSON_OK);
  CHECK(f == -0.25f);
  CHECK_EQ_INT(json_get_float(&doc, json_arr_get(&doc, 0, 2), &f), JSON_OK);
  CHECK(f == 3680.0f);
  CHECK_EQ_INT(json_get_double(&doc, json_arr_get(&doc, 0, 3), &d), JSON_OK);
  CHECK(d == 1e-3); /* exact path: one rounding */
  CHECK_EQ_INT(json_get_float(&doc, json_arr_get(&doc, 0, 4), &f), JSON_OK);
  CHECK(f == 250.0f);
  CHECK_EQ_INT(json_get_double(&doc, json_arr_get(&doc, 0, 5), &d), JSON_OK);
  CHECK(d == 0.1);
  CHECK_EQ_INT(json_get_double(&doc, json_arr_get(&doc, 0, 6), &d), JSON_OK);
  CHECK(d == 123456.789);
  CHECK_EQ_INT(json_get_float(&doc, json_arr_get(&doc, 0, 7), &f), JSON_ERR_RANGE); /* beyond float */
  CHECK_EQ_INT(json_get_double(&doc, json_arr_get(&doc, 0, 7), &d), JSON_OK);
  CHECK_NEAR(d, 1e39, 1e25);
  CHECK_EQ_INT(json_get_double(&doc, json_arr_get(&doc, 0, 8), &d), JSON_ERR_RANGE);
  CHECK_EQ_INT(json_get_double(&doc, json_arr_get(&doc, 0, 9), &d), JSON_OK);
  CHECK(d == 0.0);
  CHECK_EQ_INT(json_get_double(&doc, json_arr_get(&doc, 0, 10), &d), JSON_OK);
  CHECK_NEAR(d / 1e-30, 1.0, 1e-12);
  CHECK_EQ_INT(json_get_double(&doc, json_arr_get(&doc, 0, 11), &d), JSON_OK);
  CHECK_NEAR(d / 1.2345678901234567e22, 1.0, 1e-12);
  CHECK_EQ_INT(json_get_float(&doc, json_arr_get(&doc, 0, 12), &f), JSON_ERR_TYPE);
}

static void test_null_and_types(void) {
  CHECK_EQ_INT(parse("{\"a\":null,\"b\":\"s\"}"), JSON_OK);
  CHECK(json_is_null(&doc, json_obj_get(&doc, 0, "a")));
  CHECK(!json_is_null(&doc, json_obj_get(&doc, 0, "b")));
  CHECK(!json_is_null(&doc, json_obj_get(&doc, 0, "c")));
  bool b;
  CHECK_EQ_INT(json_get_bool(&doc, json_obj_get(&doc, 0, "a"), &b), JSON_ERR_TYPE);
  CHECK(json_strerror(JSON_ERR_SYNTAX)[0] != '\0');
}

int main(void) {
  RUN(test_accepts_valid_documents);
  RUN(test_rejects_malformed_with_position);
  RUN(test_embedded_nul_byte_is_rejected);
  RUN(test_token_limit_is_an_error_not_a_crash);
  RUN(test_deep_nesting_costs_no_stack);
  RUN(test_object_lookup_and_iteration);
  RUN(test_string_unescaping);
  RUN(test_integers);
  RUN(test_unsigned);
  RUN(test_floats);
  RUN(test_null_and_types);
  return unit_report();
}
