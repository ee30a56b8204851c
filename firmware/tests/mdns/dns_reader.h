/* dns_reader.h — test-side reader for the responses our responder builds (records as plain structs). */
#ifndef OBL_TEST_DNS_READER_H
#define OBL_TEST_DNS_READER_H

#include <string.h>

#include "mdns/mdns_msg.h"

typedef struct {
  char name[MDNS_NAME_MAX + 1];
  uint16_t type, cls;
  uint32_t ttl;
  char target[MDNS_NAME_MAX + 1]; /* PTR target / SRV target */
  uint16_t port;                  /* SRV */
  uint8_t a[4];                   /* A */
  uint8_t txt[256];
  size_t txt_len;
  int section;                    /* 1 answer, 3 additional */
} dns_rr_t;

typedef struct {
  uint16_t id, flags, qd, an, ns, ar;
  dns_rr_t rr[16];
  int n;
} dns_msg_t;

static inline uint16_t dr16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

/* false if the message is not a well-formed response. */
static inline bool dns_read(const uint8_t *p, size_t len, dns_msg_t *m) {
  memset(m, 0, sizeof *m);
  if (len < 12) return false;
  m->id = dr16(p);
  m->flags = dr16(p + 2);
  m->qd = dr16(p + 4);
  m->an = dr16(p + 6);
  m->ns = dr16(p + 8);
  m->ar = dr16(p + 10);
  size_t pos = 12;
  char tmp[MDNS_NAME_MAX + 1];
  for (int i = 0; i < m->qd; i++) {
    pos = mdns_read_name(p, len, pos, tmp);
    if (!pos || pos + 4 > len) return false;
    pos += 4;
  }
  int total = m->an + m->ns + m->ar;
  for (int i = 0; i < total && i < 16; i++) {
    dns_rr_t *r = &m->rr[m->n++];
    pos = mdns_read_name(p, len, pos, r->name);
    if (!pos || pos + 10 > len) return false;
    r->type = dr16(p + pos);
    r->cls = dr16(p + pos + 2);
    r->ttl = (uint32_t)dr16(p + pos + 4) << 16 | dr16(p + pos + 6);
    uint16_t rdlen = dr16(p + pos + 8);
    pos += 10;
    if (pos + rdlen > len) return false;
    r->section = i < m->an ? 1 : (i < m->an + m->ns ? 2 : 3);
    if (r->type == 12 && !mdns_read_name(p, pos + rdlen, pos, r->target)) return false;
    if (r->type == 33) {
      if (rdlen < 7) return false;
      r->port = dr16(p + pos + 4);
      if (!mdns_read_name(p, pos + rdlen, pos + 6, r->target)) return false;
    }
    if (r->type == 1) {
      if (rdlen != 4) return false;
      memcpy(r->a, p + pos, 4);
    }
    if (r->type == 16) {
      if (rdlen > sizeof r->txt) return false;
      memcpy(r->txt, p + pos, rdlen);
      r->txt_len = rdlen;
    }
    pos += rdlen;
  }
  return pos == len;
}

static inline const dns_rr_t *dns_find(const dns_msg_t *m, uint16_t type, int section) {
  for (int i = 0; i < m->n; i++)
    if (m->rr[i].type == type && (section == 0 || m->rr[i].section == section)) return &m->rr[i];
  return NULL;
}

/* Builds a query with one question (name dotted, type, class incl. QU bit) into buf; returns length. */
static inline size_t dns_query(uint8_t *buf, uint16_t id, const char *name, uint16_t type, uint16_t cls) {
  size_t n = 0;
  buf[n++] = (uint8_t)(id >> 8);
  buf[n++] = (uint8_t)id;
  memset(buf + n, 0, 10);
  buf[5] = 1;
  n = 12;
  const char *s = name;
  while (*s) {
    const char *dot = strchr(s, '.');
    size_t l = dot ? (size_t)(dot - s) : strlen(s);
    buf[n++] = (uint8_t)l;
    memcpy(buf + n, s, l);
    n += l;
    s += l + (dot ? 1 : 0);
  }
  buf[n++] = 0;
  buf[n++] = (uint8_t)(type >> 8);
  buf[n++] = (uint8_t)type;
  buf[n++] = (uint8_t)(cls >> 8);
  buf[n++] = (uint8_t)cls;
  return n;
}

#endif
