/* mqtt_client.c — the MQTT 3.1.1 client state machine; see mqtt_client.h for the contract. */
#include "mqtt/mqtt_client.h"

#include <string.h>

#define DEFAULT_TIMEOUT_MS 10000u
#define DEFAULT_ATTEMPTS 5u
#define MAX_READS_PER_POLL 16 /* bounded work per poll so one busy connection cannot starve the loop */

static mqtt_status_t fail(mqtt_client_t *c, mqtt_status_t st, const char *detail) {
  c->state = MQTT_STATE_DISCONNECTED;
  c->last_error = st;
  c->last_error_detail = detail;
  c->tx_len = 0;
  c->rx_len = 0;
  c->rx_skip = 0;
  c->ping_outstanding = false;
  return st;
}

mqtt_status_t mqtt_init(mqtt_client_t *c, const mqtt_config_t *cfg) {
  if (!c || !cfg || !cfg->transport.send || !cfg->transport.recv || !cfg->tx_buf || cfg->tx_cap < 16 ||
      !cfg->rx_buf || cfg->rx_cap < 16 || (cfg->inflight_cap && !cfg->inflight_buf) ||
      cfg->publish_reserve + 4u > cfg->tx_cap)
    return MQTT_ERR_ARG;
  memset(c, 0, sizeof *c);
  c->cfg = *cfg;
  if (!c->cfg.connack_timeout_ms) c->cfg.connack_timeout_ms = DEFAULT_TIMEOUT_MS;
  if (!c->cfg.ping_timeout_ms) c->cfg.ping_timeout_ms = DEFAULT_TIMEOUT_MS;
  if (!c->cfg.retry_ms) c->cfg.retry_ms = DEFAULT_TIMEOUT_MS;
  if (!c->cfg.max_attempts) c->cfg.max_attempts = DEFAULT_ATTEMPTS;
  if (!c->cfg.inflight_buf) c->cfg.inflight_cap = 0;
  c->next_id = 1;
  c->last_error_detail = "";
  return MQTT_OK;
}

static void emit(mqtt_client_t *c, const mqtt_event_t *ev) {
  if (c->cfg.on_event) c->cfg.on_event(c->cfg.event_ctx, ev);
}

/* Hands queued bytes to the transport until it would block. */
static mqtt_status_t flush(mqtt_client_t *c, uint64_t now) {
  while (c->tx_len > 0) {
    int32_t n = c->cfg.transport.send(c->cfg.transport.ctx, c->cfg.tx_buf, c->tx_len);
    if (n < 0) return fail(c, MQTT_ERR_TRANSPORT, "send failed");
    if (n == 0) break;
    if ((size_t)n > c->tx_len) return fail(c, MQTT_ERR_TRANSPORT, "transport sent more than asked");
    c->tx_len -= (size_t)n;
    memmove(c->cfg.tx_buf, c->cfg.tx_buf + n, c->tx_len);
    c->tx_progress_ms = now;
    c->last_tx_ms = now;
  }
  return MQTT_OK;
}

/* Space left in the transmit queue; starts the stall clock when the queue was empty. */
static uint8_t *tx_tail(mqtt_client_t *c, size_t *space, uint64_t now) {
  if (c->tx_len == 0) c->tx_progress_ms = now;
  *space = c->cfg.tx_cap - c->tx_len;
  return c->cfg.tx_buf + c->tx_len;
}

static uint16_t alloc_id(mqtt_client_t *c) {
  for (;;) {
    uint16_t id = c->next_id++;
    if (c->next_id == 0) c->next_id = 1;
    bool used = false;
    for (size_t i = 0; i < c->inflight_count; i++) used |= c->inflight[i].id == id;
    if (!used && id != 0) return id;
  }
}

static void inflight_remove(mqtt_client_t *c, size_t idx) {
  mqtt_inflight_t gone = c->inflight[idx];
  uint8_t *buf = c->cfg.inflight_buf;
  memmove(buf + gone.off, buf + gone.off + gone.len, c->inflight_used - gone.off - gone.len);
  c->inflight_used -= gone.len;
  for (size_t i = idx; i + 1 < c->inflight_count; i++) c->inflight[i] = c->inflight[i + 1];
  c->inflight_count--;
  for (size_t i = 0; i < c->inflight_count; i++)
    if (c->inflight[i].off > gone.off) c->inflight[i].off -= gone.len;
}

/* Queues the stored copy of in-flight entry idx with DUP set; false if the queue has no room. */
static bool inflight_resend(mqtt_client_t *c, size_t idx, uint64_t now) {
  mqtt_inflight_t *f = &c->inflight[idx];
  size_t space;
  uint8_t *dst = tx_tail(c, &space, now);
  if (f->len > space) return false;
  uint8_t *pkt = c->cfg.inflight_buf + f->off;
  pkt[0] |= 0x08u; /* DUP: every send after the first (§3.3.1.1) */
  memcpy(dst, pkt, f->len);
  c->tx_len += f->len;
  f->attempts++;
  f->sent_ms = now;
  return true;
}

mqtt_status_t mqtt_connect(mqtt_client_t *c, const mqtt_connect_info_t *info, uint64_t now_ms) {
  if (!c || !info) return MQTT_ERR_ARG;
  if (c->state != MQTT_STATE_DISCONNECTED) return MQTT_ERR_STATE;
  c->tx_len = 0;
  c->rx_len = 0;
  c->rx_skip = 0;
  size_t space;
  uint8_t *dst = tx_tail(c, &space, now_ms);
  int32_t n = mqtt_encode_connect(dst, space, info);
  if (n < 0) return (mqtt_status_t)n;
  c->tx_len = (size_t)n;
  c->keep_alive_s = info->keep_alive_s;
  c->ping_outstanding = false;
  c->connect_ms = now_ms;
  c->last_tx_ms = now_ms;
  c->last_rx_ms = now_ms;
  c->state = MQTT_STATE_CONNECTING;
  c->last_error = MQTT_OK;
  c->last_error_detail = "";
  return flush(c, now_ms);
}

static const char *connack_reason(uint8_t rc) {
  switch (rc) {
    case 1: return "CONNACK: unacceptable protocol version";
    case 2: return "CONNACK: client id rejected";
    case 3: return "CONNACK: server unavailable";
    case 4: return "CONNACK: bad user name or password";
    case 5: return "CONNACK: not authorized";
    default: return "CONNACK: refused";
  }
}

/* Handles one decoded packet. Returns MQTT_OK, MQTT_ERR_NO_SPACE (leave it for the next poll) or a
 * fatal status (already passed through fail()). */
static mqtt_status_t handle(mqtt_client_t *c, const mqtt_packet_t *p, uint64_t now) {
  mqtt_event_t ev;
  memset(&ev, 0, sizeof ev);
  if (c->state == MQTT_STATE_CONNECTING) {
    if (p->type != MQTT_CONNACK) return fail(c, MQTT_ERR_PROTOCOL, "packet before CONNACK");
    if (p->return_code != 0) return fail(c, MQTT_ERR_REFUSED, connack_reason(p->return_code));
    c->state = MQTT_STATE_CONNECTED;
    for (size_t i = 0; i < c->inflight_count; i++) inflight_resend(c, i, now); /* rest: by retry timer */
    ev.type = MQTT_EVT_CONNECTED;
    ev.session_present = p->session_present;
    emit(c, &ev);
    return MQTT_OK;
  }
  switch (p->type) {
    case MQTT_CONNACK: return fail(c, MQTT_ERR_PROTOCOL, "second CONNACK");
    case MQTT_PUBLISH: {
      size_t space;
      uint8_t *dst = tx_tail(c, &space, now);
      if (space < c->cfg.publish_reserve + 4u) return MQTT_ERR_NO_SPACE; /* its answer would not fit yet */
      if (p->qos == 1) {
        int32_t n = mqtt_encode_puback(dst, space, p->packet_id);
        if (n < 0) return MQTT_ERR_NO_SPACE;
        c->tx_len += (size_t)n;
      }
      ev.type = MQTT_EVT_PUBLISH;
      ev.topic = p->topic;
      ev.topic_len = p->topic_len;
      ev.payload = p->payload;
      ev.payload_len = p->payload_len;
      ev.qos = p->qos;
      ev.retain = p->retain;
      ev.dup = p->dup;
      ev.packet_id = p->packet_id;
      emit(c, &ev);
      return MQTT_OK;
    }
    case MQTT_PUBACK:
      for (size_t i = 0; i < c->inflight_count; i++) {
        if (c->inflight[i].id != p->packet_id) continue;
        inflight_remove(c, i);
        ev.type = MQTT_EVT_PUBACK;
        ev.packet_id = p->packet_id;
        emit(c, &ev);
        break;
      }
      return MQTT_OK; /* an ack for an id we gave up on is harmless */
    case MQTT_SUBACK:
      ev.type = MQTT_EVT_SUBACK;
      ev.packet_id = p->packet_id;
      ev.suback_codes = p->suback_codes;
      ev.suback_count = p->suback_count;
      emit(c, &ev);
      return MQTT_OK;
    case MQTT_UNSUBACK: return MQTT_OK;
    case MQTT_PINGRESP: c->ping_outstanding = false; return MQTT_OK;
    default: return fail(c, MQTT_ERR_PROTOCOL, "unexpected packet type");
  }
}

/* The receive buffer is full with the start of a PUBLISH too large for it: acknowledge it if QoS 1 and
 * its id is readable, report it, and discard the rest as it arrives. */
static mqtt_status_t drop_oversized(mqtt_client_t *c, const mqtt_fixed_header_t *fh, uint64_t now) {
  const uint8_t *v = c->cfg.rx_buf + fh->header_len;
  size_t avail = c->rx_len - fh->header_len;
  uint8_t qos = (uint8_t)((fh->flags >> 1) & 3u);
  if (qos == 3) return fail(c, MQTT_ERR_MALFORMED, "PUBLISH: QoS 3");
  if (qos == 2) return fail(c, MQTT_ERR_PROTOCOL, "PUBLISH: QoS 2 never subscribed");
  mqtt_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.type = MQTT_EVT_DROPPED;
  ev.qos = qos;
  ev.retain = (fh->flags & 1u) != 0;
  if (avail >= 2) {
    size_t tl = (size_t)((v[0] << 8) | v[1]);
    if (tl == 0 || 2 + tl > fh->remaining) return fail(c, MQTT_ERR_MALFORMED, "PUBLISH: bad topic length");
    if (2 + tl <= avail && mqtt_utf8_valid((const char *)v + 2, tl)) {
      ev.topic = (const char *)v + 2;
      ev.topic_len = tl;
    }
    if (qos == 1 && 2 + tl + 2 <= avail) {
      ev.packet_id = (uint16_t)((v[2 + tl] << 8) | v[3 + tl]);
      if (ev.packet_id == 0) return fail(c, MQTT_ERR_MALFORMED, "PUBLISH: packet id 0");
      size_t space;
      uint8_t *dst = tx_tail(c, &space, now);
      if (space < c->cfg.publish_reserve + 4u) return MQTT_ERR_NO_SPACE;
      int32_t n = mqtt_encode_puback(dst, space, ev.packet_id);
      if (n < 0) return MQTT_ERR_NO_SPACE;
      c->tx_len += (size_t)n;
    }
  }
  emit(c, &ev);
  c->rx_skip = (uint32_t)((size_t)fh->header_len + fh->remaining - c->rx_len);
  c->rx_len = 0;
  return MQTT_OK;
}

/* Dispatches every complete packet in the receive buffer. */
static mqtt_status_t process_rx(mqtt_client_t *c, uint64_t now) {
  while (c->rx_len > 0 && c->state != MQTT_STATE_DISCONNECTED) {
    mqtt_fixed_header_t fh;
    mqtt_status_t st = mqtt_parse_fixed_header(c->cfg.rx_buf, c->rx_len, &fh);
    if (st == MQTT_ERR_INCOMPLETE) return MQTT_OK;
    if (st != MQTT_OK) return fail(c, st, "bad fixed header");
    size_t total = (size_t)fh.header_len + fh.remaining;
    if (total > c->cfg.rx_cap) {
      if (fh.type != MQTT_PUBLISH) return fail(c, MQTT_ERR_MALFORMED, "control packet longer than its format");
      if (c->rx_len < c->cfg.rx_cap) return MQTT_OK; /* fill the buffer first: the id may be in it */
      st = drop_oversized(c, &fh, now);
      return st == MQTT_ERR_NO_SPACE ? MQTT_OK : st;
    }
    if (c->rx_len < total) return MQTT_OK;
    mqtt_packet_t p;
    const char *why = NULL;
    st = mqtt_decode(c->cfg.rx_buf, total, &p, &why);
    if (st != MQTT_OK) return fail(c, st, why);
    st = handle(c, &p, now);
    if (st == MQTT_ERR_NO_SPACE) return MQTT_OK; /* PUBACK did not fit: retry after flushing */
    if (st != MQTT_OK) return st;
    if (c->state == MQTT_STATE_DISCONNECTED) return MQTT_OK; /* the callback disconnected */
    c->last_rx_ms = now;
    c->rx_len -= total;
    memmove(c->cfg.rx_buf, c->cfg.rx_buf + total, c->rx_len);
  }
  return MQTT_OK;
}

static mqtt_status_t receive(mqtt_client_t *c, uint64_t now) {
  /* Packets left over from the last poll (a PUBACK that did not fit then) go first. */
  if (c->rx_len > 0 && !c->rx_skip) {
    mqtt_status_t st = process_rx(c, now);
    if (st != MQTT_OK) return st;
  }
  for (int reads = 0; reads < MAX_READS_PER_POLL && c->state != MQTT_STATE_DISCONNECTED; reads++) {
    uint8_t *dst;
    size_t want;
    if (c->rx_skip) {
      dst = c->cfg.rx_buf;
      want = c->rx_skip < c->cfg.rx_cap ? c->rx_skip : c->cfg.rx_cap;
    } else {
      if (c->rx_len == c->cfg.rx_cap) return MQTT_OK; /* blocked on a PUBACK that does not fit yet */
      dst = c->cfg.rx_buf + c->rx_len;
      want = c->cfg.rx_cap - c->rx_len;
    }
    int32_t n = c->cfg.transport.recv(c->cfg.transport.ctx, dst, want);
    if (n < 0) return fail(c, MQTT_ERR_TRANSPORT, "connection closed or recv failed");
    if (n == 0) return MQTT_OK;
    if ((size_t)n > want) return fail(c, MQTT_ERR_TRANSPORT, "transport returned more than asked");
    if (c->rx_skip) {
      c->rx_skip -= (uint32_t)n;
      if (c->rx_skip == 0) c->last_rx_ms = now;
      continue;
    }
    c->rx_len += (size_t)n;
    mqtt_status_t st = process_rx(c, now);
    if (st != MQTT_OK) return st;
  }
  return MQTT_OK;
}

static mqtt_status_t timers(mqtt_client_t *c, uint64_t now) {
  const mqtt_config_t *k = &c->cfg;
  if (c->state == MQTT_STATE_CONNECTING) {
    if (now - c->connect_ms >= k->connack_timeout_ms) return fail(c, MQTT_ERR_TIMEOUT, "no CONNACK in time");
    return MQTT_OK;
  }
  uint64_t ka_ms = (uint64_t)c->keep_alive_s * 1000u;
  if (c->tx_len > 0 && now - c->tx_progress_ms >= (ka_ms ? ka_ms : DEFAULT_TIMEOUT_MS) + k->ping_timeout_ms)
    return fail(c, MQTT_ERR_TIMEOUT, "transmit stalled");
  if (ka_ms) {
    if (c->ping_outstanding) {
      if (now - c->ping_sent_ms >= k->ping_timeout_ms) return fail(c, MQTT_ERR_TIMEOUT, "no PINGRESP in time");
    } else if (now - c->last_tx_ms >= ka_ms || now - c->last_rx_ms >= ka_ms) {
      /* Pinging on receive silence too finds a half-open connection while we only publish QoS 0. */
      size_t space;
      uint8_t *dst = tx_tail(c, &space, now);
      int32_t n = mqtt_encode_pingreq(dst, space);
      if (n > 0) {
        c->tx_len += (size_t)n;
        c->ping_outstanding = true;
        c->ping_sent_ms = now;
      }
    }
  }
  /* QoS 1 retries; give-ups are reported after the table is consistent again. */
  uint16_t failed[MQTT_MAX_INFLIGHT];
  size_t nfailed = 0;
  for (size_t i = 0; i < c->inflight_count;) {
    mqtt_inflight_t *f = &c->inflight[i];
    if (now - f->sent_ms < k->retry_ms) {
      i++;
      continue;
    }
    if (f->attempts >= k->max_attempts) {
      failed[nfailed++] = f->id;
      inflight_remove(c, i);
      continue;
    }
    inflight_resend(c, i, now);
    i++;
  }
  for (size_t i = 0; i < nfailed && c->state == MQTT_STATE_CONNECTED; i++) {
    mqtt_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = MQTT_EVT_PUBLISH_FAILED;
    ev.packet_id = failed[i];
    emit(c, &ev);
  }
  return MQTT_OK;
}

mqtt_status_t mqtt_poll(mqtt_client_t *c, uint64_t now_ms) {
  if (!c) return MQTT_ERR_ARG;
  if (c->state == MQTT_STATE_DISCONNECTED) return MQTT_ERR_STATE;
  mqtt_status_t st = flush(c, now_ms);
  if (st == MQTT_OK) st = receive(c, now_ms);
  if (st == MQTT_OK && c->state != MQTT_STATE_DISCONNECTED) st = timers(c, now_ms);
  if (st == MQTT_OK && c->state != MQTT_STATE_DISCONNECTED) st = flush(c, now_ms);
  if (st == MQTT_OK && c->state == MQTT_STATE_DISCONNECTED) st = MQTT_ERR_STATE; /* closed by a callback */
  return st;
}

mqtt_status_t mqtt_publish(mqtt_client_t *c, const char *topic, const void *payload, size_t len, uint8_t qos,
                           bool retain, uint16_t *packet_id, uint64_t now_ms) {
  if (!c) return MQTT_ERR_ARG;
  if (c->state != MQTT_STATE_CONNECTED) return MQTT_ERR_STATE;
  if (qos > 1 || (qos == 1 && c->cfg.inflight_cap == 0)) return MQTT_ERR_ARG;
  if (qos == 1 && c->inflight_count >= MQTT_MAX_INFLIGHT) return MQTT_ERR_NO_SPACE;
  uint16_t id = qos ? alloc_id(c) : 0;
  size_t space;
  uint8_t *dst = tx_tail(c, &space, now_ms);
  int32_t n = mqtt_encode_publish(dst, space, topic, payload, len, qos, retain, false, id);
  if (n < 0) return (mqtt_status_t)n;
  if (qos == 1) {
    if ((size_t)n > c->cfg.inflight_cap - c->inflight_used) return MQTT_ERR_NO_SPACE;
    mqtt_inflight_t *f = &c->inflight[c->inflight_count++];
    f->id = id;
    f->attempts = 1;
    f->off = (uint32_t)c->inflight_used;
    f->len = (uint32_t)n;
    f->sent_ms = now_ms;
    memcpy(c->cfg.inflight_buf + f->off, dst, (size_t)n);
    c->inflight_used += (size_t)n;
  }
  c->tx_len += (size_t)n;
  if (packet_id) *packet_id = id;
  return flush(c, now_ms);
}

mqtt_status_t mqtt_subscribe(mqtt_client_t *c, const mqtt_subscription_t *subs, size_t count,
                             uint16_t *packet_id, uint64_t now_ms) {
  if (!c) return MQTT_ERR_ARG;
  if (c->state != MQTT_STATE_CONNECTED) return MQTT_ERR_STATE;
  uint16_t id = alloc_id(c);
  size_t space;
  uint8_t *dst = tx_tail(c, &space, now_ms);
  int32_t n = mqtt_encode_subscribe(dst, space, id, subs, count);
  if (n < 0) return (mqtt_status_t)n;
  c->tx_len += (size_t)n;
  if (packet_id) *packet_id = id;
  return flush(c, now_ms);
}

void mqtt_disconnect(mqtt_client_t *c, uint64_t now_ms) {
  if (!c || c->state == MQTT_STATE_DISCONNECTED) return;
  size_t space;
  uint8_t *dst = tx_tail(c, &space, now_ms);
  int32_t n = mqtt_encode_disconnect(dst, space);
  if (n > 0) c->tx_len += (size_t)n;
  (void)flush(c, now_ms);
  c->state = MQTT_STATE_DISCONNECTED;
  c->tx_len = 0;
  c->rx_len = 0;
  c->rx_skip = 0;
}

void mqtt_reset(mqtt_client_t *c) {
  if (!c) return;
  c->state = MQTT_STATE_DISCONNECTED;
  c->tx_len = 0;
  c->rx_len = 0;
  c->rx_skip = 0;
  c->ping_outstanding = false;
}

bool mqtt_inflight_forget(mqtt_client_t *c, uint16_t packet_id) {
  for (size_t i = 0; c && packet_id && i < c->inflight_count; i++) {
    if (c->inflight[i].id != packet_id) continue;
    inflight_remove(c, i);
    return true;
  }
  return false;
}

void mqtt_clear_inflight(mqtt_client_t *c) {
  if (!c) return;
  c->inflight_count = 0;
  c->inflight_used = 0;
}

mqtt_state_t mqtt_state(const mqtt_client_t *c) { return c->state; }
size_t mqtt_inflight_count(const mqtt_client_t *c) { return c->inflight_count; }
mqtt_status_t mqtt_last_error(const mqtt_client_t *c) { return c->last_error; }
const char *mqtt_last_error_detail(const mqtt_client_t *c) { return c->last_error_detail; }

static uint64_t until(uint64_t now, uint64_t deadline) { return deadline > now ? deadline - now : 0; }

uint32_t mqtt_next_timeout_ms(const mqtt_client_t *c, uint64_t now_ms) {
  if (c->state == MQTT_STATE_DISCONNECTED) return UINT32_MAX;
  uint64_t best = UINT32_MAX;
  if (c->state == MQTT_STATE_CONNECTING) {
    best = until(now_ms, c->connect_ms + c->cfg.connack_timeout_ms);
  } else {
    uint64_t ka_ms = (uint64_t)c->keep_alive_s * 1000u;
    if (ka_ms) {
      uint64_t d = c->ping_outstanding
                       ? until(now_ms, c->ping_sent_ms + c->cfg.ping_timeout_ms)
                       : until(now_ms, (c->last_tx_ms < c->last_rx_ms ? c->last_tx_ms : c->last_rx_ms) + ka_ms);
      if (d < best) best = d;
    }
    for (size_t i = 0; i < c->inflight_count; i++) {
      uint64_t d = until(now_ms, c->inflight[i].sent_ms + c->cfg.retry_ms);
      if (d < best) best = d;
    }
  }
  if (c->tx_len > 0 && best > 10) best = 10; /* a full socket drains soon: look again shortly */
  return (uint32_t)best;
}
