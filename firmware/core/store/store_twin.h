/* store_twin.h — one value kept in two records of the store, so that one rotted record loses nothing
 * (docs/storage.md, "Two copies").
 *
 * The value is written to its primary key, then, with the same bytes, to its copy key. The primary is the
 * record an older firmware knows (it reads and writes only that one), so its format never changes; the
 * copy is a second record of the same bytes. Reading takes the primary when it is intact, else the copy,
 * and then writes the other record if it differs (repair; writing an equal, intact record costs nothing).
 *
 * Why the primary wins when both are intact but differ: it is always written first, so the copy lags only
 * while a write is under way (power cut between the two), after a copy write that failed, or after an
 * older firmware wrote the primary alone — in each case the primary holds the newer value. The store
 * returns an older record of a key only for a torn last record, i.e. a write that never returned.
 *
 * Stateless: every call works on the store it is given (one owner task, as the store). */
#ifndef OBL_STORE_TWIN_H
#define OBL_STORE_TWIN_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct {
  uint16_t primary; /* the key older firmware reads */
  uint16_t copy;
} store_twin_t;

typedef enum {
  STORE_TWIN_BOTH = 0,    /* the primary was intact and the copy equal (or made equal) */
  STORE_TWIN_FROM_COPY,   /* the primary was unreadable: the copy's value, the primary rewritten from it */
  STORE_TWIN_COPY_FIXED,  /* the primary's value; the copy was missing, rotted or stale and was rewritten */
  STORE_TWIN_REPAIR_FAIL, /* a value was read, but writing the other record failed (it stays as it was) */
} store_twin_source_t;

/* Reads the value (see above) into buf. Returns STORE_OK with *src saying where it came from, or, when
 * neither record is readable, the primary's error (STORE_ERR_NOT_FOUND only when neither was ever
 * written; STORE_ERR_CORRUPT when a record rotted and the other is missing or rotted too). src may be NULL. */
store_err_t store_twin_get(store_t *s, store_twin_t t, void *buf, size_t cap, size_t *len_out,
                           store_twin_source_t *src);

/* Writes the value to the primary, then the copy. The value is committed once the primary is written:
 * STORE_OK then, even when the copy write fails (logged; the next write or boot repairs it). A power cut
 * during the copy write returns its error (nothing ran after it), and the next boot reads the new value. */
store_err_t store_twin_put(store_t *s, store_twin_t t, const void *data, size_t len);

#endif
