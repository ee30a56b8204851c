/* memnet.h — an in-memory http_net_t for the HTTP server tests and its fuzz target: each connection is
 * a pair of byte buffers; the test plays the client. */
#ifndef OBL_TEST_MEMNET_H
#define OBL_TEST_MEMNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http_server.h"

#define MEMNET_CONNS 8
#define MEMNET_BUF 8192

typedef struct {
  bool used, accepted, server_closed, peer_closed;
  uint8_t in[MEMNET_BUF]; /* client -> server */
  size_t in_len, in_off;
  char out[MEMNET_BUF + 1]; /* server -> client, NUL-terminated */
  size_t out_len;
  size_t send_budget; /* bytes the server may send per call (0 = unlimited) */
  size_t recv_budget; /* bytes handed out per recv (0 = unlimited) */
  uint32_t peer_ipv4; /* the client's address (0 = unknown) */
} memnet_conn_t;

typedef struct {
  memnet_conn_t c[MEMNET_CONNS];
} memnet_t;

void memnet_init(memnet_t *m, http_net_t *net);
/* A client connects: returns its index (accepted at the next poll). */
int memnet_connect(memnet_t *m);
void memnet_write(memnet_t *m, int i, const void *data, size_t len);
void memnet_write_str(memnet_t *m, int i, const char *s);
void memnet_peer_close(memnet_t *m, int i);

#endif
