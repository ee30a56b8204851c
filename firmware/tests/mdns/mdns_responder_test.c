/* The mDNS responder over real UDP sockets on a private port: one-shot (legacy unicast) queries answered
 * directly, announcements and multicast queries over 224.0.0.251 (multicast loopback), goodbye on stop. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
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
  mdns_responder_poll(&resp, now_ms());
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
  mdns_responder_poll(&resp, now_ms());
  if (resp.replies == before) {
    printf("SKIP: no multicast route on this host\n");
    close(fd);
    return;
  }
  uint8_t q[256];
  size_t n = dns_query(q, 0, "_openbl602._tcp.local", 12, 1);
  struct sockaddr_in g = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = inet_addr("224.0.0.251")};
  dns_msg_t m;
  (void)await(fd, 3100, &m, is_never); /* past the announcements: one multicast per record per second */
  CHECK(sendto(fd, q, n, 0, (struct sockaddr *)&g, sizeof g) == (ssize_t)n);
  CHECK(await(fd, 3000, &m, is_first_plug));
  CHECK(sendto(fd, q, n, 0, (struct sockaddr *)&g, sizeof g) == (ssize_t)n);
  CHECK(await(fd, 3000, &m, is_second_plug));
  mdns_responder_stop(&resp2);
  close(fd);
}

int main(void) {
  resp2.fd = -1; /* not started yet */
  port = free_udp_port();
  const uint8_t ip[4] = {127, 0, 0, 1};
  const char *txt[] = {"id=simtest", "protocol=1"};
  CHECK(mdns_service_init(&svc, "simtest", ip, 8080, txt, 2));
  if (!mdns_responder_start(&resp, &svc, port, NULL, now_ms())) {
    printf("cannot open the responder socket\n");
    return 1;
  }
  RUN(test_one_shot_query_is_answered_directly);
  RUN(test_multicast_announce_query_and_goodbye);
  RUN(test_two_plugs_on_one_host_both_answer);
  mdns_responder_stop(&resp);
  return unit_report();
}
