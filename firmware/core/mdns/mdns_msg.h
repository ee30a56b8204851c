/* mdns_msg.h — the DNS message side of the plug's mDNS responder (RFC 6762 / 6763), pure and bounded.
 *
 * The plug announces one service instance: "<label>._openbl602._tcp.local" (PTR/SRV/TXT) on host
 * "<label>.local" (A), label "openbl602-<id>" or, after a name conflict, "openbl602-<id>-<n>". mdns_parse_query() reads a received packet and says which of our records
 * it asks for; mdns_build_response() writes them. Parsing never reads past len: labels ≤ 63, names ≤ 255,
 * compression pointers must point strictly backwards (so they cannot loop) and at most 16 are followed;
 * record counts are checked against the bytes actually present.
 */
#ifndef OBL_MDNS_MSG_H
#define OBL_MDNS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MDNS_PORT 5353
#define MDNS_SERVICE "_openbl602._tcp.local"
#define MDNS_NAME_MAX 255
#define MDNS_TXT_MAX 255

#define MDNS_LABEL_MAX 57 /* host label: host_fqdn = label + ".local" */

typedef struct {
  char base[48];          /* "openbl602-<id>": the name the plug claims first */
  unsigned index;         /* 1: base; n ≥ 2: "<base>-<n>" after n − 1 conflicts (RFC 6762 §9) */
  char label[MDNS_LABEL_MAX + 1]; /* the name claimed now: base or "<base>-<index>" */
  char instance_fqdn[96]; /* "<label>._openbl602._tcp.local" */
  char host_fqdn[64];     /* "<label>.local" */
  uint8_t ipv4[4];
  uint16_t port;          /* HTTP port */
  uint8_t txt[MDNS_TXT_MAX]; /* TXT rdata: length-prefixed "key=value" strings */
  size_t txt_len;
} mdns_service_t;

/* id: [a-z0-9-]{1,32}; txt: n "key=value" strings (each ≤ 255 bytes, all together ≤ MDNS_TXT_MAX
 * encoded). false if anything does not fit or is invalid. */
bool mdns_service_init(mdns_service_t *s, const char *id, const uint8_t ipv4[4], uint16_t port,
                       const char *const *txt, size_t n);

/* Claims "<base>" (index ≤ 1) or "<base>-<index>" as host label and service instance. false (nothing
 * changed) when that name would not fit. */
bool mdns_service_set_index(mdns_service_t *s, unsigned index);

/* Records a query can ask for (bit set). */
enum {
  MDNS_REC_PTR = 1u,      /* _openbl602._tcp.local → instance */
  MDNS_REC_SRV = 2u,
  MDNS_REC_TXT = 4u,
  MDNS_REC_A = 8u,
  MDNS_REC_ENUM = 16u,    /* _services._dns-sd._udp.local → _openbl602._tcp.local */
  MDNS_REC_ALL = 31u,
};

typedef struct {
  uint16_t id;
  unsigned records;     /* MDNS_REC_* asked for */
  bool unicast;         /* some matching question had the QU bit */
  size_t questions_end; /* offset after the question section (to echo it in legacy unicast replies) */
  uint16_t qdcount;
} mdns_query_t;

typedef enum {
  MDNS_OK = 0,           /* a query; out->records may be 0 (not for us) */
  MDNS_NOT_QUERY = 1,    /* a response or other opcode: ignored */
  MDNS_ERR_MALFORMED = -1,
} mdns_status_t;

mdns_status_t mdns_parse_query(const uint8_t *pkt, size_t len, const mdns_service_t *s, mdns_query_t *out);

typedef struct {
  unsigned records;      /* MDNS_REC_*; related records go to the additional section (RFC 6763 §12) */
  uint16_t id;           /* 0 for multicast; the query's id for legacy unicast */
  bool legacy;           /* reply to a one-shot resolver (source port != 5353): echo questions, TTL ≤ 10,
                            no cache-flush bit (RFC 6762 §6.7) */
  const uint8_t *query;  /* legacy only: the query, whose question section is echoed */
  size_t questions_end;
  uint16_t qdcount;
  bool goodbye;          /* TTL 0: "these records are gone" (before reboot) */
  bool probe;            /* internal: the authority records of a probe (no cache-flush bit) */
} mdns_reply_t;

/* Writes a response; returns its length, 0 if cap is too small (1500 always suffices for our records). */
size_t mdns_build_response(uint8_t *buf, size_t cap, const mdns_service_t *s, const mdns_reply_t *r);

/* Writes a probe (RFC 6762 §8.1): QU questions (type ANY) for the host and instance names, our A, SRV and
 * TXT records in the authority section (for the simultaneous-probe tiebreak, §8.2). Returns its length, 0
 * if cap is too small. */
size_t mdns_build_probe(uint8_t *buf, size_t cap, const mdns_service_t *s);

/* Reads the name at off (with compression) as lower-case dotted text; returns the offset after the name
 * in place (not following pointers), or 0 if malformed. Exposed for tests and the fuzzer. */
size_t mdns_read_name(const uint8_t *pkt, size_t len, size_t off, char out[MDNS_NAME_MAX + 1]);

#ifdef __cplusplus
}
#endif

#endif /* OBL_MDNS_MSG_H */
