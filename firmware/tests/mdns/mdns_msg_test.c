/* mDNS messages: which of our records a query asks for, what the response holds, and bounded parsing of
 * hostile names (loops, forward pointers, oversize labels, truncation). */
#include <string.h>

#include "dns_reader.h"
#include "unit.h"

static mdns_service_t svc;

static void setup(void) {
  const uint8_t ip[4] = {192, 168, 1, 50};
  const char *txt[] = {"id=a1b2c3", "mac=aabbcca1b2c3", "model=plug", "fw=0.1.0", "protocol=1", "board=SM-028_V1.3"};
  CHECK(mdns_service_init(&svc, "a1b2c3", ip, 80, txt, 6));
}

static void test_service_names(void) {
  setup();
  CHECK_STR(svc.instance_fqdn, "openbl602-a1b2c3._openbl602._tcp.local");
  CHECK_STR(svc.host_fqdn, "openbl602-a1b2c3.local");
  const uint8_t ip[4] = {0};
  mdns_service_t s2;
  CHECK(!mdns_service_init(&s2, "Bad_ID", ip, 80, NULL, 0));
  CHECK(mdns_service_init(&s2, "x", ip, 80, NULL, 0));
  CHECK_EQ_INT(s2.txt_len, 1); /* empty TXT = one zero byte */
}

static void test_ptr_query_gets_ptr_plus_srv_txt_a_additionals(void) {
  setup();
  uint8_t q[512], out[1500];
  size_t n = dns_query(q, 0, "_openbl602._tcp.local", 12, 1);
  mdns_query_t mq;
  CHECK_EQ_INT(mdns_parse_query(q, n, &svc, &mq), MDNS_OK);
  CHECK_EQ_INT(mq.records, MDNS_REC_PTR);
  CHECK(!mq.unicast);
  mdns_reply_t rep = {.records = mq.records};
  size_t len = mdns_build_response(out, sizeof out, &svc, &rep);
  CHECK(len > 0);
  dns_msg_t m;
  CHECK(dns_read(out, len, &m));
  CHECK_EQ_INT(m.flags, 0x8400);
  CHECK_EQ_INT(m.an, 1);
  CHECK_EQ_INT(m.ar, 3);
  const dns_rr_t *ptr = dns_find(&m, 12, 1);
  CHECK(ptr != NULL);
  if (!ptr) return;
  CHECK_STR(ptr->name, "_openbl602._tcp.local");
  CHECK_STR(ptr->target, "openbl602-a1b2c3._openbl602._tcp.local");
  CHECK_EQ_INT(ptr->cls, 1); /* shared record: no cache-flush */
  CHECK_EQ_INT(ptr->ttl, 4500);
  const dns_rr_t *srv = dns_find(&m, 33, 3);
  CHECK(srv != NULL && srv->port == 80 && strcmp(srv->target, "openbl602-a1b2c3.local") == 0);
  CHECK(srv != NULL && srv->cls == 0x8001 && srv->ttl == 120);
  const dns_rr_t *a = dns_find(&m, 1, 3);
  CHECK(a != NULL && a->a[0] == 192 && a->a[3] == 50);
  const dns_rr_t *txt = dns_find(&m, 16, 3);
  CHECK(txt != NULL);
  if (txt) {
    CHECK_EQ_INT(txt->txt[0], 9);
    CHECK(memcmp(txt->txt + 1, "id=a1b2c3", 9) == 0);
  }
}

static void test_host_a_query_case_insensitive_and_qu(void) {
  setup();
  uint8_t q[512];
  size_t n = dns_query(q, 0, "OpenBL602-A1B2C3.LOCAL", 1, 0x8001);
  mdns_query_t mq;
  CHECK_EQ_INT(mdns_parse_query(q, n, &svc, &mq), MDNS_OK);
  CHECK_EQ_INT(mq.records, MDNS_REC_A);
  CHECK(mq.unicast);
}

static void test_any_and_enum_and_foreign_names(void) {
  setup();
  uint8_t q[512];
  mdns_query_t mq;
  size_t n = dns_query(q, 0, "openbl602-a1b2c3._openbl602._tcp.local", 255, 1);
  CHECK_EQ_INT(mdns_parse_query(q, n, &svc, &mq), MDNS_OK);
  CHECK_EQ_INT(mq.records, MDNS_REC_SRV | MDNS_REC_TXT);
  n = dns_query(q, 0, "_services._dns-sd._udp.local", 12, 1);
  CHECK_EQ_INT(mdns_parse_query(q, n, &svc, &mq), MDNS_OK);
  CHECK_EQ_INT(mq.records, MDNS_REC_ENUM);
  n = dns_query(q, 0, "openbl602-zzzzzz.local", 1, 1); /* another plug */
  CHECK_EQ_INT(mdns_parse_query(q, n, &svc, &mq), MDNS_OK);
  CHECK_EQ_INT(mq.records, 0);
  n = dns_query(q, 0, "openbl602-a1b2c3.local", 28, 1); /* AAAA: we have none */
  CHECK_EQ_INT(mdns_parse_query(q, n, &svc, &mq), MDNS_OK);
  CHECK_EQ_INT(mq.records, 0);
  q[2] = 0x84; /* a response, not a query */
  CHECK_EQ_INT(mdns_parse_query(q, n, &svc, &mq), MDNS_NOT_QUERY);
}

static void test_legacy_unicast_reply_echoes_question_and_caps_ttl(void) {
  setup();
  uint8_t q[512], out[1500];
  size_t n = dns_query(q, 0x4242, "openbl602-a1b2c3.local", 1, 1);
  mdns_query_t mq;
  CHECK_EQ_INT(mdns_parse_query(q, n, &svc, &mq), MDNS_OK);
  mdns_reply_t rep = {.records = mq.records, .id = mq.id, .legacy = true, .query = q,
                      .questions_end = mq.questions_end, .qdcount = mq.qdcount};
  size_t len = mdns_build_response(out, sizeof out, &svc, &rep);
  dns_msg_t m;
  CHECK(dns_read(out, len, &m));
  CHECK_EQ_INT(m.id, 0x4242);
  CHECK_EQ_INT(m.qd, 1);
  CHECK(memcmp(out + 12, q + 12, n - 12) == 0);
  CHECK_EQ_INT(m.rr[0].ttl, 10);
  CHECK_EQ_INT(m.rr[0].cls, 1);
}

static void test_goodbye_has_ttl_zero(void) {
  setup();
  uint8_t out[1500];
  mdns_reply_t rep = {.records = MDNS_REC_PTR | MDNS_REC_SRV | MDNS_REC_TXT | MDNS_REC_A, .goodbye = true};
  size_t len = mdns_build_response(out, sizeof out, &svc, &rep);
  dns_msg_t m;
  CHECK(dns_read(out, len, &m));
  CHECK_EQ_INT(m.an, 4);
  CHECK_EQ_INT(m.ar, 0);
  for (int i = 0; i < m.n; i++) CHECK_EQ_INT(m.rr[i].ttl, 0);
  CHECK_EQ_INT(mdns_build_response(out, 100, &svc, &rep), 0); /* too small: nothing half-written */
}

static void test_compressed_question_is_understood(void) {
  setup();
  /* question 1: "_tcp.local" spelled out at 12; question 2: "_openbl602" + pointer to it */
  uint8_t q[64] = {0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0};
  size_t n = 12;
  const uint8_t q1[] = {4, '_', 't', 'c', 'p', 5, 'l', 'o', 'c', 'a', 'l', 0, 0, 12, 0, 1};
  memcpy(q + n, q1, sizeof q1);
  n += sizeof q1;
  const uint8_t q2[] = {10, '_', 'o', 'p', 'e', 'n', 'b', 'l', '6', '0', '2', 0xC0, 12, 0, 12, 0, 1};
  memcpy(q + n, q2, sizeof q2);
  n += sizeof q2;
  mdns_query_t mq;
  CHECK_EQ_INT(mdns_parse_query(q, n, &svc, &mq), MDNS_OK);
  CHECK_EQ_INT(mq.records, MDNS_REC_PTR);
  CHECK_EQ_INT(mq.questions_end, n);
}

static void test_hostile_names_are_refused(void) {
  setup();
  char name[MDNS_NAME_MAX + 1];
  mdns_query_t mq;
  /* pointer to itself */
  uint8_t self[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1};
  CHECK_EQ_INT(mdns_parse_query(self, sizeof self, &svc, &mq), MDNS_ERR_MALFORMED);
  /* forward pointer */
  uint8_t fwd[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 16, 0, 1, 1, 'a', 0, 0, 1, 0, 1};
  CHECK_EQ_INT(mdns_parse_query(fwd, sizeof fwd, &svc, &mq), MDNS_ERR_MALFORMED);
  /* two pointers to each other, second one backwards to the first: still refused (first is forward) */
  uint8_t loop2[] = {1, 'a', 0xC0, 4, 0xC0, 0};
  CHECK_EQ_INT(mdns_read_name(loop2, sizeof loop2, 2, name), 0);
  /* label runs past the end */
  uint8_t trunc[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 'a', 'b'};
  CHECK_EQ_INT(mdns_parse_query(trunc, sizeof trunc, &svc, &mq), MDNS_ERR_MALFORMED);
  /* 0x40 label type */
  uint8_t ext[] = {0x41, 'a', 0};
  CHECK_EQ_INT(mdns_read_name(ext, sizeof ext, 0, name), 0);
  /* name longer than 255 */
  uint8_t longname[400];
  size_t n = 0;
  for (int i = 0; i < 5; i++) {
    longname[n++] = 63;
    memset(longname + n, 'x', 63);
    n += 63;
  }
  longname[n++] = 0;
  CHECK_EQ_INT(mdns_read_name(longname, n, 0, name), 0);
  /* more questions than bytes */
  uint8_t many[] = {0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1};
  CHECK_EQ_INT(mdns_parse_query(many, sizeof many, &svc, &mq), MDNS_ERR_MALFORMED);
  /* short header */
  CHECK_EQ_INT(mdns_parse_query(many, 11, &svc, &mq), MDNS_ERR_MALFORMED);
  /* a dot inside a label must not pass for a label boundary */
  const uint8_t hdr[12] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  uint8_t dq[64];
  memcpy(dq, hdr, 12);
  size_t k = 12;
  const char *lab = "openbl602-a1b2c3.local";
  dq[k++] = 22;
  memcpy(dq + k, lab, 22);
  k += 22;
  dq[k++] = 0;
  dq[k++] = 0;
  dq[k++] = 1;
  dq[k++] = 0;
  dq[k++] = 1;
  CHECK_EQ_INT(mdns_parse_query(dq, k, &svc, &mq), MDNS_OK);
  CHECK_EQ_INT(mq.records, 0);
}

int main(void) {
  RUN(test_service_names);
  RUN(test_ptr_query_gets_ptr_plus_srv_txt_a_additionals);
  RUN(test_host_a_query_case_insensitive_and_qu);
  RUN(test_any_and_enum_and_foreign_names);
  RUN(test_legacy_unicast_reply_echoes_question_and_caps_ttl);
  RUN(test_goodbye_has_ttl_zero);
  RUN(test_compressed_question_is_understood);
  RUN(test_hostile_names_are_refused);
  return unit_report();
}
