/* cmdauth.c — see cmdauth.h. */
#include "cmdauth/cmdauth.h"

#include <stdio.h>
#include <string.h>

#include "hal.h"
#include "json/json.h"

#define SCAN_TOKENS 48

void cmdauth_hmac_sha256(const uint8_t *key, size_t key_len, const void *p1, size_t l1, const void *p2, size_t l2,
                         const void *p3, size_t l3, uint8_t out[32]) {
  uint8_t k[64] = {0};
  hal_sha256_ctx_t c;
  if (key_len > sizeof(k)) {
    hal_sha256_init(&c);
    hal_sha256_update(&c, key, key_len);
    hal_sha256_final(&c, k);
  } else if (key_len) {
    memcpy(k, key, key_len);
  }
  uint8_t pad[64], inner[32];
  for (size_t i = 0; i < 64; i++) pad[i] = (uint8_t)(k[i] ^ 0x36u);
  hal_sha256_init(&c);
  hal_sha256_update(&c, pad, sizeof(pad));
  if (l1) hal_sha256_update(&c, p1, l1);
  if (l2) hal_sha256_update(&c, p2, l2);
  if (l3) hal_sha256_update(&c, p3, l3);
  hal_sha256_final(&c, inner);
  for (size_t i = 0; i < 64; i++) pad[i] = (uint8_t)(k[i] ^ 0x5cu);
  hal_sha256_init(&c);
  hal_sha256_update(&c, pad, sizeof(pad));
  hal_sha256_update(&c, inner, sizeof(inner));
  hal_sha256_final(&c, out);
}

bool cmdauth_sensitive(const char *name, const char *body, size_t len, bool safe_mode) {
  if (strcmp(name, "calibrate") == 0) return true;
  if (strcmp(name, "reboot") == 0) return safe_mode;
  if (strcmp(name, "config") != 0) return false;
  json_tok_t toks[SCAN_TOKENS];
  json_doc_t d;
  if (json_parse(&d, body, len, toks, SCAN_TOKENS) != JSON_OK) {
    /* too big to scan here, or not JSON: the config parser refuses what is not JSON; a body this scan
     * cannot read must not slip a protection change past it */
    return len > 0;
  }
  if (json_type(&d, JSON_ROOT) != JSON_OBJECT) return false;
  static const char *const guarded[] = {"protection", "calibration", "button", "startup"};
  for (int k = json_next_child(&d, JSON_ROOT, -1); k >= 0; k = json_next_child(&d, JSON_ROOT, k)) {
    for (size_t i = 0; i < sizeof(guarded) / sizeof(guarded[0]); i++) {
      if (json_str_eq(&d, k, guarded[i])) return true;
    }
  }
  return false;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

static void load_counter(cmdauth_t *a, store_t *store) {
  if (a->loaded) return;
  a->loaded = true;
  a->last_counter = 0;
  uint8_t b[8];
  size_t n = 0;
  if (store && store_get(store, CMDAUTH_STORE_KEY, b, sizeof(b), &n) == STORE_OK && n == sizeof(b)) {
    for (int i = 7; i >= 0; i--) a->last_counter = (a->last_counter << 8) | b[i];
  }
}

static bool save_counter(cmdauth_t *a, store_t *store, uint64_t counter) {
  a->last_counter = counter;
  if (!store) return true;
  uint8_t b[8];
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)(counter >> (8 * i));
  return store_put(store, CMDAUTH_STORE_KEY, b, sizeof(b)) == STORE_OK;
}

/* "obl-hmac1 <counter> <mac>\n<body>": parses the envelope; false when malformed. */
static bool parse_envelope(const char *p, size_t n, uint64_t *counter, const char **ctr_s, size_t *ctr_len,
                           uint8_t mac[32], const char **inner, size_t *inner_len) {
  size_t pl = sizeof(CMDAUTH_PREFIX) - 1, i = pl;
  if (n < pl || memcmp(p, CMDAUTH_PREFIX, pl) != 0) return false;
  uint64_t c = 0;
  size_t c0 = i;
  while (i < n && p[i] >= '0' && p[i] <= '9' && i - c0 < 16) c = c * 10u + (uint64_t)(p[i++] - '0');
  if (i == c0 || i >= n || p[i] != ' ' || p[c0] == '0' || c > CMDAUTH_COUNTER_MAX) return false;
  *ctr_s = p + c0;
  *ctr_len = i - c0;
  *counter = c;
  i++;
  if (n - i < 65) return false;
  for (size_t k = 0; k < 32; k++) {
    int hi = hexval(p[i + 2 * k]), lo = hexval(p[i + 2 * k + 1]);
    if (hi < 0 || lo < 0) return false;
    mac[k] = (uint8_t)(hi << 4 | lo);
  }
  i += 64;
  if (p[i] != '\n') return false;
  *inner = p + i + 1;
  *inner_len = n - i - 1;
  return true;
}

bool cmdauth_admit(cmdauth_t *a, store_t *store, const char *device_id, const char *password, bool safe_mode, const char *name,
                   const char **body, size_t *len, const char **why) {
  size_t pl = sizeof(CMDAUTH_PREFIX) - 1;
  bool enveloped = *len >= pl && memcmp(*body, CMDAUTH_PREFIX, pl) == 0;
  if (!enveloped) {
    if (!cmdauth_sensitive(name, *body, *len, safe_mode)) return true;
    *why = "protection, calibration, button and startup settings and leaving safe mode need an authenticated "
           "command over MQTT (protocol §8.5) or HTTP";
    return false;
  }
  if (password == NULL || password[0] == '\0') {
    *why = "no API password is set: authenticated commands are not possible, use HTTP";
    return false;
  }
  uint64_t counter;
  const char *ctr_s, *inner;
  size_t ctr_len, inner_len;
  uint8_t mac[32];
  if (!parse_envelope(*body, *len, &counter, &ctr_s, &ctr_len, mac, &inner, &inner_len)) {
    *why = "malformed authenticated command";
    return false;
  }
  char topic[96];
  int tl = snprintf(topic, sizeof(topic), "openbl602/%s/cmd/%s\n", device_id, name);
  if (tl < 0 || (size_t)tl >= sizeof(topic)) {
    *why = "topic too long";
    return false;
  }
  char ctr_nl[24];
  memcpy(ctr_nl, ctr_s, ctr_len);
  ctr_nl[ctr_len] = '\n';
  uint8_t want[32];
  /* topic "\n" counter "\n" body: the topic part carries its newline, the counter part its own */
  uint8_t head[sizeof(topic) + sizeof(ctr_nl)];
  memcpy(head, topic, (size_t)tl);
  memcpy(head + tl, ctr_nl, ctr_len + 1);
  cmdauth_hmac_sha256((const uint8_t *)password, strlen(password), head, (size_t)tl + ctr_len + 1, inner, inner_len,
                      NULL, 0, want);
  unsigned diff = 0;
  for (size_t i = 0; i < 32; i++) diff |= (unsigned)(want[i] ^ mac[i]);
  if (diff != 0) {
    *why = "authentication failed";
    return false;
  }
  load_counter(a, store);
  if (counter <= a->last_counter) {
    *why = "replayed or out-of-order counter";
    return false;
  }
  if (!save_counter(a, store, counter)) {
    *why = "could not record the counter on flash";
    return false;
  }
  *body = inner;
  *len = inner_len;
  return true;
}
