/* mdns_guard.c — see mdns_guard.h. */
#include "mdns/mdns_guard.h"

bool mdns_guard_on_link(const uint8_t plug[4], const uint8_t src[4]) {
  if (src[0] == 169 && src[1] == 254) return true;
  if (plug[0] == 127) return src[0] == 127;
  return src[0] == plug[0] && src[1] == plug[1] && src[2] == plug[2];
}

void mdns_guard_announced(mdns_guard_t *g, unsigned records, uint64_t now_ms) {
  for (unsigned i = 0; i < MDNS_GUARD_RECORDS; i++) {
    if (records & (1u << i)) {
      g->last_multicast_ms[i] = now_ms;
      g->sent[i] = true;
    }
  }
}

static unsigned allow(mdns_guard_t *g, unsigned records, uint64_t now_ms, uint64_t gap_ms) {
  unsigned allowed = 0;
  for (unsigned i = 0; i < MDNS_GUARD_RECORDS; i++) {
    if (!(records & (1u << i))) continue;
    if (g->sent[i] && now_ms - g->last_multicast_ms[i] < gap_ms) continue;
    allowed |= 1u << i;
  }
  mdns_guard_announced(g, allowed, now_ms);
  return allowed;
}

unsigned mdns_guard_multicast(mdns_guard_t *g, unsigned records, uint64_t now_ms) {
  return allow(g, records, now_ms, MDNS_GUARD_MULTICAST_GAP_MS);
}

unsigned mdns_guard_defend(mdns_guard_t *g, unsigned records, uint64_t now_ms) {
  return allow(g, records, now_ms, MDNS_GUARD_DEFEND_GAP_MS);
}

bool mdns_guard_unicast(mdns_guard_t *g, uint64_t now_ms) {
  if (now_ms - g->unicast_window_ms >= 1000u || g->unicast_window_ms > now_ms) {
    g->unicast_window_ms = now_ms;
    g->unicast_count = 0;
  }
  if (g->unicast_count >= MDNS_GUARD_UNICAST_PER_S) return false;
  g->unicast_count++;
  return true;
}
