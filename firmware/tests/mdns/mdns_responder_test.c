/* The mDNS responder over real UDP sockets on a private port: one-shot (legacy unicast) queries answered
 * directly, announcements and multicast queries over 224.0.0.251 (multicast loopback), goodbye on stop;
 * probing before announcing, renaming on a conflict, defending an announced name (RFC 6762 §8, §9). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns_reader.h"
#include "mdns/mdns_responder.h"
#include "unit.h"

static mdns_service_t svc;
static mdns_responder_t resp, resp2;
static uint16_t port;

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint16_t free_udp_port(void) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t l = sizeof sa;
  bind(fd, (struct sockaddr *)&sa, sizeof sa);
  getsockname(fd, (struct sockaddr *)&sa, &l);
  close(fd);
  return ntohs(sa.sin_port);
}

/* Polls the responder while waiting up to ms for a datagram on fd that dns_read() accepts and that
 * satisfies want (NULL = any response). */
static bool is_never(const dns_msg_t *m) {
  (void)m;
  return false;
}

static bool await(int fd, unsigned ms, dns_msg_t *m, bool (*want)(const dns_msg_t *)) {
  uint64_t end = now_ms() + ms;
  uint8_t buf[1500];
  while (now_ms() < end) {
    mdns_responder_poll(&resp, now_ms());
    mdns_responder_poll(&resp2, now_ms());
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0 && dns_read(buf, (size_t)n, m) && (m->flags & 0x8000) && (!want || want(m))) return true;
    if (n <= 0) {
      struct timespec ts = {0, 2000000};
      nanosleep(&ts, NULL);
    }
  }
  return false;
}

/* Polls until the responder owns its name (probing done), at most ms. */
static bool settle(mdns_responder_t *r, unsigned ms) {
  uint64_t end = now_ms() + ms;
  while (now_ms() < end && r->phase != MDNS_ANNOUNCED) {
    mdns_responder_poll(r, now_ms());
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
  }
  return r->phase == MDNS_ANNOUNCED;
}

static void test_one_shot_query_is_answered_directly(void) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  uint8_t q[256];
  size_t n = dns_query(q, 0x1234, "openbl602-simtest.local", 1, 1);
  CHECK(sendto(fd, q, n, 0, (struct sockaddr *)&to, sizeof to) == (ssize_t)n);
  dns_msg_t m;
  CHECK(await(fd, 2000, &m, NULL));
  CHECK_EQ_INT(m.id, 0x1234);
  const dns_rr_t *a = dns_find(&m, 1, 1);
  CHECK(a != NULL && a->a[0] == 127 && a->a[3] == 1);
  CHECK(a != NULL && a->ttl <= 10);
  /* garbage is counted and ignored, the responder keeps answering */
  uint8_t junk[] = {0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0xC0, 12};
  uint32_t bad = resp.malformed;
  sendto(fd, junk, sizeof junk, 0, (struct sockaddr *)&to, sizeof to);
  n = dns_query(q, 0x5678, "_openbl602._tcp.local", 12, 1);
  sendto(fd, q, n, 0, (struct sockaddr *)&to, sizeof to);
  CHECK(await(fd, 2000, &m, NULL));
  CHECK_EQ_INT(m.id, 0x5678);
  CHECK(dns_find(&m, 33, 3) != NULL);
  CHECK_EQ_INT(resp.malformed, bad + 1);
  close(fd);
}

static bool is_announcement(const dns_msg_t *m) { return m->an == 4 && m->rr[0].ttl > 0; }
static bool is_goodbye(const dns_msg_t *m) { return m->an == 4 && m->rr[0].ttl == 0; }
static bool is_ptr_answer(const dns_msg_t *m) { return m->an == 1 && m->rr[0].type == 12; }

static int group_listener(void) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
  struct ip_mreq mreq;
  mreq.imr_multiaddr.s_addr = inet_addr("224.0.0.251");
  mreq.imr_interface.s_addr = htonl(INADDR_ANY);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
      setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void test_multicast_announce_query_and_goodbye(void) {
  int fd = group_listener();
  CHECK(fd >= 0);
  if (fd < 0) return;
  mdns_responder_stop(&resp);
  const uint8_t lo[4] = {0, 0, 0, 0};
  CHECK(mdns_responder_start(&resp, &svc, port, lo, now_ms()));
  uint32_t sent_before = resp.replies;
  mdns_responder_poll(&resp, now_ms() + MDNS_PROBE_GAP_MS); /* past the random delay: the first probe */
  if (resp.replies == sent_before) {
    printf("SKIP multicast part: this host cannot send to 224.0.0.251 (no multicast route)\n");
    close(fd);
    return;
  }
  dns_msg_t m;
  CHECK(await(fd, 2000, &m, is_announcement));
  CHECK_STR(dns_find(&m, 12, 1)->target, "openbl602-simtest._openbl602._tcp.local");
  /* RFC 6762 §6: a record is multicast at most once a second; the announcements (0, 1, 2 s) just did */
  (void)await(fd, 3100, &m, is_never);
  /* a multicast query from port 5353-equivalent gets a multicast answer */
  uint8_t q[256];
  size_t n = dns_query(q, 0, "_openbl602._tcp.local", 12, 1);
  struct sockaddr_in g = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = inet_addr("224.0.0.251")};
  CHECK(sendto(fd, q, n, 0, (struct sockaddr *)&g, sizeof g) == (ssize_t)n);
  CHECK(await(fd, 2000, &m, is_ptr_answer));
  CHECK_EQ_INT(m.ar, 3);
  /* the same query again at once: no second multicast answer within the second */
  CHECK(sendto(fd, q, n, 0, (struct sockaddr *)&g, sizeof g) == (ssize_t)n);
  CHECK(!await(fd, 500, &m, is_ptr_answer));
  mdns_responder_stop(&resp);
  CHECK(await(fd, 2000, &m, is_goodbye));
  close(fd);
}

static bool is_second_plug(const dns_msg_t *m) {
  return m->an == 1 && m->rr[0].type == 12 && strcmp(m->rr[0].target, "openbl602-second._openbl602._tcp.local") == 0;
}
static bool is_first_plug(const dns_msg_t *m) {
  return m->an == 1 && m->rr[0].type == 12 && strcmp(m->rr[0].target, "openbl602-simtest._openbl602._tcp.local") == 0;
}

static void test_two_plugs_on_one_host_both_answer(void) {
  int fd = group_listener();
  CHECK(fd >= 0);
  if (fd < 0) return;
  const uint8_t ip[4] = {127, 0, 0, 1};
  const char *txt[] = {"id=second"};
  mdns_service_t s2;
  CHECK(mdns_service_init(&s2, "second", ip, 8081, txt, 1));
  CHECK(mdns_responder_start(&resp, &svc, port, NULL, now_ms()));
  CHECK(mdns_responder_start(&resp2, &s2, port, NULL, now_ms()));
  uint32_t before = resp.replies;
  mdns_responder_poll(&resp, now_ms() + MDNS_PROBE_GAP_MS); /* past the random delay: the first probe */
  if (resp.replies == before) {
    printf("SKIP: no multicast route on this host\n");
    close(fd);
    return;
  }
  uint8_t q[256];
  size_t n = dns_query(q, 0, "_openbl602._tcp.local", 12, 1);
  struct sockaddr_in g = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = inet_addr("224.0.0.251")};
  dns_msg_t m;
  (void)await(fd, 4100, &m, is_never); /* past probes and announcements: one multicast per record per second */
  CHECK(sendto(fd, q, n, 0, (struct sockaddr *)&g, sizeof g) == (ssize_t)n);
  CHECK(await(fd, 3000, &m, is_first_plug));
  CHECK(sendto(fd, q, n, 0, (struct sockaddr *)&g, sizeof g) == (ssize_t)n);
  CHECK(await(fd, 3000, &m, is_second_plug));
  mdns_responder_stop(&resp2);
  close(fd);
}


static mdns_responder_t ra, rb;

static void poll_both(unsigned ms) {
  uint64_t end = now_ms() + ms;
  while (now_ms() < end) {
    if (ra.fd >= 0) mdns_responder_poll(&ra, now_ms());
    if (rb.fd >= 0) mdns_responder_poll(&rb, now_ms());
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
  }
}

static mdns_service_t dup_service(uint16_t http_port, uint8_t last_octet) {
  const uint8_t ip[4] = {127, 0, 0, last_octet};
  const char *txt[] = {"id=dup", "protocol=1"};
  mdns_service_t s;
  CHECK(mdns_service_init(&s, "dup", ip, http_port, txt, 2));
  return s;
}

static void to_group(int fd, const uint8_t *d, size_t n) {
  struct sockaddr_in g = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = inet_addr("224.0.0.251")};
  CHECK(sendto(fd, d, n, 0, (struct sockaddr *)&g, sizeof g) == (ssize_t)n);
}

/* Polls ra until its conflict count moves past before, at most 1 s. */
static bool await_conflict(uint32_t before) {
  uint64_t end = now_ms() + 1000;
  while (now_ms() < end && ra.conflicts == before) {
    mdns_responder_poll(&ra, now_ms());
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  return ra.conflicts > before;
}

/* §8.1: three probes 250 ms apart, nothing answered meanwhile, then the announcements. */
static void test_three_probes_before_the_first_announcement(void) {
  int fd = group_listener();
  CHECK(fd >= 0);
  if (fd < 0) return;
  mdns_service_t s = dup_service(8090, 1);
  CHECK(mdns_responder_start(&ra, &s, port, NULL, now_ms()));
  uint64_t probe_at[3];
  int probes = 0;
  bool announced = false, answered = false;
  uint64_t end = now_ms() + 2500;
  /* a one-shot query while the name is not ours yet: no answer */
  int asker = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = inet_addr("224.0.0.251")};
  uint8_t q[256];
  size_t qn = dns_query(q, 0x4242, "openbl602-dup.local", 1, 1);
  CHECK(sendto(asker, q, qn, 0, (struct sockaddr *)&to, sizeof to) == (ssize_t)qn);
  while (now_ms() < end && !announced) {
    mdns_responder_poll(&ra, now_ms());
    uint8_t buf[1500];
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    uint8_t ab[1500];
    if (recv(asker, ab, sizeof ab, MSG_DONTWAIT) > 0) answered = true;
    if (n > 12 && !(buf[2] & 0x80) && buf[9] == 3) { /* a query with 3 authority records: a probe */
      char name[MDNS_NAME_MAX + 1];
      CHECK(mdns_read_name(buf, (size_t)n, 12, name) > 0);
      CHECK_STR(name, "openbl602-dup.local");
      CHECK(announced == false);
      if (probes < 3) probe_at[probes] = now_ms();
      probes++;
    } else if (n > 12 && (buf[2] & 0x80) && buf[7] == 4) { /* a response with our 4 records */
      announced = true;
      CHECK_EQ_INT(probes, 3);
      if (probes == 3) CHECK(now_ms() - probe_at[2] >= 240);
    }
    if (n <= 0) {
      struct timespec ts = {0, 1000000};
      nanosleep(&ts, NULL);
    }
  }
  CHECK(announced);
  CHECK_EQ_INT(probes, 3);
  if (probes == 3) {
    /* ≥ 250 ms by design (a busy test machine can only make the gap longer, not shorter) */
    CHECK(probe_at[1] - probe_at[0] >= 240 && probe_at[1] - probe_at[0] < 1000);
    CHECK(probe_at[2] - probe_at[1] >= 240 && probe_at[2] - probe_at[1] < 1000);
  }
  CHECK(!answered);
  CHECK_STR(mdns_responder_hostname(&ra), "openbl602-dup");
  mdns_responder_stop(&ra);
  close(asker);
  close(fd);
}

/* Two plugs claim "openbl602-dup" on one host: the first defends it, the second takes "-2"; both answer. */
static void test_second_plug_with_the_same_name_renames(void) {
  int fd = group_listener();
  CHECK(fd >= 0);
  if (fd < 0) return;
  mdns_service_t first = dup_service(8090, 1), second = dup_service(8091, 1);
  CHECK(mdns_responder_start(&ra, &first, port, NULL, now_ms()));
  CHECK(settle(&ra, 2000));
  poll_both(2500); /* its announcements are over */
  CHECK(mdns_responder_start(&rb, &second, port, NULL, now_ms()));
  uint64_t end = now_ms() + 5000;
  while (now_ms() < end && !(rb.phase == MDNS_ANNOUNCED && rb.renames > 0)) poll_both(10);
  CHECK_STR(mdns_responder_hostname(&ra), "openbl602-dup");
  CHECK_STR(mdns_responder_hostname(&rb), "openbl602-dup-2");
  CHECK_STR(rb.svc.instance_fqdn, "openbl602-dup-2._openbl602._tcp.local");
  CHECK_EQ_INT(rb.renames, 1);
  CHECK_EQ_INT(ra.renames, 0);
  CHECK(rb.phase == MDNS_ANNOUNCED);
  poll_both(3000); /* both settled, announcements done: no conflict between the two names */
  CHECK_EQ_INT(ra.phase, MDNS_ANNOUNCED);
  CHECK_EQ_INT(rb.phase, MDNS_ANNOUNCED);
  CHECK_STR(mdns_responder_hostname(&rb), "openbl602-dup-2");
  mdns_responder_stop(&rb);
  mdns_responder_stop(&ra);
  close(fd);
}

/* §9: a conflicting response after announcing sends the plug back to probing its name; one while
 * probing makes it take the next name. */
static void test_conflict_after_announcing_probes_again_then_renames(void) {
  int fd = group_listener();
  CHECK(fd >= 0);
  if (fd < 0) return;
  mdns_service_t mine = dup_service(8090, 1), theirs = dup_service(8090, 9);
  CHECK(mdns_responder_start(&ra, &mine, port, NULL, now_ms()));
  CHECK(settle(&ra, 2000));
  uint8_t buf[1500];
  mdns_reply_t rep = {.records = MDNS_REC_A};
  size_t n = mdns_build_response(buf, sizeof buf, &theirs, &rep); /* openbl602-dup.local is 127.0.0.9 */
  to_group(fd, buf, n);
  CHECK(await_conflict(0));
  CHECK(ra.phase == MDNS_PROBING);
  CHECK_STR(mdns_responder_hostname(&ra), "openbl602-dup");
  to_group(fd, buf, n);
  CHECK(await_conflict(1));
  CHECK_STR(mdns_responder_hostname(&ra), "openbl602-dup-2");
  CHECK(settle(&ra, 2000));
  mdns_responder_stop(&ra);
  close(fd);
}

/* §8.2: a simultaneous probe of our name with data that sorts later wins; we wait 1 s and probe again. */
static void test_losing_the_tiebreak_waits_a_second(void) {
  int fd = group_listener();
  CHECK(fd >= 0);
  if (fd < 0) return;
  mdns_service_t mine = dup_service(8090, 1), later = dup_service(8090, 9), earlier = dup_service(8090, 0);
  CHECK(mdns_responder_start(&ra, &mine, port, NULL, now_ms()));
  uint8_t buf[1500];
  size_t n = mdns_build_probe(buf, sizeof buf, &earlier); /* 127.0.0.0 < 127.0.0.1: ours wins, no change */
  to_group(fd, buf, n);
  poll_both(50);
  CHECK_EQ_INT(ra.tiebreaks_lost, 0);
  n = mdns_build_probe(buf, sizeof buf, &later);
  to_group(fd, buf, n);
  uint64_t end = now_ms() + 1000;
  while (now_ms() < end && ra.tiebreaks_lost == 0) mdns_responder_poll(&ra, now_ms());
  CHECK_EQ_INT(ra.tiebreaks_lost, 1);
  uint64_t wait = ra.next_probe_ms > now_ms() ? ra.next_probe_ms - now_ms() : 0;
  CHECK(wait >= 500 && wait <= 1000); /* 1 s from when it read the probe */
  CHECK(ra.phase == MDNS_PROBING);
  CHECK_STR(mdns_responder_hostname(&ra), "openbl602-dup");
  mdns_responder_stop(&ra);
  close(fd);
}

/* §8.1: after 15 conflicts within 10 s every further probe waits 5 s. */
static void test_conflict_storm_slows_probing(void) {
  int fd = group_listener();
  CHECK(fd >= 0);
  if (fd < 0) return;
  mdns_service_t mine = dup_service(8090, 1);
  CHECK(mdns_responder_start(&ra, &mine, port, NULL, now_ms()));
  uint64_t end = now_ms() + 1000;
  while (now_ms() < end && !ra.probed) mdns_responder_poll(&ra, now_ms()); /* a claim counts once probed */
  CHECK(ra.probed);
  uint8_t buf[1500];
  for (uint32_t i = 0; i < 15; i++) {
    mdns_service_t theirs = dup_service(8090, 9);
    CHECK(mdns_service_set_index(&theirs, ra.svc.index)); /* whatever name it tries now is taken */
    mdns_reply_t rep = {.records = MDNS_REC_A};
    size_t n = mdns_build_response(buf, sizeof buf, &theirs, &rep);
    to_group(fd, buf, n);
    CHECK(await_conflict(i));
    uint64_t wait = ra.next_probe_ms > now_ms() ? ra.next_probe_ms - now_ms() : 0;
    if (i < 14) CHECK(wait <= MDNS_PROBE_GAP_MS); /* probing the next name at once */
    else CHECK(wait >= 4000 && wait <= 5000); /* 5 s from when it read the 15th conflict */
  }
  CHECK_EQ_INT(ra.renames, 15);
  CHECK_STR(mdns_responder_hostname(&ra), "openbl602-dup-16");
  mdns_responder_stop(&ra);
  close(fd);
}

/* Multicasts a claim of name index (A record at 127.0.0.9) to the group. */
static void claim(int fd, unsigned index) {
  mdns_service_t theirs = dup_service(8090, 9);
  if (!mdns_service_set_index(&theirs, index)) return;
  uint8_t buf[1500];
  mdns_reply_t rep = {.records = MDNS_REC_A};
  size_t n = mdns_build_response(buf, sizeof buf, &theirs, &rep);
  to_group(fd, buf, n);
}

/* Reads every datagram that reached ra by now (loopback delivers within the send), with the fake clock at t. */
static void drain(uint64_t t) {
  struct pollfd p = {.fd = ra.fd, .events = POLLIN};
  while (poll(&p, 1, 5) > 0) mdns_responder_poll(&ra, t);
  mdns_responder_poll(&ra, t); /* timers */
}

/* A LAN host that claims the name being probed and the next 9, 10 claims every 100 ms without waiting for our
 * probes: a claim counts only after a probe of the name went out, once per probe, and none while waiting to
 * probe, so the renames keep the probe schedule: 15 at once, then one per 5 s (§8.1). Fake clock, real sockets. */
static void test_a_flood_of_claims_renames_at_the_probe_pace(void) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  uint64_t t = 1000000; /* fake ms */
  mdns_service_t mine = dup_service(8090, 1);
  CHECK(mdns_responder_start(&ra, &mine, port, NULL, t));
  uint64_t first_probe_at = 0, rename_at[64];
  uint32_t renames = 0;
  for (uint64_t end = t + 11000; t < end; t += 100) {
    for (unsigned k = 0; k < 10; k++) claim(fd, ra.svc.index + k);
    uint32_t before = ra.renames, sent = ra.replies;
    drain(t);
    if (!first_probe_at && ra.replies > sent) first_probe_at = t;
    for (uint32_t i = before; i < ra.renames && renames < 64; i++) rename_at[renames++] = t;
  }
  if (!first_probe_at) {
    printf("SKIP: no multicast route on this host\n");
  } else {
    printf("flood of 10 claims / 100 ms for 11 s: %u renames, %u claims ignored\n", (unsigned)ra.renames,
           (unsigned)ra.conflicts_ignored);
    CHECK(ra.conflicts_ignored > 0);
    CHECK_EQ_INT(ra.renames, 16); /* 15, then one more after the 5 s wait */
    CHECK(renames > 0 && rename_at[0] > first_probe_at); /* nothing before the name was probed */
    if (renames >= 16) {
      CHECK(rename_at[14] - rename_at[0] <= 2000); /* no wait before the 15th */
      CHECK(rename_at[15] - rename_at[14] >= MDNS_CONFLICT_BACKOFF_MS);
    }
    CHECK_STR(mdns_responder_hostname(&ra), "openbl602-dup-17");
  }
  mdns_responder_stop(&ra);
  close(fd);
}

int main(void) {
  resp2.fd = -1; /* not started yet */
  ra.fd = rb.fd = -1;
  port = free_udp_port();
  const uint8_t ip[4] = {127, 0, 0, 1};
  const char *txt[] = {"id=simtest", "protocol=1"};
  CHECK(mdns_service_init(&svc, "simtest", ip, 8080, txt, 2));
  if (!mdns_responder_start(&resp, &svc, port, NULL, now_ms())) {
    printf("cannot open the responder socket\n");
    return 1;
  }
  CHECK(settle(&resp, 2000));
  RUN(test_one_shot_query_is_answered_directly);
  RUN(test_multicast_announce_query_and_goodbye);
  RUN(test_two_plugs_on_one_host_both_answer);
  mdns_responder_stop(&resp);
  RUN(test_three_probes_before_the_first_announcement);
  RUN(test_second_plug_with_the_same_name_renames);
  RUN(test_conflict_after_announcing_probes_again_then_renames);
  RUN(test_losing_the_tiebreak_waits_a_second);
  RUN(test_conflict_storm_slows_probing);
  RUN(test_a_flood_of_claims_renames_at_the_probe_pace);
  return unit_report();
}
