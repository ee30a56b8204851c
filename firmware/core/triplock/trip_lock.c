/* trip_lock.c — see trip_lock.h. */
#include "triplock/trip_lock.h"

#include <string.h>

bool trip_lock_trip(trip_lock_t *t, uint64_t now_ms) {
  t->trip_ms[t->next] = now_ms;
  t->next = (uint8_t)((t->next + 1u) % TRIP_LOCK_COUNT);
  if (t->count < TRIP_LOCK_COUNT) t->count++;
  if (t->locked || t->count < TRIP_LOCK_COUNT) return false;
  uint64_t oldest = t->trip_ms[t->next]; /* the ring is full: next is the oldest of the last COUNT trips */
  if (now_ms - oldest > TRIP_LOCK_WINDOW_MS) return false;
  t->locked = true;
  return true;
}

bool trip_lock_locked(const trip_lock_t *t) {
  return t->locked;
}

void trip_lock_clear(trip_lock_t *t) {
  memset(t, 0, sizeof(*t));
}
