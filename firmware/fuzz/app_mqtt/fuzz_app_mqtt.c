/* Any command a broker delivers, through the real application's MQTT path (mqttdev, the command parser,
 * the call into the main loop, the result), on a freshly booted in-memory plug online at a broker.
 * Input: one byte picks the command topic (a known name or the raw text up to a '\n'), the rest is the
 * payload. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "app_rig.h"

static const char *const NAMES[] = {"relay", "config", "calibrate", "energy_reset", "identify", "reboot", "nope"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  rig_reset();
  g_rig.opt.mqtt_host = "broker.lan";
  rig_boot();
  for (int i = 0; i < 100 && g_rig.broker.subscribes == 0; i++) rig_step(10);
  static char topic[160], payload[1100];
  size_t names = sizeof(NAMES) / sizeof(NAMES[0]);
  const uint8_t *p = data + 1;
  size_t n = size - 1;
  if (data[0] < names) {
    snprintf(topic, sizeof(topic), "openbl602/rig1/cmd/%s", NAMES[data[0]]);
  } else {
    const uint8_t *nl = memchr(p, '\n', n);
    size_t t = nl ? (size_t)(nl - p) : 0;
    snprintf(topic, sizeof(topic), "openbl602/rig1/cmd/%.*s", (int)(t < 100 ? t : 100), (const char *)p);
    if (nl) {
      p = nl + 1;
      n -= t + 1;
    }
  }
  if (n >= sizeof(payload)) n = sizeof(payload) - 1;
  memcpy(payload, p, n);
  payload[n] = '\0'; /* the scripted broker sends strlen(payload) bytes */
  fb_publish(&g_rig.broker, topic, payload, data[0] & 1u, false, 1);
  for (int i = 0; i < 10; i++) rig_step(10);
  return 0;
}
