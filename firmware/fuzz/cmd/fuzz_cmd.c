/* libFuzzer target: the JSON command parser shared by HTTP and MQTT (app_cmd_parse) and the config
 * patch (app_config_patch, from every source). First byte picks the command; the rest is the body. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "app/app_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t kind = (uint8_t)(data[0] % (APP_CMD_COUNT + 1));
  const char *body = (const char *)data + 1;
  size_t len = size - 1;
  app_cmd_t cmd;
  app_errors_t errs;
  (void)app_cmd_parse(&cmd, kind, body, len, &errs);
  if (errs.count > APP_ERRORS_MAX) __builtin_trap();

  app_config_t cfg, before;
  app_config_defaults(&cfg, "openbl602-fuzz");
  before = cfg;
  app_source_t src = (app_source_t)(data[0] % 3);
  bool ok = app_config_patch(&cfg, body, len, src, &errs);
  if (!ok && memcmp(&cfg, &before, sizeof(cfg)) != 0) __builtin_trap(); /* all-or-nothing */
  char out[1536];
  jsonw_t w;
  jsonw_init(&w, out, sizeof(out));
  app_config_write(&cfg, &w);
  if (jsonw_finish(&w) < 0) __builtin_trap(); /* any accepted config must render */
  jsonw_init(&w, out, sizeof(out));
  app_errors_write(&errs, &w);
  if (jsonw_finish(&w) < 0) __builtin_trap();

  /* what goes to flash must come back identical: a config the plug accepted can never fail to load */
  char flash[1024];
  jsonw_init(&w, flash, sizeof(flash));
  app_config_write_persist(&cfg, &w);
  int32_t n = jsonw_finish(&w);
  if (n < 0) __builtin_trap();
  app_config_t reloaded;
  app_config_defaults(&reloaded, "openbl602-fuzz");
  if (!app_config_patch(&reloaded, flash, (size_t)n, APP_SRC_HTTP, &errs)) __builtin_trap();
  jsonw_init(&w, out, sizeof(out));
  app_config_write_persist(&reloaded, &w);
  if (jsonw_finish(&w) != n || memcmp(out, flash, (size_t)n) != 0) __builtin_trap();
  return 0;
}
