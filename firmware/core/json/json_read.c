/* json_read.c — strict validating tokenizer and typed getters (see json.h). Iterative: the token's parent
 * link is the only stack, so nesting depth costs no C stack and is bounded by the token array. */
#include "json/json.h"

#include <string.h>

typedef enum {
  ST_VALUE,          /* top level, after ':' or after ',' in an array */
  ST_VALUE_OR_CLOSE, /* after '[' */
  ST_KEY,            /* after ',' in an object */
  ST_KEY_OR_CLOSE,   /* after '{' */
  ST_COLON,          /* after a key */
  ST_COMMA_OR_CLOSE, /* after a value inside a container */
  ST_END,            /* root value complete: only whitespace may follow */
} parse_state_t;

typedef struct {
  json_doc_t *doc;
  size_t max;
  size_t pos;
} parser_t;

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int hex_val(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Reads 4 hex digits at s[i..i+4) (caller checked the length). */
static int32_t hex4(const char *s, size_t i) {
  int32_t v = 0;
  for (size_t k = 0; k < 4; k++) {
    int h = hex_val(s[i + k]);
    if (h < 0) return -1;
    v = (v << 4) | h;
  }
  return v;
}

static json_err_t fail(parser_t *p, size_t at, json_err_t err) {
  p->doc->error_pos = at;
  return err;
}

/* Length of the valid UTF-8 sequence starting at s[i] (lead byte >= 0x80), 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t i, size_t end) {
  unsigned char c = s[i];
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  /* overlong */
    if (c == 0xED) hi = 0x9F;  /* UTF-16 surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  /* overlong */
    if (c == 0xF4) hi = 0x8F;  /* > U+10FFFF */
  } else {
    return 0;
  }
  if (end - i < n) return 0;
  if (s[i + 1] < lo || s[i + 1] > hi) return 0;
  for (size_t k = 2; k < n; k++) {
    if (s[i + k] < 0x80 || s[i + k] > 0xBF) return 0;
  }
  return n;
}

/* p->pos is on the opening quote; on success it is one past the closing quote. */
static json_err_t scan_string(parser_t *p) {
  const char *s = p->doc->text;
  size_t len = p->doc->len;
  size_t i = p->pos + 1;
  while (i < len) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"') {
      p->pos = i + 1;
      return JSON_OK;
    }
    if (c < 0x20) return fail(p, i, JSON_ERR_SYNTAX);
    if (c == '\\') {
      if (i + 1 >= len) return fail(p, len, JSON_ERR_SYNTAX);
      char e = s[i + 1];
      if (e == 'u') {
        if (len - i < 6) return fail(p, len, JSON_ERR_SYNTAX);
        int32_t cp = hex4(s, i + 2);
        if (cp < 0) return fail(p, i, JSON_ERR_SYNTAX);
        if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(p, i, JSON_ERR_SYNTAX); /* lone low surrogate */
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (len - i < 12 || s[i + 6] != '\\' || s[i + 7] != 'u') return fail(p, i, JSON_ERR_SYNTAX);
          int32_t lo = hex4(s, i + 8);
          if (lo < 0xDC00 || lo > 0xDFFF) return fail(p, i + 6, JSON_ERR_SYNTAX);
          i += 12;
        } else {
          i += 6;
        }
        continue;
      }
      if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') {
        return fail(p, i + 1, JSON_ERR_SYNTAX);
      }
      i += 2;
      continue;
    }
    if (c >= 0x80) {
      size_t n = utf8_seq_len((const unsigned char *)s, i, len);
      if (n == 0) return fail(p, i, JSON_ERR_SYNTAX);
      i += n;
      continue;
    }
    i++;
  }
  return fail(p, len, JSON_ERR_SYNTAX);
}

static json_err_t scan_number(parser_t *p) {
  const char *s = p->doc->text;
  size_t len = p->doc->len;
  size_t i = p->pos;
  if (i < len && s[i] == '-') i++;
  if (i >= len) return fail(p, i, JSON_ERR_SYNTAX);
  if (s[i] == '0') {
    i++;
  } else if (s[i] >= '1' && s[i] <= '9') {
    while (i < len && is_digit(s[i])) i++;
  } else {
    return fail(p, i, JSON_ERR_SYNTAX);
  }
  if (i < len && s[i] == '.') {
    i++;
    if (i >= len || !is_digit(s[i])) return fail(p, i, JSON_ERR_SYNTAX);
    while (i < len && is_digit(s[i])) i++;
  }
  if (i < len && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < len && (s[i] == '+' || s[i] == '-')) i++;
    if (i >= len || !is_digit(s[i])) return fail(p, i, JSON_ERR_SYNTAX);
    while (i < len && is_digit(s[i])) i++;
  }
  p->pos = i;
  return JSON_OK;
}

static json_err_t scan_literal(parser_t *p, const char *lit) {
  size_t n = strlen(lit);
  const char *s = p->doc->text;
  for (size_t k = 0; k < n; k++) {
    if (p->pos + k >= p->doc->len || s[p->pos + k] != lit[k]) return fail(p, p->pos + k, JSON_ERR_SYNTAX);
  }
  p->pos += n;
  return JSON_OK;
}

/* ---- unescaping byte iterator over a validated string token ---- */
typedef struct {
  const char *s;
  size_t i, end;
  uint8_t pend[4];
  uint8_t npend, ipend;
} ustr_t;

static void ustr_init(ustr_t *u, const json_doc_t *doc, const json_tok_t *t) {
  u->s = doc->text;
  u->i = t->start;
  u->end = t->end;
  u->npend = 0;
  u->ipend = 0;
}

/* Next unescaped byte, or -1 at the end. The text was validated by json_parse(). */
static int ustr_next(ustr_t *u) {
  if (u->ipend < u->npend) return u->pend[u->ipend++];
  if (u->i >= u->end) return -1;
  unsigned char c = (unsigned char)u->s[u->i];
  if (c != '\\') {
    u->i++;
    return c;
  }
  char e = u->s[u->i + 1];
  u->i += 2;
  switch (e) {
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'u': break;
    default: return (unsigned char)e; /* " \ / */
  }
  uint32_t cp = (uint32_t)hex4(u->s, u->i);
  u->i += 4;
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    uint32_t lo = (uint32_t)hex4(u->s, u->i + 2);
    u->i += 6;
    cp = 0x10000u + ((cp - 0xD800u) << 10) + (lo - 0xDC00u);
  }
  u->ipend = 0;
  if (cp < 0x80) {
    u->npend = 0;
    return (int)cp;
  }
  if (cp < 0x800) {
    u->pend[0] = (uint8_t)(0xC0 | (cp >> 6));
    u->pend[1] = (uint8_t)(0x80 | (cp & 0x3F));
    u->npend = 2;
  } else if (cp < 0x10000) {
    u->pend[0] = (uint8_t)(0xE0 | (cp >> 12));
    u->pend[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    u->pend[2] = (uint8_t)(0x80 | (cp & 0x3F));
    u->npend = 3;
  } else {
    u->pend[0] = (uint8_t)(0xF0 | (cp >> 18));
    u->pend[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    u->pend[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    u->pend[3] = (uint8_t)(0x80 | (cp & 0x3F));
    u->npend = 4;
  }
  u->ipend = 1;
  return u->pend[0];
}

static bool tok_str_eq_tok(const json_doc_t *doc, const json_tok_t *a, const json_tok_t *b) {
  ustr_t ua, ub;
  ustr_init(&ua, doc, a);
  ustr_init(&ub, doc, b);
  for (;;) {
    int ca = ustr_next(&ua), cb = ustr_next(&ub);
    if (ca != cb) return false;
    if (ca < 0) return true;
  }
}

/* ---- tokenizer ---- */
static json_err_t new_tok(parser_t *p, json_type_t type, int parent, int *out) {
  json_doc_t *d = p->doc;
  if (d->ntoks >= p->max) return fail(p, p->pos, JSON_ERR_TOKENS);
  json_tok_t *t = &d->toks[d->ntoks];
  t->start = (uint32_t)p->pos;
  t->end = (uint32_t)p->pos;
  t->next = (uint16_t)(d->ntoks + 1);
  t->parent = (int16_t)parent;
  t->count = 0;
  t->type = (uint8_t)type;
  t->reserved = 0;
  *out = (int)d->ntoks++;
  return JSON_OK;
}

/* Rejects a key equal to an earlier key of the same object. */
static json_err_t check_dup_key(parser_t *p, int obj, int key) {
  const json_doc_t *d = p->doc;
  for (int k = obj + 1; k < key; k = d->toks[k + 1].next) {
    if (tok_str_eq_tok(d, &d->toks[k], &d->toks[key])) return fail(p, d->toks[key].start - 1, JSON_ERR_DUP_KEY);
  }
  return JSON_OK;
}

json_err_t json_parse(json_doc_t *doc, const char *text, size_t len, json_tok_t *toks, size_t max_toks) {
  doc->text = text;
  doc->len = len;
  doc->toks = toks;
  doc->ntoks = 0;
  doc->error_pos = 0;
  parser_t p = {doc, max_toks > JSON_MAX_TOKENS ? JSON_MAX_TOKENS : max_toks, 0};
  if (len > JSON_MAX_TEXT) return fail(&p, JSON_MAX_TEXT, JSON_ERR_TOO_BIG);
  if (text == NULL && len > 0) return fail(&p, 0, JSON_ERR_SYNTAX);

  parse_state_t st = ST_VALUE;
  int cur = -1; /* innermost open container */
  json_err_t err;

  for (;;) {
    while (p.pos < len && is_ws(text[p.pos])) p.pos++;
    if (p.pos >= len) {
      if (st == ST_END) return JSON_OK;
      return fail(&p, len, JSON_ERR_SYNTAX);
    }
    char c = text[p.pos];
    bool value_done = false;

    switch (st) {
      case ST_END:
        return fail(&p, p.pos, JSON_ERR_SYNTAX);

      case ST_COLON:
        if (c != ':') return fail(&p, p.pos, JSON_ERR_SYNTAX);
        p.pos++;
        st = ST_VALUE;
        continue;

      case ST_COMMA_OR_CLOSE:
      case ST_KEY_OR_CLOSE:
      case ST_VALUE_OR_CLOSE: {
        json_type_t ct = (json_type_t)toks[cur].type;
        char close = ct == JSON_OBJECT ? '}' : ']';
        if (c == close) {
          p.pos++;
          toks[cur].end = (uint32_t)p.pos;
          toks[cur].next = (uint16_t)doc->ntoks;
          int done = cur;
          cur = toks[done].parent;
          (void)done;
          value_done = true;
          break;
        }
        if (st == ST_COMMA_OR_CLOSE) {
          if (c != ',') return fail(&p, p.pos, JSON_ERR_SYNTAX);
          p.pos++;
          st = ct == JSON_OBJECT ? ST_KEY : ST_VALUE;
          continue;
        }
        if (st == ST_VALUE_OR_CLOSE) {
          st = ST_VALUE;
          continue; /* re-dispatch the same byte as a value */
        }
        st = ST_KEY;
        continue;
      }

      case ST_KEY: {
        if (c != '"') return fail(&p, p.pos, JSON_ERR_SYNTAX);
        int k;
        if ((err = new_tok(&p, JSON_STRING, cur, &k)) != JSON_OK) return err;
        if ((err = scan_string(&p)) != JSON_OK) return err;
        toks[k].start++;
        toks[k].end = (uint32_t)(p.pos - 1);
        if ((err = check_dup_key(&p, cur, k)) != JSON_OK) return err;
        toks[cur].count++;
        st = ST_COLON;
        continue;
      }

      case ST_VALUE: {
        int t;
        if (c == '{' || c == '[') {
          if ((err = new_tok(&p, c == '{' ? JSON_OBJECT : JSON_ARRAY, cur, &t)) != JSON_OK) return err;
          if (cur >= 0 && toks[cur].type == JSON_ARRAY) toks[cur].count++;
          p.pos++;
          cur = t;
          st = c == '{' ? ST_KEY_OR_CLOSE : ST_VALUE_OR_CLOSE;
          continue;
        }
        if (c == '"') {
          if ((err = new_tok(&p, JSON_STRING, cur, &t)) != JSON_OK) return err;
          if ((err = scan_string(&p)) != JSON_OK) return err;
          toks[t].start++;
          toks[t].end = (uint32_t)(p.pos - 1);
        } else if (c == '-' || is_digit(c)) {
          if ((err = new_tok(&p, JSON_NUMBER, cur, &t)) != JSON_OK) return err;
          if ((err = scan_number(&p)) != JSON_OK) return err;
          toks[t].end = (uint32_t)p.pos;
        } else if (c == 't' || c == 'f') {
          if ((err = new_tok(&p, JSON_BOOL, cur, &t)) != JSON_OK) return err;
          if ((err = scan_literal(&p, c == 't' ? "true" : "false")) != JSON_OK) return err;
          toks[t].end = (uint32_t)p.pos;
        } else if (c == 'n') {
          if ((err = new_tok(&p, JSON_NULL, cur, &t)) != JSON_OK) return err;
          if ((err = scan_literal(&p, "null")) != JSON_OK) return err;
          toks[t].end = (uint32_t)p.pos;
        } else {
          return fail(&p, p.pos, JSON_ERR_SYNTAX);
        }
        if (cur >= 0 && toks[cur].type == JSON_ARRAY) toks[cur].count++;
        value_done = true;
        break;
      }
    }
    if (value_done) st = cur < 0 ? ST_END : ST_COMMA_OR_CLOSE;
  }
}

const char *json_strerror(json_err_t err) {
  switch (err) {
    case JSON_OK: return "ok";
    case JSON_ERR_SYNTAX: return "malformed JSON";
    case JSON_ERR_TOKENS: return "JSON has too many values";
    case JSON_ERR_TOO_BIG: return "JSON text too long";
    case JSON_ERR_DUP_KEY: return "duplicate key in JSON object";
    case JSON_ERR_NOT_FOUND: return "missing value";
    case JSON_ERR_TYPE: return "value has the wrong type";
    case JSON_ERR_RANGE: return "value out of range";
    case JSON_ERR_NOSPACE: return "string too long";
  }
  return "unknown JSON error";
}

/* ---- navigation ---- */
static const json_tok_t *tok_at(const json_doc_t *doc, int tok) {
  if (doc == NULL || tok < 0 || (size_t)tok >= doc->ntoks) return NULL;
  return &doc->toks[tok];
}

json_type_t json_type(const json_doc_t *doc, int tok) {
  const json_tok_t *t = tok_at(doc, tok);
  return t ? (json_type_t)t->type : JSON_NULL;
}

size_t json_count(const json_doc_t *doc, int tok) {
  const json_tok_t *t = tok_at(doc, tok);
  return t ? t->count : 0;
}

int json_next_child(const json_doc_t *doc, int container, int prev) {
  const json_tok_t *c = tok_at(doc, container);
  if (c == NULL || (c->type != JSON_OBJECT && c->type != JSON_ARRAY)) return -1;
  int n;
  if (prev < 0) {
    n = container + 1;
  } else {
    if (prev <= container || prev >= c->next) return -1;
    if (c->type == JSON_OBJECT && prev + 1 >= c->next) return -1; /* prev was not a key */
    n = c->type == JSON_OBJECT ? doc->toks[prev + 1].next : doc->toks[prev].next;
  }
  return n < c->next ? n : -1;
}

bool json_str_eq(const json_doc_t *doc, int tok, const char *s) {
  const json_tok_t *t = tok_at(doc, tok);
  if (t == NULL || t->type != JSON_STRING || s == NULL) return false;
  ustr_t u;
  ustr_init(&u, doc, t);
  for (size_t i = 0;; i++) {
    int ch = ustr_next(&u);
    if (ch < 0) return s[i] == '\0';
    if (s[i] == '\0' || (unsigned char)s[i] != ch) return false;
  }
}

int json_obj_get(const json_doc_t *doc, int obj, const char *key) {
  if (json_type(doc, obj) != JSON_OBJECT) return -1;
  for (int k = json_next_child(doc, obj, -1); k >= 0; k = json_next_child(doc, obj, k)) {
    if (json_str_eq(doc, k, key)) return k + 1;
  }
  return -1;
}

int json_arr_get(const json_doc_t *doc, int arr, size_t i) {
  if (json_type(doc, arr) != JSON_ARRAY || i >= json_count(doc, arr)) return -1;
  int e = json_next_child(doc, arr, -1);
  while (i-- > 0 && e >= 0) e = json_next_child(doc, arr, e);
  return e;
}

/* ---- getters ---- */
json_err_t json_get_string(const json_doc_t *doc, int tok, char *buf, size_t cap, size_t *out_len) {
  if (buf != NULL && cap > 0) buf[0] = '\0';
  const json_tok_t *t = tok_at(doc, tok);
  if (t == NULL) return JSON_ERR_NOT_FOUND;
  if (t->type != JSON_STRING) return JSON_ERR_TYPE;
  if (buf == NULL || cap == 0) return JSON_ERR_NOSPACE;
  ustr_t u;
  ustr_init(&u, doc, t);
  size_t n = 0;
  for (int ch = ustr_next(&u); ch >= 0; ch = ustr_next(&u)) {
    if (ch == 0) {
      buf[0] = '\0';
      return JSON_ERR_RANGE;
    }
    if (n + 1 >= cap) {
      buf[0] = '\0';
      return JSON_ERR_NOSPACE;
    }
    buf[n++] = (char)ch;
  }
  buf[n] = '\0';
  if (out_len) *out_len = n;
  return JSON_OK;
}

json_err_t json_get_bool(const json_doc_t *doc, int tok, bool *out) {
  const json_tok_t *t = tok_at(doc, tok);
  if (t == NULL) return JSON_ERR_NOT_FOUND;
  if (t->type != JSON_BOOL) return JSON_ERR_TYPE;
  *out = doc->text[t->start] == 't';
  return JSON_OK;
}

bool json_is_null(const json_doc_t *doc, int tok) {
  const json_tok_t *t = tok_at(doc, tok);
  return t != NULL && t->type == JSON_NULL;
}

json_err_t json_get_int64(const json_doc_t *doc, int tok, int64_t *out) {
  const json_tok_t *t = tok_at(doc, tok);
  if (t == NULL) return JSON_ERR_NOT_FOUND;
  if (t->type != JSON_NUMBER) return JSON_ERR_TYPE;
  const char *s = doc->text;
  size_t i = t->start;
  bool neg = s[i] == '-';
  if (neg) i++;
  for (size_t k = i; k < t->end; k++) {
    if (!is_digit(s[k])) return JSON_ERR_TYPE; /* fraction or exponent */
  }
  /* magnitude limit: 2^63 for negatives, 2^63-1 otherwise */
  uint64_t limit = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
  uint64_t v = 0;
  for (; i < t->end; i++) {
    uint64_t dgt = (uint64_t)(s[i] - '0');
    if (v > (limit - dgt) / 10u) return JSON_ERR_RANGE;
    v = v * 10u + dgt;
  }
  if (neg) {
    *out = v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)v;
  } else {
    *out = (int64_t)v;
  }
  return JSON_OK;
}

json_err_t json_get_uint64(const json_doc_t *doc, int tok, uint64_t *out) {
  const json_tok_t *t = tok_at(doc, tok);
  if (t == NULL) return JSON_ERR_NOT_FOUND;
  if (t->type != JSON_NUMBER) return JSON_ERR_TYPE;
  const char *s = doc->text;
  bool neg = s[t->start] == '-';
  for (size_t k = t->start + (neg ? 1u : 0u); k < t->end; k++) {
    if (!is_digit(s[k])) return JSON_ERR_TYPE;
  }
  uint64_t v = 0;
  for (size_t k = t->start + (neg ? 1u : 0u); k < t->end; k++) {
    uint64_t dgt = (uint64_t)(s[k] - '0');
    if (v > (UINT64_MAX - dgt) / 10u) return JSON_ERR_RANGE;
    v = v * 10u + dgt;
  }
  if (neg && v != 0) return JSON_ERR_RANGE;
  *out = v;
  return JSON_OK;
}

json_err_t json_get_int_range(const json_doc_t *doc, int tok, int64_t min, int64_t max, int64_t *out) {
  int64_t v;
  json_err_t e = json_get_int64(doc, tok, &v);
  if (e != JSON_OK) return e;
  if (v < min || v > max) return JSON_ERR_RANGE;
  *out = v;
  return JSON_OK;
}

/* Exactly representable powers of ten: one rounding when the mantissa is below 2^53. */
static const double k_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

json_err_t json_get_double(const json_doc_t *doc, int tok, double *out) {
  const json_tok_t *t = tok_at(doc, tok);
  if (t == NULL) return JSON_ERR_NOT_FOUND;
  if (t->type != JSON_NUMBER) return JSON_ERR_TYPE;
  const char *s = doc->text;
  size_t i = t->start, end = t->end;
  bool neg = s[i] == '-';
  if (neg) i++;
  uint64_t mant = 0;
  int digits = 0;  /* significant digits kept in mant */
  int32_t exp10 = 0;
  bool seen_nonzero = false;
  for (; i < end && is_digit(s[i]); i++) {
    if (s[i] != '0') seen_nonzero = true;
    if (!seen_nonzero) continue;
    if (digits < 19) {
      mant = mant * 10u + (uint64_t)(s[i] - '0');
      digits++;
    } else {
      exp10++; /* dropped integer digit */
    }
  }
  if (i < end && s[i] == '.') {
    for (i++; i < end && is_digit(s[i]); i++) {
      if (s[i] != '0') seen_nonzero = true;
      if (!seen_nonzero) {
        exp10--;
        continue;
      }
      if (digits < 19) {
        mant = mant * 10u + (uint64_t)(s[i] - '0');
        digits++;
        exp10--;
      }
    }
  }
  if (i < end && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    bool eneg = false;
    if (s[i] == '+' || s[i] == '-') eneg = s[i++] == '-';
    int32_t e = 0;
    for (; i < end; i++) {
      if (e < 100000) e = e * 10 + (s[i] - '0'); /* saturate: far beyond any double */
    }
    exp10 += eneg ? -e : e;
  }
  double v = (double)mant;
  if (mant == 0) {
    v = 0.0;
  } else if (exp10 >= 0) {
    if (exp10 > 330) return JSON_ERR_RANGE;
    while (exp10 > 22) {
      v *= 1e22;
      exp10 -= 22;
    }
    v *= k_pow10[exp10];
    if (v - v != 0.0) return JSON_ERR_RANGE; /* inf */
  } else {
    if (exp10 < -360) {
      v = 0.0;
    } else {
      while (exp10 < -22) {
        v /= 1e22;
        exp10 += 22;
      }
      v /= k_pow10[-exp10];
    }
  }
  *out = neg ? -v : v;
  return JSON_OK;
}

json_err_t json_get_float(const json_doc_t *doc, int tok, float *out) {
  double d;
  json_err_t e = json_get_double(doc, tok, &d);
  if (e != JSON_OK) return e;
  if (d > 3.4028234663852886e38 || d < -3.4028234663852886e38) return JSON_ERR_RANGE;
  *out = (float)d;
  return JSON_OK;
}
