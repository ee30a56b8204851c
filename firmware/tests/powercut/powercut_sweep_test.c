/* Power-cut sweep. A deterministic workload (settings saves, relay changes, energy growth and flushes) runs
 * step by step. Before each step the whole plug state (flash image + RAM) is snapshotted; the step is then
 * replayed once for every flash unit it uses (every programmed byte, every erase) with the power cut at that
 * unit, half of them with in-order tearing and half with scrambled (out-of-order) page programming. After
 * each cut the plug boots from the torn flash and must see:
 *   - settings equal to the old or the new value (never defaults, never a mix, never garbage),
 *   - the relay state the startup policy gives for the old or new last state,
 *   - lifetime energy equal to the last or the newly persisted value (so ≥ the last persisted value),
 * and then must keep working: a further save and energy flush are read back after another boot. */
#include <stdio.h>
#include <string.h>

#include "energy/energy.h"
#include "fake_hal.h"
#include "settings/settings.h"
#include "unit.h"

typedef struct {
  uint8_t flash[FAKE_SETTINGS_SIZE];
  store_t st;
  energy_t en;
  settings_t settings;
  bool relay;
  uint64_t now_us;
} plug_t;

static plug_t g; /* the running plug */
static plug_t snap;
static uint32_t g_cuts, g_scrambled;

static void flash_put(const uint8_t *img) {
  uint32_t size;
  memcpy(fake_flash_mem(HAL_PART_SETTINGS, &size), img, FAKE_SETTINGS_SIZE);
}
static void flash_get(uint8_t *img) {
  uint32_t size;
  memcpy(img, fake_flash_mem(HAL_PART_SETTINGS, &size), FAKE_SETTINGS_SIZE);
}

static void save_plug(plug_t *p) {
  *p = g;
  flash_get(p->flash);
}
static void load_plug(const plug_t *p) {
  g = *p;
  g.en.store = &g.st;
  flash_put(p->flash);
}

/* ---- the workload ---- */

static uint32_t rng = 0x1234567u;
static uint32_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

typedef struct {
  enum { STEP_SETTINGS, STEP_RELAY, STEP_ENERGY, STEP_FLUSH } kind;
  uint32_t arg;
} step_t;

static void settings_variant(settings_t *s, uint32_t v) {
  s->startup = (settings_startup_t)(v % 4u);
  s->heartbeat_s = (uint16_t)(60u + v % 3000u);
  memset(s->name, 0, sizeof s->name); /* as loaded: zeros after the NUL */
  memset(s->mqtt_user, 0, sizeof s->mqtt_user);
  snprintf(s->name, sizeof s->name, "plug-%u", (unsigned)v);
  snprintf(s->mqtt_user, sizeof s->mqtt_user, "user-%u-%u", (unsigned)v, (unsigned)(v * 7u));
  s->max_power_w = (float)(100u + v % 3000u);
  s->button_enabled = v & 1u;
}

/* Runs one step on g. Returns false when the power went away during it. */
static bool run_step(const step_t *st) {
  switch (st->kind) {
    case STEP_SETTINGS: {
      settings_t next = g.settings;
      settings_variant(&next, st->arg);
      if (settings_save(&g.st, &next) != SETTINGS_OK) return false;
      g.settings = next;
      return true;
    }
    case STEP_RELAY:
      if (settings_save_relay(&g.st, !g.relay) != SETTINGS_OK) return false;
      g.relay = !g.relay;
      return true;
    case STEP_ENERGY:
      g.now_us += 1000000u * (st->arg % 700u);
      energy_add_uwh(&g.en, (uint64_t)st->arg * 1000u);
      return energy_poll(&g.en, g.now_us) == STORE_OK;
    case STEP_FLUSH:
      return energy_flush(&g.en, g.now_us) == STORE_OK;
  }
  return false;
}

/* Boots from whatever flash holds now. */
static void reboot(store_t *st, settings_t *s, bool *relay, energy_t *en) {
  fake_flash_power_on();
  CHECK_EQ_INT(store_mount(st, HAL_PART_SETTINGS, 0, FAKE_SETTINGS_SIZE), STORE_OK);
  CHECK_EQ_INT(settings_load(st, s, relay), SETTINGS_OK);
  CHECK_EQ_INT(energy_init(en, st, 0), STORE_OK);
}

static void check_after_cut(const plug_t *before, const plug_t *after) {
  store_t st;
  settings_t s;
  bool last;
  energy_t en;
  reboot(&st, &s, &last, &en);
  bool old_s = memcmp(&s, &before->settings, sizeof s) == 0;
  bool new_s = memcmp(&s, &after->settings, sizeof s) == 0;
  CHECK(old_s || new_s);
  CHECK(last == before->relay || last == after->relay);
  bool on = settings_startup_relay(s.startup, last, true);
  bool want_old = settings_startup_relay(before->settings.startup, before->relay, true);
  bool want_new = settings_startup_relay(after->settings.startup, after->relay, true);
  CHECK(on == want_old || on == want_new);
  CHECK(en.total_uwh == before->en.persisted_uwh || en.total_uwh == after->en.persisted_uwh);
  CHECK(en.total_uwh >= before->en.persisted_uwh);

  /* The plug keeps working on the torn flash. */
  settings_t next = s;
  settings_variant(&next, 999999u);
  CHECK_EQ_INT(settings_save(&st, &next), SETTINGS_OK);
  CHECK_EQ_INT(settings_save_relay(&st, !last), SETTINGS_OK);
  energy_add_uwh(&en, 123456u);
  CHECK_EQ_INT(energy_flush(&en, 1), STORE_OK);
  uint64_t total = en.total_uwh;
  reboot(&st, &s, &last, &en);
  CHECK(memcmp(&s, &next, sizeof s) == 0);
  CHECK_EQ_U64(en.total_uwh, total);
}

static void sweep_step(const step_t *st) {
  save_plug(&snap);
  uint64_t u0 = fake_flash_units();
  CHECK(run_step(st));
  uint64_t units = fake_flash_units() - u0;
  plug_t after;
  save_plug(&after);
  for (uint64_t c = 0; c < units; c++) {
    load_plug(&snap);
    bool scramble = (c & 1u) != 0;
    fake_flash_cut_after(c, (uint32_t)(g_cuts * 2654435761u + 7u), scramble);
    CHECK(!run_step(st));
    CHECK(!fake_flash_powered());
    check_after_cut(&snap, &after);
    g_cuts++;
    g_scrambled += scramble;
  }
  load_plug(&after);
}

static void test_sweep_every_flash_unit(void) {
  fake_hal_reset();
  memset(&g, 0, sizeof g);
  CHECK_EQ_INT(store_mount(&g.st, HAL_PART_SETTINGS, 0, FAKE_SETTINGS_SIZE), STORE_OK);
  CHECK_EQ_INT(settings_load(&g.st, &g.settings, &g.relay), SETTINGS_OK);
  CHECK_EQ_INT(energy_init(&g.en, &g.st, 0), STORE_OK);
  uint32_t steps = 0, compactions = 0;
  while (g_cuts < 25000u || compactions < 4u) {
    step_t st;
    uint32_t r = next_rand();
    switch (r % 8u) {
      case 0: st.kind = STEP_SETTINGS; break;
      case 1:
      case 2: st.kind = STEP_RELAY; break;
      case 3: st.kind = STEP_FLUSH; break;
      default: st.kind = STEP_ENERGY; break;
    }
    st.arg = next_rand() % 12000u + 1u;
    uint32_t before = g.st.stats.compactions;
    sweep_step(&st);
    compactions += g.st.stats.compactions - before;
    steps++;
  }
  printf("power-cut sweep: %u cut points (%u scrambled) over %u steps, %u compactions\n",
         (unsigned)g_cuts, (unsigned)g_scrambled, (unsigned)steps, (unsigned)compactions);
  CHECK(g_cuts >= 10000u);
  CHECK(compactions >= 4u); /* the sweep went through sector switches, not only appends */
}

int main(void) {
  RUN(test_sweep_every_flash_unit);
  return unit_report();
}
