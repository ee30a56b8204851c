/* memnet.c — see memnet.h. */
#include "memnet.h"

#include <string.h>

static int mn_accept(void *ctx) {
  memnet_t *m = ctx;
  for (int i = 0; i < MEMNET_CONNS; i++) {
    if (m->c[i].used && !m->c[i].accepted) {
      m->c[i].accepted = true;
      return i;
    }
  }
  return -1;
}

static int mn_recv(void *ctx, int h, void *buf, size_t cap) {
  memnet_conn_t *c = &((memnet_t *)ctx)->c[h];
  size_t avail = c->in_len - c->in_off;
  if (avail == 0) return c->peer_closed ? -1 : 0;
  if (c->recv_budget && avail > c->recv_budget) avail = c->recv_budget;
  if (avail > cap) avail = cap;
  memcpy(buf, c->in + c->in_off, avail);
  c->in_off += avail;
  return (int)avail;
}

static int mn_send(void *ctx, int h, const void *buf, size_t len) {
  memnet_conn_t *c = &((memnet_t *)ctx)->c[h];
  if (c->server_closed) return -1;
  if (c->peer_closed) return -1;
  if (c->send_budget && len > c->send_budget) len = c->send_budget;
  if (len > MEMNET_BUF - c->out_len) len = MEMNET_BUF - c->out_len;
  memcpy(c->out + c->out_len, buf, len);
  c->out_len += len;
  c->out[c->out_len] = '\0';
  return (int)len;
}

static void mn_close(void *ctx, int h) {
  ((memnet_t *)ctx)->c[h].server_closed = true;
}

static uint32_t mn_peer(void *ctx, int h) {
  return ((memnet_t *)ctx)->c[h].peer_ipv4;
}

void memnet_init(memnet_t *m, http_net_t *net) {
  memset(m, 0, sizeof(*m));
  net->ctx = m;
  net->accept = mn_accept;
  net->recv = mn_recv;
  net->send = mn_send;
  net->close = mn_close;
  net->peer_ipv4 = mn_peer;
  net->local_ipv4 = NULL;
}

int memnet_connect(memnet_t *m) {
  for (int i = 0; i < MEMNET_CONNS; i++) {
    if (!m->c[i].used) {
      memset(&m->c[i], 0, sizeof(m->c[i]));
      m->c[i].used = true;
      return i;
    }
  }
  return -1;
}

void memnet_write(memnet_t *m, int i, const void *data, size_t len) {
  memnet_conn_t *c = &m->c[i];
  if (len > MEMNET_BUF - c->in_len) len = MEMNET_BUF - c->in_len;
  memcpy(c->in + c->in_len, data, len);
  c->in_len += len;
}

void memnet_write_str(memnet_t *m, int i, const char *s) {
  memnet_write(m, i, s, strlen(s));
}

void memnet_peer_close(memnet_t *m, int i) {
  m->c[i].peer_closed = true;
}
