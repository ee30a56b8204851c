/* Any bytes a client sends to the plug's HTTP port, through the real application (routing, auth, the
 * handlers, the command call into the main loop, the config patch), on a freshly booted in-memory plug.
 * The input is split at the first 0xff byte into two requests on two connections, so state a first
 * request leaves (a password, a config) meets a second one. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "app_rig.h"

static void send_and_pump(const uint8_t *d, size_t n) {
  memnet_t *m = &g_rig.http;
  int i = memnet_connect(m);
  if (i < 0) return;
  if (n > MEMNET_BUF) n = MEMNET_BUF;
  memnet_write(m, i, d, n);
  for (int k = 0; k < 40 && !m->c[i].server_closed; k++) rig_step(5);
  memnet_peer_close(m, i);
  for (int k = 0; k < 3; k++) rig_step(5);
  m->c[i].used = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rig_reset();
  rig_boot();
  rig_step(10);
  const uint8_t *cut = memchr(data, 0xff, size);
  size_t first = cut ? (size_t)(cut - data) : size;
  send_and_pump(data, first);
  if (cut) send_and_pump(cut + 1, size - first - 1);
  return 0;
}
