/* app.h — the plug application: boots the plug (relay startup state first), runs its two loops, and
 * serves the protocol of docs/protocol.md over HTTP (always) and MQTT (when configured).
 *
 * A port calls, in this order:
 *   app_set_options(&opts);       optional, before init: identity, network overrides, how the loops run
 *   obl_app_init(&transport);     once, with the HTTP and MQTT transports (app_transport_bsd() for sockets)
 *   loops: sleep(obl_app_main_poll()) and sleep(obl_app_net_poll())
 * The two loops may run as two tasks (BL602: the main loop at the higher priority) or in one (the simulated
 * plug). They share no state: the main loop owns the hardware and the store, the network loop the sockets;
 * a network command reaches the device through app_link.h. The main loop never waits for the network
 * loop. With two tasks, set opts.net_wait (how the network loop waits a moment for the main loop). See
 * docs/architecture.md. */
#ifndef OBL_APP_H
#define OBL_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app_model.h"
#include "http/http_server.h"
#include "mqttdev/net.h"

#ifndef OBL_FW_VERSION
#define OBL_FW_VERSION "0.1.0"
#endif

typedef struct {
  const char *id;            /* device id; NULL → last 3 MAC bytes in hex */
  const char *model;         /* NULL → "BL602 BL0937 plug" */
  const char *board;         /* board profile name; NULL → the default profile */
  const char *ota_board_id;  /* board id OBLI images must carry; NULL → "sm-028-v1.3" */
  bool ota_accept_bl60x;     /* hardware: accept the vendor container (and not OBLI, which boot2 cannot boot) */
  const char *http_ip;       /* address the HTTP server binds; NULL → "0.0.0.0" */
  uint16_t http_port;        /* 0 → 80 */
  int32_t mdns_port;         /* 0 → 5353; < 0 → no mDNS responder */
  const char *advertised_ip; /* for the MQTT info "http" URL; NULL → the Wi-Fi address */
  /* MQTT override applied at boot and persisted (the simulated plug's --mqtt); host NULL = none */
  const char *mqtt_host;
  uint16_t mqtt_port;
  const char *mqtt_user, *mqtt_password;
  /* When no Wi-Fi is configured: configure this one instead of entering setup mode (simulated plug) */
  const char *default_ssid;
  /* Two tasks: how the network loop waits a moment (≥ 1 tick) while the main loop runs its command.
   * NULL: one task runs both loops, and a command runs at once. */
  void (*net_wait)(void);
} app_options_t;

/* The app's network transports. HTTP: listen on ip:port and fill *net (0 = listening), close again;
 * MQTT: the broker connection. fds (optional): the descriptors to wait on besides the HTTP connections. */
typedef struct {
  void *ctx;
  int (*http_listen)(void *ctx, const char *ip, uint16_t port, http_net_t *net);
  void (*http_close)(void *ctx);
  mqttdev_net_t mqtt;
  size_t (*fds)(void *ctx, int *fds, size_t max);
} app_transport_t;

/* BSD sockets (Linux; lwIP's socket API on BL602): app_transport_bsd.c */
const app_transport_t *app_transport_bsd(void);

void app_set_options(const app_options_t *opts);

void obl_app_init(const app_transport_t *transport);
uint32_t obl_app_main_poll(void);
uint32_t obl_app_net_poll(void);

/* Orderly stop before the process/plug goes away, with both loops stopped: persists energy, MQTT "offline". */
void app_shutdown(void);

/* The sockets the network loop is waiting on (HTTP listener and connections, MQTT, mDNS), so a port can
 * sleep in select()/poll() and still answer at once. Returns how many were written (≤ max). */
size_t app_net_fds(int *fds, size_t max);

/* For the simulator's control interface: the current state JSON (same as GET /api/v1/state). Network
 * loop (or a one-task port between passes). */
int app_state_json(char *buf, size_t cap);

#endif
