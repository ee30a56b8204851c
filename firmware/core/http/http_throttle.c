/* http_throttle.c — see http_throttle.h. */
#include "http/http_throttle.h"

#include <string.h>

void http_throttle_init(http_throttle_t *t) {
  memset(t, 0, sizeof(*t));
}

static void refill(http_throttle_src_t *e, uint64_t now) {
  while (e->spent > 0 && now >= e->refill_ms) {
    e->spent--;
    e->refill_ms += HTTP_THROTTLE_REFILL_MS;
  }
}

/* The entry for ipv4; creates one (reusing a full-budget entry) when `create`. NULL when none exists. */
static http_throttle_src_t *entry(http_throttle_t *t, uint32_t ipv4, bool create, uint64_t now) {
  http_throttle_src_t *reuse = NULL;
  for (size_t i = 0; i < HTTP_THROTTLE_SOURCES; i++) {
    http_throttle_src_t *e = &t->src[i];
    if (e->ipv4 != 0) refill(e, now);
    if (e->ipv4 == ipv4 && ipv4 != 0) return e;
    if (e->ipv4 == 0 || e->spent == 0) {
      if (reuse == NULL || e->ipv4 == 0) reuse = e;
    }
  }
  http_throttle_src_t *shared = &t->src[HTTP_THROTTLE_SOURCES];
  refill(shared, now);
  if (reuse == NULL) return shared; /* every entry is spending: strangers share one budget */
  if (!create) return NULL;
  reuse->ipv4 = ipv4;
  reuse->spent = 0;
  reuse->refill_ms = now;
  return reuse;
}

uint32_t http_throttle_wait_ms(http_throttle_t *t, uint32_t ipv4, uint64_t now_ms) {
  http_throttle_src_t *e = entry(t, ipv4, false, now_ms);
  if (e == NULL || e->spent < HTTP_THROTTLE_BURST) return 0;
  uint64_t wait = e->refill_ms > now_ms ? e->refill_ms - now_ms : 1u;
  return wait > HTTP_THROTTLE_REFILL_MS ? HTTP_THROTTLE_REFILL_MS : (uint32_t)wait;
}

void http_throttle_result(http_throttle_t *t, uint32_t ipv4, bool correct, uint64_t now_ms) {
  http_throttle_src_t *e = entry(t, ipv4, !correct, now_ms);
  if (e == NULL) return;
  if (correct) {
    if (e != &t->src[HTTP_THROTTLE_SOURCES]) e->spent = 0;
    return;
  }
  if (e->spent >= HTTP_THROTTLE_BURST) return; /* held requests only get here with a unit to spend */
  if (e->spent == 0) e->refill_ms = now_ms + HTTP_THROTTLE_REFILL_MS;
  e->spent++;
}
