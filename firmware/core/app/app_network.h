/* app_network.h — the plug on its network (network loop): Wi-Fi station and setup access point (§9), the
 * setup mode's entry and exit, and the mDNS responder (§10). */
#ifndef OBL_APP_NETWORK_H
#define OBL_APP_NETWORK_H

#include <stdbool.h>
#include <stdint.h>

#include "app/app_model.h"

typedef struct {
  bool up;        /* sockets usable: station connected or setup AP up */
  bool online;    /* station connected, not in setup mode: the home network is reachable */
  bool link_lost; /* up → down in this pass */
  bool station;   /* connected as a station */
} appnet_link_t;

/* boot: setup mode when no Wi-Fi is configured, else connect */
void appnet_boot(const app_config_t *cfg);
/* One pass: the link's state, the LED's network state, the setup mode's timeout, mDNS. */
void appnet_poll(uint64_t now_ms, appnet_link_t *out);
/* Follows the config: a changed Wi-Fi network is joined. */
void appnet_follow_config(const app_config_t *cfg);
bool appnet_setup_mode(void);
void appnet_enter_setup(bool auto_exit);
/* The setup form was accepted: leave the access point and join the configured network. */
void appnet_leave_setup(const app_config_t *cfg);
void appnet_stop(void);
/* The mDNS socket, < 0 when none. */
int appnet_mdns_fd(void);
/* The plug's hostname now: "openbl602-<id>", or "openbl602-<id>-<n>" after mDNS found the name taken on the
 * network (§10). info.hostname, the mDNS records and the HTTP Host check follow it. */
const char *appnet_hostname(void);

#endif
