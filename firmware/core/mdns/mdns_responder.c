/* mdns_responder.c — UDP side of the mDNS responder (see mdns_responder.h). */
#include "mdns/mdns_responder.h"

#include "mdns/mdns_conflict.h"

#include <errno.h>
#include <string.h>

#if defined(OBL_LWIP)
#include "lwip/sockets.h"
#else
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#define MDNS_GROUP "224.0.0.251"
#define ANNOUNCEMENTS 3
#define ANNOUNCE_GAP_MS 1000u
#define MAX_PER_POLL 8
#define OWN_RECORDS (MDNS_REC_PTR | MDNS_REC_SRV | MDNS_REC_TXT | MDNS_REC_A)
#define TIEBREAK_WAIT_MS 1000u /* §8.2: the loser waits 1 s, then probes again */

static void send_to(mdns_responder_t *r, const uint8_t *d, size_t n, const struct sockaddr_in *to) {
  if (sendto(r->fd, d, n, 0, (const struct sockaddr *)to, sizeof *to) >= 0) r->replies++;
}

static struct sockaddr_in group_addr(const mdns_responder_t *r) {
  struct sockaddr_in g;
  memset(&g, 0, sizeof g);
  g.sin_family = AF_INET;
  g.sin_port = htons(r->port);
  g.sin_addr.s_addr = inet_addr(MDNS_GROUP);
  return g;
}

static void multicast(mdns_responder_t *r, unsigned records, bool goodbye) {
  mdns_reply_t rep = {.records = records, .goodbye = goodbye};
  size_t n = mdns_build_response(r->out, sizeof r->out, &r->svc, &rep);
  struct sockaddr_in g = group_addr(r);
  if (n) send_to(r, r->out, n, &g);
}

/* §8.1's random 0–250 ms before the first probe, so that plugs powered up together do not probe in
 * lockstep; derived from what differs between them (port, TXT with id and MAC) and the time. */
static uint64_t probe_jitter_ms(const mdns_responder_t *r, uint64_t now_ms) {
  uint32_t h = 2166136261u ^ (uint32_t)now_ms ^ ((uint32_t)r->svc.port << 8);
  for (size_t i = 0; i < r->svc.txt_len; i++) h = (h ^ r->svc.txt[i]) * 16777619u;
  return h % MDNS_PROBE_GAP_MS;
}

static void probe_from(mdns_responder_t *r, uint64_t at_ms) {
  r->phase = MDNS_PROBING;
  r->probes_left = MDNS_PROBES;
  r->next_probe_ms = at_ms;
  r->announce_left = 0;
}

/* A conflict counts only against a name we have probed since the last counted one: renames then follow the probe
 * schedule (and its §8.1 5 s waits) however fast a LAN host sends claims, instead of one per claim. */
static bool conflict_counts(const mdns_responder_t *r) { return r->phase == MDNS_ANNOUNCED || r->probed; }

/* §8.1: after 15 conflicts within 10 s, every further probe waits 5 s. */
static uint64_t note_conflict(mdns_responder_t *r, uint64_t now_ms) {
  r->conflicts++;
  r->conflict_ms[r->conflict_pos] = now_ms;
  r->conflict_pos = (uint8_t)((r->conflict_pos + 1) % MDNS_CONFLICT_WINDOW);
  if (r->conflict_count < MDNS_CONFLICT_WINDOW) r->conflict_count++;
  uint64_t oldest = r->conflict_ms[r->conflict_pos]; /* the 15th latest, once the ring is full */
  bool storm = r->conflict_count == MDNS_CONFLICT_WINDOW && now_ms - oldest < MDNS_CONFLICT_WINDOW_MS;
  return storm ? MDNS_CONFLICT_BACKOFF_MS : 0;
}

static void on_conflict(mdns_responder_t *r, uint64_t now_ms) {
  if (!conflict_counts(r)) { /* waiting (first delay, 5 s backoff) or this round already renamed */
    r->conflicts_ignored++;
    return;
  }
  r->probed = false;
  uint64_t wait = note_conflict(r, now_ms);
  if (r->phase == MDNS_PROBING) {
    /* someone else holds the name: take the next one (a name that would not fit starts over at -2) */
    if (!mdns_service_set_index(&r->svc, r->svc.index + 1)) (void)mdns_service_set_index(&r->svc, 2);
    r->renames++;
    r->announced = false;
  }
  /* announced: §9, probe our name again; the other side's answer then decides */
  probe_from(r, now_ms + wait);
}

/* A packet that is no plain query for us: someone else's response or probe. true when it was one. */
static bool watch_peers(mdns_responder_t *r, size_t n, uint64_t now_ms) {
  mdns_peer_t p;
  mdns_status_t st = mdns_check_peer(r->buf, n, &r->svc, r->out, sizeof r->out, &p);
  if (st == MDNS_ERR_MALFORMED) {
    r->malformed++;
    return true;
  }
  if (st != MDNS_OK) return true;
  if (p.conflict) {
    on_conflict(r, now_ms);
    return true;
  }
  if (p.response) return true;
  if (!p.probed || p.probe_order == 0) return r->phase == MDNS_PROBING; /* our own probe, or identical */
  if (r->phase == MDNS_PROBING) {
    if (p.probe_order < 0) { /* §8.2: lost the tiebreak */
      r->tiebreaks_lost++;
      probe_from(r, now_ms + TIEBREAK_WAIT_MS);
    }
    return true;
  }
  /* the name is ours: defend it by multicast (every listener, the prober too, sees the conflict) */
  unsigned rec = mdns_guard_defend(&r->guard, MDNS_REC_SRV | MDNS_REC_TXT | MDNS_REC_A, now_ms);
  if (rec) multicast(r, rec, false);
  else r->refused++;
  return true;
}

bool mdns_responder_start(mdns_responder_t *r, const mdns_service_t *svc, uint16_t port, const uint8_t if_addr[4],
                          uint64_t now_ms) {
  memset(r, 0, sizeof *r);
  r->fd = -1;
  r->svc = *svc;
  r->port = port ? port : MDNS_PORT;
  if (if_addr) memcpy(r->if_addr, if_addr, 4);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return false;
  int one = 1;
  (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
#ifdef SO_REUSEPORT
  (void)setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one); /* Avahi / other sims on 5353 */
#endif
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons(r->port);
  sa.sin_addr.s_addr = htonl(INADDR_ANY);
  struct ip_mreq mreq;
  memset(&mreq, 0, sizeof mreq);
  mreq.imr_multiaddr.s_addr = inet_addr(MDNS_GROUP);
  memcpy(&mreq.imr_interface.s_addr, r->if_addr, 4);
  uint8_t ttl = 255; /* RFC 6762 §11 */
  uint8_t loop = 1;  /* other sims and resolvers on this host must hear us */
  struct in_addr ifa;
  memcpy(&ifa.s_addr, r->if_addr, 4);
  int fl = fcntl(fd, F_GETFL, 0);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
      setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0 || fl < 0 ||
      fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
    close(fd);
    return false;
  }
  (void)setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
  (void)setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop);
  if (ifa.s_addr != 0) (void)setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof ifa);
  r->fd = fd;
  probe_from(r, now_ms + probe_jitter_ms(r, now_ms));
  return true;
}

void mdns_responder_poll(mdns_responder_t *r, uint64_t now_ms) {
  if (r->fd < 0) return;
  for (int i = 0; i < MAX_PER_POLL; i++) {
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(r->fd, r->buf, sizeof r->buf, 0, (struct sockaddr *)&from, &fl);
    if (n < 0) break; /* EAGAIN: nothing more */
    if (watch_peers(r, (size_t)n, now_ms)) continue;
    mdns_query_t q;
    mdns_status_t st = mdns_parse_query(r->buf, (size_t)n, &r->svc, &q);
    if (st == MDNS_ERR_MALFORMED) {
      r->malformed++;
      continue;
    }
    if (st != MDNS_OK || !q.records) continue;
    r->queries++;
    bool legacy = ntohs(from.sin_port) != r->port; /* one-shot resolver: answer it directly */
    bool direct = legacy || q.unicast;
    uint8_t src[4];
    memcpy(src, &from.sin_addr.s_addr, 4);
    if (direct && (!mdns_guard_on_link(r->svc.ipv4, src) || !mdns_guard_unicast(&r->guard, now_ms))) {
      r->refused++;
      continue;
    }
    if (!direct) q.records = mdns_guard_multicast(&r->guard, q.records, now_ms);
    if (!q.records) {
      r->refused++;
      continue;
    }
    mdns_reply_t rep = {.records = q.records, .id = legacy ? q.id : 0, .legacy = legacy, .query = r->buf,
                        .questions_end = q.questions_end, .qdcount = q.qdcount};
    size_t len = mdns_build_response(r->out, sizeof r->out, &r->svc, &rep);
    if (!len) continue;
    if (direct) {
      send_to(r, r->out, len, &from);
    } else {
      struct sockaddr_in g = group_addr(r);
      send_to(r, r->out, len, &g);
    }
  }
  if (r->phase == MDNS_PROBING && now_ms >= r->next_probe_ms) {
    if (r->probes_left > 0) {
      size_t len = mdns_build_probe(r->out, sizeof r->out, &r->svc);
      struct sockaddr_in g = group_addr(r);
      if (len) send_to(r, r->out, len, &g);
      r->probed = true;
      r->probes_left--;
      r->next_probe_ms = now_ms + MDNS_PROBE_GAP_MS;
    } else { /* 250 ms after the last probe and nobody objected: the name is ours */
      r->phase = MDNS_ANNOUNCED;
      r->announce_left = ANNOUNCEMENTS;
      r->next_announce_ms = now_ms;
    }
  }
  if (r->phase == MDNS_ANNOUNCED && r->announce_left > 0 && now_ms >= r->next_announce_ms) {
    multicast(r, OWN_RECORDS, false);
    mdns_guard_announced(&r->guard, OWN_RECORDS, now_ms);
    r->announced = true;
    r->announce_left--;
    r->next_announce_ms = now_ms + ANNOUNCE_GAP_MS;
  }
}

void mdns_responder_update(mdns_responder_t *r, const mdns_service_t *svc, uint64_t now_ms) {
  unsigned index = r->svc.index;
  r->svc = *svc;
  if (index != r->svc.index) (void)mdns_service_set_index(&r->svc, index); /* keep the name we won */
  if (r->phase != MDNS_ANNOUNCED) return; /* the probes carry the new data already */
  r->announce_left = ANNOUNCEMENTS;
  r->next_announce_ms = now_ms;
}

void mdns_responder_stop(mdns_responder_t *r) {
  if (r->fd < 0) return;
  if (r->announced) multicast(r, OWN_RECORDS, true); /* never a goodbye for a name someone else holds */
  close(r->fd);
  r->fd = -1;
}

int mdns_responder_fd(const mdns_responder_t *r) { return r->fd; }

const char *mdns_responder_hostname(const mdns_responder_t *r) { return r->svc.label; }

uint32_t mdns_responder_next_timeout_ms(const mdns_responder_t *r, uint64_t now_ms) {
  if (r->fd < 0) return UINT32_MAX;
  uint64_t at;
  if (r->phase == MDNS_PROBING) at = r->next_probe_ms;
  else if (r->announce_left > 0) at = r->next_announce_ms;
  else return UINT32_MAX;
  return at > now_ms ? (uint32_t)(at - now_ms) : 0;
}
