/* posix_sys: NOR semantics of the flash file, the power-cut injector, trial boot and rollback, crypto. */
#define _GNU_SOURCE
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "posix_sys.h"
#include "store/store.h"
#include "unit.h"

static const char *g_flash;
static char g_boot[4200];

static void boot(void) {
  posix_sys_config_t cfg;
  posix_sys_config_defaults(&cfg);
  cfg.flash_path = g_flash;
  cfg.settings_size = 16384;
  cfg.fw_slot_size = 65536;
  cfg.quiet = true;
  CHECK_EQ_INT(posix_sys_configure(&cfg), 0);
}

static void fresh(void) {
  unlink(g_flash);
  unlink(g_boot);
  boot();
}

static void test_flash_is_erased_nor(void) {
  fresh();
  hal_partition_info_t info;
  CHECK_EQ_INT(hal_flash_info(HAL_PART_FW_B, &info), HAL_OK);
  CHECK_EQ_INT(info.size, 65536);
  uint8_t b[4] = {0};
  CHECK_EQ_INT(hal_flash_read(HAL_PART_SETTINGS, 100, b, 4), HAL_OK);
  CHECK_EQ_INT(b[0] & b[1] & b[2] & b[3], 0xFF);
  uint8_t v = 0xF0;
  CHECK_EQ_INT(hal_flash_write(HAL_PART_SETTINGS, 100, &v, 1), HAL_OK);
  v = 0x3C; /* can only clear bits: 0xF0 & 0x3C */
  CHECK_EQ_INT(hal_flash_write(HAL_PART_SETTINGS, 100, &v, 1), HAL_OK);
  CHECK_EQ_INT(hal_flash_read(HAL_PART_SETTINGS, 100, &v, 1), HAL_OK);
  CHECK_EQ_INT(v, 0x30);
  CHECK_EQ_INT(hal_flash_erase(HAL_PART_SETTINGS, 0, 4096), HAL_OK);
  CHECK_EQ_INT(hal_flash_read(HAL_PART_SETTINGS, 100, &v, 1), HAL_OK);
  CHECK_EQ_INT(v, 0xFF);
  CHECK_EQ_INT(hal_flash_erase(HAL_PART_SETTINGS, 100, 4096), HAL_ERR_ARG);
  CHECK_EQ_INT(hal_flash_read(HAL_PART_SETTINGS, 16380, b, 8), HAL_ERR_ARG);
  /* Partitions do not overlap. */
  v = 0;
  CHECK_EQ_INT(hal_flash_write(HAL_PART_FW_A, 0, &v, 1), HAL_OK);
  CHECK_EQ_INT(hal_flash_read(HAL_PART_FW_B, 0, &v, 1), HAL_OK);
  CHECK_EQ_INT(v, 0xFF);
}

static void test_cut_tears_the_nth_operation(void) {
  fresh();
  uint8_t d[8] = {0};
  posix_sys_arm_cut(2, 3, false);
  CHECK_EQ_INT(hal_flash_write(HAL_PART_SETTINGS, 0, d, 8), HAL_OK);
  CHECK_EQ_INT(hal_flash_write(HAL_PART_SETTINGS, 8, d, 8), HAL_OK);
  CHECK_EQ_INT(hal_flash_write(HAL_PART_SETTINGS, 16, d, 8), HAL_ERR_POWER);
  CHECK(!posix_sys_powered());
  CHECK_EQ_INT(hal_flash_read(HAL_PART_SETTINGS, 0, d, 8), HAL_ERR_POWER);
  posix_sys_power_on();
  uint8_t got[8];
  CHECK_EQ_INT(hal_flash_read(HAL_PART_SETTINGS, 16, got, 8), HAL_OK);
  CHECK_EQ_INT(got[2], 0x00); /* first 3 bytes programmed */
  CHECK_EQ_INT(got[3], 0xFF); /* the rest not */
}

/* The record store on the flash file: cut every operation of a put at several torn lengths. */
static void test_store_survives_cuts_on_flash_file(void) {
  int cuts = 0;
  for (int torn = 0; torn < 6; torn++) {
    for (int64_t n = 0;; n++) {
      fresh();
      store_t s;
      CHECK_EQ_INT(store_mount(&s, HAL_PART_SETTINGS, 0, 16384), STORE_OK);
      uint8_t big[200];
      memset(big, 0x42, sizeof big);
      CHECK_EQ_INT(store_put(&s, 2, big, sizeof big), STORE_OK);
      uint32_t last = 0;
      for (uint32_t i = 0; store_used(&s) + store_record_size(4) <= 4096; i++) {
        CHECK_EQ_INT(store_put(&s, 1, &i, 4), STORE_OK);
        last = i;
      }
      posix_sys_arm_cut(n, torn * 3, false);
      uint32_t v = 9999;
      store_err_t e = store_put(&s, 1, &v, 4);
      bool cut = !posix_sys_powered();
      posix_sys_power_on();
      CHECK_EQ_INT(store_mount(&s, HAL_PART_SETTINGS, 0, 16384), STORE_OK);
      uint32_t got = 0;
      CHECK_EQ_INT(store_get(&s, 1, &got, 4, NULL), STORE_OK);
      CHECK(got == last || got == 9999);
      memset(big, 0, sizeof big);
      CHECK_EQ_INT(store_get(&s, 2, big, sizeof big, NULL), STORE_OK);
      CHECK_EQ_INT(big[199], 0x42);
      if (!cut) {
        CHECK_EQ_INT(e, STORE_OK);
        CHECK_EQ_U64(got, 9999);
        break;
      }
      cuts++;
    }
  }
  CHECK(cuts >= 6 * 8); /* erase, 4 copy chunks, header, crc, header: ≥ 8 ops per put */
}

/* Exit mode: the process vanishes at the cut (status 99), like a plug losing power; flash keeps the tear. */
static void test_cut_can_end_the_process(void) {
  fresh();
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    uint8_t d[8] = {0};
    posix_sys_arm_cut(1, 2, true);
    hal_flash_write(HAL_PART_SETTINGS, 0, d, 8);
    hal_flash_write(HAL_PART_SETTINGS, 8, d, 8);
    _exit(0); /* not reached */
  }
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK_EQ_INT(WEXITSTATUS(status), 99);
  uint8_t got[16];
  CHECK_EQ_INT(hal_flash_read(HAL_PART_SETTINGS, 0, got, 16), HAL_OK);
  CHECK_EQ_INT(got[7], 0x00);  /* first write complete */
  CHECK_EQ_INT(got[9], 0x00);  /* second: 2 bytes programmed */
  CHECK_EQ_INT(got[10], 0xFF); /* then the power went */
}

static void test_trial_boot_rolls_back_unless_confirmed(void) {
  fresh();
  CHECK_EQ_INT(hal_boot_running_slot(), HAL_PART_FW_A);
  CHECK_EQ_INT(hal_boot_select(HAL_PART_FW_B, true), HAL_OK);
  boot();
  CHECK_EQ_INT(hal_boot_running_slot(), HAL_PART_FW_B);
  boot(); /* not confirmed: back to A */
  CHECK_EQ_INT(hal_boot_running_slot(), HAL_PART_FW_A);
  boot();
  CHECK_EQ_INT(hal_boot_running_slot(), HAL_PART_FW_A);

  CHECK_EQ_INT(hal_boot_select(HAL_PART_FW_B, true), HAL_OK);
  boot();
  CHECK_EQ_INT(hal_boot_running_slot(), HAL_PART_FW_B);
  CHECK_EQ_INT(hal_boot_select(HAL_PART_FW_B, false), HAL_OK); /* confirm */
  boot();
  CHECK_EQ_INT(hal_boot_running_slot(), HAL_PART_FW_B);
  boot();
  CHECK_EQ_INT(hal_boot_running_slot(), HAL_PART_FW_B);
}

static void test_sha256_known_answer(void) {
  static const uint8_t want[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
                                   0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
                                   0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
  hal_sha256_ctx_t c;
  uint8_t d[32];
  hal_sha256_init(&c);
  hal_sha256_update(&c, "a", 1);
  hal_sha256_update(&c, "bc", 2);
  hal_sha256_final(&c, d);
  CHECK(memcmp(d, want, 32) == 0);
}

static void test_ecdsa_verify(void) {
  EC_KEY *k = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
  CHECK(k && EC_KEY_generate_key(k));
  uint8_t pub[65];
  CHECK_EQ_INT(EC_POINT_point2oct(EC_KEY_get0_group(k), EC_KEY_get0_public_key(k),
                                  POINT_CONVERSION_UNCOMPRESSED, pub, sizeof pub, NULL),
               65);
  uint8_t digest[32];
  for (int i = 0; i < 32; i++) digest[i] = (uint8_t)i;
  ECDSA_SIG *sig = ECDSA_do_sign(digest, 32, k);
  uint8_t rs[64];
  CHECK(BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs, 32) == 32);
  CHECK(BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs + 32, 32) == 32);
  CHECK(hal_ecdsa_p256_verify(pub, digest, rs));
  digest[0] ^= 1;
  CHECK(!hal_ecdsa_p256_verify(pub, digest, rs));
  digest[0] ^= 1;
  rs[40] ^= 0x80;
  CHECK(!hal_ecdsa_p256_verify(pub, digest, rs));
  rs[40] ^= 0x80;
  pub[64] ^= 1; /* no longer on the curve */
  CHECK(!hal_ecdsa_p256_verify(pub, digest, rs));
  ECDSA_SIG_free(sig);
  EC_KEY_free(k);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  g_flash = argv[1];
  snprintf(g_boot, sizeof g_boot, "%s.boot", g_flash);
  RUN(test_flash_is_erased_nor);
  RUN(test_cut_tears_the_nth_operation);
  RUN(test_store_survives_cuts_on_flash_file);
  RUN(test_cut_can_end_the_process);
  RUN(test_trial_boot_rolls_back_unless_confirmed);
  RUN(test_sha256_known_answer);
  RUN(test_ecdsa_verify);
  return unit_report();
}
