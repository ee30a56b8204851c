/* app_rig.h — the real application (core/app) on an in-memory plug for host tests and fuzz targets: the
 * HTTP API over memnet (tests/http), MQTT to the scripted broker of tests/mqttdev, flash and watchdog from
 * fake_hal (tests/store), clock and GPIO from the POSIX port's io, and a Wi-Fi that is connected at once.
 * One plug per process (the app's state is static). */
#ifndef OBL_TEST_APP_RIG_H
#define OBL_TEST_APP_RIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "board/board.h"
#include "fake_broker.h"
#include "hal.h"
#include "memnet.h"

typedef struct {
  memnet_t http;
  fake_broker_t broker;
  board_profile_t board;
  app_options_t opt;
  bool reboot_requested;          /* hal_reboot() was called */
  char dhcp_hostname[64];         /* the last hal_wifi_set_hostname() */
  char dhcp_hostname_at_join[64]; /* what it was when hal_wifi_connect() was called */
  bool manual_clock;              /* rig_step moves the clock; false: real time (threaded tests) */
  bool threaded;                  /* the main loop runs in a thread of its own: rig_step runs only the network loop */
  int (*mqtt_open)(void *ctx, const char *host, uint16_t port); /* replaces the broker's open() */
} rig_t;

extern rig_t g_rig;

/* Fresh flash, options filled with the rig's defaults (id "rig1", no mDNS); change g_rig.opt, then boot. */
void rig_reset(void);
void rig_boot(void);
/* One pass of both loops (threaded: of the network loop) at the current time, then ms of time: simulated
 * (manual clock) or slept. */
void rig_step(uint32_t ms);
/* Sends one HTTP request (whole text) and pumps until the plug closed the connection (at most 5 s of
 * simulated time). Returns the status code (0 = no answer); body points into the rig's buffer. */
int rig_http(const char *request, const char **body);
/* The same with a method, path, optional body and optional Basic credentials ("user:password"). */
int rig_req(const char *method, const char *path, const char *json, const char *auth, const char **body);

void rig_wifi_set(hal_wifi_state_t st);

#endif
