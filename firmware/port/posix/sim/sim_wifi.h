/* sim_wifi.h — the simulated plug's Wi-Fi (hal_wifi_* of hal.h). The "network" is the host's loopback:
 * joining any configured network succeeds after a short delay; the control interface can take the link
 * down and up again (the core then loses and re-opens its sockets, as on a real plug). */
#ifndef OBL_SIM_WIFI_H
#define OBL_SIM_WIFI_H

#include <stdbool.h>
#include <stdint.h>

void sim_wifi_init(const uint8_t ipv4[4]);
/* false: radio link lost (state CONNECTING until it comes back); true: restored. */
void sim_wifi_set_link(bool up);
bool sim_wifi_link(void);

#endif
