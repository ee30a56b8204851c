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
 * Claiming the name (RFC 6762 §8, §9): after a random 0–250 ms, three probes 250 ms apart (QU questions for
 * the host and instance names, our records in the authority section); no conflict 250 ms after the third:
 * the name is ours and 3 announcements follow (0 s, 1 s, 2 s: §8.3 asks for at least two). While probing
 * the responder answers nothing. A conflicting response (mdns_conflict.h) while probing: the next name
 * ("openbl602-<id>-2", -3, …) and probe again; losing a simultaneous-probe tiebreak: wait 1 s and probe the
 * same name again (the winner's answer then makes us rename, §8.2). After 15 conflicts within 10 s each
 * further probe waits 5 s (§8.1). A conflict counts only after a probe of the current name went out, and once
 * per such probe: claims that arrive while waiting to probe (the first random delay, the 5 s) are ignored, so
 * a host flooding claims gets at most the renames the probe schedule allows. Once announced, a probe of our names with other data is answered at
 * once by multicast (at most every 250 ms per record) to defend the name, and a conflicting response
 * sends us back to probing the same name (§9). mdns_responder_update(): announce again; goodbye (TTL 0) on
 * mdns_responder_stop(), only for a name that was announced.
 * The port re-creates the responder on an address change (a new interface address): it then probes again,
 * with the name it had (svc.index), as §13 asks after a change of link.
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

typedef enum { MDNS_PROBING = 0, MDNS_ANNOUNCED = 1 } mdns_phase_t;

#define MDNS_PROBES 3
#define MDNS_PROBE_GAP_MS 250u
#define MDNS_CONFLICT_WINDOW 15   /* conflicts ... */
#define MDNS_CONFLICT_WINDOW_MS 10000u /* ... within this long ... */
#define MDNS_CONFLICT_BACKOFF_MS 5000u /* ... make each further probe wait this long (§8.1) */

typedef struct {
  int fd;
  uint16_t port;          /* UDP port bound and multicast to; MDNS_PORT in production */
  uint8_t if_addr[4];     /* interface for multicast (0.0.0.0 = default route) */
  mdns_service_t svc;    /* svc.label: the name claimed now */
  mdns_phase_t phase;
  int probes_left;       /* probes still to send; 0: waiting for the last one's answers */
  uint64_t next_probe_ms;
  bool announced;        /* the current name was announced (so a goodbye is ours to send) */
  bool probed;           /* a probe of the current name went out since the last counted conflict */
  uint64_t conflict_ms[MDNS_CONFLICT_WINDOW]; /* ring of the latest conflicts */
  uint8_t conflict_pos, conflict_count;
  uint32_t conflicts, renames, tiebreaks_lost;
  uint32_t conflicts_ignored; /* claims that came before a probe of the name (or while waiting to probe) */
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
/* Reads pending packets (at most 8 per call): answers queries, watches for conflicts; sends due probes and
 * announcements. */
void mdns_responder_poll(mdns_responder_t *r, uint64_t now_ms);
/* New address / port / TXT: take it and announce again. */
void mdns_responder_update(mdns_responder_t *r, const mdns_service_t *svc, uint64_t now_ms);
/* Goodbye (TTL 0) and close. */
void mdns_responder_stop(mdns_responder_t *r);
int mdns_responder_fd(const mdns_responder_t *r);
/* The host label claimed now ("openbl602-<id>" or "openbl602-<id>-<n>"); r->svc.index changes with it. */
const char *mdns_responder_hostname(const mdns_responder_t *r);
uint32_t mdns_responder_next_timeout_ms(const mdns_responder_t *r, uint64_t now_ms);

#ifdef __cplusplus
}
#endif

#endif /* OBL_MDNS_RESPONDER_H */
