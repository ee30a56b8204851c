/* app_persist.h — the application's records in the record store (docs/storage.md): the config of
 * docs/protocol.md §4 under STORE_KEY_SETTINGS and the relay state under STORE_KEY_RELAY. The plug
 * (app_device.c) and the power-cut sweep (tests/powercut) both go through these functions, so the sweep
 * proves the bytes the firmware really writes. Portable: no sockets, no app_t.
 *
 * Config record: the protocol's own JSON with its secrets (app_config_write_persist), ≤ APP_CONFIG_PERSIST_MAX
 * bytes. Self-describing, so a firmware that adds fields still reads an older record. It is validated on the
 * way in by app_config_patch() with the PATCH rules, field by field: a field a newer firmware added, or a
 * value this one does not know, keeps its default and everything else loads (Wi-Fi, API password and OTA
 * key survive a downgrade); only a record that is no JSON object gives the defaults. Kept twice
 * (STORE_KEY_SETTINGS_COPY, core/store/store_twin.h): one rotted record loses nothing, and the load repairs
 * the other; an older firmware reads STORE_KEY_SETTINGS alone and finds the whole config.
 * Relay record: 1 byte, bit i = relay i on; its own record so a click does not rewrite the config.
 *
 * Not thread-safe (static encode/decode buffers): one owner task, as the store itself. */
#ifndef OBL_APP_PERSIST_H
#define OBL_APP_PERSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app_model.h"
#include "relay/relay.h"
#include "store/store.h"

/* Flash the application's store uses at the start of HAL_PART_SETTINGS: 8 sectors. The lifetime at 16 A
 * with the largest (1 KiB) config record depends on it (docs/storage.md, tests/energy). */
#define APP_STORE_SIZE (8u * HAL_FLASH_SECTOR)

/* The config record's bytes: length (≤ cap), or -1 when it does not fit cap. */
int32_t app_config_encode(const app_config_t *cfg, char *buf, size_t cap);

/* Loads the stored config (from the copy when the record rotted) and brings the other record up to date (a
 * flash write only when they differ). STORE_OK: *cfg is the stored config. Otherwise *cfg is the defaults
 * (name = hostname): STORE_ERR_NOT_FOUND never saved, STORE_ERR_CORRUPT both records rotted or a record that
 * is no JSON object, or the store's error. Fields dropped from a readable record are logged. */
store_err_t app_config_load(store_t *st, app_config_t *cfg, const char *hostname);

/* Writes the config record, then its copy (no flash write when unchanged). STORE_ERR_TOO_BIG when its record
 * would exceed APP_CONFIG_PERSIST_MAX (app_config_apply refuses such configs, so it cannot happen to an
 * accepted one). */
store_err_t app_config_save(store_t *st, const app_config_t *cfg);

/* The saved relay mask; false when none was saved (fresh plug) or it is unreadable. */
bool app_relay_load(store_t *st, uint8_t *mask);
store_err_t app_relay_save(store_t *st, uint8_t mask);

/* The relay module's power-on policy for the config's "startup". */
relay_power_on_t app_config_power_on(const app_config_t *cfg);

#endif
