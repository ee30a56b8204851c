/* mqtt_packet.c — MQTT 3.1.1 wire format (OASIS standard, 29 Oct 2014); section numbers in comments. */
#include "mqtt/mqtt_packet.h"

#include <string.h>

const char *mqtt_strerror(mqtt_status_t st) {
  switch (st) {
    case MQTT_OK: return "ok";
    case MQTT_ERR_ARG: return "invalid argument";
    case MQTT_ERR_NO_SPACE: return "no buffer space";
    case MQTT_ERR_MALFORMED: return "malformed packet";
    case MQTT_ERR_PROTOCOL: return "protocol violation";
    case MQTT_ERR_REFUSED: return "connection refused by broker";
    case MQTT_ERR_TIMEOUT: return "timeout";
    case MQTT_ERR_TRANSPORT: return "transport error";
    case MQTT_ERR_STATE: return "wrong state";
    case MQTT_ERR_INCOMPLETE: return "incomplete packet";
  }
  return "unknown error";
}

mqtt_status_t mqtt_parse_fixed_header(const uint8_t *buf, size_t len, mqtt_fixed_header_t *out) {
  if (len < 2) return MQTT_ERR_INCOMPLETE;
  uint8_t type = (uint8_t)(buf[0] >> 4);
  if (type == 0 || type == 15) return MQTT_ERR_MALFORMED; /* reserved (§2.2.1) */
  uint32_t value = 0;
  uint32_t mult = 1;
  for (size_t i = 1; i <= 4; i++) {
    if (i >= len) return MQTT_ERR_INCOMPLETE;
    uint8_t b = buf[i];
    value += (uint32_t)(b & 0x7Fu) * mult;
    if ((b & 0x80u) == 0) {
      out->type = type;
      out->flags = (uint8_t)(buf[0] & 0x0Fu);
      out->header_len = (uint8_t)(i + 1);
      out->remaining = value;
      return MQTT_OK;
    }
    mult *= 128u;
  }
  return MQTT_ERR_MALFORMED; /* continuation bit on the 4th length byte (§2.2.3) */
}

bool mqtt_utf8_valid(const char *s, size_t len) {
  const uint8_t *p = (const uint8_t *)s;
  size_t i = 0;
  while (i < len) {
    uint8_t c = p[i];
    if (c == 0) return false; /* [MQTT-1.5.3-2] */
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (len - i <= n) return false;
    for (size_t k = 1; k <= n; k++) {
      uint8_t cc = p[i + k];
      if ((cc & 0xC0u) != 0x80u) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF))) return false; /* overlong */
    if (cp >= 0xD800 && cp <= 0xDFFF) return false; /* [MQTT-1.5.3-1] */
    i += n + 1;
  }
  return true;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

#define FAIL(code, reason) \
  do {                     \
    if (why) *why = reason; \
    return code;           \
  } while (0)

mqtt_status_t mqtt_decode(const uint8_t *pkt, size_t len, mqtt_packet_t *out, const char **why) {
  mqtt_fixed_header_t fh;
  if (why) *why = "";
  memset(out, 0, sizeof *out);
  mqtt_status_t st = mqtt_parse_fixed_header(pkt, len, &fh);
  if (st == MQTT_ERR_INCOMPLETE) FAIL(MQTT_ERR_INCOMPLETE, "short fixed header");
  if (st != MQTT_OK) FAIL(st, "bad fixed header");
  if ((size_t)fh.header_len + fh.remaining != len) FAIL(MQTT_ERR_MALFORMED, "length mismatch");
  const uint8_t *v = pkt + fh.header_len;
  uint32_t rl = fh.remaining;
  out->type = fh.type;
  switch (fh.type) {
    case MQTT_CONNACK: /* §3.2 */
      if (fh.flags != 0) FAIL(MQTT_ERR_MALFORMED, "CONNACK: reserved flags set");
      if (rl != 2) FAIL(MQTT_ERR_MALFORMED, "CONNACK: remaining length is not 2");
      if (v[0] & 0xFEu) FAIL(MQTT_ERR_MALFORMED, "CONNACK: reserved acknowledge flags set");
      if (v[1] > 5) FAIL(MQTT_ERR_MALFORMED, "CONNACK: unknown return code");
      if (v[1] != 0 && (v[0] & 1u)) FAIL(MQTT_ERR_MALFORMED, "CONNACK: session present on refusal");
      out->session_present = (v[0] & 1u) != 0;
      out->return_code = v[1];
      return MQTT_OK;
    case MQTT_PUBLISH: { /* §3.3 */
      out->dup = (fh.flags & 0x08u) != 0;
      out->qos = (uint8_t)((fh.flags >> 1) & 3u);
      out->retain = (fh.flags & 1u) != 0;
      if (out->qos == 3) FAIL(MQTT_ERR_MALFORMED, "PUBLISH: QoS 3");
      if (out->qos == 2) FAIL(MQTT_ERR_PROTOCOL, "PUBLISH: QoS 2 never subscribed");
      if (out->qos == 0 && out->dup) FAIL(MQTT_ERR_MALFORMED, "PUBLISH: DUP with QoS 0");
      if (rl < 2) FAIL(MQTT_ERR_MALFORMED, "PUBLISH: no topic length");
      uint16_t tl = rd16(v);
      size_t pos = 2u + tl;
      if (tl == 0) FAIL(MQTT_ERR_MALFORMED, "PUBLISH: empty topic");
      if (pos > rl) FAIL(MQTT_ERR_MALFORMED, "PUBLISH: topic exceeds packet");
      const char *topic = (const char *)v + 2;
      if (!mqtt_utf8_valid(topic, tl)) FAIL(MQTT_ERR_MALFORMED, "PUBLISH: topic not valid UTF-8");
      if (memchr(topic, '+', tl) || memchr(topic, '#', tl)) FAIL(MQTT_ERR_MALFORMED, "PUBLISH: wildcard in topic");
      if (out->qos > 0) {
        if (pos + 2 > rl) FAIL(MQTT_ERR_MALFORMED, "PUBLISH: no packet id");
        out->packet_id = rd16(v + pos);
        if (out->packet_id == 0) FAIL(MQTT_ERR_MALFORMED, "PUBLISH: packet id 0");
        pos += 2;
      }
      out->topic = topic;
      out->topic_len = tl;
      out->payload = v + pos;
      out->payload_len = rl - pos;
      return MQTT_OK;
    }
    case MQTT_PUBACK:
    case MQTT_UNSUBACK: /* §3.4, §3.11 */
      if (fh.flags != 0) FAIL(MQTT_ERR_MALFORMED, "ack: reserved flags set");
      if (rl != 2) FAIL(MQTT_ERR_MALFORMED, "ack: remaining length is not 2");
      out->packet_id = rd16(v);
      if (out->packet_id == 0) FAIL(MQTT_ERR_MALFORMED, "ack: packet id 0");
      return MQTT_OK;
    case MQTT_SUBACK: /* §3.9 */
      if (fh.flags != 0) FAIL(MQTT_ERR_MALFORMED, "SUBACK: reserved flags set");
      if (rl < 3) FAIL(MQTT_ERR_MALFORMED, "SUBACK: no return codes");
      out->packet_id = rd16(v);
      if (out->packet_id == 0) FAIL(MQTT_ERR_MALFORMED, "SUBACK: packet id 0");
      for (uint32_t i = 2; i < rl; i++)
        if (v[i] > 2 && v[i] != MQTT_SUBACK_FAILURE) FAIL(MQTT_ERR_MALFORMED, "SUBACK: bad return code");
      out->suback_codes = v + 2;
      out->suback_count = rl - 2;
      return MQTT_OK;
    case MQTT_PINGRESP: /* §3.13 */
      if (fh.flags != 0) FAIL(MQTT_ERR_MALFORMED, "PINGRESP: reserved flags set");
      if (rl != 0) FAIL(MQTT_ERR_MALFORMED, "PINGRESP: remaining length is not 0");
      return MQTT_OK;
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP: FAIL(MQTT_ERR_PROTOCOL, "QoS 2 handshake packet, never requested");
    default: FAIL(MQTT_ERR_PROTOCOL, "client-to-server packet type from server");
  }
}

/* ---- encoding ---- */

static size_t remaining_len_size(uint32_t rl) {
  return rl < 128u ? 1u : rl < 16384u ? 2u : rl < 2097152u ? 3u : 4u;
}

/* Writes fixed header; returns its length. Caller checked space. */
static size_t put_fixed(uint8_t *buf, uint8_t byte0, uint32_t rl) {
  size_t i = 0;
  buf[i++] = byte0;
  do {
    uint8_t b = (uint8_t)(rl % 128u);
    rl /= 128u;
    if (rl) b |= 0x80u;
    buf[i++] = b;
  } while (rl);
  return i;
}

static size_t put_str(uint8_t *p, const void *s, size_t n) {
  p[0] = (uint8_t)(n >> 8);
  p[1] = (uint8_t)n;
  if (n) memcpy(p + 2, s, n);
  return n + 2;
}

/* Total packet size for a remaining length, or 0 if it cannot be encoded / does not fit cap. */
static size_t packet_size(uint64_t rl, size_t cap, int32_t *err) {
  if (rl > MQTT_MAX_REMAINING) {
    *err = MQTT_ERR_ARG;
    return 0;
  }
  uint64_t total = 1u + remaining_len_size((uint32_t)rl) + rl;
  if (total > cap || total > INT32_MAX) {
    *err = MQTT_ERR_NO_SPACE;
    return 0;
  }
  return (size_t)total;
}

static bool topic_ok(const char *t, size_t n, bool filter) {
  if (n == 0 || n > 65535u || !mqtt_utf8_valid(t, n)) return false;
  if (!filter) return memchr(t, '+', n) == NULL && memchr(t, '#', n) == NULL;
  /* §4.7.1: '#' only last and alone in its level; '+' alone in its level. */
  for (size_t i = 0; i < n; i++) {
    if (t[i] != '+' && t[i] != '#') continue;
    if (i > 0 && t[i - 1] != '/') return false;
    if (t[i] == '#' && i != n - 1) return false;
    if (t[i] == '+' && i + 1 < n && t[i + 1] != '/') return false;
  }
  return true;
}

int32_t mqtt_encode_connect(uint8_t *buf, size_t cap, const mqtt_connect_info_t *ci) {
  if (!ci || !ci->client_id) return MQTT_ERR_ARG;
  size_t cid = strlen(ci->client_id);
  if (cid > 65535u || !mqtt_utf8_valid(ci->client_id, cid)) return MQTT_ERR_ARG;
  if (cid == 0 && !ci->clean_session) return MQTT_ERR_ARG; /* [MQTT-3.1.3-7] */
  if (ci->password && !ci->username) return MQTT_ERR_ARG; /* [MQTT-3.1.2-22] */
  size_t wt = 0, un = 0, pw = 0;
  if (ci->will_topic) {
    wt = strlen(ci->will_topic);
    if (!topic_ok(ci->will_topic, wt, false) || ci->will_qos > 1 || ci->will_len > 65535u ||
        (ci->will_len && !ci->will_payload))
      return MQTT_ERR_ARG;
  }
  if (ci->username) {
    un = strlen(ci->username);
    if (un > 65535u || !mqtt_utf8_valid(ci->username, un)) return MQTT_ERR_ARG;
  }
  if (ci->password) {
    pw = strlen(ci->password);
    if (pw > 65535u) return MQTT_ERR_ARG;
  }
  uint64_t rl = 10u + 2u + cid;
  if (ci->will_topic) rl += 4u + wt + ci->will_len;
  if (ci->username) rl += 2u + un;
  if (ci->password) rl += 2u + pw;
  int32_t err = 0;
  size_t total = packet_size(rl, cap, &err);
  if (!total) return err;
  size_t i = put_fixed(buf, MQTT_CONNECT << 4, (uint32_t)rl);
  i += put_str(buf + i, "MQTT", 4);
  buf[i++] = 4; /* protocol level 3.1.1 */
  uint8_t flags = 0;
  if (ci->clean_session) flags |= 0x02u;
  if (ci->will_topic) {
    flags |= 0x04u | (uint8_t)(ci->will_qos << 3);
    if (ci->will_retain) flags |= 0x20u;
  }
  if (ci->password) flags |= 0x40u;
  if (ci->username) flags |= 0x80u;
  buf[i++] = flags;
  buf[i++] = (uint8_t)(ci->keep_alive_s >> 8);
  buf[i++] = (uint8_t)ci->keep_alive_s;
  i += put_str(buf + i, ci->client_id, cid);
  if (ci->will_topic) {
    i += put_str(buf + i, ci->will_topic, wt);
    i += put_str(buf + i, ci->will_payload, ci->will_len);
  }
  if (ci->username) i += put_str(buf + i, ci->username, un);
  if (ci->password) i += put_str(buf + i, ci->password, pw);
  return (int32_t)i;
}

int32_t mqtt_encode_publish(uint8_t *buf, size_t cap, const char *topic, const void *payload, size_t len,
                            uint8_t qos, bool retain, bool dup, uint16_t packet_id) {
  if (!topic || qos > 1 || (len && !payload)) return MQTT_ERR_ARG;
  size_t tl = strlen(topic);
  if (!topic_ok(topic, tl, false)) return MQTT_ERR_ARG;
  if (qos == 1 && packet_id == 0) return MQTT_ERR_ARG;
  uint64_t rl = 2u + (uint64_t)tl + (qos ? 2u : 0u) + (uint64_t)len;
  int32_t err = 0;
  size_t total = packet_size(rl, cap, &err);
  if (!total) return err;
  uint8_t b0 = (uint8_t)((MQTT_PUBLISH << 4) | (qos << 1) | (retain ? 1u : 0u) | (dup && qos ? 0x08u : 0u));
  size_t i = put_fixed(buf, b0, (uint32_t)rl);
  i += put_str(buf + i, topic, tl);
  if (qos) {
    buf[i++] = (uint8_t)(packet_id >> 8);
    buf[i++] = (uint8_t)packet_id;
  }
  if (len) memcpy(buf + i, payload, len);
  return (int32_t)(i + len);
}

int32_t mqtt_encode_subscribe(uint8_t *buf, size_t cap, uint16_t packet_id, const mqtt_subscription_t *subs,
                              size_t count) {
  if (packet_id == 0 || !subs || count == 0) return MQTT_ERR_ARG;
  uint64_t rl = 2;
  for (size_t k = 0; k < count; k++) {
    if (!subs[k].filter || subs[k].qos > 1) return MQTT_ERR_ARG;
    size_t fl = strlen(subs[k].filter);
    if (!topic_ok(subs[k].filter, fl, true)) return MQTT_ERR_ARG;
    rl += 3u + fl;
  }
  int32_t err = 0;
  size_t total = packet_size(rl, cap, &err);
  if (!total) return err;
  size_t i = put_fixed(buf, (MQTT_SUBSCRIBE << 4) | 0x02u, (uint32_t)rl); /* [MQTT-3.8.1-1] flags 0010 */
  buf[i++] = (uint8_t)(packet_id >> 8);
  buf[i++] = (uint8_t)packet_id;
  for (size_t k = 0; k < count; k++) {
    i += put_str(buf + i, subs[k].filter, strlen(subs[k].filter));
    buf[i++] = subs[k].qos;
  }
  return (int32_t)i;
}

int32_t mqtt_encode_puback(uint8_t *buf, size_t cap, uint16_t packet_id) {
  if (packet_id == 0) return MQTT_ERR_ARG;
  if (cap < 4) return MQTT_ERR_NO_SPACE;
  buf[0] = MQTT_PUBACK << 4;
  buf[1] = 2;
  buf[2] = (uint8_t)(packet_id >> 8);
  buf[3] = (uint8_t)packet_id;
  return 4;
}

static int32_t encode_empty(uint8_t *buf, size_t cap, uint8_t type) {
  if (cap < 2) return MQTT_ERR_NO_SPACE;
  buf[0] = (uint8_t)(type << 4);
  buf[1] = 0;
  return 2;
}

int32_t mqtt_encode_pingreq(uint8_t *buf, size_t cap) { return encode_empty(buf, cap, MQTT_PINGREQ); }
int32_t mqtt_encode_disconnect(uint8_t *buf, size_t cap) { return encode_empty(buf, cap, MQTT_DISCONNECT); }
