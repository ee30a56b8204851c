/* cmdauth.h — which MQTT commands may disarm the plug, and the authenticated form that allows them
 * (docs/protocol.md §8.5).
 *
 * Whoever can publish on the broker can send commands. Those that weaken the plug's own safety or lock
 * the owner out of it are refused over MQTT (`not_allowed`) unless they come in the authenticated form:
 *   - config changes to protection.*, calibration.*, button.* or startup;
 *   - the calibrate command;
 *   - reboot while in safe mode (which would leave it).
 * Credentials (api_password, mqtt.*, wifi.*, ota_public_key) stay refused over MQTT in any form.
 *
 * Authenticated form: the payload is one line "obl-hmac1 <counter> <mac>\n" followed by the ordinary body.
 *   counter: decimal, 1 .. 2^53-1, greater than every counter this plug accepted before (kept on flash, so
 *            a captured command cannot be replayed, not even after a reboot);
 *   mac:     64 lower-case hex digits, HMAC-SHA256 keyed by the API password (its UTF-8 bytes) over
 *            topic "\n" counter "\n" body — the full topic (openbl602/<id>/cmd/<name>), the counter as
 *            sent, the body bytes after the first "\n".
 * Without an API password nothing can be authenticated: those commands then need HTTP.
 * The module keeps no heap; the counter record is written only when an authenticated command is accepted. */
#ifndef OBL_CMDAUTH_H
#define OBL_CMDAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define CMDAUTH_PREFIX "obl-hmac1 "
#define CMDAUTH_STORE_KEY 32u /* the last accepted counter (8 bytes, little-endian) */
#define CMDAUTH_COUNTER_MAX 9007199254740991ull /* 2^53 - 1: exact in a JSON/JavaScript number */

typedef struct { /* zeroed is ready */
  bool loaded;
  uint64_t last_counter;
} cmdauth_t;

/* true when command `name` with this body needs the authenticated form over MQTT. */
bool cmdauth_sensitive(const char *name, const char *body, size_t len, bool safe_mode);

/* Admits an MQTT command. store: where the last counter lives (NULL: RAM only, a replay then works after a
 * reboot). Strips an authenticated envelope (then *body / *len point at the inner body).
 * Returns false with *why set (for a "not_allowed" error) when the command must not run. */
bool cmdauth_admit(cmdauth_t *a, store_t *store, const char *device_id, const char *password, bool safe_mode, const char *name,
                   const char **body, size_t *len, const char **why);

/* HMAC-SHA256 over the concatenation of up to three parts (RFC 2104). */
void cmdauth_hmac_sha256(const uint8_t *key, size_t key_len, const void *p1, size_t l1, const void *p2, size_t l2,
                         const void *p3, size_t l3, uint8_t out[32]);

#endif
