/* mem_link.h — in-memory transport for MQTT tests: the test plays the broker by queueing bytes for the
 * client and inspecting what it sent. Send/recv chunk limits exercise partial I/O. */
#ifndef OBL_TEST_MEM_LINK_H
#define OBL_TEST_MEM_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
  uint8_t to_client[8192];
  size_t tc_len, tc_pos;
  uint8_t from_client[16384];
  size_t fc_len;
  size_t send_chunk; /* max bytes per send call, 0 = unlimited */
  size_t recv_chunk; /* max bytes per recv call, 0 = unlimited */
  bool send_blocked; /* send returns 0 (socket full) */
  bool broken;       /* both directions return -1 */
} mem_link_t;

static inline int32_t mem_link_send(void *ctx, const uint8_t *d, size_t n) {
  mem_link_t *l = (mem_link_t *)ctx;
  if (l->broken) return -1;
  if (l->send_blocked) return 0;
  if (l->send_chunk && n > l->send_chunk) n = l->send_chunk;
  if (n > sizeof l->from_client - l->fc_len) n = sizeof l->from_client - l->fc_len;
  memcpy(l->from_client + l->fc_len, d, n);
  l->fc_len += n;
  return (int32_t)n;
}

static inline int32_t mem_link_recv(void *ctx, uint8_t *b, size_t cap) {
  mem_link_t *l = (mem_link_t *)ctx;
  if (l->broken) return -1;
  size_t n = l->tc_len - l->tc_pos;
  if (n > cap) n = cap;
  if (l->recv_chunk && n > l->recv_chunk) n = l->recv_chunk;
  memcpy(b, l->to_client + l->tc_pos, n);
  l->tc_pos += n;
  return (int32_t)n;
}

/* Broker → client bytes. */
static inline void mem_link_feed(mem_link_t *l, const void *d, size_t n) {
  if (n > sizeof l->to_client - l->tc_len) n = sizeof l->to_client - l->tc_len;
  memcpy(l->to_client + l->tc_len, d, n);
  l->tc_len += n;
}

/* Forgets what the client sent so far. */
static inline void mem_link_drain(mem_link_t *l) { l->fc_len = 0; }

#endif
