/* relay_save.h — when the relay state goes to flash (docs/storage.md, docs/protocol.md §3 "startup").
 *
 * Every relay change used to be a flash record: a command flood (339 k toggles) wore the settings sector
 * out in weeks. The state is now saved once it has stayed the same for RELAY_SAVE_QUIET_MS, and at once
 * before a planned reboot or OTA switch (relay_save_flush). A power cut within those 2 s of a change
 * restores the state saved before it (what "restore" and "toggle" start from). Any number of changes in
 * a burst costs one record; the store itself skips writing a value it already holds.
 * Pure code, no clock of its own (unit test: firmware/tests/relaysave). */
#ifndef OBL_RELAY_SAVE_H
#define OBL_RELAY_SAVE_H

#include <stdbool.h>
#include <stdint.h>

#define RELAY_SAVE_QUIET_MS 2000u

typedef struct { /* zeroed: nothing pending */
  bool pending;
  uint8_t mask;
  uint64_t changed_ms;
} relay_save_t;

/* The relays are now `mask` (bit i = relay i on). */
void relay_save_changed(relay_save_t *s, uint8_t mask, uint64_t now_ms);
/* true (once per quiet period) when *mask should be written now. */
bool relay_save_due(relay_save_t *s, uint64_t now_ms, uint8_t *mask);
/* true when a change is still unsaved (then *mask should be written now, whatever the time). */
bool relay_save_flush(relay_save_t *s, uint8_t *mask);

#endif
