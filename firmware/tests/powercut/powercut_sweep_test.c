/* Power-cut sweep over the firmware's own persistence paths. A deterministic workload runs step by step on
 * the store the plug uses (APP_STORE_SIZE at the start of the settings partition):
 *   - config changes: a protocol PATCH body through app_config_patch(), then app_config_save() — the JSON
 *     record the plug writes, 70…1024 bytes (long names, passwords, an OTA key),
 *   - relay clicks: app_relay_save() of the relay mask,
 *   - energy growth (energy_add_uwh + energy_poll, the 10 Wh / 10 min policy) and flushes before a reboot.
 * Before each step the whole plug state (flash image + RAM) is snapshotted; the step is then replayed once
 * for every flash unit it uses (every programmed byte, every erase) with the power cut at that unit, half
 * with in-order tearing and half with scrambled (out-of-order) page programming. After each cut the plug
 * boots as obl_app_init() does (mount, supervisor boot record, config, relay power-on state, energy) and must
 * see:
 *   - the config record equal to the old or the new one, byte for byte (never garbage, never a mix, and
 *     never the defaults once a config had been saved),
 *   - the relay state relay_boot_state() gives for the old or the new saved state under the old or new policy,
 *   - lifetime energy equal to the last or the newly persisted value (so ≥ the last persisted value),
 * and must then keep working: a further config save, relay save and energy flush read back after a reboot. */
#include <stdio.h>
#include <string.h>

#include "app/app_persist.h"
#include "energy/energy.h"
#include "fake_hal.h"
#include "relay/relay.h"
#include "supervisor/supervisor.h"
#include "unit.h"

_Static_assert(APP_STORE_SIZE <= FAKE_SETTINGS_SIZE, "the fake settings partition holds the app's store");

#define HOSTNAME "openbl602-0a1b2c"
#define MIN_CUTS 12000u
#define MIN_COMPACTIONS 4u

typedef struct {
  uint8_t flash[APP_STORE_SIZE];
  store_t st;
  energy_t en;
  app_config_t cfg;
  bool cfg_saved;
  uint8_t relay;
  bool relay_saved;
  uint64_t now_us;
} plug_t;

static plug_t g; /* the running plug */
static plug_t snap, after;
static uint32_t g_cuts, g_scrambled, g_cfg_cuts, g_copies_apart;
static uint32_t g_rec_min = 0xFFFFFFFFu, g_rec_max;
static char rec_a[APP_CONFIG_PERSIST_MAX], rec_b[APP_CONFIG_PERSIST_MAX], rec_c[APP_CONFIG_PERSIST_MAX];

static void flash_put(const uint8_t *img) {
  uint32_t size;
  memcpy(fake_flash_mem(HAL_PART_SETTINGS, &size), img, APP_STORE_SIZE);
}
static void flash_get(uint8_t *img) {
  uint32_t size;
  memcpy(img, fake_flash_mem(HAL_PART_SETTINGS, &size), APP_STORE_SIZE);
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

typedef enum { STEP_CONFIG, STEP_RELAY, STEP_ENERGY, STEP_FLUSH } step_kind_t;
typedef struct {
  step_kind_t kind;
  uint32_t arg;
} step_t;

static void fill(char *dst, size_t n, char c0, uint32_t v) {
  for (size_t i = 0; i < n; i++) dst[i] = (char)(c0 + (v + i) % 26u);
  dst[n] = '\0';
}

/* s as the body of a JSON string (quotes escaped), in a rotating static buffer. */
static const char *esc(const char *s) {
  static char bufs[2][2 * APP_API_PASS_MAX + 2];
  static unsigned k;
  char *o = bufs[k++ % 2u];
  size_t n = 0;
  for (; *s; s++) {
    if (*s == '"') o[n++] = '\\';
    o[n++] = *s;
  }
  o[n] = '\0';
  return o;
}

/* A PATCH body as HTTP would send it; v picks the values and the string lengths (up to every maximum, and
 * quotes in the passwords, which the record escapes: the largest records come near 1 KiB). */
static size_t config_patch_body(uint32_t v, uint32_t quotes, char *body, size_t cap) {
  static const char *const startup[] = {"off", "on", "restore", "toggle"};
  char name[APP_NAME_MAX + 1], host[APP_HOST_MAX + 1], user[APP_MQTT_USER_MAX + 1];
  char mpass[APP_MQTT_PASS_MAX + 1], ssid[APP_SSID_MAX + 1], wpass[APP_WIFI_PASS_MAX + 1];
  char api[APP_API_PASS_MAX + 1], key[131];
  bool big = v % 3u == 0;
  fill(name, big ? APP_NAME_MAX : 1u + v % APP_NAME_MAX, 'a', v);
  fill(host, big ? 60u : 1u + v % 20u, 'a', v / 3u);
  fill(user, big ? APP_MQTT_USER_MAX : v % 10u, 'A', v);
  fill(mpass, big ? APP_MQTT_PASS_MAX : v % 16u, 'a', v / 7u);
  fill(ssid, big ? APP_SSID_MAX : v % 12u, 'A', v / 5u);
  fill(wpass, big ? APP_WIFI_PASS_MAX : 8u + v % 8u, 'a', v / 11u);
  fill(api, big ? APP_API_PASS_MAX : (v & 4u) ? 8u + v % 20u : 0u, 'a', v / 13u);
  if (big) { /* escaped in the record: \" (2 bytes each) */
    for (size_t i = v % 5u; i < APP_MQTT_PASS_MAX && quotes > 0; i += 2u, quotes--) mpass[i] = '"';
    for (size_t i = v % 3u; i < APP_API_PASS_MAX && quotes > 0; i += 3u, quotes--) api[i] = '"';
  }
  key[0] = '\0';
  if (big || (v & 8u)) {
    key[0] = '0';
    key[1] = '4';
    for (size_t i = 2; i < 130u; i++) key[i] = "0123456789abcdef"[(v + i * 7u) % 16u];
    key[130] = '\0';
  }
  int n = snprintf(body, cap,
                   "{\"name\":\"%s\",\"startup\":\"%s\",\"led\":\"%s\","
                   "\"button\":{\"enabled\":%s,\"long_press_ms\":%u},"
                   "\"protection\":{\"max_power_w\":%u,\"hold_s\":%u},"
                   "\"report\":{\"heartbeat_s\":%u,\"power_delta_w\":%u.5},"
                   "\"mqtt\":{\"enabled\":%s,\"host\":\"%s\",\"port\":%u,\"user\":\"%s\",\"password\":\"%s\"},"
                   "\"wifi\":{\"ssid\":\"%s\",\"password\":\"%s\"},\"api_password\":\"%s\",\"ota_public_key\":\"%s\"}",
                   name, startup[v % 4u], (v & 1u) ? "off" : "relay", (v & 2u) ? "true" : "false",
                   (unsigned)(500u + v % 4500u), (unsigned)(100u + v % 3000u), (unsigned)(1u + v % 60u),
                   (unsigned)(60u + v % 3000u), (unsigned)(v % 90u), (v & 16u) ? "true" : "false", host,
                   (unsigned)(1u + v % 65535u), user, esc(mpass), ssid, wpass, esc(api), key);
  CHECK(n > 0 && (size_t)n < cap);
  return (size_t)n;
}

/* The patch body of variant v: the big ones carry as many escaped quotes as the 1 KiB record takes (the plug
 * refuses more with too_long). Bodies are cached (two slots: the workload's and the after-cut check's), so
 * a replayed step sends the same bytes without searching again. */
static const char *variant_body(uint32_t v, size_t *len) {
  static char body[2][2048];
  static size_t blen[2];
  static uint32_t bv[2] = {0xFFFFFFFFu, 0xFFFFFFFFu};
  unsigned slot = v == 999999u;
  if (bv[slot] != v) {
    for (uint32_t q = 48;; q -= 2) {
      blen[slot] = config_patch_body(v, q, body[slot], sizeof body[slot]);
      app_config_t probe;
      app_config_defaults(&probe, HOSTNAME);
      app_errors_t errs;
      if (app_config_patch(&probe, body[slot], blen[slot], APP_SRC_HTTP, &errs) || q == 0 ||
          strcmp(errs.e[0].code, "too_long") != 0)
        break;
    }
    bv[slot] = v;
  }
  *len = blen[slot];
  return body[slot];
}

static app_config_t config_variant(const app_config_t *cur, uint32_t v) {
  size_t n;
  const char *body = variant_body(v, &n);
  app_config_t next = *cur;
  app_errors_t errs;
  bool ok = app_config_patch(&next, body, n, APP_SRC_HTTP, &errs);
  if (!ok) printf("patch %u refused: %s %s %s\n", (unsigned)v, errs.e[0].code, errs.e[0].field, errs.e[0].message);
  CHECK(ok);
  return next;
}

/* Runs one step on g, as the plug does it. Returns false when the power went away during it. */
static bool run_step(const step_t *st) {
  switch (st->kind) {
    case STEP_CONFIG: {
      app_config_t next = config_variant(&g.cfg, st->arg);
      if (app_config_save(&g.st, &next) != STORE_OK) return false;
      g.cfg = next;
      g.cfg_saved = true;
      return true;
    }
    case STEP_RELAY: {
      uint8_t next = g.relay ^ 1u;
      if (app_relay_save(&g.st, next) != STORE_OK) return false;
      g.relay = next;
      g.relay_saved = true;
      return true;
    }
    case STEP_ENERGY:
      g.now_us += 1000000u * (st->arg % 700u);
      energy_add_uwh(&g.en, (uint64_t)st->arg * 1000u);
      return energy_poll(&g.en, g.now_us) == STORE_OK;
    case STEP_FLUSH:
      return energy_flush(&g.en, g.now_us) == STORE_OK;
  }
  return false;
}

/* ---- boot, as obl_app_init() does it ---- */

typedef struct {
  store_t st;
  supervisor_t sup;
  app_config_t cfg;
  store_err_t cfg_err;
  bool relay_saved;
  uint8_t relay_mask;
  bool relay_on; /* the relay state applied at power-up */
  energy_t en;
} booted_t;

static booted_t b;

/* after_cut: the first boot after a cut, which counts the cuts that left the config's two copies apart */
static void boot(booted_t *p, bool after_cut) {
  fake_flash_power_on();
  CHECK_EQ_INT(store_mount(&p->st, HAL_PART_SETTINGS, 0, APP_STORE_SIZE), STORE_OK);
  CHECK_EQ_INT(supervisor_boot(&p->sup, &p->st, NULL, 0), STORE_OK);
  if (after_cut) { /* a cut between the two copies of the config leaves them different */
    size_t na = 0, nb = 0;
    store_err_t ea = store_get(&p->st, STORE_KEY_SETTINGS, rec_a, sizeof rec_a, &na);
    store_err_t eb = store_get(&p->st, STORE_KEY_SETTINGS_COPY, rec_b, sizeof rec_b, &nb);
    g_copies_apart += ea == STORE_OK && (eb != STORE_OK || na != nb || memcmp(rec_a, rec_b, na) != 0);
  }
  p->cfg_err = app_config_load(&p->st, &p->cfg, HOSTNAME);
  p->relay_mask = 0;
  p->relay_saved = app_relay_load(&p->st, &p->relay_mask);
  relay_boot_info_t info = {.saved_valid = p->relay_saved, .saved_on = p->relay_mask & 1u, .reset = HAL_RESET_POWER_ON};
  p->relay_on = relay_boot_state(app_config_power_on(&p->cfg), &info);
  CHECK_EQ_INT(energy_init(&p->en, &p->st, 0), STORE_OK);
}

static bool policy_relay(const plug_t *p, const app_config_t *cfg) {
  relay_boot_info_t info = {.saved_valid = p->relay_saved, .saved_on = p->relay & 1u, .reset = HAL_RESET_POWER_ON};
  return relay_boot_state(app_config_power_on(cfg), &info);
}

static bool same_config(const app_config_t *x, const app_config_t *y) {
  int32_t nx = app_config_encode(x, rec_a, sizeof rec_a), ny = app_config_encode(y, rec_b, sizeof rec_b);
  return nx > 0 && nx == ny && memcmp(rec_a, rec_b, (size_t)nx) == 0;
}

static void check_after_cut(const plug_t *old, const plug_t *new_) {
  boot(&b, true);
  /* config: old or new record, never defaults once one was saved */
  if (old->cfg_saved) {
    CHECK_EQ_INT(b.cfg_err, STORE_OK);
  } else {
    CHECK(b.cfg_err == STORE_OK || b.cfg_err == STORE_ERR_NOT_FOUND);
  }
  bool is_old = same_config(&b.cfg, &old->cfg), is_new = same_config(&b.cfg, &new_->cfg);
  CHECK(is_old || is_new);
  CHECK(b.cfg_err == STORE_OK || is_old); /* defaults only while nothing had been saved */
  if (b.cfg_err == STORE_OK) { /* the load brought the config's copy up to date (docs/storage.md) */
    size_t na = 0, nb = 0;
    CHECK_EQ_INT(store_get(&b.st, STORE_KEY_SETTINGS, rec_a, sizeof rec_a, &na), STORE_OK);
    CHECK_EQ_INT(store_get(&b.st, STORE_KEY_SETTINGS_COPY, rec_b, sizeof rec_b, &nb), STORE_OK);
    CHECK(na == nb && memcmp(rec_a, rec_b, na) == 0);
  }
  /* relay: saved state old or new, and the power-up state per policy */
  CHECK(b.relay_saved == old->relay_saved || b.relay_saved == new_->relay_saved);
  if (b.relay_saved) CHECK(b.relay_mask == old->relay || b.relay_mask == new_->relay);
  CHECK(b.relay_on == policy_relay(old, &old->cfg) || b.relay_on == policy_relay(new_, &new_->cfg) ||
        b.relay_on == policy_relay(old, &new_->cfg) || b.relay_on == policy_relay(new_, &old->cfg));
  /* energy: the last or the newly persisted value, never less */
  CHECK(b.en.loaded);
  CHECK(b.en.total_uwh == old->en.persisted_uwh || b.en.total_uwh == new_->en.persisted_uwh);
  CHECK(b.en.total_uwh >= old->en.persisted_uwh);

  /* The plug keeps working on the torn flash. */
  app_config_t next = config_variant(&b.cfg, 999999u);
  CHECK_EQ_INT(app_config_save(&b.st, &next), STORE_OK);
  CHECK_EQ_INT(app_relay_save(&b.st, (uint8_t)(b.relay_mask ^ 1u)), STORE_OK);
  energy_add_uwh(&b.en, 123456u);
  CHECK_EQ_INT(energy_flush(&b.en, 1), STORE_OK);
  uint64_t total = b.en.total_uwh;
  uint8_t mask = (uint8_t)(b.relay_mask ^ 1u);
  boot(&b, false);
  CHECK_EQ_INT(b.cfg_err, STORE_OK);
  CHECK(same_config(&b.cfg, &next));
  CHECK(b.relay_saved && b.relay_mask == mask);
  CHECK_EQ_U64(b.en.total_uwh, total);
}

static void sweep_step(const step_t *st) {
  save_plug(&snap);
  uint64_t u0 = fake_flash_units();
  CHECK(run_step(st));
  uint64_t units = fake_flash_units() - u0;
  save_plug(&after);
  if (st->kind == STEP_CONFIG) {
    int32_t n = app_config_encode(&after.cfg, rec_c, sizeof rec_c);
    if ((uint32_t)n < g_rec_min) g_rec_min = (uint32_t)n;
    if ((uint32_t)n > g_rec_max) g_rec_max = (uint32_t)n;
  }
  for (uint64_t c = 0; c < units; c++) {
    load_plug(&snap);
    bool scramble = (c & 1u) != 0;
    fake_flash_cut_after(c, (uint32_t)(g_cuts * 2654435761u + 7u), scramble);
    CHECK(!run_step(st));
    CHECK(!fake_flash_powered());
    check_after_cut(&snap, &after);
    g_cuts++;
    g_scrambled += scramble;
    g_cfg_cuts += st->kind == STEP_CONFIG;
  }
  load_plug(&after);
}

static void test_sweep_every_flash_unit(void) {
  fake_hal_reset();
  fake_log_quiet(true);
  memset(&g, 0, sizeof g);
  CHECK_EQ_INT(store_mount(&g.st, HAL_PART_SETTINGS, 0, APP_STORE_SIZE), STORE_OK);
  CHECK_EQ_INT(app_config_load(&g.st, &g.cfg, HOSTNAME), STORE_ERR_NOT_FOUND); /* a plug fresh from the box */
  g.relay_saved = app_relay_load(&g.st, &g.relay);
  CHECK(!g.relay_saved);
  CHECK_EQ_INT(energy_init(&g.en, &g.st, 0), STORE_OK);
  uint32_t steps = 0, compactions = 0;
  while (g_cuts < MIN_CUTS || compactions < MIN_COMPACTIONS) {
    step_t st;
    uint32_t r = next_rand();
    switch (r % 10u) {
      case 0: st.kind = STEP_CONFIG; break;
      case 1:
      case 2:
      case 3: st.kind = STEP_RELAY; break;
      case 4: st.kind = STEP_FLUSH; break;
      default: st.kind = STEP_ENERGY; break;
    }
    st.arg = next_rand() % 12000u + 1u;
    uint32_t before = g.st.stats.compactions;
    sweep_step(&st);
    compactions += g.st.stats.compactions - before;
    steps++;
  }
  printf("power-cut sweep: %u cut points (%u scrambled, %u in config records of %u..%u bytes; %u left "
         "the config's two copies apart, repaired at boot) over %u steps, %u compactions, store %u sectors\n",
         (unsigned)g_cuts, (unsigned)g_scrambled, (unsigned)g_cfg_cuts, (unsigned)g_rec_min, (unsigned)g_rec_max,
         (unsigned)g_copies_apart, (unsigned)steps, (unsigned)compactions,
         (unsigned)(APP_STORE_SIZE / HAL_FLASH_SECTOR));
  CHECK(g_cuts >= 10000u);
  CHECK(compactions >= MIN_COMPACTIONS); /* the sweep went through sector switches, not only appends */
  CHECK(g_rec_max > 900u);               /* and through near-1 KiB config records */
  CHECK(g_copies_apart > 0);             /* and cut between the two copies of the config */
}

int main(void) {
  RUN(test_sweep_every_flash_unit);
  return unit_report();
}
