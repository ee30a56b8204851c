/* port_wifi.c — Wi-Fi link management for the core over the SDK's wifi_mgmr.
 *
 * Start-up follows the SDK's event protocol (events arrive on the aos event loop task): we start the
 * Wi-Fi firmware task and post CODE_WIFI_ON_INIT_DONE; on it we start the manager; only after
 * CODE_WIFI_ON_MGMR_DONE may station/AP calls be made. The core may ask earlier, so the latest request
 * is kept and applied as soon as the manager is up (and again on every later request).
 *
 * Station mode keeps the manager's auto-reconnect on: routers that reboot or drop the plug are rejoined
 * without the core's help (OpenBeken plugs that did not rejoin after a router reboot:
 * github.com/openshwprojects/OpenBK7231T_App issue 509). SNTP starts at the
 * first address and keeps polling (lwIP's SNTP_UPDATE_DELAY, 1 h); answers feed hal_time_unix().
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <FreeRTOS.h>
#include <semphr.h>
#include <task.h>

#include <aos/yloop.h>
#include <hal_wifi.h>
#include <lwip/netif.h>
#include <lwip/tcpip.h>
#include <sntp.h>
#include <wifi_mgmr_ext.h>

#include "hal.h"
#include "port.h"
#include "port_wifi_auth.h"

_Static_assert(PORT_BEACON_AUTH_OPEN == WIFI_EVENT_BEACON_IND_AUTH_OPEN, "scan auth: SDK beacon encoding changed");

#define SCAN_MIN_INTERVAL_MS 5000u /* between background scans started by hal_wifi_scan */
#define SCAN_STUCK_MS 15000u
#define NTP_SERVER "pool.ntp.org"

typedef enum { WANT_NONE = 0, WANT_STA, WANT_AP } want_kind_t;

typedef struct {
  want_kind_t kind;
  uint32_t seq;
  char ssid[33];
  char password[65];
} want_t;

static wifi_conf_t s_conf = {.country_code = "EU"}; /* channels 1-13 */
static wifi_interface_t s_iface;

static want_t s_want;        /* written by the core's task, read by whoever applies it */
static uint32_t s_applied_seq;
static volatile bool s_mgmr_ready;
static volatile bool s_sntp_started;
static bool s_ap_on; /* only apply_wanted touches it, under s_apply_lock */

static SemaphoreHandle_t s_apply_lock;
static StaticSemaphore_t s_apply_lock_mem;
static volatile bool s_scan_running;
static bool s_scanned_once;        /* under s_scan_lock */
static TickType_t s_scan_started;  /* under s_scan_lock */
static SemaphoreHandle_t s_scan_lock;
static StaticSemaphore_t s_scan_lock_mem;
/* The DHCP hostname lwIP sends (netif->hostname points at one of the two): the SDK leaves its own
 * "Bouffalolab_BL602-xxxxxx" there. A new name goes into the buffer lwIP is not reading, then the pointer
 * moves (one word store), so the tcpip thread never sees half a name. */
static char s_hostname[2][32];
static volatile uint8_t s_hostname_cur;
static volatile bool s_hostname_set;

static void copy_str(char *dst, size_t cap, const char *src)
{
  size_t n = 0;
  if (src != NULL) {
    while (n + 1u < cap && src[n] != '\0') {
      n++;
    }
    memcpy(dst, src, n);
  }
  dst[n] = '\0';
}

/* Applies the latest request once; serialised so the event loop and the core's task never interleave
 * wifi_mgmr calls. */
static void apply_wanted(void)
{
  if (!s_mgmr_ready) {
    return;
  }
  xSemaphoreTake(s_apply_lock, portMAX_DELAY);
  want_t w;
  taskENTER_CRITICAL();
  w = s_want;
  taskEXIT_CRITICAL();
  if (w.seq != s_applied_seq) {
    s_applied_seq = w.seq;
    if (w.kind == WANT_STA) {
      if (s_ap_on) {
        wifi_mgmr_ap_stop(NULL);
        s_ap_on = false;
      }
      s_iface = wifi_mgmr_sta_enable(); /* adds the netif, whose init points its hostname at the SDK's */
      if (s_hostname_set) {
        netif_set_hostname(wifi_mgmr_sta_netif_get(), s_hostname[s_hostname_cur]); /* before DHCP starts */
      }
      wifi_mgmr_sta_autoconnect_enable();
      /* A 64-digit key is the PSK itself (the manager's "pmk"); anything shorter is a passphrase. */
      const bool raw_psk = strlen(w.password) == 64u;
      char *passphrase = (w.password[0] == '\0' || raw_psk) ? NULL : w.password;
      if (wifi_mgmr_sta_connect(&s_iface, w.ssid, passphrase, raw_psk ? w.password : NULL, NULL, 0, 0) != 0) {
        hal_log(HAL_LOG_ERROR, "wifi", "station join to \"%s\" refused by the Wi-Fi manager", w.ssid);
      }
    } else if (w.kind == WANT_AP) {
      wifi_mgmr_sta_autoconnect_disable();
      wifi_mgmr_sta_disconnect();
      if (s_ap_on) {
        wifi_mgmr_ap_stop(NULL); /* restart with the new name */
      }
      s_iface = wifi_mgmr_ap_enable();
      wifi_mgmr_ap_start(&s_iface, w.ssid, 0, NULL, 1); /* open, visible, channel 1, with DHCP server */
      s_ap_on = true;
    }
  }
  xSemaphoreGive(s_apply_lock);
}

static void request(want_kind_t kind, const char *ssid, const char *password)
{
  taskENTER_CRITICAL();
  s_want.kind = kind;
  copy_str(s_want.ssid, sizeof s_want.ssid, ssid);
  copy_str(s_want.password, sizeof s_want.password, password);
  s_want.seq++;
  taskEXIT_CRITICAL();
  apply_wanted();
}

static void sntp_start_in_tcpip_thread(void *arg)
{
  (void)arg;
  sntp_setoperatingmode(SNTP_OPMODE_POLL);
  sntp_setservername(0, NTP_SERVER);
  sntp_init();
}

static void on_wifi_event(input_event_t *event, void *priv)
{
  (void)priv;
  switch (event->code) {
  case CODE_WIFI_ON_INIT_DONE:
    wifi_mgmr_start_background(&s_conf);
    break;
  case CODE_WIFI_ON_MGMR_DONE:
    s_mgmr_ready = true;
    apply_wanted();
    break;
  case CODE_WIFI_ON_GOT_IP:
    if (!s_sntp_started) {
      s_sntp_started = true;
      (void)tcpip_callback(sntp_start_in_tcpip_thread, NULL);
    }
    break;
  case CODE_WIFI_ON_EMERGENCY_MAC:
    /* The Wi-Fi firmware reports an unrecoverable MAC state; the SDK's own apps reboot here. */
    hal_log(HAL_LOG_ERROR, "wifi", "Wi-Fi firmware emergency: rebooting");
    hal_reboot();
    break;
  case CODE_WIFI_ON_PROV_SSID:
  case CODE_WIFI_ON_PROV_BSSID:
  case CODE_WIFI_ON_PROV_PASSWD:
    /* Provisioning events carry heap strings the receiver owns; we do not provision this way. */
    if (event->value != 0u) {
      vPortFree((void *)event->value);
    }
    break;
  default:
    break;
  }
}

void port_wifi_init(void)
{
  s_apply_lock = xSemaphoreCreateMutexStatic(&s_apply_lock_mem);
  s_scan_lock = xSemaphoreCreateMutexStatic(&s_scan_lock_mem);
  aos_register_event_filter(EV_WIFI, on_wifi_event, NULL);
  hal_wifi_start_firmware_task();
  aos_post_event(EV_WIFI, CODE_WIFI_ON_INIT_DONE, 0);
}

void hal_wifi_set_hostname(const char *name)
{
  uint8_t next = (uint8_t)(s_hostname_cur ^ 1u);
  copy_str(s_hostname[next], sizeof s_hostname[next], name);
  s_hostname_cur = next;
  s_hostname_set = true;
  hal_log(HAL_LOG_INFO, "wifi", "DHCP hostname %s", s_hostname[next]);
  if (s_mgmr_ready) {
    netif_set_hostname(wifi_mgmr_sta_netif_get(), s_hostname[next]);
  }
}

/* What WPA accepts and the manager checks: none (open), 5 (WEP), 8-63 characters, or 64 hex digits. */
static bool password_ok(const char *p)
{
  const size_t n = p != NULL ? strlen(p) : 0u;
  if (n == 64u) {
    for (size_t i = 0; i < n; i++) {
      const char c = p[i];
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
        return false;
      }
    }
    return true;
  }
  return n == 0u || n == 5u || (n >= 8u && n <= 63u);
}

hal_status_t hal_wifi_connect(const char *ssid, const char *password)
{
  if (ssid == NULL || ssid[0] == '\0' || strlen(ssid) > 32u || !password_ok(password)) {
    return HAL_ERR_ARG;
  }
  request(WANT_STA, ssid, password);
  return HAL_OK;
}

hal_status_t hal_wifi_start_ap(const char *ssid)
{
  if (ssid == NULL || ssid[0] == '\0' || strlen(ssid) > 32u) {
    return HAL_ERR_ARG;
  }
  request(WANT_AP, ssid, NULL);
  return HAL_OK;
}

static void ipv4_bytes(uint32_t addr, uint8_t out[4])
{
  /* lwIP keeps addresses in network order; on this little-endian core byte 0 is the first octet. */
  out[0] = (uint8_t)addr;
  out[1] = (uint8_t)(addr >> 8);
  out[2] = (uint8_t)(addr >> 16);
  out[3] = (uint8_t)(addr >> 24);
}

void hal_wifi_status(hal_wifi_status_t *out)
{
  memset(out, 0, sizeof *out);
  out->state = HAL_WIFI_OFF;
  taskENTER_CRITICAL();
  const want_kind_t kind = s_want.kind;
  taskEXIT_CRITICAL();
  if (kind == WANT_NONE) {
    return;
  }
  int state = WIFI_STATE_UNKNOWN;
  if (s_mgmr_ready) {
    (void)wifi_mgmr_state_get(&state);
  }
  const int sta_state = state & ~0x10; /* the WITH_AP_* states are the station states plus 0x10 */
  uint32_t ip = 0, gw = 0, mask = 0;
  if (sta_state == WIFI_STATE_CONNECTED_IP_GOT) {
    out->state = HAL_WIFI_CONNECTED;
    wifi_mgmr_sta_ip_get(&ip, &gw, &mask);
    ipv4_bytes(ip, out->ipv4);
    int rssi = 0;
    wifi_mgmr_rssi_get(&rssi);
    out->rssi_dbm = (int8_t)(rssi < -128 ? -128 : (rssi > 0 ? 0 : rssi));
  } else if (kind == WANT_AP) {
    /* Setup mode as soon as asked (as on the simulated plug); the address once the AP is up. */
    out->state = HAL_WIFI_AP;
    if (WIFI_STATE_AP_IS_ENABLED(state)) {
      wifi_mgmr_ap_ip_get(&ip, &gw, &mask);
      ipv4_bytes(ip, out->ipv4);
    }
  } else {
    out->state = HAL_WIFI_CONNECTING; /* joining, or waiting to rejoin (auto-reconnect is on) */
  }
}

/* ---- scan ---- */
typedef struct {
  hal_wifi_network_t *out;
  size_t max;
  size_t count;
} scan_sink_t;

static scan_sink_t s_sink; /* guarded by s_scan_lock */

static void on_scan_done(void *data, void *param)
{
  (void)data;
  (void)param;
  s_scan_running = false;
}

static void on_scan_item(wifi_mgmr_ap_item_t *env, uint32_t *param1, wifi_mgmr_ap_item_t *item)
{
  (void)env;
  (void)param1;
  if (item->ssid_len == 0u || item->ssid[0] == '\0') {
    return; /* hidden network */
  }
  char ssid[33];
  copy_str(ssid, sizeof ssid, item->ssid);
  for (size_t i = 0; i < s_sink.count; i++) {
    if (strcmp(s_sink.out[i].ssid, ssid) == 0) { /* one entry per SSID: its strongest access point */
      if (item->rssi > s_sink.out[i].rssi_dbm) {
        s_sink.out[i].rssi_dbm = item->rssi;
        s_sink.out[i].secured = port_scan_auth_secured(item->auth);
      }
      return;
    }
  }
  if (s_sink.count < s_sink.max) {
    hal_wifi_network_t *n = &s_sink.out[s_sink.count++];
    memcpy(n->ssid, ssid, sizeof n->ssid);
    n->rssi_dbm = item->rssi;
    n->secured = port_scan_auth_secured(item->auth);
  }
}

size_t hal_wifi_scan(hal_wifi_network_t *out, size_t max)
{
  if (out == NULL || max == 0u || !s_mgmr_ready) {
    return 0;
  }
  xSemaphoreTake(s_scan_lock, portMAX_DELAY);
  /* Never wait for the radio here: the caller holds the core (its main loop feeds the watchdog), and a
   * scan takes seconds. Answer from the manager's list of recently seen networks and refresh it in the
   * background; the setup page asks again. */
  const TickType_t now = xTaskGetTickCount();
  if (s_scan_running && (TickType_t)(now - s_scan_started) > pdMS_TO_TICKS(SCAN_STUCK_MS)) {
    s_scan_running = false; /* no completion callback: treat as over */
  }
  if (!s_scan_running && (!s_scanned_once || (TickType_t)(now - s_scan_started) > pdMS_TO_TICKS(SCAN_MIN_INTERVAL_MS))) {
    s_scan_started = now;
    s_scanned_once = true;
    s_scan_running = wifi_mgmr_scan(NULL, on_scan_done) == 0;
  }
  s_sink = (scan_sink_t){.out = out, .max = max, .count = 0};
  wifi_mgmr_scan_ap_all(NULL, NULL, on_scan_item);
  const size_t found = s_sink.count;
  xSemaphoreGive(s_scan_lock);
  return found;
}
