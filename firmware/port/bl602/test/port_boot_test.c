/* port_boot_test.c — host tests of the BL602 port's flash-by-partition and slot/trial-boot logic
 * (src/port_flash.c, src/port_boot.c compiled unchanged) against sim_sdk.c's model of boot2's partition
 * table and NOR flash, including a power-cut sweep. Run by check.sh; argv[1] may name an .xz file
 * (made by check.sh with `xz --check=crc32`) for the XZ stream-length test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hal.h"
#include "port.h"
#include "sim_sdk.h"
#include "unit/unit.h"

static const char *g_xz_path;

/* The port's start-up as main.c runs it; repeats after a port-initiated reset. Returns the slot index the
 * port reports running, -1 if it kept resetting. */
static int boot(void)
{
  for (volatile int attempt = 0; attempt < 4; attempt++) {
    (void)sim_boot();
    if (setjmp(sim.env) == 0) {
      CHECK(port_flash_init() == HAL_OK);
      port_boot_init();
      return hal_boot_running_slot() == HAL_PART_FW_A ? 0 : 1;
    }
  }
  return -1;
}

static void raw_image(uint8_t slot, uint8_t seed)
{
  static uint8_t img[64 * 1024];
  memcpy(img, "BFNP", 4);
  for (size_t i = 4; i < sizeof img; i++) img[i] = (uint8_t)(i * 31u + seed);
  sim_write_image(slot, img, sizeof img);
}

static uint32_t table_len(int copy) { return sim.copy[copy].e[0].len; }

static void test_fresh_boot_runs_a_and_writes_nothing(void)
{
  sim_factory(false);
  CHECK_EQ_INT(boot(), 0);
  CHECK_EQ_INT(sim.erases + sim.writes + sim.pt_writes, 0);
  hal_partition_info_t info;
  CHECK(hal_flash_info(HAL_PART_SETTINGS, &info) == HAL_OK);
  CHECK_EQ_U64(info.address, 0x1D0000);
  CHECK_EQ_U64(info.size, 0x20000);
  CHECK(hal_flash_info(HAL_PART_FW_B, &info) == HAL_OK);
  CHECK_EQ_U64(info.address, 0xF0000);
  CHECK_EQ_U64(info.size, 0xE0000);
}

static void test_trial_confirmed_stays(void)
{
  sim_factory(false);
  CHECK_EQ_INT(boot(), 0);
  raw_image(1, 7);
  CHECK(hal_boot_select(HAL_PART_FW_B, true) == HAL_OK);
  CHECK_EQ_INT(boot(), 1);
  CHECK(hal_boot_select(HAL_PART_FW_B, false) == HAL_OK); /* the core confirms */
  const unsigned erases = sim.erases;
  CHECK(hal_boot_select(HAL_PART_FW_B, false) == HAL_OK); /* confirming again costs no erase */
  CHECK_EQ_INT(sim.erases, erases);
  CHECK_EQ_INT(boot(), 1);
  CHECK_EQ_INT(boot(), 1);
  CHECK_EQ_INT(sim.resets, 0);
}

static void test_unconfirmed_trial_rolls_back(void)
{
  sim_factory(false);
  CHECK_EQ_INT(boot(), 0);
  raw_image(1, 9);
  CHECK(hal_boot_select(HAL_PART_FW_B, true) == HAL_OK);
  CHECK_EQ_INT(boot(), 1); /* first boot of the trial image */
  const int after = boot(); /* reset without confirmation: the port switches back and resets */
  CHECK_EQ_INT(after, 0);
  CHECK_EQ_INT(sim.resets, 1);
  CHECK_EQ_INT(boot(), 0);
  CHECK_EQ_INT(sim.resets, 1);
  printf("  FAULT reset of an unconfirmed RAW trial image | runs slot %c after %u port reset(s), bricked 0\n",
         after == 0 ? 'A' : 'B', sim.resets);
}

static void test_non_trial_switch_is_permanent(void)
{
  sim_factory(false);
  CHECK_EQ_INT(boot(), 0);
  raw_image(1, 3);
  CHECK(hal_boot_select(HAL_PART_FW_B, false) == HAL_OK);
  CHECK_EQ_INT(boot(), 1);
  CHECK_EQ_INT(boot(), 1);
  CHECK_EQ_INT(table_len(sim.booted_copy), 0); /* raw image: no length for boot2 */
}

static void test_refuses_what_boot2_cannot_start(void)
{
  sim_factory(false);
  CHECK_EQ_INT(boot(), 0);
  static const uint8_t envelope[64] = "OBLI"; /* an envelope header where the boot header must be */
  sim_write_image(1, envelope, sizeof envelope);
  CHECK(hal_boot_select(HAL_PART_FW_B, false) == HAL_ERR_ARG);
  CHECK(hal_boot_select(HAL_PART_FW_B, true) == HAL_ERR_ARG);
  CHECK(hal_boot_select(HAL_PART_FW_A, true) == HAL_ERR_ARG); /* the running slot cannot be on trial */
  CHECK(hal_boot_select(HAL_PART_SETTINGS, false) == HAL_ERR_ARG);
  CHECK_EQ_INT(sim.pt_writes, 0);
  CHECK_EQ_INT(boot(), 0);
}

static void test_xz_image_gets_its_length(void)
{
  if (g_xz_path == NULL) {
    printf("  (no .xz file given: skipped)\n");
    return;
  }
  FILE *f = fopen(g_xz_path, "rb");
  CHECK(f != NULL);
  if (f == NULL) return;
  static uint8_t buf[600 * 1024];
  const size_t n = fread(buf, 1, sizeof buf - 4096, f);
  fclose(f);
  CHECK(n > 64 && n < sizeof buf - 4096);
  /* stale bytes after the stream, as left by an earlier, longer image in a lazily erased slot */
  for (size_t i = n; i < n + 4096; i++) buf[i] = (uint8_t)(i * 13u);
  sim_factory(false);
  CHECK_EQ_INT(boot(), 0);
  sim_write_image(1, buf, n + 4096);
  CHECK(hal_boot_select(HAL_PART_FW_B, false) == HAL_OK);
  CHECK_EQ_U64(table_len(!sim.booted_copy), n);

  /* as a trial: boot2 unpacks it over slot A and boots A; the port drops its marker, no reset loop. The image
   * that ran before is gone, which is why the core never puts an XZ image on trial and reports
   * rollback: false for it (docs/ota-image.md §2). */
  sim_factory(false);
  CHECK_EQ_INT(boot(), 0);
  raw_image(0, 42);
  static uint8_t before[4096];
  memcpy(before, &sim.flash[0x10000], sizeof before);
  sim_write_image(1, buf, n);
  CHECK(hal_boot_select(HAL_PART_FW_B, true) == HAL_OK);
  CHECK_EQ_INT(boot(), 0);
  CHECK_EQ_INT(sim.unpacks, 1);
  const bool overwritten = memcmp(before, &sim.flash[0x10000], sizeof before) != 0;
  CHECK(overwritten); /* the previous image was overwritten */
  printf("  FAULT XZ image on trial | boot2 unpacked it over the running slot (old image %s): no rollback, "
         "the core reports rollback: false\n", overwritten ? "gone" : "kept");
  CHECK_EQ_INT(boot(), 0);
  CHECK_EQ_INT(sim.resets, 0);
  /* the way the core installs it (no trial): same end, no marker written */
  sim_factory(false);
  CHECK_EQ_INT(boot(), 0);
  sim_write_image(1, buf, n);
  const unsigned writes = sim.writes;
  CHECK(hal_boot_select(HAL_PART_FW_B, false) == HAL_OK);
  CHECK_EQ_INT(sim.writes, writes);
  CHECK_EQ_INT(boot(), 0);
  CHECK_EQ_INT(sim.unpacks, 1);
  CHECK_EQ_INT(boot(), 0);
  CHECK_EQ_INT(sim.resets, 0);

  /* a truncated stream (no footer) is refused */
  sim_factory(false);
  CHECK_EQ_INT(boot(), 0);
  sim_write_image(1, buf, n - 12);
  CHECK(hal_boot_select(HAL_PART_FW_B, false) == HAL_ERR_ARG);
}

static void test_openbeken_table(void)
{
  sim_factory(true);
  CHECK_EQ_INT(boot(), 0);
  hal_partition_info_t info;
  CHECK(hal_flash_info(HAL_PART_SETTINGS, &info) == HAL_OK);
  CHECK_EQ_U64(info.address, 0x170000); /* OpenBeken's "media" (its LittleFS) */
  CHECK_EQ_U64(info.size, 0x20000);     /* capped at 128 KiB */
  CHECK(hal_flash_info(HAL_PART_FW_A, &info) == HAL_OK);
  CHECK_EQ_U64(info.size, 0xC8000);
  CHECK(hal_flash_info(HAL_PART_FW_B, &info) == HAL_OK);
  CHECK_EQ_U64(info.size, 0x88000);
  raw_image(1, 5);
  CHECK(hal_boot_select(HAL_PART_FW_B, true) == HAL_OK); /* marker in "DATA" */
  CHECK_EQ_INT(boot(), 1);
  CHECK_EQ_INT(boot(), 0);
}

static void test_flash_bounds_and_nor(void)
{
  sim_factory(false);
  CHECK_EQ_INT(boot(), 0);
  uint8_t b[8] = {0xF0, 0x0F, 0xAA, 0x55, 1, 2, 3, 4}, r[8];
  CHECK(hal_flash_erase(HAL_PART_SETTINGS, 0, HAL_FLASH_SECTOR) == HAL_OK);
  CHECK(hal_flash_write(HAL_PART_SETTINGS, 100, b, sizeof b) == HAL_OK);
  const uint8_t ones[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
  CHECK(hal_flash_write(HAL_PART_SETTINGS, 100, ones, sizeof ones) == HAL_OK); /* cannot set bits */
  CHECK(hal_flash_read(HAL_PART_SETTINGS, 100, r, sizeof r) == HAL_OK);
  CHECK(memcmp(r, b, sizeof b) == 0);
  CHECK_EQ_U64(sim.flash[0x1D0000 + 100], 0xF0);
  CHECK(hal_flash_write(HAL_PART_SETTINGS, 0x20000 - 4, b, 8) == HAL_ERR_ARG);
  CHECK(hal_flash_read(HAL_PART_SETTINGS, 0xFFFFFFFCu, r, 8) == HAL_ERR_ARG);
  CHECK(hal_flash_erase(HAL_PART_SETTINGS, 100, HAL_FLASH_SECTOR) == HAL_ERR_ARG);
  CHECK(hal_flash_erase(HAL_PART_SETTINGS, 0x20000, HAL_FLASH_SECTOR) == HAL_ERR_ARG);
  CHECK(hal_flash_erase(HAL_PART_COUNT, 0, HAL_FLASH_SECTOR) == HAL_ERR_ARG);
  /* a write across a 256-byte page boundary lands intact */
  static uint8_t big[1000], back[1000];
  for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i ^ 0x5A);
  CHECK(hal_flash_write(HAL_PART_SETTINGS, 300, big, sizeof big) == HAL_OK);
  CHECK(hal_flash_read(HAL_PART_SETTINGS, 300, back, sizeof back) == HAL_OK);
  CHECK(memcmp(big, back, sizeof big) == 0);
}

/* Power cut at every mutating flash/table operation of a trial update, of the trial's first boot and of
 * the rollback boot: afterwards the plug always settles, within a few boots and without a reset loop, on
 * a slot that holds a bootable image, and a completed-but-unconfirmed trial always ends on slot A. */
static void test_power_cut_sweep(void)
{
  volatile unsigned cases = 0;
  static const char *const phase_names[3] = {"switch (marker + table write)", "first boot of the trial image",
                                             "rollback boot"};
  unsigned per_phase[3] = {0, 0, 0};
  for (volatile int phase = 0; phase < 3; phase++) {
    for (volatile unsigned cut = 0;; cut++) {
      sim_factory(false);
      CHECK_EQ_INT(boot(), 0);
      raw_image(1, (uint8_t)cut);
      volatile bool cut_hit = false;
      if (phase == 0) {
        sim.cut_armed = true;
        sim.cut_after = cut;
      }
      int r = setjmp(sim.env);
      if (r == 0) {
        (void)hal_boot_select(HAL_PART_FW_B, true);
      } else {
        cut_hit = r == SIM_POWER_CUT;
      }
      sim.cut_armed = false;
      /* Boots, with the cut (phases 1, 2) landing in the trial's first boot or in the rollback boot. */
      volatile int last = -2;
      for (volatile int n = 0; n < 5; n++) {
        (void)sim_boot();
        if ((phase == 1 && n == 0) || (phase == 2 && n == 1)) {
          sim.cut_armed = true;
          sim.cut_after = cut;
        }
        r = setjmp(sim.env);
        if (r == 0) {
          CHECK(port_flash_init() == HAL_OK);
          port_boot_init();
          last = hal_boot_running_slot() == HAL_PART_FW_A ? 0 : 1;
        } else {
          cut_hit = cut_hit || r == SIM_POWER_CUT;
          last = -1; /* reset or cut: boot again */
        }
        sim.cut_armed = false;
      }
      CHECK_EQ_INT(last, 0); /* never confirmed: back on A and stable */
      cases++;
      per_phase[phase]++;
      if (!cut_hit || cut > 64) {
        break; /* this phase has fewer mutating operations than cut */
      }
    }
  }
  printf("  power-cut cases: %u\n", cases);
  CHECK(cases > 6);
  printf("  BL602 port fault table (fault -> outcome):\n");
  for (int i = 0; i < 3; i++) {
    printf("  FAULT power cut at every flash/table write of the %-31s | %2u cuts: back on the old slot, bricked 0\n",
           phase_names[i], per_phase[i]);
  }

}

int main(int argc, char **argv)
{
  g_xz_path = argc > 1 ? argv[1] : NULL;
  sim.verbose = getenv("VERBOSE") != NULL;
  RUN(test_fresh_boot_runs_a_and_writes_nothing);
  RUN(test_trial_confirmed_stays);
  RUN(test_unconfirmed_trial_rolls_back);
  RUN(test_non_trial_switch_is_permanent);
  RUN(test_refuses_what_boot2_cannot_start);
  RUN(test_xz_image_gets_its_length);
  RUN(test_openbeken_table);
  RUN(test_flash_bounds_and_nor);
  RUN(test_power_cut_sweep);
  return unit_report();
}
