/* json_write.c — append-only JSON writer into a caller buffer (see json.h). Output is valid UTF-8 JSON
 * even when the caller hands in arbitrary bytes (an SSID, a device name), because those travel to HA. */
#include "json/json.h"

#include <string.h>

void jsonw_init(jsonw_t *w, char *buf, size_t cap) {
  memset(w, 0, sizeof *w);
  w->buf = buf;
  w->cap = cap;
  if (buf == NULL || cap == 0) {
    w->overflow = true;
    return;
  }
  buf[0] = '\0';
}

bool jsonw_ok(const jsonw_t *w) { return !w->overflow && !w->misuse; }

static void put(jsonw_t *w, const char *s, size_t n) {
  if (w->overflow || n == 0) return;
  if (n >= w->cap - w->len) {
    w->overflow = true;
    return;
  }
  memcpy(w->buf + w->len, s, n);
  w->len += n;
  w->buf[w->len] = '\0';
}

static void putc_(jsonw_t *w, char c) { put(w, &c, 1); }

static bool level_is_object(const jsonw_t *w) { return w->depth > 0 && (w->in_object >> (w->depth - 1)) & 1u; }

/* Comma and state handling before any value. Returns false (and flags misuse) if no value fits here. */
static bool begin_value(jsonw_t *w) {
  if (w->misuse) return false;
  if (w->depth == 0) {
    if (w->done) {
      w->misuse = true;
      return false;
    }
    return true;
  }
  if (level_is_object(w)) {
    if (!w->after_key) {
      w->misuse = true;
      return false;
    }
    w->after_key = false;
    return true;
  }
  uint16_t bit = (uint16_t)(1u << (w->depth - 1));
  if (w->has_items & bit) putc_(w, ',');
  w->has_items |= bit;
  return true;
}

static void end_value(jsonw_t *w) {
  if (w->depth == 0) w->done = true;
}

static void open_(jsonw_t *w, char c, bool object) {
  if (!begin_value(w)) return;
  if (w->depth >= JSONW_MAX_DEPTH) {
    w->misuse = true;
    return;
  }
  putc_(w, c);
  uint16_t bit = (uint16_t)(1u << w->depth);
  if (object) {
    w->in_object |= bit;
  } else {
    w->in_object &= (uint16_t)~bit;
  }
  w->has_items &= (uint16_t)~bit;
  w->depth++;
}

static void close_(jsonw_t *w, char c, bool object) {
  if (w->misuse) return;
  if (w->depth == 0 || level_is_object(w) != object || w->after_key) {
    w->misuse = true;
    return;
  }
  putc_(w, c);
  w->depth--;
  end_value(w);
}

void jsonw_obj_begin(jsonw_t *w) { open_(w, '{', true); }
void jsonw_obj_end(jsonw_t *w) { close_(w, '}', true); }
void jsonw_arr_begin(jsonw_t *w) { open_(w, '[', false); }
void jsonw_arr_end(jsonw_t *w) { close_(w, ']', false); }

static void put_escaped(jsonw_t *w, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *u = (const unsigned char *)s;
  putc_(w, '"');
  size_t run = 0; /* start of the pending run of bytes that need no escaping */
  size_t i = 0;
  while (i < n) {
    unsigned char c = u[i];
    const char *esc = NULL;
    char ubuf[6];
    size_t skip = 1;
    if (c == '"') {
      esc = "\\\"";
    } else if (c == '\\') {
      esc = "\\\\";
    } else if (c == '\n') {
      esc = "\\n";
    } else if (c == '\r') {
      esc = "\\r";
    } else if (c == '\t') {
      esc = "\\t";
    } else if (c == '\b') {
      esc = "\\b";
    } else if (c == '\f') {
      esc = "\\f";
    } else if (c < 0x20 || c == 0x7F) {
      ubuf[0] = '\\';
      ubuf[1] = 'u';
      ubuf[2] = '0';
      ubuf[3] = '0';
      ubuf[4] = hex[c >> 4];
      ubuf[5] = hex[c & 15];
      put(w, s + run, i - run);
      put(w, ubuf, 6);
      i++;
      run = i;
      continue;
    } else if (c >= 0x80) {
      /* keep valid UTF-8 sequences, replace each invalid byte by U+FFFD */
      size_t len = 0;
      unsigned char lo = 0x80, hi = 0xBF;
      if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
      } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
      } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
      }
      bool ok = len > 0 && n - i >= len && u[i + 1] >= lo && u[i + 1] <= hi;
      for (size_t k = 2; ok && k < len; k++) ok = u[i + k] >= 0x80 && u[i + k] <= 0xBF;
      if (ok) {
        i += len;
        continue;
      }
      esc = "\xEF\xBF\xBD";
    } else {
      i++;
      continue;
    }
    put(w, s + run, i - run);
    put(w, esc, strlen(esc));
    i += skip;
    run = i;
  }
  put(w, s + run, n - run);
  putc_(w, '"');
}

void jsonw_key(jsonw_t *w, const char *key) {
  if (w->misuse) return;
  if (!level_is_object(w) || w->after_key || key == NULL) {
    w->misuse = true;
    return;
  }
  uint16_t bit = (uint16_t)(1u << (w->depth - 1));
  if (w->has_items & bit) putc_(w, ',');
  w->has_items |= bit;
  put_escaped(w, key, strlen(key));
  putc_(w, ':');
  w->after_key = true;
}

void jsonw_strn(jsonw_t *w, const char *s, size_t n) {
  if (!begin_value(w)) return;
  if (s == NULL) {
    put(w, "null", 4);
  } else {
    put_escaped(w, s, n);
  }
  end_value(w);
}

void jsonw_str(jsonw_t *w, const char *s) { jsonw_strn(w, s, s ? strlen(s) : 0); }

static void put_u64(jsonw_t *w, uint64_t v, bool neg) {
  char tmp[21];
  size_t i = sizeof tmp;
  do {
    tmp[--i] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v);
  if (neg) tmp[--i] = '-';
  put(w, tmp + i, sizeof tmp - i);
}

void jsonw_uint(jsonw_t *w, uint64_t v) {
  if (!begin_value(w)) return;
  put_u64(w, v, false);
  end_value(w);
}

void jsonw_int(jsonw_t *w, int64_t v) {
  if (!begin_value(w)) return;
  uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  put_u64(w, mag, v < 0);
  end_value(w);
}

void jsonw_double(jsonw_t *w, double v, int decimals) {
  static const double scale[7] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};
  static const uint64_t iscale[7] = {1, 10, 100, 1000, 10000, 100000, 1000000};
  if (!begin_value(w)) return;
  if (decimals < 0) decimals = 0;
  if (decimals > 6) decimals = 6;
  double s = v * scale[decimals];
  /* NaN fails both comparisons; beyond 9e18 the fixed-point form does not fit 64 bits */
  if (!(s < 9.0e18 && s > -9.0e18)) {
    put(w, "null", 4);
    end_value(w);
    return;
  }
  bool neg = s < 0;
  uint64_t q = (uint64_t)((neg ? -s : s) + 0.5);
  if (q == 0) neg = false; /* no "-0.00" */
  uint64_t ip = q / iscale[decimals], fp = q % iscale[decimals];
  put_u64(w, ip, neg);
  if (decimals > 0) {
    char frac[8];
    frac[0] = '.';
    for (int k = decimals; k >= 1; k--) {
      frac[k] = (char)('0' + fp % 10u);
      fp /= 10u;
    }
    put(w, frac, (size_t)decimals + 1);
  }
  end_value(w);
}

void jsonw_float(jsonw_t *w, float v, int decimals) { jsonw_double(w, (double)v, decimals); }

void jsonw_bool(jsonw_t *w, bool v) {
  if (!begin_value(w)) return;
  if (v) {
    put(w, "true", 4);
  } else {
    put(w, "false", 5);
  }
  end_value(w);
}

void jsonw_null(jsonw_t *w) {
  if (!begin_value(w)) return;
  put(w, "null", 4);
  end_value(w);
}

void jsonw_raw(jsonw_t *w, const char *json, size_t n) {
  if (!begin_value(w)) return;
  put(w, json, n);
  end_value(w);
}

void jsonw_kstr(jsonw_t *w, const char *key, const char *s) {
  jsonw_key(w, key);
  jsonw_str(w, s);
}
void jsonw_kint(jsonw_t *w, const char *key, int64_t v) {
  jsonw_key(w, key);
  jsonw_int(w, v);
}
void jsonw_kuint(jsonw_t *w, const char *key, uint64_t v) {
  jsonw_key(w, key);
  jsonw_uint(w, v);
}
void jsonw_kfloat(jsonw_t *w, const char *key, float v, int decimals) {
  jsonw_key(w, key);
  jsonw_float(w, v, decimals);
}
void jsonw_kdouble(jsonw_t *w, const char *key, double v, int decimals) {
  jsonw_key(w, key);
  jsonw_double(w, v, decimals);
}
void jsonw_kbool(jsonw_t *w, const char *key, bool v) {
  jsonw_key(w, key);
  jsonw_bool(w, v);
}
void jsonw_knull(jsonw_t *w, const char *key) {
  jsonw_key(w, key);
  jsonw_null(w);
}

int32_t jsonw_finish(const jsonw_t *w) {
  if (w->overflow || w->misuse || w->depth != 0 || !w->done || w->len > (size_t)INT32_MAX) return -1;
  return (int32_t)w->len;
}
