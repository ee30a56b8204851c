/* Scan results: whether a network needs a key. wifi_mgmr's scan list keeps the radio firmware's beacon
 * encoding in `auth` (WIFI_EVENT_BEACON_IND_AUTH_*: open 0, WEP 1, WPA… 2-7, unknown 0xff), not the
 * WM_WIFI_AUTH_* connect-request encoding (where open is 1): comparing with that showed open networks as
 * secured and WEP ones as open. Only a beacon that says open is open; unknown counts as secured. */
#ifndef OBL_PORT_WIFI_AUTH_H
#define OBL_PORT_WIFI_AUTH_H

#include <stdbool.h>
#include <stdint.h>

/* The beacon encoding's value for an open network (wifi_mgmr_ext.h, SDK 1.6.40). */
#define PORT_BEACON_AUTH_OPEN 0u

static inline bool port_scan_auth_secured(uint8_t beacon_auth) { return beacon_auth != PORT_BEACON_AUTH_OPEN; }

#endif
