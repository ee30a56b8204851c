/* ota_check <flash> <board> <image> [pubkey-hex]: runs one image file through the OTA manager on a fresh
 * flash and prints the result code ("ok" or the error code); exit 0 only for "ok". Used by ota_tool_test.sh
 * to check images made by firmware/tools/obl_image.py against the firmware. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ota/ota.h"
#include "posix_sys.h"

static uint8_t img[2u * 1024u * 1024u];

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  char boot[4200];
  snprintf(boot, sizeof boot, "%s.boot", argv[1]);
  unlink(argv[1]);
  unlink(boot);
  posix_sys_config_t c;
  posix_sys_config_defaults(&c);
  c.flash_path = argv[1];
  c.fw_slot_size = 256u * 1024u;
  c.quiet = true;
  if (posix_sys_configure(&c) != 0) return 2;
  store_t st;
  if (store_mount(&st, HAL_PART_SETTINGS, 0, 32768) != STORE_OK) return 2;
  ota_config_t cfg;
  ota_config_defaults(&cfg);
  cfg.board_id = argv[2];
  cfg.accept_bl60x = true;
  ota_t ota;
  ota_init(&ota, &st, &cfg, 0);
  if (argc > 4) {
    uint8_t key[65];
    if (strlen(argv[4]) != 130) return 2;
    for (int i = 0; i < 65; i++) {
      char b[3] = {argv[4][2 * i], argv[4][2 * i + 1], 0};
      key[i] = (uint8_t)strtoul(b, NULL, 16);
    }
    ota_set_public_key(&ota, key);
  }
  FILE *f = fopen(argv[3], "rb");
  if (!f) return 2;
  size_t n = fread(img, 1, sizeof img, f);
  fclose(f);
  ota_err_t e = ota_begin(&ota, (uint32_t)n);
  for (size_t off = 0; !e && off < n; off += 1000) e = ota_write(&ota, img + off, n - off < 1000 ? n - off : 1000);
  if (!e) e = ota_finish(&ota);
  printf("%s\n", e ? ota_err_code(e) : "ok");
  return e ? 1 : 0;
}
