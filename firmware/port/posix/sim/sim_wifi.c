/* sim_wifi.c — see sim_wifi.h. */
#include "sim_wifi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hal.h"

#define JOIN_DELAY_US 200000u /* a join takes a moment on a real plug too: the core must cope */

static struct {
  hal_wifi_state_t target; /* what the core asked for */
  bool link;               /* the control interface's link switch */
  uint64_t join_at_us;
  char ssid[33];
  uint8_t ip[4];
} w = {.link = true, .ip = {127, 0, 0, 1}};

void sim_wifi_init(const uint8_t ipv4[4]) {
  memcpy(w.ip, ipv4, 4);
}

void sim_wifi_set_link(bool up) {
  if (up && !w.link) w.join_at_us = hal_time_us64() + JOIN_DELAY_US;
  w.link = up;
}

bool sim_wifi_link(void) {
  return w.link;
}

hal_status_t hal_wifi_connect(const char *ssid, const char *password) {
  (void)password;
  if (ssid == NULL || ssid[0] == '\0' || strlen(ssid) > 32) return HAL_ERR_ARG;
  snprintf(w.ssid, sizeof(w.ssid), "%s", ssid);
  w.target = HAL_WIFI_CONNECTED;
  w.join_at_us = hal_time_us64() + JOIN_DELAY_US;
  return HAL_OK;
}

/* No DHCP on the simulated plug: the name is only logged (so a test can see what a plug would send). */
void hal_wifi_set_hostname(const char *name) { hal_log(HAL_LOG_INFO, "wifi", "DHCP hostname %s", name); }

hal_status_t hal_wifi_start_ap(const char *ssid) {
  if (ssid == NULL || ssid[0] == '\0') return HAL_ERR_ARG;
  snprintf(w.ssid, sizeof(w.ssid), "%s", ssid);
  w.target = HAL_WIFI_AP;
  return HAL_OK;
}

void hal_wifi_status(hal_wifi_status_t *out) {
  memset(out, 0, sizeof(*out));
  if (w.target == HAL_WIFI_AP) {
    out->state = HAL_WIFI_AP;
    memcpy(out->ipv4, w.ip, 4);
    return;
  }
  if (w.target != HAL_WIFI_CONNECTED) {
    out->state = HAL_WIFI_OFF;
    return;
  }
  if (!w.link || hal_time_us64() < w.join_at_us) {
    out->state = HAL_WIFI_CONNECTING;
    return;
  }
  out->state = HAL_WIFI_CONNECTED;
  out->rssi_dbm = -55;
  memcpy(out->ipv4, w.ip, 4);
}

size_t hal_wifi_scan(hal_wifi_network_t *out, size_t max) {
  /* a fixed neighbourhood, so the setup page has something to show */
  static const hal_wifi_network_t nets[] = {
      {"sim", -48, true}, {"neighbour-5G", -71, true}, {"guest", -63, false}, {"sim-iot", -55, true}};
  size_t n = sizeof(nets) / sizeof(nets[0]);
  if (n > max) n = max;
  memcpy(out, nets, n * sizeof(nets[0]));
  /* a test can add a network with any name (a crafted SSID: docs/protocol.md §12) */
  const char *extra = getenv("OBL_SIM_EXTRA_SSID");
  if (extra && extra[0] && n < max) {
    memset(&out[n], 0, sizeof(out[n]));
    snprintf(out[n].ssid, sizeof(out[n].ssid), "%s", extra);
    out[n].rssi_dbm = -40;
    out[n].secured = true;
    n++;
  }
  return n;
}
