/* The plug's MQTT binding against an in-memory broker: topics, LWT, birth, retained info/state, commands
 * and results, the reporting policy over simulated time, backoff and reconnect. */
#include <stdio.h>
#include <string.h>

#include "fake_broker.h"
#include "mqttdev/mqttdev.h"
#include "unit.h"

typedef struct {
  mqttdev_snapshot_t snap;
  float voltage;
  int commands;
  char last_cmd[32];
  char last_body[256];
  bool fail_next;
  bool stop_in_command;
} app_t;

static fake_broker_t fb;
static app_t app;

static int build_state(void *ctx, char *buf, size_t cap) {
  app_t *a = (app_t *)ctx;
  return snprintf(buf, cap, "{\"relay\":%s,\"power_w\":%.1f}", a->snap.relay ? "true" : "false",
                  (double)a->snap.power_w);
}
static int build_info(void *ctx, char *buf, size_t cap) {
  (void)ctx;
  return snprintf(buf, cap, "{\"id\":\"abc\",\"protocol\":1}");
}
static void snapshot(void *ctx, mqttdev_snapshot_t *out) { *out = ((app_t *)ctx)->snap; }
static mqttdev_t dev;

static bool command(void *ctx, const char *name, const char *body, size_t len, mqttdev_error_t *err) {
  app_t *a = (app_t *)ctx;
  a->commands++;
  if (a->stop_in_command) mqttdev_stop(&dev, 0);
  snprintf(a->last_cmd, sizeof a->last_cmd, "%s", name);
  snprintf(a->last_body, sizeof a->last_body, "%.*s", (int)len, body);
  if (strcmp(name, "relay") != 0) {
    snprintf(err->code, sizeof err->code, "unknown_command");
    snprintf(err->message, sizeof err->message, "no command %s", name);
    return false;
  }
  if (a->fail_next) {
    snprintf(err->code, sizeof err->code, "bad_value");
    snprintf(err->message, sizeof err->message, "on must be a boolean");
    snprintf(err->field, sizeof err->field, "on");
    return false;
  }
  a->snap.relay = strstr(body, "\"on\":true") != NULL;
  return true;
}

static void setup(void) {
  fb_init(&fb);
  memset(&app, 0, sizeof app);
  app.snap.power_w = 115.0f;
  mqttdev_config_t cfg = {
      .device_id = "abc",
      .net = fb_net(&fb),
      .app = {build_state, build_info, snapshot, command, &app},
      .random_seed = 12345,
  };
  CHECK(mqttdev_init(&dev, &cfg));
}

static void step(uint64_t now) {
  mqttdev_poll(&dev, now);
  fb_process(&fb);
  mqttdev_poll(&dev, now);
  fb_process(&fb);
}

static void go_online(uint64_t now) {
  mqttdev_broker_t b = {.host = "10.0.0.2", .port = 1884, .username = "u", .password = "p"};
  mqttdev_set_broker(&dev, &b, now);
  step(now);
  CHECK_EQ_INT(mqttdev_stats(&dev)->state, MQTTDEV_ONLINE);
}

static bool contains(const uint8_t *hay, size_t n, const char *needle) {
  size_t k = strlen(needle);
  for (size_t i = 0; i + k <= n; i++)
    if (memcmp(hay + i, needle, k) == 0) return true;
  return false;
}

static void test_rejects_bad_device_id(void) {
  mqttdev_config_t cfg = {.device_id = "Bad/Id", .net = fb_net(&fb), .app = {build_state, build_info, snapshot, command, &app}};
  CHECK(!mqttdev_init(&dev, &cfg));
  cfg.device_id = "";
  CHECK(!mqttdev_init(&dev, &cfg));
}

static void test_off_until_a_broker_is_set(void) {
  setup();
  step(0);
  CHECK_EQ_INT(fb.opens, 0);
  CHECK_EQ_INT(mqttdev_stats(&dev)->state, MQTTDEV_OFF);
  CHECK_EQ_U64(mqttdev_next_timeout_ms(&dev, 0), UINT32_MAX);
}

static void test_connect_sends_will_credentials_then_birth_info_subscribe_state(void) {
  setup();
  go_online(0);
  CHECK_STR(fb.host, "10.0.0.2");
  CHECK_EQ_INT(fb.port, 1884);
  CHECK(contains(fb.connect_pkt, fb.connect_len, "openbl602/abc/status"));
  CHECK(contains(fb.connect_pkt, fb.connect_len, "offline"));
  CHECK(contains(fb.connect_pkt, fb.connect_len, "openbl602-abc")); /* default client id */
  CHECK_EQ_INT(fb.connect_pkt[9], 0x02 | 0x04 | 0x08 | 0x20 | 0x40 | 0x80); /* clean, will QoS1 retained, user, pw */
  CHECK_EQ_INT(fb.nmsgs, 3);
  CHECK_STR(fb.msgs[0].topic, "openbl602/abc/status");
  CHECK_STR(fb.msgs[0].payload, "online");
  CHECK(fb.msgs[0].retain && fb.msgs[0].qos == 1);
  CHECK_STR(fb.msgs[1].topic, "openbl602/abc/info");
  CHECK(fb.msgs[1].retain && fb.msgs[1].qos == 1);
  CHECK_STR(fb.msgs[2].topic, "openbl602/abc/state");
  CHECK(fb.msgs[2].retain && fb.msgs[2].qos == 1);
  CHECK_STR(fb.msgs[2].payload, "{\"relay\":false,\"power_w\":115.0}");
  CHECK_EQ_INT(fb.subscribes, 1);
  step(1);
  CHECK(mqttdev_stats(&dev)->subscribed);
  CHECK_EQ_INT(mqttdev_stats(&dev)->connects, 1);
}

/* Simulates seconds of metering; power(t) gives the load. Returns state messages published. */
static int run_load(uint64_t *now, int seconds, float (*power)(int t)) {
  int before = fb_count(&fb, "openbl602/abc/state");
  for (int t = 0; t < seconds; t++) {
    *now += 1000;
    app.snap.power_w = power(t);
    step(*now);
  }
  return fb_count(&fb, "openbl602/abc/state") - before;
}

static float steady_115(int t) { return 115.0f + ((t * 7919) % 7 - 3) * 0.1f; } /* ±0.3 W meter noise */
static float noisy(int t) { return 115.0f + (float)((t * 7919) % 11); }           /* 0..10 W jumps */

static void test_steady_load_sends_one_heartbeat_a_minute(void) {
  setup();
  uint64_t now = 0;
  go_online(now);
  int n = run_load(&now, 600, steady_115);
  printf("steady 115 W: %d state messages in 10 min = %.1f msg/min (OpenBeken: 32)\n", n, n / 10.0);
  CHECK_EQ_INT(n, 10);
  /* and no other topic: status/info only once, keep-alive pings are not PUBLISHes */
  CHECK_EQ_INT(fb.nmsgs, 3 + 10);
  CHECK(fb.pings >= 9);
}

static void test_noisy_load_is_spaced(void) {
  setup();
  uint64_t now = 0;
  go_online(now);
  int n = run_load(&now, 300, noisy);
  printf("noisy 115-125 W: %d state messages in 5 min = %.1f msg/min (OpenBeken: 94)\n", n, n / 5.0);
  CHECK(n <= 150); /* 2 s spacing → at most 30/min */
  CHECK(n >= 100);
}

/* ---- settled reporting (issue 16): the meter's transient never leaves the plug ---- */

/* Counts state messages after index `from` whose power_w is neither a nor b. */
static int foreign_power_reports(int from, const char *a, const char *b) {
  int n = 0;
  for (int i = from; i < fb.nmsgs; i++)
    if (strcmp(fb.msgs[i].topic, "openbl602/abc/state") == 0 && !strstr(fb.msgs[i].payload, a) &&
        !strstr(fb.msgs[i].payload, b))
      n++;
  return n;
}

static void test_step_down_transient_is_not_published_settled_value_is(void) {
  setup();
  app.snap.relay = true;
  app.snap.power_w = 1500.0f;
  go_online(0);
  uint64_t now = 20000; /* well past the spacing: the old policy sent the first reading over the delta */
  step(now);
  int from = fb.nmsgs, before = fb_count(&fb, "openbl602/abc/state");
  /* the meter on its way down (a pending edge, then the overdue bound), 10 ms polls */
  const float way_down[] = {1262.7f, 977.2f, 713.7f, 285.8f};
  for (unsigned i = 0; i < sizeof way_down / sizeof way_down[0]; i++) {
    app.snap.power_w = way_down[i];
    app.snap.settling = true;
    step(now += 10);
  }
  app.snap.power_w = 100.0f; /* settled */
  app.snap.settling = false;
  step(now += 10); /* the first poll after it settled */
  CHECK_EQ_INT(fb_count(&fb, "openbl602/abc/state"), before + 1);
  CHECK_STR(fb_last(&fb, "openbl602/abc/state")->payload, "{\"relay\":true,\"power_w\":100.0}");
  CHECK_EQ_INT(foreign_power_reports(from, "1500.0", "100.0"), 0);
}

static void test_switch_on_reports_settled_power_at_once_after_relay_report(void) {
  setup();
  go_online(0);
  uint64_t now = 20000;
  app.snap.power_w = 0.0f; /* relay off: the app reports 0 */
  step(now);
  int before = fb_count(&fb, "openbl602/abc/state");
  /* relay closes; the meter still shows the decay bound of the load before (0.7 W) */
  app.snap.relay = true;
  app.snap.power_w = 0.7f;
  app.snap.settling = true;
  step(now += 10);
  CHECK_EQ_INT(fb_count(&fb, "openbl602/abc/state"), before + 1); /* the relay change: at once */
  /* the first edges of the 1000 W load: settled within a few ms, sent at once (not 2 s later) */
  app.snap.power_w = 1000.0f;
  app.snap.settling = false;
  step(now += 10);
  CHECK_EQ_INT(fb_count(&fb, "openbl602/abc/state"), before + 2);
  CHECK_STR(fb_last(&fb, "openbl602/abc/state")->payload, "{\"relay\":true,\"power_w\":1000.0}");
  /* the follow-up was settled: the next power change waits for the spacing again */
  app.snap.power_w = 1200.0f;
  step(now += 10);
  CHECK_EQ_INT(fb_count(&fb, "openbl602/abc/state"), before + 2);
  step(now + 2000);
  CHECK_EQ_INT(fb_count(&fb, "openbl602/abc/state"), before + 3);
}

/* Worst case for the follow-up rule: a load that jumps every poll and is unsettled every other poll, with a
 * heartbeat-free stream of changes. Power reports stay ≤ 30/min. */
static float worst_power(int t) {
  app.snap.settling = (t % 2) == 0;
  return (t % 3) ? 100.0f + (float)(t % 97) * 10.0f : 3.0f;
}

static void test_worst_case_noisy_unsettled_load_stays_within_30_per_minute(void) {
  setup();
  app.snap.relay = true;
  uint64_t now = 0;
  go_online(now);
  int before = fb_count(&fb, "openbl602/abc/state");
  for (int t = 0; t < 60 * 100; t++) { /* 10 ms polls for one minute */
    app.snap.power_w = worst_power(t);
    step(now += 10);
  }
  int n = fb_count(&fb, "openbl602/abc/state") - before;
  printf("worst-case noisy, half unsettled: %d state messages in 1 min\n", n);
  CHECK(n <= 30);
  CHECK(n >= 25);
}

static void test_relay_change_and_power_step_publish_at_once(void) {
  setup();
  uint64_t now = 0;
  go_online(now);
  now = 20000;
  step(now);
  int before = fb_count(&fb, "openbl602/abc/state");
  app.snap.relay = true;
  step(now + 10);
  CHECK_EQ_INT(fb_count(&fb, "openbl602/abc/state"), before + 1);
  CHECK_STR(fb_last(&fb, "openbl602/abc/state")->payload, "{\"relay\":true,\"power_w\":115.0}");
  /* a power step right after the relay report waits for the spacing ... */
  app.snap.power_w = 300.0f;
  step(now + 20);
  CHECK_EQ_INT(fb_count(&fb, "openbl602/abc/state"), before + 1);
  step(now + 10 + 2000);
  CHECK_EQ_INT(fb_count(&fb, "openbl602/abc/state"), before + 2);
  /* ... a trip never waits */
  app.snap.tripped = 1;
  step(now + 10 + 2001);
  CHECK_EQ_INT(fb_count(&fb, "openbl602/abc/state"), before + 3);
  /* explicit request */
  mqttdev_state_changed(&dev);
  step(now + 10 + 2002);
  CHECK_EQ_INT(fb_count(&fb, "openbl602/abc/state"), before + 4);
}

static void test_report_thresholds_can_change_at_run_time(void) {
  setup();
  uint64_t now = 0;
  go_online(now);
  mqttdev_report_cfg_t rc;
  mqttdev_report_defaults(&rc);
  rc.power_abs_w = 50.0f;
  mqttdev_set_report(&dev, &rc);
  int before = fb_count(&fb, "openbl602/abc/state");
  app.snap.power_w = 140.0f; /* +25 W: meaningful by default, not with a 50 W floor */
  step(10000);
  CHECK_EQ_INT(fb_count(&fb, "openbl602/abc/state"), before);
  app.snap.power_w = 170.0f;
  step(11000);
  CHECK_EQ_INT(fb_count(&fb, "openbl602/abc/state"), before + 1);
}

static void test_power_threshold_is_max_of_relative_and_absolute(void) {
  mqttdev_report_cfg_t c;
  mqttdev_report_defaults(&c);
  CHECK(!mqttdev_power_meaningful(&c, 10.0f, 10.4f));   /* 0.4 W < 0.5 W floor */
  CHECK(mqttdev_power_meaningful(&c, 10.0f, 10.5f));
  CHECK(!mqttdev_power_meaningful(&c, 1000.0f, 1009.0f)); /* < 1 % */
  CHECK(mqttdev_power_meaningful(&c, 1000.0f, 1010.0f));
  CHECK(mqttdev_power_meaningful(&c, 0.0f, 0.5f));
  c.power_abs_w = 5.0f;
  CHECK(!mqttdev_power_meaningful(&c, 10.0f, 14.0f));
}

static void test_command_runs_app_and_publishes_result_with_req(void) {
  setup();
  go_online(0);
  fb_publish(&fb, "openbl602/abc/cmd/relay", "{\"on\":true,\"req\":\"r1\"}", 1, false, 5);
  step(100);
  CHECK_EQ_INT(app.commands, 1);
  CHECK_STR(app.last_cmd, "relay");
  CHECK_STR(app.last_body, "{\"on\":true,\"req\":\"r1\"}");
  const fb_msg_t *r = fb_last(&fb, "openbl602/abc/result");
  CHECK(r != NULL);
  if (r) {
    CHECK_STR(r->payload, "{\"cmd\":\"relay\",\"req\":\"r1\",\"ok\":true,\"error\":null}");
    CHECK(!r->retain);
    CHECK_EQ_INT(r->qos, 1);
  }
  /* the relay change is reported before the result (protocol §8.3) */
  CHECK_STR(fb_last(&fb, "openbl602/abc/state")->payload, "{\"relay\":true,\"power_w\":115.0}");
  CHECK_STR(fb.msgs[fb.nmsgs - 1].topic, "openbl602/abc/result");
  CHECK_STR(fb.msgs[fb.nmsgs - 2].topic, "openbl602/abc/state");
  /* a req longer than 32 chars is not echoed */
  fb_publish(&fb, "openbl602/abc/cmd/relay", "{\"on\":false,\"req\":\"123456789012345678901234567890123\"}", 0, false, 0);
  step(200);
  CHECK(strstr(fb_last(&fb, "openbl602/abc/result")->payload, "\"req\":null") != NULL);
}

/* #13: a burst read in one poll gets one result per command, though only 8 QoS 1 messages fit in flight
 * and every toggle also reports the state (results beyond the window go QoS 0; one state in flight). */
static void test_burst_of_commands_gets_every_result(void) {
  setup();
  go_online(0);
  int before = fb_count(&fb, "openbl602/abc/result");
  for (int i = 0; i < 20; i++) {
    char body[64];
    snprintf(body, sizeof body, "{\"on\":%s,\"req\":\"q%d\"}", i % 2 ? "false" : "true", i);
    fb_publish(&fb, "openbl602/abc/cmd/relay", body, 1, false, (uint16_t)(100 + i));
  }
  mqttdev_poll(&dev, 100); /* all 20 in one read, before any PUBACK can come back */
  fb_process(&fb);
  CHECK_EQ_INT(app.commands, 20);
  CHECK_EQ_INT(fb_count(&fb, "openbl602/abc/result") - before, 20);
  int seen = 0;
  for (int i = 0; i < fb.nmsgs; i++) {
    char want[16];
    snprintf(want, sizeof want, "\"q%d\"", seen);
    if (strcmp(fb.msgs[i].topic, "openbl602/abc/result") == 0 && strstr(fb.msgs[i].payload, want)) seen++;
  }
  CHECK_EQ_INT(seen, 20); /* in order */
  CHECK(mqtt_inflight_count(&dev.mqtt) <= MQTT_MAX_INFLIGHT);
  step(200);
  CHECK_STR(fb_last(&fb, "openbl602/abc/state")->payload, "{\"relay\":false,\"power_w\":115.0}");
}

/* A socket that takes nothing: commands wait at the broker (not read, not acknowledged) instead of being
 * run with nowhere to put their answers; they all run and are answered once it drains. */
static void test_commands_wait_while_the_transmit_queue_is_full(void) {
  setup();
  go_online(0);
  fb.link.send_blocked = true;
  for (int i = 0; i < 30; i++) {
    char body[64];
    snprintf(body, sizeof body, "{\"on\":true,\"req\":\"w%d\"}", i);
    fb_publish(&fb, "openbl602/abc/cmd/relay", body, 1, false, (uint16_t)(200 + i));
  }
  for (uint64_t t = 100; t < 110; t++) mqttdev_poll(&dev, t);
  CHECK(app.commands < 30);
  fb.link.send_blocked = false;
  for (uint64_t t = 200; t < 260 && app.commands < 30; t++) step(t);
  step(300);
  CHECK_EQ_INT(app.commands, 30);
  CHECK_EQ_INT(fb_count(&fb, "openbl602/abc/result"), 30);
}

static void test_command_errors(void) {
  setup();
  go_online(0);
  app.fail_next = true;
  fb_publish(&fb, "openbl602/abc/cmd/relay", "{\"on\":3}", 0, false, 0);
  step(100);
  CHECK_STR(fb_last(&fb, "openbl602/abc/result")->payload,
            "{\"cmd\":\"relay\",\"req\":null,\"ok\":false,\"error\":{\"code\":\"bad_value\","
            "\"message\":\"on must be a boolean\",\"field\":\"on\"}}");
  /* invalid name: answered without reaching the app */
  fb_publish(&fb, "openbl602/abc/cmd/Bad\"Name", "{}", 0, false, 0);
  step(200);
  CHECK_EQ_INT(app.commands, 1);
  CHECK_STR(fb_last(&fb, "openbl602/abc/result")->payload,
            "{\"cmd\":\"Bad\\\"Name\",\"req\":null,\"ok\":false,\"error\":{\"code\":\"not_found\","
            "\"message\":\"no such command\"}}");
  /* not JSON: the app decides (here: unknown), req is null */
  fb_publish(&fb, "openbl602/abc/cmd/identify", "not json", 0, false, 0);
  step(300);
  CHECK_EQ_INT(app.commands, 2);
  CHECK(strstr(fb_last(&fb, "openbl602/abc/result")->payload, "\"req\":null") != NULL);
}

static void test_oversized_command_gets_payload_too_large(void) {
  setup();
  go_online(0);
  static char body[MQTTDEV_RX_SIZE + 100];
  memset(body, ' ', sizeof body - 1);
  body[0] = '{';
  body[sizeof body - 2] = '}';
  uint8_t pkt[MQTTDEV_RX_SIZE + 300];
  int32_t n = mqtt_encode_publish(pkt, sizeof pkt, "openbl602/abc/cmd/config", body, strlen(body), 1, false, false, 4);
  CHECK(n > 0);
  for (int32_t off = 0; off < n; off += 1000) { /* arrives in pieces, like TCP */
    mem_link_feed(&fb.link, pkt + off, (size_t)(n - off < 1000 ? n - off : 1000));
    step(100 + (uint64_t)off);
  }
  CHECK_EQ_INT(app.commands, 0);
  const fb_msg_t *r = fb_last(&fb, "openbl602/abc/result");
  CHECK(r != NULL);
  if (r) CHECK(strstr(r->payload, "\"cmd\":\"config\"") && strstr(r->payload, "payload_too_large"));
  /* the connection survives and the next command works */
  fb_publish(&fb, "openbl602/abc/cmd/relay", "{\"on\":true}", 1, false, 5);
  step(5000);
  CHECK_EQ_INT(app.commands, 1);
  CHECK_EQ_INT(mqttdev_stats(&dev)->state, MQTTDEV_ONLINE);
}

static void test_retained_command_is_ignored(void) {
  setup();
  go_online(0);
  int results = fb_count(&fb, "openbl602/abc/result");
  fb_publish(&fb, "openbl602/abc/cmd/relay", "{\"on\":true}", 1, true, 9);
  step(100);
  CHECK_EQ_INT(app.commands, 0);
  CHECK_EQ_INT(fb_count(&fb, "openbl602/abc/result"), results);
  CHECK(!app.snap.relay);
}

static void test_backoff_doubles_with_jitter_up_to_max(void) {
  setup();
  fb.open_result = -1;
  mqttdev_broker_t b = {.host = "10.0.0.2"};
  mqttdev_set_broker(&dev, &b, 0);
  uint64_t now = 0;
  uint64_t nominal = 1000;
  for (int i = 0; i < 10; i++) {
    mqttdev_poll(&dev, now);
    const mqttdev_stats_t *s = mqttdev_stats(&dev);
    CHECK_EQ_INT(s->state, MQTTDEV_WAITING);
    uint64_t wait = s->next_attempt_ms - now;
    CHECK(wait >= nominal - nominal / 5 && wait <= nominal + nominal / 5); /* ±20 % */
    CHECK(strstr(s->last_error, "connect") != NULL);
    mqttdev_poll(&dev, s->next_attempt_ms - 1); /* not before its time */
    CHECK_EQ_INT(fb.opens, i + 1);
    now = s->next_attempt_ms;
    nominal = nominal * 2 > 60000 ? 60000 : nominal * 2;
  }
  CHECK_EQ_INT(fb.port, 1883); /* default port */
}

static void test_lost_connection_reconnects_and_births_again(void) {
  setup();
  uint64_t now = 0;
  go_online(now);
  now = 120000;
  step(now); /* online for 2 minutes: stable */
  fb.link.broken = true;
  step(now);
  CHECK_EQ_INT(mqttdev_stats(&dev)->state, MQTTDEV_WAITING);
  CHECK(strstr(mqttdev_stats(&dev)->last_error, "connection lost") != NULL);
  uint64_t at = mqttdev_stats(&dev)->next_attempt_ms;
  CHECK(at - now <= 1000); /* first retry after a stable connection: backoff_min */
  int births = fb_count(&fb, "openbl602/abc/status");
  step(at);
  CHECK_EQ_INT(mqttdev_stats(&dev)->state, MQTTDEV_ONLINE);
  CHECK_EQ_INT(fb_count(&fb, "openbl602/abc/status"), births + 1);
  CHECK_EQ_INT(mqttdev_stats(&dev)->connects, 2);
}

static void test_malformed_broker_packet_disconnects_and_retries(void) {
  setup();
  go_online(0);
  const uint8_t garbage[] = {0x20, 2, 0, 0}; /* second CONNACK */
  mem_link_feed(&fb.link, garbage, sizeof garbage);
  step(10);
  CHECK_EQ_INT(mqttdev_stats(&dev)->state, MQTTDEV_WAITING);
  CHECK(strstr(mqttdev_stats(&dev)->last_error, "CONNACK") != NULL);
  CHECK(fb.closes >= 1);
}

static void test_refused_credentials_backoff(void) {
  setup();
  fb.auto_connack = false;
  mqttdev_broker_t b = {.host = "10.0.0.2", .username = "u", .password = "bad"};
  mqttdev_set_broker(&dev, &b, 0);
  step(0);
  CHECK_EQ_INT(mqttdev_stats(&dev)->state, MQTTDEV_MQTT_CONNECTING);
  const uint8_t refused[] = {0x20, 2, 0, 4};
  mem_link_feed(&fb.link, refused, 4);
  step(5);
  CHECK_EQ_INT(mqttdev_stats(&dev)->state, MQTTDEV_WAITING);
  CHECK(strstr(mqttdev_stats(&dev)->last_error, "password") != NULL);
}

static void test_tcp_connect_timeout(void) {
  setup();
  fb.connected_result = 0;
  mqttdev_broker_t b = {.host = "10.0.0.9"};
  mqttdev_set_broker(&dev, &b, 0);
  step(0);
  CHECK_EQ_INT(mqttdev_stats(&dev)->state, MQTTDEV_TCP_CONNECTING);
  step(9999);
  CHECK_EQ_INT(mqttdev_stats(&dev)->state, MQTTDEV_TCP_CONNECTING);
  step(10000);
  CHECK_EQ_INT(mqttdev_stats(&dev)->state, MQTTDEV_WAITING);
}

static void test_stop_publishes_offline_and_disconnects(void) {
  setup();
  go_online(0);
  mqttdev_stop(&dev, 50);
  fb_process(&fb);
  CHECK_STR(fb_last(&fb, "openbl602/abc/status")->payload, "offline");
  CHECK(fb_last(&fb, "openbl602/abc/status")->retain);
  CHECK_EQ_INT(fb.disconnects, 1);
  CHECK_EQ_INT(mqttdev_stats(&dev)->state, MQTTDEV_OFF);
}

static void test_broker_change_reconnects_same_settings_do_not(void) {
  setup();
  go_online(0);
  mqttdev_broker_t same = {.host = "10.0.0.2", .port = 1884, .username = "u", .password = "p"};
  mqttdev_set_broker(&dev, &same, 10);
  CHECK_EQ_INT(mqttdev_stats(&dev)->state, MQTTDEV_ONLINE);
  mqttdev_broker_t other = {.host = "10.0.0.3"};
  mqttdev_set_broker(&dev, &other, 20);
  fb_process(&fb);
  CHECK_EQ_INT(fb.disconnects, 1);
  step(20);
  CHECK_STR(fb.host, "10.0.0.3");
  CHECK_EQ_INT(mqttdev_stats(&dev)->state, MQTTDEV_ONLINE);
  mqttdev_set_broker(&dev, NULL, 30);
  CHECK_EQ_INT(mqttdev_stats(&dev)->state, MQTTDEV_OFF);
}

static void test_event_publish(void) {
  setup();
  CHECK_EQ_INT(mqttdev_publish_event(&dev, "{}", 2, 0), MQTT_ERR_STATE);
  go_online(0);
  CHECK_EQ_INT(mqttdev_publish_event(&dev, "{\"event\":\"button\"}", 18, 1), MQTT_OK);
  fb_process(&fb);
  const fb_msg_t *e = fb_last(&fb, "openbl602/abc/event");
  CHECK(e != NULL && !e->retain && e->qos == 0);
}

static void test_app_may_stop_mqtt_from_a_command(void) {
  setup();
  go_online(0);
  app.stop_in_command = true;
  fb_publish(&fb, "openbl602/abc/cmd/relay", "{\"on\":true}", 0, false, 0);
  step(100);
  CHECK_EQ_INT(app.commands, 1);
  CHECK_EQ_INT(mqttdev_stats(&dev)->state, MQTTDEV_OFF); /* not turned into "connection lost" + backoff */
  CHECK_EQ_INT(fb.disconnects, 1);
}

static void test_network_lost_drops_without_disconnect(void) {
  setup();
  go_online(0);
  mqttdev_network_lost(&dev, 100);
  fb_process(&fb);
  CHECK_EQ_INT(fb.disconnects, 0); /* the broker must publish the will */
  CHECK_EQ_INT(mqttdev_stats(&dev)->state, MQTTDEV_WAITING);
  CHECK(fb.closes >= 1);
}

int main(void) {
  RUN(test_rejects_bad_device_id);
  RUN(test_off_until_a_broker_is_set);
  RUN(test_connect_sends_will_credentials_then_birth_info_subscribe_state);
  RUN(test_steady_load_sends_one_heartbeat_a_minute);
  RUN(test_noisy_load_is_spaced);
  RUN(test_relay_change_and_power_step_publish_at_once);
  RUN(test_step_down_transient_is_not_published_settled_value_is);
  RUN(test_switch_on_reports_settled_power_at_once_after_relay_report);
  RUN(test_worst_case_noisy_unsettled_load_stays_within_30_per_minute);
  RUN(test_power_threshold_is_max_of_relative_and_absolute);
  RUN(test_report_thresholds_can_change_at_run_time);
  RUN(test_command_runs_app_and_publishes_result_with_req);
  RUN(test_burst_of_commands_gets_every_result);
  RUN(test_commands_wait_while_the_transmit_queue_is_full);
  RUN(test_command_errors);
  RUN(test_retained_command_is_ignored);
  RUN(test_oversized_command_gets_payload_too_large);
  RUN(test_backoff_doubles_with_jitter_up_to_max);
  RUN(test_lost_connection_reconnects_and_births_again);
  RUN(test_malformed_broker_packet_disconnects_and_retries);
  RUN(test_refused_credentials_backoff);
  RUN(test_tcp_connect_timeout);
  RUN(test_stop_publishes_offline_and_disconnects);
  RUN(test_broker_change_reconnects_same_settings_do_not);
  RUN(test_event_publish);
  RUN(test_network_lost_drops_without_disconnect);
  RUN(test_app_may_stop_mqtt_from_a_command);
  return unit_report();
}
