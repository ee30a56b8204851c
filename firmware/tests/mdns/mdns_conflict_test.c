/* RFC 6762 §8/§9 on crafted packets: the probe we send, which responses conflict with our names (own
 * loopback and identical records do not; goodbyes do not; a compressed SRV target is compared
 * uncompressed), the §8.2 simultaneous-probe tiebreak, the renamed names, and truncated records. */
#include <string.h>

#include "dns_reader.h"
#include "mdns/mdns_conflict.h"
#include "unit.h"

static mdns_service_t svc;
static uint8_t scratch[1500];

static const char *const TXT[] = {"id=a1b2c3", "mac=aabbcca1b2c3", "protocol=1"};

static void setup(void) {
  const uint8_t ip[4] = {192, 168, 1, 50};
  CHECK(mdns_service_init(&svc, "a1b2c3", ip, 80, TXT, 3));
}

/* Another host with our name: same id, other address and port. */
static mdns_service_t peer(uint8_t last_octet, uint16_t port) {
  const uint8_t ip[4] = {192, 168, 1, last_octet};
  mdns_service_t p;
  CHECK(mdns_service_init(&p, "a1b2c3", ip, port, TXT, 3));
  return p;
}

static mdns_peer_t check(const uint8_t *pkt, size_t n) {
  mdns_peer_t p;
  CHECK_EQ_INT(mdns_check_peer(pkt, n, &svc, scratch, sizeof scratch, &p), MDNS_OK);
  return p;
}

static size_t response(uint8_t *buf, const mdns_service_t *s, unsigned records, bool goodbye) {
  mdns_reply_t r = {.records = records, .goodbye = goodbye};
  return mdns_build_response(buf, 1500, s, &r);
}

static void test_names_after_a_conflict(void) {
  setup();
  CHECK_STR(svc.label, "openbl602-a1b2c3");
  CHECK(mdns_service_set_index(&svc, 2));
  CHECK_STR(svc.label, "openbl602-a1b2c3-2");
  CHECK_STR(svc.host_fqdn, "openbl602-a1b2c3-2.local");
  CHECK_STR(svc.instance_fqdn, "openbl602-a1b2c3-2._openbl602._tcp.local");
  CHECK(mdns_service_set_index(&svc, 1));
  CHECK_STR(svc.host_fqdn, "openbl602-a1b2c3.local");
  /* the longest id (32 characters) with the largest index still fits the 57-byte label */
  mdns_service_t l;
  const uint8_t ip[4] = {10, 0, 0, 1};
  CHECK(mdns_service_init(&l, "abcdefghijabcdefghijabcdefghij12", ip, 80, NULL, 0));
  CHECK(mdns_service_set_index(&l, 4294967295u));
  CHECK_STR(l.label, "openbl602-abcdefghijabcdefghijabcdefghij12-4294967295");
}

static void test_probe_has_qu_questions_and_our_records_in_authority(void) {
  setup();
  uint8_t buf[1500];
  size_t n = mdns_build_probe(buf, sizeof buf, &svc);
  CHECK(n > 12);
  dns_msg_t m;
  /* dns_read wants a response; the probe is a query, so flip QR on a copy to reuse the reader */
  uint8_t copy[1500];
  memcpy(copy, buf, n);
  CHECK_EQ_INT(buf[2] & 0x80, 0);
  CHECK(dns_read(copy, n, &m));
  CHECK_EQ_INT(m.qd, 2);
  CHECK_EQ_INT(m.an, 0);
  CHECK_EQ_INT(m.ns, 3);
  char q1[MDNS_NAME_MAX + 1];
  size_t after = mdns_read_name(buf, n, 12, q1);
  CHECK_STR(q1, "openbl602-a1b2c3.local");
  CHECK_EQ_INT(dr16(buf + after), 255);        /* ANY */
  CHECK_EQ_INT(dr16(buf + after + 2), 0x8001); /* QU, IN */
  const dns_rr_t *a = dns_find(&m, 1, 2), *srv = dns_find(&m, 33, 2), *txt = dns_find(&m, 16, 2);
  CHECK(a && srv && txt);
  if (!a || !srv || !txt) return;
  CHECK_EQ_INT(a->cls, 1); /* no cache-flush bit in a probe */
  CHECK_EQ_INT(srv->port, 80);
  CHECK_STR(srv->target, "openbl602-a1b2c3.local");
  CHECK(a->a[3] == 50);
  /* a truncated probe is no probe */
  mdns_peer_t p;
  CHECK_EQ_INT(mdns_check_peer(buf, n - 3, &svc, scratch, sizeof scratch, &p), MDNS_ERR_MALFORMED);
}

static void test_own_and_identical_records_are_no_conflict(void) {
  setup();
  uint8_t buf[1500];
  size_t n = response(buf, &svc, MDNS_REC_ALL, false);
  mdns_peer_t p = check(buf, n);
  CHECK(p.response);
  CHECK(!p.conflict);
  n = mdns_build_probe(buf, sizeof buf, &svc); /* our own probe, heard back through multicast loopback */
  p = check(buf, n);
  CHECK(p.probed);
  CHECK_EQ_INT(p.probe_order, 0);
}

static void test_other_data_for_our_names_is_a_conflict(void) {
  setup();
  uint8_t buf[1500];
  mdns_service_t other = peer(77, 80);
  size_t n = response(buf, &other, MDNS_REC_A, false); /* another address for our host name */
  CHECK(check(buf, n).conflict);
  other = peer(50, 8080); /* same address, another port: the instance name is taken */
  n = response(buf, &other, MDNS_REC_SRV, false);
  CHECK(check(buf, n).conflict);
  /* the same records with TTL 0 (the other host leaving) claim nothing */
  n = response(buf, &other, MDNS_REC_ALL, true);
  CHECK(!check(buf, n).conflict);
  /* another plug's name is none of our business */
  mdns_service_t stranger;
  const uint8_t ip[4] = {192, 168, 1, 9};
  CHECK(mdns_service_init(&stranger, "ffeedd", ip, 80, TXT, 3));
  n = response(buf, &stranger, MDNS_REC_ALL, false);
  CHECK(!check(buf, n).conflict);
  /* the renamed plug does not conflict with the holder of its old name */
  CHECK(mdns_service_set_index(&svc, 2));
  n = response(buf, &other, MDNS_REC_ALL, false);
  CHECK(!check(buf, n).conflict);
}

/* Hand-made response: an AAAA record for our host name (we publish none, so someone else uses the name),
 * and an SRV whose target is a compression pointer to the host name written before it. */
static size_t put_name(uint8_t *b, size_t n, const char *dotted) {
  const char *s = dotted;
  while (*s) {
    const char *dot = strchr(s, '.');
    size_t l = dot ? (size_t)(dot - s) : strlen(s);
    b[n++] = (uint8_t)l;
    memcpy(b + n, s, l);
    n += l;
    s += l + (dot ? 1 : 0);
  }
  b[n++] = 0;
  return n;
}

static size_t rr_head(uint8_t *b, size_t n, uint16_t type, uint16_t rdlen) {
  const uint8_t h[10] = {(uint8_t)(type >> 8),  (uint8_t)type, 0x80, 1, 0, 0, 0, 120,
                         (uint8_t)(rdlen >> 8), (uint8_t)rdlen};
  memcpy(b + n, h, 10);
  return n + 10;
}

static size_t crafted(uint8_t *b, uint16_t srv_port, bool aaaa) {
  memset(b, 0, 12);
  b[2] = 0x84;
  b[7] = aaaa ? 2 : 1; /* answers */
  size_t n = 12;
  size_t host_at = n;
  n = put_name(b, n, svc.host_fqdn);
  if (aaaa) {
    n = rr_head(b, n, 28, 16);
    memset(b + n, 0xfe, 16);
    n += 16;
  } else {
    n = rr_head(b, n, 1, 4); /* our own A record, the same data */
    memcpy(b + n, svc.ipv4, 4);
    n += 4;
  }
  if (aaaa) {
    b[n++] = (uint8_t)(0xC0 | (host_at >> 8));
    b[n++] = (uint8_t)host_at;
    n = rr_head(b, n, 1, 4);
    memcpy(b + n, svc.ipv4, 4);
    return n + 4;
  }
  b[7] = 2;
  n = put_name(b, n, svc.instance_fqdn);
  n = rr_head(b, n, 33, 8);
  const uint8_t srv[6] = {0, 0, 0, 0, (uint8_t)(srv_port >> 8), (uint8_t)srv_port};
  memcpy(b + n, srv, 6);
  n += 6;
  b[n++] = (uint8_t)(0xC0 | (host_at >> 8)); /* target: pointer to "openbl602-a1b2c3.local" */
  b[n++] = (uint8_t)host_at;
  return n;
}

static void test_crafted_responses(void) {
  setup();
  uint8_t buf[512];
  size_t n = crafted(buf, 80, false);
  mdns_peer_t p = check(buf, n);
  CHECK(!p.conflict); /* our SRV, its target compressed: the same data */
  n = crafted(buf, 81, false);
  CHECK(check(buf, n).conflict);
  n = crafted(buf, 80, true);
  CHECK(check(buf, n).conflict); /* AAAA on our host name */
  /* a record whose rdata runs past the packet */
  n = crafted(buf, 80, false);
  buf[n - 9] = 40;
  CHECK_EQ_INT(mdns_check_peer(buf, n, &svc, scratch, sizeof scratch, &p), MDNS_ERR_MALFORMED);
}

static void test_simultaneous_probe_tiebreak(void) {
  setup();
  uint8_t buf[1500];
  /* §8.2: records compared by class, type, rdata; the A record decides first (type 1 < 16 < 33) */
  mdns_service_t later = peer(51, 80), earlier = peer(49, 80);
  size_t n = mdns_build_probe(buf, sizeof buf, &later);
  mdns_peer_t p = check(buf, n);
  CHECK(p.probed);
  CHECK_EQ_INT(p.probe_order, -1); /* 192.168.1.50 < .51: we lose */
  n = mdns_build_probe(buf, sizeof buf, &earlier);
  CHECK_EQ_INT(check(buf, n).probe_order, 1);
  /* same address: the instance's SRV decides, by port */
  mdns_service_t port_hi = peer(50, 8080), port_lo = peer(50, 79);
  n = mdns_build_probe(buf, sizeof buf, &port_hi);
  CHECK_EQ_INT(check(buf, n).probe_order, -1);
  n = mdns_build_probe(buf, sizeof buf, &port_lo);
  CHECK_EQ_INT(check(buf, n).probe_order, 1);
  /* a probe of another name is not ours to judge */
  mdns_service_t other = peer(99, 80);
  CHECK(mdns_service_set_index(&other, 3));
  n = mdns_build_probe(buf, sizeof buf, &other);
  p = check(buf, n);
  CHECK(!p.probed);
  /* a plain query (no authority section) is no probe */
  n = dns_query(buf, 0, svc.host_fqdn, 255, 0x8001);
  p = check(buf, n);
  CHECK(!p.probed && !p.response && !p.conflict);
}

int main(void) {
  RUN(test_names_after_a_conflict);
  RUN(test_probe_has_qu_questions_and_our_records_in_authority);
  RUN(test_own_and_identical_records_are_no_conflict);
  RUN(test_other_data_for_our_names_is_a_conflict);
  RUN(test_crafted_responses);
  RUN(test_simultaneous_probe_tiebreak);
  return unit_report();
}
