/* json.h — bounded JSON reader and writer for the whole firmware. No heap: the caller owns every buffer.
 *
 * Reader: json_parse() validates the whole text strictly (RFC 8259: no trailing commas, no leading zeros,
 * no control characters or invalid UTF-8 in strings, no lone surrogates, no duplicate object keys, nothing
 * after the root value) and fills a caller-provided token array. On failure it reports a byte position.
 * Typed getters then read values out of the tokens:
 *
 *   json_tok_t toks[32];
 *   json_doc_t doc;
 *   if (json_parse(&doc, body, body_len, toks, 32) != JSON_OK) -> reply error at doc.error_pos
 *   bool on;
 *   json_err_t e = json_get_bool(&doc, json_obj_get(&doc, JSON_ROOT, "on"), &on);
 *   // e == JSON_ERR_NOT_FOUND if "on" is missing, JSON_ERR_TYPE if it is not true/false
 *
 * Every getter accepts a negative token index (what json_obj_get() returns for a missing key) and then
 * returns JSON_ERR_NOT_FOUND, so lookups chain without checks in between.
 *
 * Writer: jsonw_* append into a fixed buffer, insert commas themselves, escape strings, and latch an
 * overflow flag instead of writing past the end; the buffer is always NUL-terminated.
 *
 *   char out[256];
 *   jsonw_t w;
 *   jsonw_init(&w, out, sizeof out);
 *   jsonw_obj_begin(&w);
 *   jsonw_kbool(&w, "relay", true);
 *   jsonw_kfloat(&w, "power_w", 12.5f, 1);
 *   jsonw_obj_end(&w);
 *   if (jsonw_finish(&w) < 0) -> too small (or misuse)
 */
#ifndef OBL_JSON_H
#define OBL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  JSON_OK = 0,
  JSON_ERR_SYNTAX = -1,     /* malformed text; doc->error_pos says where */
  JSON_ERR_TOKENS = -2,     /* more values than the token array holds */
  JSON_ERR_TOO_BIG = -3,    /* text longer than JSON_MAX_TEXT */
  JSON_ERR_DUP_KEY = -4,    /* an object names the same key twice */
  JSON_ERR_NOT_FOUND = -5,  /* getter: missing key / index / negative token */
  JSON_ERR_TYPE = -6,       /* getter: value has another type (e.g. 1.5 for an integer) */
  JSON_ERR_RANGE = -7,      /* getter: number does not fit the target type */
  JSON_ERR_NOSPACE = -8,    /* getter: string longer than the caller's buffer */
} json_err_t;

typedef enum {
  JSON_NULL = 0,
  JSON_BOOL,
  JSON_NUMBER,
  JSON_STRING,
  JSON_ARRAY,
  JSON_OBJECT,
} json_type_t;

/* One value (object keys are string tokens too; a key's value is the token right after it). Offsets
 * index the text; a string token spans the raw text between the quotes, still escaped. */
typedef struct {
  uint32_t start;
  uint32_t end;     /* one past the last byte */
  uint16_t next;    /* index of the first token after this value's subtree */
  int16_t parent;   /* container token, -1 for the root */
  uint16_t count;   /* array: elements; object: members; else 0 */
  uint8_t type;     /* json_type_t */
  uint8_t reserved;
} json_tok_t;

#define JSON_ROOT 0
#define JSON_MAX_TEXT 65535u  /* texts are firmware-sized: HTTP bodies, MQTT payloads, templates */
#define JSON_MAX_TOKENS 32767u

typedef struct {
  const char *text;
  size_t len;
  json_tok_t *toks;
  size_t ntoks;      /* tokens in use after a successful parse */
  size_t error_pos;  /* byte offset of the first bad byte when json_parse() failed */
} json_doc_t;

/* Validates text[0..len) and tokenizes it into toks[0..max_toks). The text must outlive doc. */
json_err_t json_parse(json_doc_t *doc, const char *text, size_t len, json_tok_t *toks, size_t max_toks);

/* Short English description of an error code, for logs and HTTP error messages. */
const char *json_strerror(json_err_t err);

/* ---- navigation (tok < 0 or out of range → -1 / JSON_NULL-like behaviour) ---- */
json_type_t json_type(const json_doc_t *doc, int tok);
/* Value of key in object obj (keys compared after unescaping), or -1. */
int json_obj_get(const json_doc_t *doc, int obj, const char *key);
/* Element i of array arr, or -1. */
int json_arr_get(const json_doc_t *doc, int arr, size_t i);
/* Iterates children: prev = -1 gives the first. Arrays: elements; objects: KEY tokens (value = key + 1).
 *   for (int k = json_next_child(d, obj, -1); k >= 0; k = json_next_child(d, obj, k)) ... */
int json_next_child(const json_doc_t *doc, int container, int prev);
/* Member / element count of a container, 0 otherwise. */
size_t json_count(const json_doc_t *doc, int tok);
/* True if the string token tok equals s after unescaping. */
bool json_str_eq(const json_doc_t *doc, int tok, const char *s);

/* ---- typed getters ---- */
/* Unescaped UTF-8 copy, NUL-terminated; a string with \u0000 is JSON_ERR_RANGE (C strings cannot hold it).
 * out_len (optional) receives the length without the NUL. On JSON_ERR_NOSPACE buf holds "" . */
json_err_t json_get_string(const json_doc_t *doc, int tok, char *buf, size_t cap, size_t *out_len);
/* Integer literals only ("12", "-3"); "1.0" or "1e3" is JSON_ERR_TYPE. */
json_err_t json_get_int64(const json_doc_t *doc, int tok, int64_t *out);
/* Non-negative integer literals up to 2^64-1 (e.g. energy counters); "-1" is JSON_ERR_RANGE. */
json_err_t json_get_uint64(const json_doc_t *doc, int tok, uint64_t *out);
/* Like json_get_int64 with a range check [min, max]. */
json_err_t json_get_int_range(const json_doc_t *doc, int tok, int64_t min, int64_t max, int64_t *out);
/* Any number. Deterministic on every port (no strtod, no locale); out of float range is JSON_ERR_RANGE. */
json_err_t json_get_float(const json_doc_t *doc, int tok, float *out);
json_err_t json_get_double(const json_doc_t *doc, int tok, double *out);
json_err_t json_get_bool(const json_doc_t *doc, int tok, bool *out);
bool json_is_null(const json_doc_t *doc, int tok);

/* ---- writer ---- */
#define JSONW_MAX_DEPTH 16

typedef struct {
  char *buf;
  size_t cap;
  size_t len;
  bool overflow;       /* ran out of space: the output is incomplete */
  bool misuse;         /* unbalanced begin/end, key outside an object, value without key, ... */
  uint8_t depth;
  uint16_t in_object;  /* bit d: level d+1 is an object */
  uint16_t has_items;  /* bit d: level d+1 already holds an item (next one needs a comma) */
  bool after_key;      /* a key was written, its value comes next */
  bool done;           /* a complete root value was written */
} jsonw_t;

/* cap must be >= 1; the buffer is NUL-terminated after every call. */
void jsonw_init(jsonw_t *w, char *buf, size_t cap);
void jsonw_obj_begin(jsonw_t *w);
void jsonw_obj_end(jsonw_t *w);
void jsonw_arr_begin(jsonw_t *w);
void jsonw_arr_end(jsonw_t *w);
void jsonw_key(jsonw_t *w, const char *key);
void jsonw_str(jsonw_t *w, const char *s);            /* NULL writes null */
void jsonw_strn(jsonw_t *w, const char *s, size_t n); /* invalid UTF-8 bytes become U+FFFD */
void jsonw_int(jsonw_t *w, int64_t v);
void jsonw_uint(jsonw_t *w, uint64_t v);
/* Fixed-point with 0..6 decimals, rounded half away from zero; NaN/inf write null. */
void jsonw_float(jsonw_t *w, float v, int decimals);
void jsonw_double(jsonw_t *w, double v, int decimals);
void jsonw_bool(jsonw_t *w, bool v);
void jsonw_null(jsonw_t *w);
/* A value already rendered as JSON (e.g. an embedded sub-document); not validated. */
void jsonw_raw(jsonw_t *w, const char *json, size_t n);

/* key + value in one call */
void jsonw_kstr(jsonw_t *w, const char *key, const char *s);
void jsonw_kint(jsonw_t *w, const char *key, int64_t v);
void jsonw_kuint(jsonw_t *w, const char *key, uint64_t v);
void jsonw_kfloat(jsonw_t *w, const char *key, float v, int decimals);
void jsonw_kdouble(jsonw_t *w, const char *key, double v, int decimals);
void jsonw_kbool(jsonw_t *w, const char *key, bool v);
void jsonw_knull(jsonw_t *w, const char *key);

/* Length of a complete, balanced document, or -1 on overflow/misuse/incomplete. */
int32_t jsonw_finish(const jsonw_t *w);
/* True while nothing went wrong so far (output may still be incomplete). */
bool jsonw_ok(const jsonw_t *w);

#ifdef __cplusplus
}
#endif

#endif /* OBL_JSON_H */
