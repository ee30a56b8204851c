/* store.h — power-cut-safe key/value record store on NOR flash (see docs/storage.md).
 *
 * A log of CRC-checked records in one "active" 4 KiB sector of a ring of ≥ 2 sectors. Writes append; when the
 * sector is full (or a torn record was found at mount) the latest record of every key is copied into the next
 * sector of the ring, whose header is written last: until that header is complete the old sector stays the
 * valid one. So a power cut at any byte leaves either the old or the new value of a key, never garbage.
 *
 * All state is in store_t (no globals): several stores, and copies of one, can coexist (the power-cut sweep
 * relies on it). Flash access goes through hal_flash_*. Not thread-safe: one owner task.
 */
#ifndef OBL_STORE_H
#define OBL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal.h"

#define STORE_MAX_KEYS 16u     /* distinct keys in one store */
#define STORE_MAX_VALUE 1024u  /* bytes of one value */
#define STORE_SECTOR_HEADER 16u

/* Keys used by the firmware (one place, so two modules never share one by accident). */
enum {
  STORE_KEY_SETTINGS = 1,
  STORE_KEY_RELAY = 2,
  STORE_KEY_ENERGY = 3,
  STORE_KEY_BOOT = 4,
  STORE_KEY_OTA = 5,
  STORE_KEY_OTA_TRUST = 6, /* OTA signing key and security counter floor */
  STORE_KEY_SETTINGS_COPY = 7,  /* second copy of STORE_KEY_SETTINGS (store_twin.h) */
  STORE_KEY_OTA_TRUST_COPY = 8, /* second copy of STORE_KEY_OTA_TRUST */
  STORE_KEY_LOST = 0xFFFE, /* reserved: the store's own list of keys whose latest value rotted */
};

typedef enum {
  STORE_OK = 0,
  STORE_ERR_ARG = -1,       /* bad key (0 or 0xFFFF), geometry, or NULL */
  STORE_ERR_NOT_FOUND = -2, /* key never written */
  STORE_ERR_TOO_BIG = -3,   /* value > STORE_MAX_VALUE, or larger than the caller's buffer */
  STORE_ERR_FULL = -4,      /* live values no longer fit one sector, or too many keys */
  STORE_ERR_IO = -5,        /* flash read/write/erase failed (includes a simulated power cut) */
  STORE_ERR_CORRUPT = -6,   /* a record failed its CRC when read back */
} store_err_t;

typedef struct {
  uint32_t appends;     /* records appended in place */
  uint32_t compactions; /* sector switches */
  uint32_t erases;      /* sector erases (wear) */
  uint32_t torn_found;  /* mounts that found a torn record or dirty free space */
  uint32_t bad_sectors; /* compactions that had to skip a sector that failed erase/write/read-back */
} store_stats_t;

typedef struct {
  uint16_t key;
  uint16_t len;
  uint32_t off; /* record offset inside the active sector */
} store_slot_t;

typedef struct {
  hal_partition_t part;
  uint32_t base;      /* partition offset of sector 0 */
  uint16_t n_sectors; /* ≥ 2 */
  uint16_t active;    /* sector holding the live log */
  uint32_t seq;       /* the active sector's sequence number; the highest valid one wins at mount */
  uint32_t head;      /* first free byte in the active sector */
  bool dirty;         /* bytes after head are not erased (torn write): next put compacts first */
  uint8_t n_keys;
  store_slot_t idx[STORE_MAX_KEYS];
  uint8_t n_lost;
  uint16_t lost[STORE_MAX_KEYS]; /* keys whose latest record rotted: read as STORE_ERR_CORRUPT until put */
  store_stats_t stats;
  hal_status_t last_hal; /* status of the last flash call */
} store_t;

/* Mount the store in [offset, offset+size) of `part` (size a multiple of HAL_FLASH_SECTOR, ≥ 2 sectors).
 * A blank or wholly unreadable-as-store area is formatted. Torn records are skipped (the previous value of
 * that key stays); read errors return STORE_ERR_IO and never format. */
store_err_t store_mount(store_t *s, hal_partition_t part, uint32_t offset, uint32_t size);

/* Copy the latest value of `key` into buf. STORE_ERR_CORRUPT when that value rotted on flash (never an older
 * value of the key instead); the next store_put of the key repairs it. *len_out (may be NULL) gets the value's length, also when
 * STORE_ERR_TOO_BIG says the buffer was too small. */
store_err_t store_get(store_t *s, uint16_t key, void *buf, size_t cap, size_t *len_out);

/* Store a new value for `key` (len ≤ STORE_MAX_VALUE, 0 allowed). Returns only after the record has been
 * read back intact. Writing the value already stored costs no flash write, unless that record no longer
 * passes its CRC: then it is written again (repaired). */
store_err_t store_put(store_t *s, uint16_t key, const void *data, size_t len);

/* Bytes a value of `len` occupies on flash (header + padded payload + CRC). */
uint32_t store_record_size(size_t len);

/* Bytes of the active sector in use (header + live and superseded records). */
uint32_t store_used(const store_t *s);

#endif
