/* libFuzzer: OpenBeken template import on arbitrary bytes. Never crashes, leaves the output untouched on
 * error, and every accepted profile validates and survives export → import unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "board/board.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  board_profile_t p, q;
  board_error_t err;
  memset(&p, 0x5A, sizeof p);
  board_err_t e = board_import_openbeken((const char *)data, size, &p, &err);
  if (e != BOARD_OK) {
    const uint8_t *b = (const uint8_t *)&p;
    for (size_t i = 0; i < sizeof p; i++) {
      if (b[i] != 0x5A) abort(); /* nothing applied */
    }
    if (err.code != e || err.message[0] == '\0' || memchr(err.message, 0, sizeof err.message) == NULL) abort();
    return 0;
  }
  if (board_validate(&p, &err) != BOARD_OK) abort();
  char out[1024];
  jsonw_t w;
  jsonw_init(&w, out, sizeof out);
  board_export_openbeken(&p, &w);
  int32_t n = jsonw_finish(&w);
  if (n < 0) abort();
  if (board_import_openbeken(out, (size_t)n, &q, &err) != BOARD_OK) abort();
  if (memcmp(&p, &q, sizeof p) != 0) abort();
  return 0;
}
