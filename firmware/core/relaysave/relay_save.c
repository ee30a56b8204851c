/* relay_save.c — see relay_save.h. */
#include "relaysave/relay_save.h"

void relay_save_changed(relay_save_t *s, uint8_t mask, uint64_t now_ms) {
  s->pending = true;
  s->mask = mask;
  s->changed_ms = now_ms;
}

bool relay_save_due(relay_save_t *s, uint64_t now_ms, uint8_t *mask) {
  if (!s->pending || now_ms - s->changed_ms < RELAY_SAVE_QUIET_MS) return false;
  return relay_save_flush(s, mask);
}

bool relay_save_flush(relay_save_t *s, uint8_t *mask) {
  if (!s->pending) return false;
  s->pending = false;
  *mask = s->mask;
  return true;
}
