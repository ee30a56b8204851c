/* app_api.h — the HTTP API (docs/protocol.md §5–§7, §9) on the network loop: routing, authentication and
 * the handlers. Commands that change the device run in the main loop (app_link.h); reads come from the
 * published view. */
#ifndef OBL_APP_API_H
#define OBL_APP_API_H

#include <stddef.h>
#include <stdint.h>

#include "http/http_server.h"

/* The link came up: listen through the port's transport. false when it could not. */
bool api_start(void);
void api_stop(void);
bool api_listening(void);
void api_poll(uint64_t now_ms);
/* The open connections' handles (sockets with the BSD transport). */
size_t api_conn_handles(int *out, size_t max);

#endif
