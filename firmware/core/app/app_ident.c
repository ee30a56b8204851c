/* app_ident.c — the plug's identity (see app_ident.h). */
#include "app/app_ident.h"

#include <stdio.h>
#include <string.h>

#include "ota/ota.h"

static app_ident_t s_ident;

app_ident_t *app_ident_boot(const app_options_t *opt, const app_transport_t *transport) {
  app_ident_t *id = &s_ident;
  memset(id, 0, sizeof(*id));
  if (opt) id->opt = *opt;
  id->transport = *transport;
  id->boot_ms = app_now_ms();
  uint8_t mac[6];
  hal_mac_address(mac);
  snprintf(id->mac, sizeof(id->mac), "%02x%02x%02x%02x%02x%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  if (id->opt.id && app_id_valid(id->opt.id)) {
    snprintf(id->id, sizeof(id->id), "%s", id->opt.id);
  } else {
    snprintf(id->id, sizeof(id->id), "%02x%02x%02x", mac[3], mac[4], mac[5]);
  }
  /* "openbl602-<id>", put together by hand: GCC's -Wformat-truncation cannot see that id fits */
  static const char prefix[] = "openbl602-";
  size_t n = 0;
  while (n < APP_ID_MAX && id->id[n]) n++;
  memcpy(id->hostname, prefix, sizeof(prefix) - 1);
  memcpy(id->hostname + sizeof(prefix) - 1, id->id, n);
  id->hostname[sizeof(prefix) - 1 + n] = '\0';
  id->model = id->opt.model ? id->opt.model : APP_DEFAULT_MODEL;
  id->http_port = id->opt.http_port ? id->opt.http_port : APP_DEFAULT_HTTP_PORT;
  if (!(id->opt.board && board_builtin(id->opt.board, &id->board))) board_default(&id->board);
  /* The simulated plug "runs" whatever image its slot holds, so an OTA visibly changes its version;
   * on hardware the slot holds a vendor image without our version string and the build's version shows. */
  if (!ota_slot_version(hal_boot_running_slot(), id->fw) || id->fw[0] == '\0') {
    snprintf(id->fw, sizeof(id->fw), "%s", OBL_FW_VERSION);
  }
  return id;
}

const app_ident_t *app_ident(void) { return &s_ident; }
