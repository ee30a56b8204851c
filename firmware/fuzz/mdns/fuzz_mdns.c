/* libFuzzer target: the mDNS query parser and the reply built from whatever it accepted (legacy unicast
 * echo of the question section included), and the conflict/probe reader (mdns_check_peer: every record
 * section, compressed SRV targets, the §8.2 tiebreak) on the same bytes, for our name and a renamed one.
 * The reply must always re-read as well-formed names; our own probe must never conflict with us. */
#include <stddef.h>
#include <stdint.h>

#include "mdns/mdns_conflict.h"
#include "mdns/mdns_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mdns_service_t svc;
  static int ready;
  if (!ready) {
    const uint8_t ip[4] = {10, 0, 0, 7};
    const char *txt[] = {"id=a1b2c3", "protocol=1"};
    if (!mdns_service_init(&svc, "a1b2c3", ip, 80, txt, 2)) __builtin_trap();
    ready = 1;
  }
  static uint8_t scratch[1500];
  mdns_peer_t peer;
  (void)mdns_service_set_index(&svc, size & 1 ? 2 : 1);
  if (mdns_check_peer(data, size, &svc, scratch, sizeof scratch, &peer) == MDNS_OK && peer.response && peer.probed)
    __builtin_trap(); /* a response is never a probe */
  size_t pn = mdns_build_probe(scratch, sizeof scratch, &svc);
  if (!pn || mdns_check_peer(scratch, pn, &svc, scratch + pn, sizeof scratch - pn, &peer) != MDNS_OK ||
      !peer.probed || peer.probe_order != 0 || peer.conflict)
    __builtin_trap();
  (void)mdns_service_set_index(&svc, 1);
  char name[MDNS_NAME_MAX + 1];
  for (size_t off = 0; off < size && off < 64; off += 7) (void)mdns_read_name(data, size, off, name);
  mdns_query_t q;
  if (mdns_parse_query(data, size, &svc, &q) != MDNS_OK) return 0;
  if (q.questions_end > size) __builtin_trap();
  static uint8_t out[1500];
  mdns_reply_t r = {.records = q.records ? q.records : MDNS_REC_A, .id = q.id, .legacy = (q.id & 1) != 0,
                    .query = data, .questions_end = q.questions_end, .qdcount = q.qdcount};
  size_t n = mdns_build_response(out, sizeof out, &svc, &r);
  if (n > sizeof out) __builtin_trap();
  if (n && !r.legacy && !mdns_read_name(out, n, 12, name)) __builtin_trap(); /* our first owner name */
  return 0;
}
