/* LED: modes, priorities (identify > setup ready > setup mode > tripped > mode), pin writes on change only. */
#include "fake_io.h"
#include "led/led.h"
#include "unit.h"

#define MS(x) ((uint64_t)(x) * 1000u)

static bool lit(led_mode_t m, bool relay, led_net_t net, uint64_t now_ms) {
  led_inputs_t in = {.relay_on = relay, .net = net};
  return led_compute(m, false, &in, MS(now_ms), 0, 0);
}

/* Fraction of 10 ms samples lit over [from, from+span) ms, in percent, and the number of on/off changes. */
static void profile(led_mode_t m, bool status, const led_inputs_t *in, uint64_t from_ms, uint32_t span_ms,
                    uint64_t id_start_ms, uint64_t id_until_ms, int *pct, int *changes) {
  int on = 0, n = 0, ch = 0;
  bool last = false;
  for (uint32_t t = 0; t < span_ms; t += 10, n++) {
    bool l = led_compute(m, status, in, MS(from_ms + t), MS(id_start_ms), MS(id_until_ms));
    if (l) on++;
    if (t > 0 && l != last) ch++;
    last = l;
  }
  *pct = on * 100 / n;
  *changes = ch;
}

static void test_modes(void) {
  CHECK(lit(LED_MODE_RELAY, true, LED_NET_CONNECTED, 5));
  CHECK(!lit(LED_MODE_RELAY, false, LED_NET_CONNECTED, 5));
  CHECK(!lit(LED_MODE_INVERTED, true, LED_NET_CONNECTED, 5));
  CHECK(lit(LED_MODE_INVERTED, false, LED_NET_CONNECTED, 5));
  CHECK(!lit(LED_MODE_OFF, true, LED_NET_CONNECTED, 5));
  CHECK(lit(LED_MODE_NETWORK, false, LED_NET_CONNECTED, 5));
  CHECK(!lit(LED_MODE_NETWORK, true, LED_NET_OFFLINE, 5));
  /* relay mode does not blink while connecting (a router outage must not make every plug flash) */
  CHECK(lit(LED_MODE_RELAY, true, LED_NET_CONNECTING, 700));
  int pct, ch;
  led_inputs_t in = {.net = LED_NET_CONNECTING};
  profile(LED_MODE_NETWORK, false, &in, 0, 4000, 0, 0, &pct, &ch);
  CHECK_EQ_INT(pct, 50);
  CHECK_EQ_INT(ch, 7); /* 1 Hz over 4 s */
}

static void test_setup_mode_blinks_2hz_in_every_mode(void) {
  led_inputs_t in = {.relay_on = true, .net = LED_NET_SETUP};
  for (int m = 0; m < 4; m++) {
    int pct, ch;
    profile((led_mode_t)m, false, &in, 1000, 2000, 0, 0, &pct, &ch);
    CHECK_EQ_INT(pct, 50);
    CHECK_EQ_INT(ch, 7); /* 2 Hz over 2 s: 8 half-periods */
  }
}

static void test_identify_overrides_everything_then_ends(void) {
  led_inputs_t in = {.relay_on = false, .net = LED_NET_SETUP, .tripped = true, .setup_ready = true};
  int pct, ch;
  profile(LED_MODE_OFF, false, &in, 1000, 1000, 1000, 6000, &pct, &ch);
  CHECK_EQ_INT(pct, 50);
  CHECK_EQ_INT(ch, 9); /* 5 Hz */
  in.net = LED_NET_CONNECTED;
  in.setup_ready = false;
  in.tripped = false;
  CHECK(!led_compute(LED_MODE_RELAY, false, &in, MS(6000), MS(1000), MS(6000))); /* over: back to the mode */
}

static void test_setup_ready_feedback(void) {
  led_inputs_t in = {.relay_on = true, .net = LED_NET_CONNECTED, .setup_ready = true};
  int pct, ch;
  profile(LED_MODE_OFF, false, &in, 0, 1000, 0, 0, &pct, &ch);
  CHECK_EQ_INT(pct, 50);
  CHECK_EQ_INT(ch, 19); /* 10 Hz */
}

static void test_tripped_double_flash_except_mode_off(void) {
  led_inputs_t in = {.relay_on = false, .net = LED_NET_CONNECTED, .tripped = true};
  int pct, ch;
  profile(LED_MODE_RELAY, false, &in, 0, 4000, 0, 0, &pct, &ch);
  CHECK_EQ_INT(pct, 10); /* 2 × 100 ms per 2 s */
  CHECK_EQ_INT(ch, 7);
  profile(LED_MODE_OFF, false, &in, 0, 4000, 0, 0, &pct, &ch);
  CHECK_EQ_INT(pct, 0);
}

static void test_status_led_shows_network(void) {
  led_inputs_t in = {.relay_on = false, .net = LED_NET_CONNECTED, .tripped = true};
  CHECK(led_compute(LED_MODE_RELAY, true, &in, MS(50), 0, 0));
  CHECK(!led_compute(LED_MODE_OFF, true, &in, MS(50), 0, 0));
  in.net = LED_NET_OFFLINE;
  CHECK(!led_compute(LED_MODE_INVERTED, true, &in, MS(50), 0, 0));
}

static void test_pin_is_written_on_change_only(void) {
  fake_io_reset();
  led_t l;
  CHECK_EQ_INT(led_init(&l, 20, true, false, LED_MODE_RELAY, true), HAL_OK);
  CHECK(fake_io_only_level(20, false)); /* active-low, lit: low from the start */
  led_inputs_t in = {.relay_on = true, .net = LED_NET_CONNECTED};
  for (int i = 0; i < 100; i++) led_update(&l, MS(i * 10), &in);
  CHECK_EQ_INT(fake_pins[20].nhistory, 1);
  in.relay_on = false;
  led_update(&l, MS(1000), &in);
  CHECK(fake_pins[20].level);
  CHECK(!led_is_lit(&l));
  CHECK_EQ_INT(fake_pins[20].nhistory, 2);
  led_identify(&l, MS(2000), 1000);
  CHECK(led_identify_active(&l, MS(2500)));
  CHECK(!led_identify_active(&l, MS(3000)));
  led_update(&l, MS(2050), &in);
  CHECK(led_is_lit(&l));
  led_identify(&l, MS(2100), 0);
  led_update(&l, MS(2110), &in);
  CHECK(!led_is_lit(&l));
}

static void test_names(void) {
  led_mode_t m;
  CHECK(led_mode_parse("inverted", &m));
  CHECK_EQ_INT(m, LED_MODE_INVERTED);
  CHECK(!led_mode_parse("blue", &m));
  CHECK_STR(led_mode_name(LED_MODE_OFF), "off");
  CHECK_STR(led_mode_name(LED_MODE_NETWORK), "network");
}

int main(void) {
  RUN(test_modes);
  RUN(test_setup_mode_blinks_2hz_in_every_mode);
  RUN(test_identify_overrides_everything_then_ends);
  RUN(test_setup_ready_feedback);
  RUN(test_tripped_double_flash_except_mode_off);
  RUN(test_status_led_shows_network);
  RUN(test_pin_is_written_on_change_only);
  RUN(test_names);
  return unit_report();
}
