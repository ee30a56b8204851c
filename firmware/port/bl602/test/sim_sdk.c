/* sim_sdk.c — a host model of the few SDK services port_boot.c and port_flash.c use, for port_boot_test.c:
 *  - 2 MiB NOR flash in RAM (erase → 0xFF per 4 KiB sector, write only clears bits);
 *  - boot2's two partition-table copies: at "boot" the valid copy with the higher age is loaded and its
 *    FW activeIndex is the running slot; hal_boot2_update_ptable flips activeIndex, bumps the age and
 *    rewrites the copy not booted from (all or nothing: a torn copy fails boot2's CRC);
 *  - power cuts: after sim.cut_after more mutating operations the next one is lost (a write keeps only its
 *    first half) and control returns to the test through longjmp, as does bl_sys_reset_por().
 * The SDK itself cannot run here; the layout mirrors img_conf/partition_cfg_2M.toml.
 */
#include "sim_sdk.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hal_boot2.h"

sim_t sim;

static void mutate_or_cut(void)
{
  if (sim.cut_armed) {
    if (sim.cut_after == 0) {
      sim.cut_armed = false;
      longjmp(sim.env, SIM_POWER_CUT);
    }
    sim.cut_after--;
  }
}

int bl_flash_read(uint32_t addr, uint8_t *dst, int len)
{
  if (len < 0 || addr + (uint32_t)len > SIM_FLASH_SIZE) return -1;
  memcpy(dst, &sim.flash[addr], (size_t)len);
  return 0;
}

int bl_flash_write(uint32_t addr, uint8_t *src, int len)
{
  if (len < 0 || addr + (uint32_t)len > SIM_FLASH_SIZE) return -1;
  if (sim.cut_armed && sim.cut_after == 0) {
    for (int i = 0; i < len / 2; i++) sim.flash[addr + (uint32_t)i] &= src[i]; /* torn: first half only */
  }
  mutate_or_cut();
  for (int i = 0; i < len; i++) sim.flash[addr + (uint32_t)i] &= src[i];
  sim.writes++;
  return 0;
}

int bl_flash_erase(uint32_t addr, int len)
{
  if (len < 0 || addr % 4096u || (uint32_t)len % 4096u || addr + (uint32_t)len > SIM_FLASH_SIZE) return -1;
  mutate_or_cut();
  memset(&sim.flash[addr], 0xFF, (size_t)len);
  sim.erases++;
  return 0;
}

int bl_sys_reset_por(void)
{
  sim.resets++;
  longjmp(sim.env, SIM_RESET);
}

static void set_entry(sim_table_t *t, int i, uint8_t type, const char *name, uint32_t a0, uint32_t s0, uint32_t a1,
                      uint32_t s1)
{
  HALPartition_Entry_Config *e = &t->e[i];
  memset(e, 0, sizeof *e);
  e->type = type;
  snprintf((char *)e->name, sizeof e->name, "%s", name);
  e->Address[0] = a0;
  e->maxLen[0] = s0;
  e->Address[1] = a1;
  e->maxLen[1] = s1;
}

void sim_factory(bool openbeken_table)
{
  const bool verbose = sim.verbose;
  memset(&sim, 0, sizeof sim);
  sim.verbose = verbose;
  memset(sim.flash, 0xFF, sizeof sim.flash);
  sim_table_t *t = &sim.copy[0];
  if (openbeken_table) {
    t->count = 4;
    set_entry(t, 0, 0, "FW", 0x10000, 0xC8000, 0xD8000, 0x88000);
    set_entry(t, 1, 2, "media", 0x170000, 0x79000, 0, 0);
    set_entry(t, 2, 5, "DATA", 0x1F3000, 0x5000, 0, 0);
    set_entry(t, 3, 6, "factory", 0x1F8000, 0x8000, 0, 0);
  } else {
    t->count = 4;
    set_entry(t, 0, 0, "FW", 0x10000, 0xE0000, 0xF0000, 0xE0000);
    set_entry(t, 1, 7, "obl_set", 0x1D0000, 0x20000, 0, 0);
    set_entry(t, 2, 8, "oblboot", 0x1F0000, 0x1000, 0, 0);
    set_entry(t, 3, 6, "factory", 0x1F8000, 0x8000, 0, 0);
  }
  t->valid = true;
  t->age = 0;
  sim.copy[1].valid = false;
  /* the factory image in slot A (a boot header is all the port looks at) */
  memcpy(&sim.flash[t->e[0].Address[0]], "BFNP", 4);
}

uint8_t sim_boot(void)
{
  int use = 0;
  if (!sim.copy[0].valid || (sim.copy[1].valid && sim.copy[1].age > sim.copy[0].age)) use = 1;
  sim.booted_copy = use;
  sim.ram = sim.copy[use];
  sim.cut_armed = false;
  /* boot2 and an XZ stream in the active slot: unpack it over the other slot, point the table there */
  HALPartition_Entry_Config *fw = &sim.ram.e[0];
  static const uint8_t xz_magic[6] = {0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00};
  if (memcmp(&sim.flash[fw->Address[fw->activeIndex]], xz_magic, sizeof xz_magic) == 0) {
    const uint8_t dst = !fw->activeIndex;
    memset(&sim.flash[fw->Address[dst]], 0xFF, fw->maxLen[dst]);
    memcpy(&sim.flash[fw->Address[dst]], "BFNP", 4);
    fw->activeIndex = dst;
    fw->age++;
    sim.ram.age++;
    sim.copy[!use] = sim.ram;
    sim.copy[!use].valid = true;
    sim.booted_copy = !use;
    sim.unpacks++;
  }
  return sim.ram.e[0].activeIndex;
}

void sim_write_image(uint8_t slot, const uint8_t *data, size_t len)
{
  const HALPartition_Entry_Config *fw = &sim.ram.e[0];
  memset(&sim.flash[fw->Address[slot]], 0xFF, fw->maxLen[slot]);
  memcpy(&sim.flash[fw->Address[slot]], data, len);
}

int hal_boot2_partition_addr(const char *name, uint32_t *addr0, uint32_t *addr1, uint32_t *size0, uint32_t *size1,
                             int *active)
{
  for (int i = 0; i < sim.ram.count; i++) {
    const HALPartition_Entry_Config *e = &sim.ram.e[i];
    if (strcmp((const char *)e->name, name) == 0) {
      *addr0 = e->Address[0];
      *addr1 = e->Address[1];
      *size0 = e->maxLen[0];
      *size1 = e->maxLen[1];
      *active = e->activeIndex;
      return 0;
    }
  }
  return -2;
}

int hal_boot2_get_active_entries(int type, HALPartition_Entry_Config *out)
{
  for (int i = 0; i < sim.ram.count; i++) {
    if (sim.ram.e[i].type == type) {
      *out = sim.ram.e[i];
      return 0;
    }
  }
  return -1;
}

int hal_boot2_update_ptable(HALPartition_Entry_Config *entry)
{
  entry->activeIndex = !entry->activeIndex;
  entry->age++;
  for (int i = 0; i < sim.ram.count; i++) {
    if (sim.ram.e[i].type == entry->type) sim.ram.e[i] = *entry;
  }
  sim.ram.age++;
  mutate_or_cut(); /* a cut leaves the target copy invalid or old: boot2 ignores it */
  sim.copy[!sim.booted_copy] = sim.ram;
  sim.copy[!sim.booted_copy].valid = true;
  sim.pt_writes++;
  return 0;
}

void hal_log(hal_log_level_t level, const char *module, const char *fmt, ...)
{
  if (!sim.verbose) return;
  va_list ap;
  va_start(ap, fmt);
  printf("  [%d %s] ", (int)level, module);
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
}
