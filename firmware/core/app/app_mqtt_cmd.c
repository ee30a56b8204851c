/* app_mqtt_cmd.c — MQTT commands into the main loop (docs/protocol.md §8.3, §8.5). Network loop. */
#include "app/app_mqtt_cmd.h"

#include <stdio.h>
#include <string.h>

#include "app/app_ident.h"
#include "app/app_link.h"
#include "app/app_network.h"
#include "app/app_ota.h"
#include "cmdauth/cmdauth.h"

/* Owner: app_mqtt_command (network loop); off the network task's stack. */
static store_t *s_cmd_store; /* where cmdauth keeps its counter (main loop's store, inside app_link_store_enter) */
static app_errors_t s_cmd_errs;
static app_config_change_t s_cmd_change; /* an MQTT config command's change, parsed once here */
static app_call_t s_call;
/* MQTT commands that need the authenticated form (core/cmdauth, §8.5). */
static cmdauth_t s_cmd_auth;

void app_mqtt_cmd_boot(store_t *cmd_store) {
  s_cmd_store = cmd_store;
  memset(&s_cmd_auth, 0, sizeof(s_cmd_auth));
}

/* §8.3: the same commands as the HTTP API, run by the main loop. */
bool app_mqtt_command(void *ctx, const char *name, const char *body, size_t len, mqttdev_error_t *err) {
  (void)ctx;
  app_errors_t *errs = &s_cmd_errs;
  app_call_t *c = &s_call;
  memset(c, 0, sizeof(*c));
  memset(errs, 0, sizeof(*errs));
  c->errs = errs;
  int kind = app_cmd_kind(name);
  bool ok = false;
  const app_view_t *v = app_link_view();
  const char *why = NULL;
  app_link_store_enter(); /* an accepted authenticated command's counter goes to flash (app_link.h) */
  bool admitted = cmdauth_admit(&s_cmd_auth, s_cmd_store, app_ident()->id, v->cfg.api_password, v->safe_mode, name,
                                &body, &len, &why);
  app_link_store_leave();
  if (!admitted) {
    app_errors_add(errs, "not_allowed", NULL, why);
  } else if (kind < 0) {
    app_errors_add(errs, "not_found", NULL, "unknown command");
  } else if (kind == APP_CMD_CONFIG ? app_cmd_parse_config(&c->cmd, &s_cmd_change, body, len, APP_SRC_MQTT, errs)
                                    : app_cmd_parse(&c->cmd, (uint8_t)kind, body, len, errs)) {
    c->src = APP_SRC_MQTT;
    c->change = kind == APP_CMD_CONFIG ? &s_cmd_change : NULL;
    /* the OTA key gate as over HTTP (a password set counts as proven, as for the HTTP route) */
    bool gated = kind != APP_CMD_CONFIG ||
                 app_ota_gate_config(c, app_link_view()->cfg.api_password[0] != '\0', appnet_setup_mode());
    ok = gated && app_link_call(c) && c->status == 200;
  }
  if (ok) return true;
  snprintf(err->code, sizeof(err->code), "%.31s", errs->e[0].code);
  snprintf(err->message, sizeof(err->message), "%.95s", errs->e[0].message);
  snprintf(err->field, sizeof(err->field), "%.31s", errs->e[0].field);
  return false;
}
