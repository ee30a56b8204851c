/* mdns_responder.h — the plug's mDNS responder over BSD sockets (UDP multicast 224.0.0.251:5353).
 *
 * Why our own responder, on both ports:
 *  - POSIX (openbl602-sim): Avahi would need a running avahi-daemon and D-Bus, which CI containers and
 *    most test machines do not have, and it registers services for the whole machine — several simulated
 *    plugs with different ids on one host could not each answer for their own "openbl602-<id>.local". Our
 *    responder is one socket per plug (SO_REUSEADDR/SO_REUSEPORT, so it coexists with Avahi and other
 *    sims on 5353) and is the same code the plug runs, so the tests exercise what ships.
 *  - BL602: bl_iot_sdk ships lwIP's raw-API mdns app, but using it ties the core to lwIP internals
 *    (netif hooks, its own timers and record limits) that differ between SDK versions; this responder is a
 *    few hundred lines over the BSD socket API lwIP already provides (needs LWIP_IGMP, which the SDK's
 *    Wi-Fi build enables), with bounded parsing that is fuzzed. So: ours, everywhere.
 * Rate limits and on-link checks: mdns_guard.h.
 * Probing (RFC 6762 §8.1) is not done: the id comes from the MAC (unique on a LAN) and the simulated plug
 * takes distinct --id values. Announcements: 3 at start-up (0 s, 1 s, 2 s: §8.3 asks for at least two),
 * again on mdns_responder_update(); goodbye (TTL 0) on mdns_responder_stop().
 *
 * Main loop: mdns_responder_poll(&r, now_ms) every iteration; sleep at most
 * mdns_responder_next_timeout_ms(); wake when mdns_responder_fd() is readable.
 */
#ifndef OBL_MDNS_RESPONDER_H
#define OBL_MDNS_RESPONDER_H

#include <stdbool.h>
#include <stdint.h>

#include "mdns/mdns_guard.h"
#include "mdns/mdns_msg.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int fd;
  uint16_t port;          /* UDP port bound and multicast to; MDNS_PORT in production */
  uint8_t if_addr[4];     /* interface for multicast (0.0.0.0 = default route) */
  mdns_service_t svc;
  int announce_left;
  uint64_t next_announce_ms;
  uint32_t queries, replies, malformed, refused; /* refused: off-link or over the rate limits */
  mdns_guard_t guard;
  uint8_t buf[1500]; /* received query */
  uint8_t out[1500]; /* reply */
} mdns_responder_t;

/* Opens the socket, joins 224.0.0.251 on if_addr (NULL = any), schedules the announcements. Call it before
 * any other function (a zeroed struct is not a stopped responder). On failure r->fd is -1.
 * port 0 → 5353 (tests use a private port). false if the socket could not be set up. */
bool mdns_responder_start(mdns_responder_t *r, const mdns_service_t *svc, uint16_t port, const uint8_t if_addr[4],
                          uint64_t now_ms);
/* Answers pending queries (at most 8 per call) and sends due announcements. */
void mdns_responder_poll(mdns_responder_t *r, uint64_t now_ms);
/* New address / port / TXT: take it and announce again. */
void mdns_responder_update(mdns_responder_t *r, const mdns_service_t *svc, uint64_t now_ms);
/* Goodbye (TTL 0) and close. */
void mdns_responder_stop(mdns_responder_t *r);
int mdns_responder_fd(const mdns_responder_t *r);
uint32_t mdns_responder_next_timeout_ms(const mdns_responder_t *r, uint64_t now_ms);

#ifdef __cplusplus
}
#endif

#endif /* OBL_MDNS_RESPONDER_H */
