/* Two copies of one value in the record store: see store_twin.h and docs/storage.md. */
#include "store/store_twin.h"

/* Flash writes done by the store so far: tells a repair that wrote from one that found the record equal. */
static uint32_t writes(const store_t *s) { return s->stats.appends + s->stats.compactions; }

/* Makes `key` hold buf (no write when it already does, intact). */
static store_err_t make_equal(store_t *s, uint16_t key, const void *buf, size_t len, bool *wrote) {
  uint32_t before = writes(s);
  store_err_t e = store_put(s, key, buf, len);
  *wrote = writes(s) != before;
  return e;
}

store_err_t store_twin_get(store_t *s, store_twin_t t, void *buf, size_t cap, size_t *len_out,
                           store_twin_source_t *src) {
  store_twin_source_t dummy;
  if (!src) src = &dummy;
  size_t len = 0;
  store_err_t ep = store_get(s, t.primary, buf, cap, &len);
  bool from_copy = false;
  if (ep == STORE_ERR_CORRUPT || ep == STORE_ERR_NOT_FOUND) {
    store_err_t ec = store_get(s, t.copy, buf, cap, &len);
    if (ec != STORE_OK) return ec == STORE_ERR_NOT_FOUND || ec == STORE_ERR_CORRUPT ? ep : ec;
    from_copy = true;
    if (ep == STORE_ERR_CORRUPT)
      hal_log(HAL_LOG_WARN, "store", "key %u rotted: read from its copy", (unsigned)t.primary);
  } else if (ep != STORE_OK) {
    return ep; /* unreadable flash or a buffer too small: not a question the copy answers */
  }
  if (len_out) *len_out = len;
  bool wrote = false;
  store_err_t er = make_equal(s, from_copy ? t.primary : t.copy, buf, len, &wrote);
  if (er != STORE_OK) {
    hal_log(HAL_LOG_WARN, "store", "could not repair key %u (%d)", (unsigned)(from_copy ? t.primary : t.copy), (int)er);
    *src = STORE_TWIN_REPAIR_FAIL;
  } else {
    *src = from_copy ? STORE_TWIN_FROM_COPY : wrote ? STORE_TWIN_COPY_FIXED : STORE_TWIN_BOTH;
  }
  return STORE_OK;
}

store_err_t store_twin_put(store_t *s, store_twin_t t, const void *data, size_t len) {
  store_err_t e = store_put(s, t.primary, data, len);
  if (e != STORE_OK) return e;
  e = store_put(s, t.copy, data, len);
  if (e == STORE_OK || s->last_hal == HAL_ERR_POWER) return e;
  hal_log(HAL_LOG_WARN, "store", "copy of key %u not written (%d): one copy until the next write", (unsigned)t.primary,
          (int)e);
  return STORE_OK;
}
