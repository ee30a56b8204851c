/* Boot-slot state for the simulated bootloader, MCUboot-style: a trial image boots once; if it has not been
 * confirmed (hal_boot_select(running, false)) by the next boot, that boot falls back to the confirmed slot.
 * Kept in "<flash_path>.boot", replaced atomically (write temp, rename) so a kill never leaves half a file. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "posix_sys_internal.h"

typedef struct {
  int next;      /* slot the next boot runs: 0 = A, 1 = B */
  int confirmed; /* last confirmed slot, the rollback target */
  int trial;     /* next is on trial */
  int tried;     /* the trial boot has happened */
} boot_ctl_t;

static char g_path[4096];
static boot_ctl_t g_ctl;
static hal_partition_t g_running = HAL_PART_FW_A;

static int slot_index(hal_partition_t p) { return p == HAL_PART_FW_B ? 1 : 0; }
static hal_partition_t slot_part(int i) { return i == 1 ? HAL_PART_FW_B : HAL_PART_FW_A; }

static int ctl_save(void) {
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp", g_path);
  FILE *f = fopen(tmp, "w");
  if (!f) return -1;
  fprintf(f, "next=%d confirmed=%d trial=%d tried=%d\n", g_ctl.next, g_ctl.confirmed, g_ctl.trial,
          g_ctl.tried);
  if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
    fclose(f);
    return -1;
  }
  fclose(f);
  return rename(tmp, g_path) == 0 ? 0 : -1;
}

int posix_boot_init(const char *flash_path) {
  if (snprintf(g_path, sizeof g_path, "%s.boot", flash_path) >= (int)sizeof g_path) return -1;
  memset(&g_ctl, 0, sizeof g_ctl);
  FILE *f = fopen(g_path, "r");
  if (f) {
    boot_ctl_t c;
    if (fscanf(f, "next=%d confirmed=%d trial=%d tried=%d", &c.next, &c.confirmed, &c.trial,
               &c.tried) == 4 &&
        (c.next == 0 || c.next == 1) && (c.confirmed == 0 || c.confirmed == 1))
      g_ctl = c;
    fclose(f);
  }
  if (g_ctl.trial && g_ctl.tried) {
    hal_log(HAL_LOG_WARN, "boot", "trial image in slot %c was not confirmed: rolling back to slot %c",
            'A' + g_ctl.next, 'A' + g_ctl.confirmed);
    g_ctl.next = g_ctl.confirmed;
    g_ctl.trial = g_ctl.tried = 0;
  } else if (g_ctl.trial) {
    g_ctl.tried = 1;
  }
  g_running = slot_part(g_ctl.next);
  if (ctl_save() != 0) {
    fprintf(stderr, "posix_sys: cannot write %s: %s\n", g_path, strerror(errno));
    return -1;
  }
  if (g_ctl.trial && g_ctl.tried) posix_powercut_point("first_boot");
  return 0;
}

hal_partition_t hal_boot_running_slot(void) { return g_running; }

bool hal_boot_trial_pending(void) {
  return g_ctl.trial && g_ctl.tried && g_ctl.next == slot_index(g_running);
}

hal_status_t hal_boot_select(hal_partition_t slot, bool trial) {
  if (slot != HAL_PART_FW_A && slot != HAL_PART_FW_B) return HAL_ERR_ARG;
  if (!g_path[0]) return HAL_ERR_IO;
  boot_ctl_t old = g_ctl;
  if (trial) {
    /* The rollback target is what runs now, if that is itself confirmed. */
    if (!(g_ctl.trial && g_ctl.next == slot_index(g_running))) g_ctl.confirmed = slot_index(g_running);
    g_ctl.next = slot_index(slot);
    g_ctl.trial = 1;
    g_ctl.tried = 0;
  } else {
    g_ctl.next = g_ctl.confirmed = slot_index(slot);
    g_ctl.trial = g_ctl.tried = 0;
  }
  if (!trial && old.trial) posix_powercut_point("confirm");
  if (ctl_save() != 0) {
    g_ctl = old;
    return HAL_ERR_IO;
  }
  if (trial) posix_powercut_point("switch");
  return HAL_OK;
}
