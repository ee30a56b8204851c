/* Record store: on-flash format and recovery rules are in docs/storage.md. */
#include "store/store.h"

#include <string.h>

#include "store/crc32.h"

#define SECTOR HAL_FLASH_SECTOR
#define SECTOR_MAGIC 0x5453424Fu /* "OBST" */
#define FORMAT_VERSION 1u
#define REC_HDR 4u
#define REC_CRC 4u
#define CHUNK 64u
#define ERASED_KEY 0xFFFFu

static uint32_t pad4(uint32_t n) { return (n + 3u) & ~3u; }

uint32_t store_record_size(size_t len) { return REC_HDR + pad4((uint32_t)len) + REC_CRC; }

uint32_t store_used(const store_t *s) { return s->head; }

static uint32_t sector_off(const store_t *s, uint16_t sector) {
  return s->base + (uint32_t)sector * SECTOR;
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Every flash call records its HAL status: a power cut must stop the store at once, while a failing sector
 * is worth skipping. */
static store_err_t io(store_t *s, hal_status_t st) {
  s->last_hal = st;
  return st == HAL_OK ? STORE_OK : STORE_ERR_IO;
}
static store_err_t rd(store_t *s, uint16_t sector, uint32_t off, void *buf, size_t len) {
  return io(s, hal_flash_read(s->part, sector_off(s, sector) + off, buf, len));
}
static store_err_t wr(store_t *s, uint16_t sector, uint32_t off, const void *buf, size_t len) {
  if (len == 0) return STORE_OK;
  return io(s, hal_flash_write(s->part, sector_off(s, sector) + off, buf, len));
}

/* ---- sector header: magic, version, seq, CRC; written last when a sector becomes active ---- */

static void header_encode(uint8_t h[STORE_SECTOR_HEADER], uint32_t seq) {
  put32(h, SECTOR_MAGIC);
  put16(h + 4, FORMAT_VERSION);
  put16(h + 6, 0);
  put32(h + 8, seq);
  put32(h + 12, obl_crc32(0, h, 12));
}

/* true if the sector carries a complete header; *seq gets its sequence number. */
static store_err_t header_read(store_t *s, uint16_t sector, bool *valid, uint32_t *seq) {
  uint8_t h[STORE_SECTOR_HEADER];
  store_err_t e = rd(s, sector, 0, h, sizeof h);
  if (e != STORE_OK) return e;
  *valid = get32(h) == SECTOR_MAGIC && get16(h + 4) == FORMAT_VERSION &&
           get32(h + 12) == obl_crc32(0, h, 12);
  *seq = get32(h + 8);
  return STORE_OK;
}

/* ---- records: key u16, len u16, payload, 0xFF padding to 4, CRC-32 of key|len|payload ---- */

/* Checks the record at `off`: *ok false when it is torn or not a record. *hdr_erased when the header is
 * still 0xFFFFFFFF (free space). CRC is computed over what flash holds, chunk by chunk. */
static store_err_t record_check(store_t *s, uint16_t sector, uint32_t off, bool *ok,
                                bool *hdr_erased, uint16_t *key, uint16_t *len) {
  uint8_t h[REC_HDR];
  *ok = false;
  *hdr_erased = false;
  if (off + REC_HDR + REC_CRC > SECTOR) return STORE_OK;
  store_err_t e = rd(s, sector, off, h, REC_HDR);
  if (e != STORE_OK) return e;
  *key = get16(h);
  *len = get16(h + 2);
  if (*key == ERASED_KEY && *len == 0xFFFFu) {
    *hdr_erased = true;
    return STORE_OK;
  }
  if (*key == 0 || *key == ERASED_KEY || *len > STORE_MAX_VALUE ||
      off + store_record_size(*len) > SECTOR)
    return STORE_OK;
  uint32_t crc = obl_crc32(0, h, REC_HDR);
  uint8_t buf[CHUNK];
  for (uint32_t done = 0; done < *len;) {
    uint32_t n = *len - done < CHUNK ? *len - done : CHUNK;
    e = rd(s, sector, off + REC_HDR + done, buf, n);
    if (e != STORE_OK) return e;
    crc = obl_crc32(crc, buf, n);
    done += n;
  }
  e = rd(s, sector, off + REC_HDR + pad4(*len), buf, REC_CRC);
  if (e != STORE_OK) return e;
  *ok = get32(buf) == crc;
  return STORE_OK;
}

static store_err_t all_erased(store_t *s, uint16_t sector, uint32_t from, bool *erased) {
  uint8_t buf[CHUNK];
  *erased = true;
  for (uint32_t off = from; off < SECTOR;) {
    uint32_t n = SECTOR - off < CHUNK ? SECTOR - off : CHUNK;
    store_err_t e = rd(s, sector, off, buf, n);
    if (e != STORE_OK) return e;
    for (uint32_t i = 0; i < n; i++) {
      if (buf[i] != 0xFF) {
        *erased = false;
        return STORE_OK;
      }
    }
    off += n;
  }
  return STORE_OK;
}

static store_slot_t *slot_find(store_slot_t *idx, uint8_t n, uint16_t key) {
  for (uint8_t i = 0; i < n; i++)
    if (idx[i].key == key) return &idx[i];
  return NULL;
}

/* The set of "lost" keys: their latest record rotted, so neither it nor an older one may be returned. */
typedef struct {
  uint8_t n;
  uint16_t keys[STORE_MAX_KEYS];
} lost_set_t;

static bool lost_has(const lost_set_t *l, uint16_t key) {
  for (uint8_t i = 0; i < l->n; i++)
    if (l->keys[i] == key) return true;
  return false;
}
static void lost_del(lost_set_t *l, uint16_t key) {
  for (uint8_t i = 0; i < l->n; i++)
    if (l->keys[i] == key) l->keys[i--] = l->keys[--l->n];
}
/* Marks `key` lost and forgets its indexed (older) value. false when the set is full (not our store). */
static bool lost_add(lost_set_t *l, store_slot_t *idx, uint8_t *n_keys, uint16_t key) {
  for (uint8_t i = 0; i < *n_keys; i++)
    if (idx[i].key == key) idx[i--] = idx[--*n_keys];
  if (lost_has(l, key)) return true;
  if (l->n >= STORE_MAX_KEYS) return false;
  l->keys[l->n++] = key;
  return true;
}

/* Walks a sector's log from the first record: the latest intact record of each key lands in idx.
 * The walk stops at free space or at the first bad record (everything after it is unusable: it is not
 * known where the torn record ended). *head = where it stopped; *dirty when that point is not clean. */
static store_err_t sector_scan(store_t *s, uint16_t sector, store_slot_t *idx, uint8_t *n_keys,
                               lost_set_t *lost, uint32_t *head, bool *dirty) {
  uint32_t off = STORE_SECTOR_HEADER;
  bool rot = false;
  *n_keys = 0;
  lost->n = 0;
  *dirty = false;
  for (;;) {
    bool ok, erased;
    uint16_t key = 0, len = 0;
    store_err_t e = record_check(s, sector, off, &ok, &erased, &key, &len);
    if (e != STORE_OK) return e;
    if (erased || off + REC_HDR + REC_CRC > SECTOR) {
      bool clean = true;
      if (off < SECTOR) {
        e = all_erased(s, sector, off, &clean);
        if (e != STORE_OK) return e;
      }
      *dirty = !clean;
      break;
    }
    if (!ok) {
      /* A bad record followed by a good one is bit rot in the middle, not a torn tail (nothing is ever
       * appended after a torn record): skip it. So are several bad records in a row when a good one follows
       * them (the two copies of a value stand side by side: both may rot). */
      bool plausible = key != 0 && key != ERASED_KEY && len <= STORE_MAX_VALUE &&
                       off + store_record_size(len) <= SECTOR;
      bool next_ok = false, next_erased = false;
      uint16_t nk = key, nl = len;
      for (uint32_t at = off; plausible && !next_ok && !next_erased;) {
        at += store_record_size(nl);
        e = record_check(s, sector, at, &next_ok, &next_erased, &nk, &nl);
        if (e != STORE_OK) return e;
        plausible = nk != 0 && nk != ERASED_KEY && nl <= STORE_MAX_VALUE && at + store_record_size(nl) <= SECTOR;
      }
      if (next_ok) {
        /* Its key's older records are not its value: the key reads as corrupt until written again. (A rotted
         * key field marks the wrong key; that takes a second flip in the same record to matter.) */
        if (key != STORE_KEY_LOST && !lost_add(lost, idx, n_keys, key)) {
          *dirty = true;
          break;
        }
        rot = true;
        off += store_record_size(len);
        continue;
      }
      *dirty = true;
      break;
    }
    if (key == STORE_KEY_LOST) {
      /* Carried over by a compaction: these keys stay lost (their older values were not copied). */
      uint8_t v[2 * STORE_MAX_KEYS];
      bool fits = len % 2 == 0 && len <= sizeof v;
      if (fits) {
        e = rd(s, sector, off + REC_HDR, v, len);
        if (e != STORE_OK) return e;
      }
      for (uint16_t i = 0; fits && i < len; i += 2) fits = lost_add(lost, idx, n_keys, get16(v + i));
      if (!fits) {
        *dirty = true;
        break;
      }
      off += store_record_size(len);
      continue;
    }
    lost_del(lost, key);
    store_slot_t *slot = slot_find(idx, *n_keys, key);
    if (!slot) {
      if (*n_keys >= STORE_MAX_KEYS) {
        *dirty = true; /* more keys than a put ever allows: not ours, stop here */
        break;
      }
      slot = &idx[(*n_keys)++];
      slot->key = key;
    }
    slot->len = len;
    slot->off = off;
    off += store_record_size(len);
  }
  /* A rotted record stays in the log until the sector is compacted; a second rot right after it would read
   * as a torn tail and hide every later record. So the next put compacts it away. */
  if (rot) *dirty = true;
  *head = off;
  return STORE_OK;
}

static store_err_t erase_sector(store_t *s, uint16_t sector) {
  s->stats.erases++;
  if (io(s, hal_flash_erase(s->part, sector_off(s, sector), SECTOR)) != STORE_OK) return STORE_ERR_IO;
  bool erased;
  store_err_t e = all_erased(s, sector, 0, &erased);
  if (e != STORE_OK) return e;
  return erased ? STORE_OK : STORE_ERR_IO;
}

static store_err_t write_header(store_t *s, uint16_t sector, uint32_t seq) {
  uint8_t h[STORE_SECTOR_HEADER];
  header_encode(h, seq);
  store_err_t e = wr(s, sector, 0, h, sizeof h);
  if (e != STORE_OK) return e;
  bool valid;
  uint32_t got;
  e = header_read(s, sector, &valid, &got);
  if (e != STORE_OK) return e;
  return valid && got == seq ? STORE_OK : STORE_ERR_IO;
}

static store_err_t write_record(store_t *s, uint16_t sector, uint32_t off, uint16_t key,
                                const void *data, uint16_t len) {
  uint8_t h[REC_HDR], c[REC_CRC];
  put16(h, key);
  put16(h + 2, len);
  put32(c, obl_crc32(obl_crc32(0, h, REC_HDR), data, len));
  store_err_t e = wr(s, sector, off, h, REC_HDR);
  if (e == STORE_OK) e = wr(s, sector, off + REC_HDR, data, len);
  if (e == STORE_OK) e = wr(s, sector, off + REC_HDR + pad4(len), c, REC_CRC);
  return e;
}

static store_err_t copy_record(store_t *s, uint16_t from, uint32_t from_off, uint16_t to,
                               uint32_t to_off, uint32_t size) {
  uint8_t buf[CHUNK];
  for (uint32_t done = 0; done < size;) {
    uint32_t n = size - done < CHUNK ? size - done : CHUNK;
    store_err_t e = rd(s, from, from_off + done, buf, n);
    if (e == STORE_OK) e = wr(s, to, to_off + done, buf, n);
    if (e != STORE_OK) return e;
    done += n;
  }
  return STORE_OK;
}

/* Moves the live records (and optionally a new value for `key`) into sector `next` and makes it active by
 * writing its header (sequence `seq`) last. Until that header is complete, mount picks the old sector. */
static store_err_t compact_into(store_t *s, uint16_t next, uint32_t seq, bool with_new, uint16_t key,
                                const void *data, uint16_t len) {
  store_err_t e = erase_sector(s, next);
  if (e != STORE_OK) return e;
  store_slot_t idx[STORE_MAX_KEYS];
  uint8_t n = 0;
  uint32_t off = STORE_SECTOR_HEADER;
  for (uint8_t i = 0; i < s->n_keys; i++) {
    if (with_new && s->idx[i].key == key) continue;
    uint32_t size = store_record_size(s->idx[i].len);
    e = copy_record(s, s->active, s->idx[i].off, next, off, size);
    if (e != STORE_OK) return e;
    idx[n] = s->idx[i];
    idx[n++].off = off;
    off += size;
  }
  if (with_new) {
    e = write_record(s, next, off, key, data, len);
    if (e != STORE_OK) return e;
    idx[n].key = key;
    idx[n].len = len;
    idx[n++].off = off;
    off += store_record_size(len);
  }
  /* Keys whose value rotted stay lost in the new sector: a record listing them, no older value. */
  lost_set_t lost = {0};
  for (uint8_t i = 0; i < s->n_lost; i++)
    if (!(with_new && s->lost[i] == key)) lost.keys[lost.n++] = s->lost[i];
  if (lost.n) {
    uint8_t v[2 * STORE_MAX_KEYS];
    for (uint8_t i = 0; i < lost.n; i++) put16(v + 2 * i, lost.keys[i]);
    e = write_record(s, next, off, STORE_KEY_LOST, v, (uint16_t)(2u * lost.n));
    if (e != STORE_OK) return e;
    off += store_record_size(2u * lost.n);
  }
  /* Read everything back before committing: a bad copy must not replace a good sector. */
  store_slot_t check[STORE_MAX_KEYS];
  uint8_t n_check;
  lost_set_t lost_check;
  uint32_t head;
  bool dirty;
  e = sector_scan(s, next, check, &n_check, &lost_check, &head, &dirty);
  if (e != STORE_OK) return e;
  if (n_check != n || lost_check.n != lost.n || head != off || dirty) return STORE_ERR_IO;

  e = write_header(s, next, seq);
  if (e != STORE_OK) return e;
  s->active = next;
  s->seq = seq;
  s->head = off;
  s->dirty = false;
  s->n_keys = n;
  memcpy(s->idx, idx, sizeof idx);
  s->n_lost = lost.n;
  memcpy(s->lost, lost.keys, sizeof lost.keys);
  s->stats.compactions++;
  return STORE_OK;
}

static store_err_t compact(store_t *s, bool with_new, uint16_t key, const void *data, uint16_t len) {
  uint32_t need = STORE_SECTOR_HEADER;
  for (uint8_t i = 0; i < s->n_keys; i++)
    if (!with_new || s->idx[i].key != key) need += store_record_size(s->idx[i].len);
  if (with_new) need += store_record_size(len);
  uint8_t n_lost = 0;
  for (uint8_t i = 0; i < s->n_lost; i++) n_lost += !(with_new && s->lost[i] == key);
  if (n_lost) need += store_record_size(2u * n_lost);
  if (need > SECTOR) return STORE_ERR_FULL;
  /* The next sector of the ring; if it fails (worn cells, read-back mismatch), the one after, and so on.
   * Each attempt takes a higher sequence number, so a half-good failed sector can never outrank the one
   * that succeeds. A power cut ends the attempts at once. */
  store_err_t e = STORE_ERR_IO;
  for (uint16_t step = 1; step < s->n_sectors; step++) {
    uint16_t next = (uint16_t)((s->active + step) % s->n_sectors);
    e = compact_into(s, next, s->seq + step, with_new, key, data, len);
    if (e == STORE_OK || s->last_hal == HAL_ERR_POWER) return e;
    s->stats.bad_sectors++;
    hal_log(HAL_LOG_WARN, "store", "sector %u unusable (%d), trying the next", (unsigned)next, (int)e);
  }
  return e;
}

store_err_t store_mount(store_t *s, hal_partition_t part, uint32_t offset, uint32_t size) {
  if (!s || size % SECTOR != 0 || offset % SECTOR != 0 || size / SECTOR < 2 ||
      size / SECTOR > 0xFFFFu)
    return STORE_ERR_ARG;
  memset(s, 0, sizeof *s);
  s->part = part;
  s->base = offset;
  s->n_sectors = (uint16_t)(size / SECTOR);

  bool found = false;
  for (uint16_t i = 0; i < s->n_sectors; i++) {
    bool valid;
    uint32_t seq;
    store_err_t e = header_read(s, i, &valid, &seq);
    if (e != STORE_OK) return e;
    if (valid && (!found || seq > s->seq)) {
      found = true;
      s->active = i;
      s->seq = seq;
    }
  }
  if (!found) {
    /* Blank (or never a store): start at the first sector that takes a header, with seq 1. */
    store_err_t e = STORE_ERR_IO;
    for (uint16_t i = 0; i < s->n_sectors; i++) {
      e = erase_sector(s, i);
      if (e == STORE_OK) e = write_header(s, i, 1);
      if (e == STORE_OK) {
        s->active = i;
        s->seq = 1;
        s->head = STORE_SECTOR_HEADER;
        return STORE_OK;
      }
      if (s->last_hal == HAL_ERR_POWER) return e;
      s->stats.bad_sectors++;
    }
    return e;
  }
  lost_set_t lost;
  store_err_t e = sector_scan(s, s->active, s->idx, &s->n_keys, &lost, &s->head, &s->dirty);
  if (e != STORE_OK) return e;
  s->n_lost = lost.n;
  memcpy(s->lost, lost.keys, sizeof lost.keys);
  if (s->dirty) s->stats.torn_found++;
  return STORE_OK;
}

static bool key_lost(const store_t *s, uint16_t key) {
  for (uint8_t i = 0; i < s->n_lost; i++)
    if (s->lost[i] == key) return true;
  return false;
}

static void forget_lost(store_t *s, uint16_t key) {
  for (uint8_t i = 0; i < s->n_lost; i++)
    if (s->lost[i] == key) s->lost[i--] = s->lost[--s->n_lost];
}

store_err_t store_get(store_t *s, uint16_t key, void *buf, size_t cap, size_t *len_out) {
  if (!s || key == 0 || key == ERASED_KEY || key == STORE_KEY_LOST) return STORE_ERR_ARG;
  if (key_lost(s, key)) return STORE_ERR_CORRUPT;
  store_slot_t *slot = slot_find(s->idx, s->n_keys, key);
  if (!slot) return STORE_ERR_NOT_FOUND;
  if (len_out) *len_out = slot->len;
  if (slot->len > cap) return STORE_ERR_TOO_BIG;
  if (slot->len && !buf) return STORE_ERR_ARG;
  uint8_t h[REC_HDR], c[REC_CRC];
  store_err_t e = rd(s, s->active, slot->off, h, REC_HDR);
  if (e == STORE_OK) e = rd(s, s->active, slot->off + REC_HDR, buf, slot->len);
  if (e == STORE_OK) e = rd(s, s->active, slot->off + REC_HDR + pad4(slot->len), c, REC_CRC);
  if (e != STORE_OK) return e;
  uint32_t crc = obl_crc32(obl_crc32(0, h, REC_HDR), buf, slot->len);
  if (get16(h) != key || get16(h + 2) != slot->len || get32(c) != crc) return STORE_ERR_CORRUPT;
  return STORE_OK;
}

static store_err_t same_value(store_t *s, const store_slot_t *slot, const uint8_t *data, bool *same) {
  uint8_t buf[CHUNK];
  *same = false;
  /* The stored record must also still be intact: a rotted one is rewritten, i.e. repaired. */
  bool ok, erased;
  uint16_t k = 0, l = 0;
  store_err_t ce = record_check(s, s->active, slot->off, &ok, &erased, &k, &l);
  if (ce != STORE_OK) return ce;
  if (!ok || k != slot->key || l != slot->len) return STORE_OK;
  for (uint32_t done = 0; done < slot->len;) {
    uint32_t n = slot->len - done < CHUNK ? slot->len - done : CHUNK;
    store_err_t e = rd(s, s->active, slot->off + REC_HDR + done, buf, n);
    if (e != STORE_OK) return e;
    if (memcmp(buf, data + done, n) != 0) return STORE_OK;
    done += n;
  }
  *same = true;
  return STORE_OK;
}

store_err_t store_put(store_t *s, uint16_t key, const void *data, size_t len) {
  if (!s || key == 0 || key == ERASED_KEY || key == STORE_KEY_LOST || (len && !data)) return STORE_ERR_ARG;
  if (len > STORE_MAX_VALUE) return STORE_ERR_TOO_BIG;
  store_slot_t *slot = slot_find(s->idx, s->n_keys, key);
  if (!slot && s->n_keys >= STORE_MAX_KEYS) return STORE_ERR_FULL;
  if (slot && slot->len == len) {
    bool same;
    store_err_t e = same_value(s, slot, data, &same);
    if (e != STORE_OK) return e;
    if (same) return STORE_OK;
  }
  uint32_t size = store_record_size(len);
  if (!s->dirty && s->head + size <= SECTOR) {
    uint32_t off = s->head;
    /* Whatever happens next, bytes from head on may be programmed: only a good read-back clears this. */
    s->dirty = true;
    store_err_t e = write_record(s, s->active, off, key, data, (uint16_t)len);
    if (e != STORE_OK) return e;
    bool ok, erased;
    uint16_t k, l;
    e = record_check(s, s->active, off, &ok, &erased, &k, &l);
    if (e != STORE_OK) return e;
    if (ok && k == key && l == len) {
      if (!slot) {
        slot = &s->idx[s->n_keys++];
        slot->key = key;
      }
      slot->len = (uint16_t)len;
      slot->off = off;
      s->head = off + size;
      s->dirty = false;
      s->stats.appends++;
      forget_lost(s, key); /* repaired: this record follows anything that marked it lost */
      return STORE_OK;
    }
    /* Read-back failed (weak cell, bits not programmed): fall through and compact with the new value. */
  }
  return compact(s, true, key, data, (uint16_t)len);
}
