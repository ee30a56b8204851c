/* trip_lock.h — after repeated protection trips the relay stays off until a person or Home Assistant
 * clears the lockout (docs/protocol.md §3 `lockout`, §5.4).
 *
 * A load that keeps tripping the over-power / over-current protection is switched back on by every ON
 * command, button press or automatic re-close — each time through the overload. After TRIP_LOCK_COUNT trips
 * within TRIP_LOCK_WINDOW_MS the plug locks the relay off: ON is refused (`409 locked_out`) until a relay
 * command carries "clear_lockout": true. The lockout lives in RAM: a power cycle (a person at the plug)
 * also clears it. Pure code (unit test: firmware/tests/triplock). */
#ifndef OBL_TRIP_LOCK_H
#define OBL_TRIP_LOCK_H

#include <stdbool.h>
#include <stdint.h>

#define TRIP_LOCK_COUNT 3u
#define TRIP_LOCK_WINDOW_MS (10u * 60u * 1000u)

typedef struct { /* zeroed: no trips, not locked */
  uint64_t trip_ms[TRIP_LOCK_COUNT];
  uint8_t next;
  uint8_t count;
  bool locked;
} trip_lock_t;

/* A protection trip at now_ms; true when this one locked the relay. */
bool trip_lock_trip(trip_lock_t *t, uint64_t now_ms);
bool trip_lock_locked(const trip_lock_t *t);
/* Clears the lockout and forgets the trips. */
void trip_lock_clear(trip_lock_t *t);

#endif
