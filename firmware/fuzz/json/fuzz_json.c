/* libFuzzer: json_parse() on arbitrary bytes must never read out of bounds; every accepted document is
 * re-serialised with the writer and must parse again to the same shape (reader and writer agree). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"

#define MAX_TOKS 512

static json_tok_t toks[MAX_TOKS], toks2[MAX_TOKS];
static char out[1 << 17];
static char str[1 << 16];

static void emit(const json_doc_t *d, int t, jsonw_t *w) {
  switch (json_type(d, t)) {
    case JSON_NULL: jsonw_null(w); break;
    case JSON_BOOL: {
      bool b = false;
      if (json_get_bool(d, t, &b) != JSON_OK) abort();
      jsonw_bool(w, b);
      break;
    }
    case JSON_NUMBER: {
      int64_t i;
      double v;
      if (json_get_int64(d, t, &i) == JSON_OK) {
        jsonw_int(w, i);
      } else if (json_get_double(d, t, &v) == JSON_OK) {
        jsonw_double(w, v, 3);
      } else {
        jsonw_null(w);
      }
      float f;
      (void)json_get_float(d, t, &f);
      break;
    }
    case JSON_STRING: {
      size_t n = 0;
      json_err_t e = json_get_string(d, t, str, sizeof str, &n);
      if (e == JSON_OK) {
        if (!json_str_eq(d, t, str)) abort();
        jsonw_strn(w, str, n);
      } else {
        jsonw_null(w);
      }
      break;
    }
    case JSON_ARRAY: {
      jsonw_arr_begin(w);
      size_t n = 0;
      for (int c = json_next_child(d, t, -1); c >= 0; c = json_next_child(d, t, c)) {
        if (json_arr_get(d, t, n) != c) abort();
        emit(d, c, w);
        n++;
      }
      if (n != json_count(d, t)) abort();
      jsonw_arr_end(w);
      break;
    }
    case JSON_OBJECT: {
      jsonw_obj_begin(w);
      size_t n = 0;
      for (int k = json_next_child(d, t, -1); k >= 0; k = json_next_child(d, t, k)) {
        if (json_get_string(d, k, str, sizeof str, NULL) != JSON_OK) {
          /* keys with \u0000 cannot be C strings; keep the shape with a unique placeholder */
          size_t m = (size_t)k;
          str[0] = '\x01';
          for (int i = 1; i < 8; i++, m /= 10) str[i] = (char)('0' + m % 10);
          str[8] = 0;
        } else if (json_obj_get(d, t, str) != k + 1) {
          abort();
        }
        jsonw_key(w, str);
        emit(d, k + 1, w);
        n++;
      }
      if (n != json_count(d, t)) abort();
      jsonw_obj_end(w);
      break;
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_doc_t doc;
  if (json_parse(&doc, (const char *)data, size, toks, MAX_TOKS) != JSON_OK) {
    if (doc.error_pos > size) abort();
    return 0;
  }
  jsonw_t w;
  jsonw_init(&w, out, sizeof out);
  emit(&doc, JSON_ROOT, &w);
  if (!jsonw_ok(&w)) return 0; /* deeper than the writer allows, or bigger than out */
  int32_t n = jsonw_finish(&w);
  if (n < 0) abort();
  json_doc_t doc2;
  if (json_parse(&doc2, out, (size_t)n, toks2, MAX_TOKS) != JSON_OK) abort();
  if (doc2.ntoks != doc.ntoks) abort();
  for (size_t i = 0; i < doc.ntoks; i++) {
    /* numbers beyond double / fixed-point range and strings holding \u0000 are written as null */
    bool lossy = toks2[i].type == JSON_NULL && (toks[i].type == JSON_NUMBER || toks[i].type == JSON_STRING);
    if ((toks[i].type != toks2[i].type && !lossy) || toks[i].count != toks2[i].count) abort();
  }
  return 0;
}
