/* app.h — the plug application: boots the plug (relay startup state first), runs its loops, and serves
 * the protocol of docs/protocol.md over HTTP (always) and MQTT (when configured).
 *
 * A port calls, in this order:
 *   app_set_options(&opts);      optional, before init: identity and network overrides (simulated plug)
 *   obl_app_init();              once (port/bl602/src/app_entry.h)
 *   loop: sleep(obl_app_main_poll()) and sleep(obl_app_net_poll())
 * Both polls touch the same state. One task running both is always fine. With two tasks (port/bl602), the
 * main loop's task must have the higher priority on a single core: the network loop then never interrupts
 * the main loop, and the main loop, finding the network loop inside its poll (a flag), only runs metering and
 * the watchdog and leaves relay, buttons, protections and energy for its next pass.
 */
#ifndef OBL_APP_H
#define OBL_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app_model.h"

#ifndef OBL_FW_VERSION
#define OBL_FW_VERSION "0.1.0"
#endif

typedef struct {
  const char *id;             /* device id; NULL → last 3 MAC bytes in hex */
  const char *model;          /* NULL → "BL602 BL0937 plug" */
  const char *board;          /* board profile name; NULL → the default profile */
  const char *ota_board_id;   /* board id OBLI images must carry; NULL → "sm-028-v1.3" */
  bool ota_accept_bl60x;      /* hardware: accept the vendor container (and not OBLI, which boot2 cannot boot) */
  const char *http_ip;        /* address the HTTP server binds; NULL → "0.0.0.0" */
  uint16_t http_port;         /* 0 → 80 */
  int32_t mdns_port;          /* 0 → 5353; < 0 → no mDNS responder */
  const char *advertised_ip;  /* for the MQTT info "http" URL; NULL → the Wi-Fi address */
  /* MQTT override applied at boot and persisted (the simulated plug's --mqtt); host NULL = none */
  const char *mqtt_host;
  uint16_t mqtt_port;
  const char *mqtt_user, *mqtt_password;
  /* When no Wi-Fi is configured: configure this one instead of entering setup mode (simulated plug) */
  const char *default_ssid;
} app_options_t;

void app_set_options(const app_options_t *opts);

void obl_app_init(void);
uint32_t obl_app_main_poll(void);
uint32_t obl_app_net_poll(void);

/* Orderly stop before the process/plug goes away: persists energy, MQTT "offline". */
void app_shutdown(void);

/* The sockets the network loop is waiting on (HTTP listener and connections, MQTT, mDNS), so a port can
 * sleep in select()/poll() and still answer at once. Returns how many were written (≤ max). */
size_t app_net_fds(int *fds, size_t max);

/* For the simulator's control interface: the current state JSON (same as GET /api/v1/state). */
int app_state_json(char *buf, size_t cap);

#endif
