/* mdns_conflict.h — does someone else claim our names? (RFC 6762 §8.2 tiebreak, §9 conflicts)
 *
 * mdns_check_peer() reads any received packet:
 *   - a response holding a record for our host or instance name, of a type we publish there (or AAAA for the
 *     host name, which we never publish), with other data than ours and a TTL > 0: a conflict. Our own
 *     packets (multicast loopback) and an identical record from elsewhere are not conflicts.
 *   - a query with authority records for our names (someone probing them): the §8.2 tiebreak. Per name, both
 *     sides' records are sorted by class, type and uncompressed rdata and compared pairwise; the side whose
 *     data sorts earlier (or runs out first) loses.
 * Pure and bounded like mdns_msg.h (fuzzed: firmware/fuzz/mdns). */
#ifndef OBL_MDNS_CONFLICT_H
#define OBL_MDNS_CONFLICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mdns/mdns_msg.h"

#define MDNS_PROBE_RECORDS 8u /* authority records per name taken into the tiebreak; more are ignored */

typedef struct {
  bool response;   /* the packet is a response */
  bool conflict;   /* a response claims one of our names with other data */
  bool probed;     /* a query with authority records for one of our names */
  int probe_order; /* for a probe: < 0 our data sorts earlier (we lose), > 0 later (we win), 0 identical */
} mdns_peer_t;

/* scratch: room for the uncompressed rdata of our records and the probe's (1500 bytes is plenty; records
 * that do not fit are left out of the tiebreak). */
mdns_status_t mdns_check_peer(const uint8_t *pkt, size_t len, const mdns_service_t *s, uint8_t *scratch, size_t cap,
                              mdns_peer_t *out);

#endif
