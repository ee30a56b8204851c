/* mdns_guard.h — what the responder may send in answer to whom (RFC 6762 §6, §11; issue #13 item 7).
 *
 *   - A record is multicast at most once per second (RFC 6762 §6: "MUST NOT multicast a record ... until
 *     at least one second has elapsed"): a query flood costs the link one answer per record per second.
 *   - Answers sent straight back to the asker (legacy one-shot resolvers, QU questions) go only to on-link
 *     sources (RFC 6762 §11), and at most MDNS_GUARD_UNICAST_PER_S of them a second: a spoofed source
 *     cannot turn the plug into an amplifier (a 39-byte query draws a 369-byte answer).
 * On-link without a netmask from the network stack: the plug's own /24, IPv4 link-local 169.254/16, and for
 * a loopback plug (the simulated one) 127/8. Multicast answers go to 224.0.0.251, which routers never forward.
 * Pure code (unit test: firmware/tests/mdns/mdns_guard_test.c). */
#ifndef OBL_MDNS_GUARD_H
#define OBL_MDNS_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#define MDNS_GUARD_RECORDS 5u /* MDNS_REC_* bits */
#define MDNS_GUARD_MULTICAST_GAP_MS 1000u
#define MDNS_GUARD_UNICAST_PER_S 8u
#define MDNS_GUARD_DEFEND_GAP_MS 250u /* §6: answers to probes may come sooner, but not within 250 ms */

typedef struct { /* zeroed is ready */
  uint64_t last_multicast_ms[MDNS_GUARD_RECORDS];
  bool sent[MDNS_GUARD_RECORDS];
  uint64_t unicast_window_ms;
  uint8_t unicast_count;
} mdns_guard_t;

bool mdns_guard_on_link(const uint8_t plug[4], const uint8_t src[4]);
/* The records (MDNS_REC_* mask) that may be multicast now; they are counted as sent. */
unsigned mdns_guard_multicast(mdns_guard_t *g, unsigned records, uint64_t now_ms);
/* The records that may be multicast now in answer to a probe of our names (defending them); counted. */
unsigned mdns_guard_defend(mdns_guard_t *g, unsigned records, uint64_t now_ms);
/* Records multicast without a query (announcements): counted as sent. */
void mdns_guard_announced(mdns_guard_t *g, unsigned records, uint64_t now_ms);
/* true when one more direct answer may go out now. */
bool mdns_guard_unicast(mdns_guard_t *g, uint64_t now_ms);

#endif
