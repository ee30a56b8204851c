/* mdns_conflict.c — see mdns_conflict.h. */
#include "mdns/mdns_conflict.h"

#include <string.h>

#define T_A 1
#define T_TXT 16
#define T_AAAA 28
#define T_SRV 33
#define C_IN 1

enum { HOST = 0, INSTANCE = 1, NAMES = 2 };

typedef struct {
  uint16_t cls, type;
  size_t off, len; /* uncompressed rdata in scratch */
} rec_t;

typedef struct {
  uint8_t *buf;
  size_t cap, len;
} scratch_t;

static uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

/* Appends bytes to scratch; false when full. */
static bool keep(scratch_t *sc, const void *d, size_t n) {
  if (n > sc->cap - sc->len) return false;
  memcpy(sc->buf + sc->len, d, n);
  sc->len += n;
  return true;
}

/* A dotted lower-case name in wire form, uncompressed (how §8.2 compares names inside rdata). */
static bool keep_name(scratch_t *sc, const char *dotted) {
  const char *p = dotted;
  while (*p) {
    const char *dot = strchr(p, '.');
    size_t l = dot ? (size_t)(dot - p) : strlen(p);
    uint8_t lb = (uint8_t)l;
    if (l == 0 || l > 63 || !keep(sc, &lb, 1) || !keep(sc, p, l)) return false;
    p += l + (dot ? 1 : 0);
  }
  uint8_t z = 0;
  return keep(sc, &z, 1);
}

/* The SRV target is the only name inside the rdata we compare; other types are compared as sent. */
static bool keep_rdata(scratch_t *sc, const uint8_t *pkt, size_t rd, size_t rdlen, uint16_t type) {
  if (type != T_SRV) return keep(sc, pkt + rd, rdlen);
  char name[MDNS_NAME_MAX + 1];
  if (rdlen < 7 || !mdns_read_name(pkt, rd + rdlen, rd + 6, name)) return false;
  return keep(sc, pkt + rd, 6) && keep_name(sc, name);
}

static bool our_srv(scratch_t *sc, const mdns_service_t *s) {
  const uint8_t head[6] = {0, 0, 0, 0, (uint8_t)(s->port >> 8), (uint8_t)s->port};
  return keep(sc, head, 6) && keep_name(sc, s->host_fqdn);
}

static int cmp_rec(const uint8_t *buf, const rec_t *a, const rec_t *b) {
  if (a->cls != b->cls) return a->cls < b->cls ? -1 : 1;
  if (a->type != b->type) return a->type < b->type ? -1 : 1;
  size_t n = a->len < b->len ? a->len : b->len;
  int c = memcmp(buf + a->off, buf + b->off, n);
  if (c) return c < 0 ? -1 : 1;
  return a->len == b->len ? 0 : (a->len < b->len ? -1 : 1);
}

static void sort_recs(const uint8_t *buf, rec_t *r, size_t n) {
  for (size_t i = 1; i < n; i++) {
    rec_t v = r[i];
    size_t j = i;
    for (; j > 0 && cmp_rec(buf, &r[j - 1], &v) > 0; j--) r[j] = r[j - 1];
    r[j] = v;
  }
}

/* §8.2: the first difference decides; a list that runs out first sorts earlier. */
static int cmp_sets(const uint8_t *buf, const rec_t *ours, size_t no, const rec_t *theirs, size_t nt) {
  for (size_t i = 0;; i++) {
    if (i >= no || i >= nt) return no == nt ? 0 : (i >= no ? -1 : 1);
    int c = cmp_rec(buf, &ours[i], &theirs[i]);
    if (c) return c;
  }
}

/* A response's record for one of our names: does it say something else than we do? */
static bool differs(const uint8_t *pkt, size_t rd, size_t rdlen, uint16_t type, int which, const mdns_service_t *s,
                    scratch_t *sc) {
  if (which == HOST) {
    if (type == T_A) return rdlen != 4 || memcmp(pkt + rd, s->ipv4, 4) != 0;
    return type == T_AAAA;
  }
  if (type == T_TXT) return rdlen != s->txt_len || memcmp(pkt + rd, s->txt, rdlen) != 0;
  if (type != T_SRV) return false;
  size_t mark = sc->len;
  bool diff = true;
  if (our_srv(sc, s)) {
    size_t mine = sc->len - mark;
    if (keep_rdata(sc, pkt, rd, rdlen, type)) {
      size_t theirs = sc->len - mark - mine;
      diff = theirs != mine || memcmp(sc->buf + mark, sc->buf + mark + mine, mine) != 0;
    }
  }
  sc->len = mark;
  return diff;
}

mdns_status_t mdns_check_peer(const uint8_t *pkt, size_t len, const mdns_service_t *s, uint8_t *scratch, size_t cap,
                              mdns_peer_t *out) {
  memset(out, 0, sizeof *out);
  if (len < 12) return MDNS_ERR_MALFORMED;
  uint16_t flags = rd16(pkt + 2);
  if (((flags >> 11) & 0xFu) != 0) return MDNS_NOT_QUERY;
  out->response = (flags & 0x8000u) != 0;
  uint16_t qd = rd16(pkt + 4);
  uint32_t an = rd16(pkt + 6), ns = rd16(pkt + 8), ar = rd16(pkt + 10);
  char name[MDNS_NAME_MAX + 1];
  size_t pos = 12;
  for (uint16_t q = 0; q < qd; q++) {
    size_t next = mdns_read_name(pkt, len, pos, name);
    if (!next || next + 4 > len) return MDNS_ERR_MALFORMED;
    pos = next + 4;
  }
  scratch_t sc = {scratch, cap, 0};
  rec_t mine[NAMES][2], theirs[NAMES][MDNS_PROBE_RECORDS];
  size_t n_mine[NAMES] = {0, 0}, n_theirs[NAMES] = {0, 0};
  for (uint32_t i = 0; i < an + ns + ar; i++) {
    size_t next = mdns_read_name(pkt, len, pos, name);
    if (!next || next + 10 > len) return MDNS_ERR_MALFORMED;
    uint16_t type = rd16(pkt + next), cls = rd16(pkt + next + 2) & 0x7FFFu;
    uint32_t ttl = ((uint32_t)rd16(pkt + next + 4) << 16) | rd16(pkt + next + 6);
    size_t rdlen = rd16(pkt + next + 8), rd = next + 10;
    if (rdlen > len - rd) return MDNS_ERR_MALFORMED;
    pos = rd + rdlen;
    int which = strcmp(name, s->host_fqdn) == 0 ? HOST : strcmp(name, s->instance_fqdn) == 0 ? INSTANCE : -1;
    if (which < 0 || cls != C_IN) continue;
    if (out->response) {
      if (ttl != 0 && differs(pkt, rd, rdlen, type, which, s, &sc)) out->conflict = true;
      continue;
    }
    bool authority = i >= an && i < an + ns;
    if (!authority || n_theirs[which] >= MDNS_PROBE_RECORDS) continue;
    rec_t *r = &theirs[which][n_theirs[which]];
    r->cls = cls;
    r->type = type;
    r->off = sc.len;
    if (!keep_rdata(&sc, pkt, rd, rdlen, type)) continue;
    r->len = sc.len - r->off;
    n_theirs[which]++;
  }
  if (out->response || (n_theirs[HOST] == 0 && n_theirs[INSTANCE] == 0)) return MDNS_OK;
  out->probed = true;
  /* ours, in the order §8.2 sorts them: class, then type (A; TXT before SRV) */
  mine[HOST][0] = (rec_t){C_IN, T_A, sc.len, 4};
  bool fit = keep(&sc, s->ipv4, 4);
  mine[INSTANCE][0] = (rec_t){C_IN, T_TXT, sc.len, s->txt_len};
  fit = fit && keep(&sc, s->txt, s->txt_len);
  size_t srv = sc.len;
  fit = fit && our_srv(&sc, s);
  mine[INSTANCE][1] = (rec_t){C_IN, T_SRV, srv, sc.len - srv};
  n_mine[HOST] = 1;
  n_mine[INSTANCE] = 2;
  if (!fit) return MDNS_OK; /* cannot compare: treat as identical, the responses will tell */
  bool lose = false, win = false;
  for (int w = 0; w < NAMES; w++) {
    if (!n_theirs[w]) continue;
    sort_recs(sc.buf, theirs[w], n_theirs[w]);
    int c = cmp_sets(sc.buf, mine[w], n_mine[w], theirs[w], n_theirs[w]);
    lose = lose || c < 0;
    win = win || c > 0;
  }
  out->probe_order = lose ? -1 : win ? 1 : 0;
  return MDNS_OK;
}
