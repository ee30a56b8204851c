/* port_wifi_auth_test.c — the setup page's "secured" flag from a wifi_mgmr scan result. The scan list carries the
 * radio firmware's beacon encoding (SDK 1.6.40 wifi_mgmr_ext.h WIFI_EVENT_BEACON_IND_AUTH_*), written out
 * here as numbers so that a port change back to the connect-request encoding (open = 1) fails. */
#include <stdint.h>

#include "port_wifi_auth.h"
#include "unit/unit.h"

enum { BEACON_OPEN = 0, BEACON_WEP = 1, BEACON_WPA_PSK = 2, BEACON_WPA2_PSK = 3, BEACON_WPA_WPA2_PSK = 4,
       BEACON_WPA_ENT = 5, BEACON_WPA3_SAE = 6, BEACON_WPA2_WPA3 = 7, BEACON_UNKNOWN = 0xff };

static void test_open_network_is_open(void) { CHECK(!port_scan_auth_secured(BEACON_OPEN)); }

static void test_every_other_encoding_is_secured(void)
{
  const uint8_t secured[] = {BEACON_WEP,      BEACON_WPA_PSK,  BEACON_WPA2_PSK,  BEACON_WPA_WPA2_PSK,
                             BEACON_WPA_ENT,  BEACON_WPA3_SAE, BEACON_WPA2_WPA3, BEACON_UNKNOWN};
  for (unsigned i = 0; i < sizeof secured; i++) CHECK(port_scan_auth_secured(secured[i]));
}

int main(void)
{
  RUN(test_open_network_is_open);
  RUN(test_every_other_encoding_is_secured);
  return unit_report();
}
