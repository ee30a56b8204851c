/* mdns_msg.c — DNS message parsing and building for the mDNS responder (see mdns_msg.h). */
#include "mdns/mdns_msg.h"

#include <stdio.h>
#include <string.h>

#define T_A 1
#define T_PTR 12
#define T_TXT 16
#define T_SRV 33
#define T_ANY 255
#define C_IN 1
#define CACHE_FLUSH 0x8000u
#define MAX_HOPS 16
#define ENUM_NAME "_services._dns-sd._udp.local"
/* RFC 6762 §10: host-related records 120 s, others 75 min. */
#define TTL_HOST 120u
#define TTL_OTHER 4500u

static uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

bool mdns_service_init(mdns_service_t *s, const char *id, const uint8_t ipv4[4], uint16_t port,
                       const char *const *txt, size_t n) {
  memset(s, 0, sizeof *s);
  size_t idn = id ? strlen(id) : 0;
  if (idn == 0 || idn > 32) return false;
  for (size_t i = 0; i < idn; i++) {
    char c = id[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  snprintf(s->base, sizeof s->base, "openbl602-%s", id);
  if (!mdns_service_set_index(s, 1)) return false;
  memcpy(s->ipv4, ipv4, 4);
  s->port = port;
  for (size_t i = 0; i < n; i++) {
    size_t l = txt[i] ? strlen(txt[i]) : 0;
    if (l == 0 || l > 255 || s->txt_len + 1 + l > sizeof s->txt) return false;
    s->txt[s->txt_len++] = (uint8_t)l;
    memcpy(s->txt + s->txt_len, txt[i], l);
    s->txt_len += l;
  }
  if (s->txt_len == 0) s->txt[s->txt_len++] = 0; /* RFC 6763 §6.1: an empty TXT is one zero byte */
  return true;
}

bool mdns_service_set_index(mdns_service_t *s, unsigned index) {
  char label[MDNS_LABEL_MAX + 2];
  int n = index <= 1 ? snprintf(label, sizeof label, "%s", s->base)
                     : snprintf(label, sizeof label, "%s-%u", s->base, index);
  if (n <= 0 || (size_t)n > MDNS_LABEL_MAX) return false;
  memcpy(s->label, label, (size_t)n + 1);
  s->index = index <= 1 ? 1 : index;
  snprintf(s->instance_fqdn, sizeof s->instance_fqdn, "%s." MDNS_SERVICE, s->label);
  snprintf(s->host_fqdn, sizeof s->host_fqdn, "%s.local", s->label);
  return true;
}

size_t mdns_read_name(const uint8_t *pkt, size_t len, size_t off, char out[MDNS_NAME_MAX + 1]) {
  size_t pos = off, after = 0, n = 0;
  int hops = 0;
  out[0] = '\0';
  for (;;) {
    if (pos >= len) return 0;
    uint8_t l = pkt[pos];
    if ((l & 0xC0u) == 0xC0u) {
      if (pos + 1 >= len) return 0;
      size_t target = ((size_t)(l & 0x3Fu) << 8) | pkt[pos + 1];
      if (target >= pos || ++hops > MAX_HOPS) return 0; /* backwards only: no loops */
      if (!after) after = pos + 2;
      pos = target;
      continue;
    }
    if (l & 0xC0u) return 0; /* 0x40 / 0x80 label types are not defined */
    if (l == 0) {
      if (!after) after = pos + 1;
      break;
    }
    if (l > len - pos - 1) return 0;
    if (n + (n ? 1u : 0u) + l > MDNS_NAME_MAX) return 0;
    if (n) out[n++] = '.';
    for (size_t i = 0; i < l; i++) {
      uint8_t c = pkt[pos + 1 + i];
      if (c >= 'A' && c <= 'Z') c = (uint8_t)(c + 32);
      if (c == '.' || c == 0) c = 1; /* a dot or NUL inside a label must not match a label boundary */
      out[n++] = (char)c;
    }
    pos += 1u + l;
  }
  out[n] = '\0';
  return after;
}

mdns_status_t mdns_parse_query(const uint8_t *pkt, size_t len, const mdns_service_t *s, mdns_query_t *out) {
  memset(out, 0, sizeof *out);
  if (len < 12) return MDNS_ERR_MALFORMED;
  uint16_t flags = rd16(pkt + 2);
  out->id = rd16(pkt);
  if (flags & 0x8000u) return MDNS_NOT_QUERY;            /* a response (someone's announcement) */
  if (((flags >> 11) & 0xFu) != 0) return MDNS_NOT_QUERY; /* only standard queries */
  out->qdcount = rd16(pkt + 4);
  size_t pos = 12;
  char name[MDNS_NAME_MAX + 1];
  for (uint16_t q = 0; q < out->qdcount; q++) {
    size_t next = mdns_read_name(pkt, len, pos, name);
    if (!next || next + 4 > len) return MDNS_ERR_MALFORMED;
    uint16_t type = rd16(pkt + next);
    uint16_t cls = rd16(pkt + next + 2);
    pos = next + 4;
    if ((cls & 0x7FFFu) != C_IN && (cls & 0x7FFFu) != T_ANY) continue;
    unsigned want = 0;
    bool any = type == T_ANY;
    if (strcmp(name, MDNS_SERVICE) == 0 && (any || type == T_PTR)) want |= MDNS_REC_PTR;
    if (strcmp(name, s->instance_fqdn) == 0) {
      if (any || type == T_SRV) want |= MDNS_REC_SRV;
      if (any || type == T_TXT) want |= MDNS_REC_TXT;
    }
    if (strcmp(name, s->host_fqdn) == 0 && (any || type == T_A)) want |= MDNS_REC_A;
    if (strcmp(name, ENUM_NAME) == 0 && (any || type == T_PTR)) want |= MDNS_REC_ENUM;
    if (want && (cls & 0x8000u)) out->unicast = true;
    out->records |= want;
  }
  out->questions_end = pos;
  return MDNS_OK;
}

/* ---- building ---- */

typedef struct {
  uint8_t *buf;
  size_t cap, len;
  bool overflow;
} wr_t;

static void put(wr_t *w, const void *d, size_t n) {
  if (w->overflow || n > w->cap - w->len) {
    w->overflow = true;
    return;
  }
  memcpy(w->buf + w->len, d, n);
  w->len += n;
}
static void put16(wr_t *w, uint16_t v) {
  uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
  put(w, b, 2);
}
static void put32(wr_t *w, uint32_t v) {
  uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
  put(w, b, 4);
}
static void put_name(wr_t *w, const char *dotted) {
  const char *p = dotted;
  while (*p) {
    const char *dot = strchr(p, '.');
    size_t l = dot ? (size_t)(dot - p) : strlen(p);
    if (l == 0 || l > 63) {
      w->overflow = true;
      return;
    }
    uint8_t lb = (uint8_t)l;
    put(w, &lb, 1);
    put(w, p, l);
    p += l + (dot ? 1 : 0);
  }
  uint8_t z = 0;
  put(w, &z, 1);
}

static size_t name_wire_len(const char *dotted) { return strlen(dotted) + 2; }

static void put_rr(wr_t *w, const mdns_service_t *s, unsigned rec, const mdns_reply_t *r) {
  const char *owner;
  uint16_t type;
  uint32_t ttl;
  bool unique = true;
  switch (rec) {
    case MDNS_REC_ENUM: owner = ENUM_NAME; type = T_PTR; ttl = TTL_OTHER; unique = false; break;
    case MDNS_REC_PTR: owner = MDNS_SERVICE; type = T_PTR; ttl = TTL_OTHER; unique = false; break;
    case MDNS_REC_SRV: owner = s->instance_fqdn; type = T_SRV; ttl = TTL_HOST; break;
    case MDNS_REC_TXT: owner = s->instance_fqdn; type = T_TXT; ttl = TTL_OTHER; break;
    default: owner = s->host_fqdn; type = T_A; ttl = TTL_HOST; break;
  }
  if (r->goodbye) ttl = 0;
  if (r->legacy && ttl > 10) ttl = 10;
  if (r->probe) unique = false; /* the authority records of a probe carry no cache-flush bit */
  put_name(w, owner);
  put16(w, type);
  put16(w, (uint16_t)(C_IN | (unique && !r->legacy ? CACHE_FLUSH : 0u)));
  put32(w, ttl);
  switch (rec) {
    case MDNS_REC_ENUM:
      put16(w, (uint16_t)name_wire_len(MDNS_SERVICE));
      put_name(w, MDNS_SERVICE);
      break;
    case MDNS_REC_PTR:
      put16(w, (uint16_t)name_wire_len(s->instance_fqdn));
      put_name(w, s->instance_fqdn);
      break;
    case MDNS_REC_SRV:
      put16(w, (uint16_t)(6 + name_wire_len(s->host_fqdn)));
      put16(w, 0); /* priority */
      put16(w, 0); /* weight */
      put16(w, s->port);
      put_name(w, s->host_fqdn);
      break;
    case MDNS_REC_TXT:
      put16(w, (uint16_t)s->txt_len);
      put(w, s->txt, s->txt_len);
      break;
    default:
      put16(w, 4);
      put(w, s->ipv4, 4);
      break;
  }
}

static unsigned count_bits(unsigned v) {
  unsigned n = 0;
  for (; v; v &= v - 1) n++;
  return n;
}

size_t mdns_build_response(uint8_t *buf, size_t cap, const mdns_service_t *s, const mdns_reply_t *r) {
  unsigned ans = r->records & MDNS_REC_ALL;
  unsigned add = 0;
  if (ans & MDNS_REC_PTR) add |= MDNS_REC_SRV | MDNS_REC_TXT | MDNS_REC_A; /* RFC 6763 §12.1 */
  if (ans & MDNS_REC_SRV) add |= MDNS_REC_A;                                 /* §12.2 */
  add &= ~ans;
  if (!ans) return 0;
  wr_t w = {buf, cap, 0, false};
  bool echo = r->legacy && r->query && r->questions_end >= 12;
  put16(&w, r->id);
  put16(&w, 0x8400); /* response, authoritative */
  put16(&w, echo ? r->qdcount : 0);
  put16(&w, (uint16_t)count_bits(ans));
  put16(&w, 0);
  put16(&w, (uint16_t)count_bits(add));
  /* The echoed questions sit at the same offset (12) as in the query, so their compression pointers
   * stay valid byte for byte. */
  if (echo) put(&w, r->query + 12, r->questions_end - 12);
  const unsigned order[] = {MDNS_REC_ENUM, MDNS_REC_PTR, MDNS_REC_SRV, MDNS_REC_TXT, MDNS_REC_A};
  for (size_t i = 0; i < 5; i++)
    if (ans & order[i]) put_rr(&w, s, order[i], r);
  for (size_t i = 0; i < 5; i++)
    if (add & order[i]) put_rr(&w, s, order[i], r);
  return w.overflow ? 0 : w.len;
}

size_t mdns_build_probe(uint8_t *buf, size_t cap, const mdns_service_t *s) {
  wr_t w = {buf, cap, 0, false};
  put16(&w, 0);
  put16(&w, 0); /* a query */
  put16(&w, 2);
  put16(&w, 0);
  put16(&w, 3);
  put16(&w, 0);
  put_name(&w, s->host_fqdn);
  put16(&w, T_ANY);
  put16(&w, (uint16_t)(C_IN | 0x8000u)); /* QU: the first probes want a direct answer (§8.1) */
  put_name(&w, s->instance_fqdn);
  put16(&w, T_ANY);
  put16(&w, (uint16_t)(C_IN | 0x8000u));
  const mdns_reply_t r = {.probe = true};
  put_rr(&w, s, MDNS_REC_A, &r);
  put_rr(&w, s, MDNS_REC_SRV, &r);
  put_rr(&w, s, MDNS_REC_TXT, &r);
  return w.overflow ? 0 : w.len;
}
