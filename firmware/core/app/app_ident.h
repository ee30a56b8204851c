/* app_ident.h — who the plug is: the port's options and what boot derives from them (id, hostname, MAC,
 * firmware version, board profile). Written once by obl_app_init() before either loop runs, read-only
 * afterwards, so both loops may read it. */
#ifndef OBL_APP_IDENT_H
#define OBL_APP_IDENT_H

#include <stdint.h>

#include "app/app.h"
#include "board/board.h"
#include "hal.h"

#define APP_DEFAULT_MODEL "BL602 BL0937 plug"
#define APP_DEFAULT_HTTP_PORT 80u
#define APP_DEFAULT_OTA_BOARD "sm-028-v1.3"

typedef struct {
  app_options_t opt;
  app_transport_t transport;
  char id[APP_ID_MAX + 1];
  char hostname[APP_ID_MAX + 11];
  char mac[13];
  char fw[17]; /* running firmware version: the running slot's image version, else OBL_FW_VERSION */
  const char *model;
  uint16_t http_port;
  board_profile_t board;
  uint64_t boot_ms;
} app_ident_t;

/* boot only */
app_ident_t *app_ident_boot(const app_options_t *opt, const app_transport_t *transport);
const app_ident_t *app_ident(void);

static inline uint64_t app_now_ms(void) { return hal_time_us64() / 1000u; }

#endif
