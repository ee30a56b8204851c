#include "energy/energy.h"

#include <string.h>

static store_err_t load(energy_t *e) {
  uint8_t b[8];
  size_t len = 0;
  store_err_t s = store_get(e->store, STORE_KEY_ENERGY, b, sizeof b, &len);
  uint64_t v = 0;
  if (s == STORE_OK && len == 8) {
    for (int i = 7; i >= 0; i--) v = v << 8 | b[i];
  } else if (s == STORE_OK || s == STORE_ERR_TOO_BIG) {
    return STORE_ERR_CORRUPT; /* not a record we wrote: keep asking rather than restart from 0 */
  } else if (s != STORE_ERR_NOT_FOUND) {
    return s;
  }
  e->persisted_uwh = v;
  e->total_uwh = v + e->pending_uwh;
  e->pending_uwh = 0;
  e->loaded = true;
  return STORE_OK;
}

store_err_t energy_init(energy_t *e, store_t *st, uint64_t now_us) {
  memset(e, 0, sizeof *e);
  e->store = st;
  e->last_persist_us = now_us;
  return load(e);
}

void energy_add_uwh(energy_t *e, uint64_t uwh) {
  if (e->loaded)
    e->total_uwh += uwh;
  else
    e->pending_uwh += uwh;
}

static store_err_t persist(energy_t *e, uint64_t now_us) {
  uint8_t b[8];
  uint64_t v = e->total_uwh;
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
  store_err_t s = store_put(e->store, STORE_KEY_ENERGY, b, sizeof b);
  e->last_persist_us = now_us; /* also after a failure: retry at the next step, not in a tight loop */
  if (s == STORE_OK) {
    e->persisted_uwh = v;
    e->writes++;
  } else {
    e->write_errors++;
  }
  return s;
}

store_err_t energy_poll(energy_t *e, uint64_t now_us) {
  if (!e->loaded) return load(e);
  if (e->total_uwh <= e->persisted_uwh) return STORE_OK;
  uint64_t grown = e->total_uwh - e->persisted_uwh;
  bool step = grown >= ENERGY_PERSIST_STEP_UWH;
  bool period = now_us - e->last_persist_us >= ENERGY_PERSIST_PERIOD_US;
  return step || period ? persist(e, now_us) : STORE_OK;
}

store_err_t energy_flush(energy_t *e, uint64_t now_us) {
  if (!e->loaded) return STORE_ERR_IO;
  if (e->total_uwh <= e->persisted_uwh) return STORE_OK;
  return persist(e, now_us);
}

store_err_t energy_reset(energy_t *e, uint64_t now_us) {
  if (!e->loaded) return STORE_ERR_IO;
  uint64_t keep_total = e->total_uwh, keep_persisted = e->persisted_uwh;
  e->total_uwh = 0;
  store_err_t s = persist(e, now_us);
  if (s != STORE_OK) {
    e->total_uwh = keep_total; /* not reset unless it is on flash: a reboot must not bring it back */
    e->persisted_uwh = keep_persisted;
  }
  return s;
}

bool energy_wh(const energy_t *e, uint64_t *wh) {
  if (!e->loaded) return false;
  *wh = e->total_uwh / 1000000u;
  return true;
}
