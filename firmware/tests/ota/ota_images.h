/* Test images built in C with OpenSSL (independent of firmware/tools/obl_image.py, which ota_tool_test checks
 * against the firmware separately). */
#ifndef OTA_IMAGES_H
#define OTA_IMAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct test_key test_key_t;
test_key_t *test_key_new(void);
void test_key_public(const test_key_t *k, uint8_t pub[65]);
void test_key_free(test_key_t *k);

/* Security counter the next images carry (0: none). */
extern uint32_t test_security_counter;

size_t make_obli(uint8_t *out, const char *board, const char *version, const uint8_t *payload, size_t n,
                 const test_key_t *key);
size_t make_bl60x(uint8_t *out, bool xz, const char *hw, const char *sw, const uint8_t *body, size_t n,
                  const test_key_t *key);

#endif
