/* port_boot.c — firmware slot selection for the core's OTA manager, on top of BL602 boot2.
 *
 * boot2 boots the slot named by the FW entry's activeIndex in the newer (higher age) of the two partition
 * table copies. hal_boot2_update_ptable(entry) flips entry.activeIndex, bumps the age and rewrites the copy
 * boot2 did not use, so a power cut mid-write leaves the old copy (and the old slot) in charge.
 *
 * The stock boot2 has no "boot once, then fall back" (its rollback needs a build with BFLB_SP_BOOT2_ROLLBACK,
 * which the boot2 binary of the BL602 SDK's image_conf/bl602 is not known to be), so trial boots are ours:
 * a one-sector marker ("oblboot" partition; "DATA" on OpenBeken's table) records {trial slot, previous
 * slot}; the trial image's first boot burns one attempt byte, and a second boot without confirmation
 * switches back to the previous slot and resets. The core confirms by selecting the running slot without
 * trial, which erases the marker. This only works for images that reach port_boot_init(): one that
 * crashes earlier keeps boot-looping (the stock boot2 cannot help).
 *
 * boot2 also accepts an XZ-compressed FW_OTA.bin in the selected slot: it test-decompresses it, then
 * decompresses it over the OTHER slot, so the previous image is gone and no rollback is possible for XZ
 * updates. boot2 reads the stream to its end by itself (and records the unpacked length); a stream that
 * fails its test decompression is, without boot2's optional rollback build, booted as if it were an image,
 * which hangs the plug in boot2. So before switching we require a complete stream: the footer must be
 * there with a valid CRC. The compressed length we find goes into the entry's len, as OpenBeken does.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <bl_sys.h>
#include <hal_boot2.h>

#include "hal.h"
#include "port.h"
#include "store/crc32.h"

#define MARK_MAGIC 0x544C424Fu /* "OBLT" little-endian */
#define MARK_ATTEMPTS_AT 16u
#define MARK_ATTEMPTS_MAX 32u
#define BOOTHEADER_MAGIC 0x504E4642u /* "BFNP": start of a raw FW_OTA.bin */

typedef struct {
  uint32_t magic;
  uint8_t slot;     /* activeIndex being tried */
  uint8_t fallback; /* activeIndex to return to */
  uint8_t reserved[2];
  uint32_t check; /* ~magic ^ slot ^ fallback << 8: a torn header never validates */
} mark_t;

static const char *const k_mark_names[] = {"oblboot", "DATA"};
static const uint8_t k_xz_magic[6] = {0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00};

static uint8_t s_running; /* FW activeIndex boot2 started us from */
static bool s_on_trial;   /* this boot burnt the trial's attempt: unconfirmed until hal_boot_select() */
static bool s_have_mark;
static uint32_t s_mark_addr;

static uint32_t mark_check(const mark_t *m) { return ~m->magic ^ m->slot ^ ((uint32_t)m->fallback << 8); }

/* Erases the marker sector unless the part we ever write is already blank (confirming every boot
 * must not cost an erase every boot). */
static hal_status_t mark_erase(void)
{
  if (!s_have_mark) {
    return HAL_OK;
  }
  uint8_t raw[MARK_ATTEMPTS_AT + MARK_ATTEMPTS_MAX];
  if (port_flash_read_abs(s_mark_addr, raw, sizeof raw) == HAL_OK) {
    bool blank = true;
    for (size_t i = 0; i < sizeof raw; i++) {
      blank = blank && raw[i] == 0xFFu;
    }
    if (blank) {
      return HAL_OK;
    }
  }
  return port_flash_erase_abs(s_mark_addr, HAL_FLASH_SECTOR);
}

static uint32_t le32(const uint8_t *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Length of the XZ stream at the start of [addr, addr+size): the first 4-aligned stream footer
 * (CRC32 of backward-size+flags, flags equal to the header's, "YZ") ends it. 0 if none is found. */
static uint32_t xz_stream_length(uint32_t addr, uint32_t size)
{
  uint8_t head[12];
  if (size < 24u || port_flash_read_abs(addr, head, sizeof head) != HAL_OK) {
    return 0;
  }
  uint8_t win[256];
  for (uint32_t base = 12; base + 12u <= size; base += sizeof win - 12u) {
    const uint32_t n = (size - base) < sizeof win ? (size - base) : (uint32_t)sizeof win;
    if (port_flash_read_abs(addr + base, win, n) != HAL_OK) {
      return 0;
    }
    for (uint32_t i = 0; i + 12u <= n; i += 4u) {
      const uint8_t *f = &win[i];
      if (f[10] == 'Y' && f[11] == 'Z' && f[8] == head[6] && f[9] == head[7] && obl_crc32(0, f + 4, 6) == le32(f)) {
        return base + i + 12u;
      }
    }
  }
  return 0;
}

static hal_status_t read_fw_entry(HALPartition_Entry_Config *e)
{
  return hal_boot2_get_active_entries(BOOT2_PARTITION_TYPE_FW, e) == 0 ? HAL_OK : HAL_ERR_IO;
}

/* Points boot2 at slot index idx. Refuses slots that boot2 could not start. */
static hal_status_t point_table_at(uint8_t idx)
{
  HALPartition_Entry_Config e;
  if (read_fw_entry(&e) != HAL_OK) {
    return HAL_ERR_IO;
  }
  if (e.activeIndex == idx) {
    return HAL_OK;
  }
  uint8_t head[8];
  if (port_flash_read_abs(e.Address[idx], head, sizeof head) != HAL_OK) {
    return HAL_ERR_IO;
  }
  uint32_t len = 0;
  if (memcmp(head, k_xz_magic, sizeof k_xz_magic) == 0) {
    len = xz_stream_length(e.Address[idx], e.maxLen[idx]);
    if (len == 0u) {
      hal_log(HAL_LOG_ERROR, "boot", "slot %u: XZ stream has no end", (unsigned)idx);
      return HAL_ERR_ARG;
    }
  } else if (le32(head) != BOOTHEADER_MAGIC) {
    hal_log(HAL_LOG_ERROR, "boot", "slot %u holds no boot header or XZ stream", (unsigned)idx);
    return HAL_ERR_ARG;
  }
  e.len = len; /* compressed length for XZ (informational for boot2), 0 for raw images */
  /* hal_boot2_update_ptable flips activeIndex itself (e.activeIndex != idx and idx is 0 or 1). */
  return hal_boot2_update_ptable(&e) == 0 ? HAL_OK : HAL_ERR_IO;
}

void port_boot_init(void)
{
  HALPartition_Entry_Config e;
  const bool have_table = read_fw_entry(&e) == HAL_OK;
  if (have_table && e.activeIndex <= 1u) {
    s_running = e.activeIndex;
  } else {
    hal_log(HAL_LOG_ERROR, "boot", "no FW entry in the partition table; assuming slot A");
    s_running = 0;
  }

  uint32_t size = 0;
  s_have_mark = port_flash_lookup(k_mark_names, sizeof k_mark_names / sizeof k_mark_names[0], &s_mark_addr, &size);
  if (!s_have_mark) {
    hal_log(HAL_LOG_WARN, "boot", "no oblboot partition: trial boots unavailable");
    return;
  }

  uint8_t raw[MARK_ATTEMPTS_AT + MARK_ATTEMPTS_MAX];
  if (port_flash_read_abs(s_mark_addr, raw, sizeof raw) != HAL_OK) {
    return;
  }
  mark_t m;
  memcpy(&m, raw, sizeof m);
  if (m.magic != MARK_MAGIC || m.check != mark_check(&m) || m.slot > 1u || m.fallback > 1u) {
    (void)mark_erase(); /* blank, torn or foreign: no trial pending */
    return;
  }
  if (m.slot != s_running) {
    /* boot2 did not start the trial slot: either the table write was lost (the old image runs), or the
     * slot held an XZ stream that boot2 unpacked over this slot (the new image runs here, the old one is
     * gone). Either way there is nothing left to fall back to. */
    uint8_t head[sizeof k_xz_magic];
    const bool unpacked = have_table && port_flash_read_abs(e.Address[m.slot], head, sizeof head) == HAL_OK &&
                          memcmp(head, k_xz_magic, sizeof head) == 0;
    hal_log(HAL_LOG_WARN, "boot", unpacked ? "XZ image from slot %u unpacked into slot %u by boot2: no rollback"
                                           : "trial slot %u never started, slot %u runs", (unsigned)m.slot,
            (unsigned)s_running);
    (void)mark_erase();
    return;
  }
  size_t attempts = 0;
  while (attempts < MARK_ATTEMPTS_MAX && raw[MARK_ATTEMPTS_AT + attempts] == 0x00u) {
    attempts++;
  }
  if (attempts >= 1u) {
    hal_log(HAL_LOG_ERROR, "boot", "trial image in slot %u was not confirmed: back to slot %u", (unsigned)m.slot,
            (unsigned)m.fallback);
    if (point_table_at(m.fallback) == HAL_OK) {
      (void)mark_erase();
      bl_sys_reset_por();
    }
    hal_log(HAL_LOG_ERROR, "boot", "rollback failed; staying on slot %u", (unsigned)s_running);
    (void)mark_erase();
    return;
  }
  const uint8_t burnt = 0x00;
  (void)port_flash_write_abs(s_mark_addr + MARK_ATTEMPTS_AT, &burnt, 1);
  s_on_trial = true;
  hal_log(HAL_LOG_WARN, "boot", "trial boot of slot %u: rolls back on the next reset unless confirmed",
          (unsigned)s_running);
}

hal_partition_t hal_boot_running_slot(void) { return s_running == 0u ? HAL_PART_FW_A : HAL_PART_FW_B; }

bool hal_boot_trial_pending(void) { return s_on_trial; }

hal_status_t hal_boot_select(hal_partition_t slot, bool trial)
{
  if (slot != HAL_PART_FW_A && slot != HAL_PART_FW_B) {
    return HAL_ERR_ARG;
  }
  const uint8_t idx = slot == HAL_PART_FW_A ? 0u : 1u;
  if (trial && idx == s_running) {
    return HAL_ERR_ARG; /* the running image cannot be on trial */
  }
  if (trial && !s_have_mark) {
    return HAL_ERR_UNSUPPORTED;
  }
  hal_status_t st = mark_erase();
  if (st != HAL_OK) {
    return st;
  }
  s_on_trial = false; /* confirmed, or a new selection replaces the trial */
  if (trial) {
    mark_t m = {.magic = MARK_MAGIC, .slot = idx, .fallback = s_running, .reserved = {0xFF, 0xFF}, .check = 0};
    m.check = mark_check(&m);
    st = port_flash_write_abs(s_mark_addr, &m, sizeof m);
    if (st != HAL_OK) {
      (void)mark_erase();
      return st;
    }
  }
  /* Marker first, table second: a cut in between leaves the old slot booting and a stale marker that
   * port_boot_init() drops. */
  st = point_table_at(idx);
  if (st != HAL_OK && trial) {
    (void)mark_erase();
  }
  return st;
}
