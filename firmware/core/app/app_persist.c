/* app_persist.c — config and relay records in the store (see app_persist.h). */
#include "app/app_persist.h"

#include "store/store_twin.h"

_Static_assert(APP_CONFIG_PERSIST_MAX <= STORE_MAX_VALUE, "a config record must fit one store value");

static char s_record[APP_CONFIG_PERSIST_MAX];

/* The config in two records (store_twin.h): STORE_KEY_SETTINGS, the one every firmware reads, and its copy. */
static const store_twin_t CONFIG = {STORE_KEY_SETTINGS, STORE_KEY_SETTINGS_COPY};

int32_t app_config_encode(const app_config_t *cfg, char *buf, size_t cap) {
  jsonw_t w;
  jsonw_init(&w, buf, cap);
  app_config_write_persist(cfg, &w);
  return jsonw_finish(&w);
}

store_err_t app_config_load(store_t *st, app_config_t *cfg, const char *hostname) {
  app_config_defaults(cfg, hostname);
  size_t n = 0;
  store_twin_source_t from = STORE_TWIN_BOTH;
  store_err_t e = store_twin_get(st, CONFIG, s_record, sizeof(s_record), &n, &from);
  if (e != STORE_OK) return e == STORE_ERR_TOO_BIG ? STORE_ERR_CORRUPT : e;
  if (from == STORE_TWIN_FROM_COPY) hal_log(HAL_LOG_WARN, "app", "config record rotted: loaded from its copy");
  static app_errors_t errs; /* boot path only; static like s_record: off the task stack */
  if (!app_config_patch(cfg, s_record, n, APP_SRC_FLASH, &errs)) { /* cfg untouched: the defaults */
    hal_log(HAL_LOG_ERROR, "app", "stored config unreadable (%s): defaults", errs.e[0].message);
    return STORE_ERR_CORRUPT;
  }
  for (uint8_t i = 0; i < errs.count; i++) {
    hal_log(HAL_LOG_WARN, "app", "stored config: %s dropped (%s), default kept", errs.e[i].field, errs.e[i].code);
  }
  return STORE_OK;
}

store_err_t app_config_save(store_t *st, const app_config_t *cfg) {
  int32_t n = app_config_encode(cfg, s_record, sizeof(s_record));
  if (n < 0) return STORE_ERR_TOO_BIG;
  return store_twin_put(st, CONFIG, s_record, (size_t)n);
}

bool app_relay_load(store_t *st, uint8_t *mask) {
  uint8_t v = 0;
  size_t n = 0;
  if (store_get(st, STORE_KEY_RELAY, &v, 1, &n) != STORE_OK || n != 1) return false;
  *mask = v;
  return true;
}

store_err_t app_relay_save(store_t *st, uint8_t mask) {
  return store_put(st, STORE_KEY_RELAY, &mask, 1); /* same value: no flash write */
}

relay_power_on_t app_config_power_on(const app_config_t *cfg) {
  static const relay_power_on_t map[] = {RELAY_POWER_ON_OFF, RELAY_POWER_ON_ON, RELAY_POWER_ON_RESTORE,
                                         RELAY_POWER_ON_TOGGLE};
  return map[cfg->startup < 4 ? cfg->startup : APP_STARTUP_RESTORE];
}
