/* The plug's MQTT binding against a real Mosquitto (started and killed by this test): discovery topics,
 * commands, reconnect after a broker restart, last will on a power cut. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "mqttdev/mqttdev.h"
#include "mqttdev/sock_net.h"
#include "observer.h"
#include "unit.h"

static test_broker_t broker;
static sock_net_t sock;
static mqttdev_t dev;
static observer_t obs;
static bool relay;
static float power_w = 115.0f;
static uint64_t sim_extra; /* simulated time the plug has lived beyond the real clock */

static uint64_t plug_now(void) { return test_now_ms() + sim_extra; }

static int build_state(void *ctx, char *buf, size_t cap) {
  (void)ctx;
  return snprintf(buf, cap, "{\"relay\":%s,\"power_w\":%.1f}", relay ? "true" : "false", (double)power_w);
}
static int build_info(void *ctx, char *buf, size_t cap) {
  (void)ctx;
  return snprintf(buf, cap, "{\"id\":\"t1\",\"protocol\":1,\"http\":\"http://127.0.0.1:8080\"}");
}
static void snapshot(void *ctx, mqttdev_snapshot_t *out) {
  (void)ctx;
  out->relay = relay;
  out->power_w = power_w;
}
static bool command(void *ctx, const char *name, const char *body, size_t len, mqttdev_error_t *err) {
  (void)ctx;
  if (strcmp(name, "relay") == 0) {
    relay = memmem(body, len, "\"on\":true", 9) != NULL;
    return true;
  }
  snprintf(err->code, sizeof err->code, "unknown_command");
  return false;
}

/* Runs plug and observer together in real time. */
static void run(unsigned ms) {
  uint64_t end = test_now_ms() + ms;
  do {
    mqttdev_poll(&dev, plug_now());
    if (mqtt_state(&obs.c) != MQTT_STATE_DISCONNECTED) (void)mqtt_poll(&obs.c, test_now_ms());
    test_sleep_ms(2);
  } while (test_now_ms() < end);
}

static bool run_until_online(unsigned timeout_ms) {
  uint64_t end = test_now_ms() + timeout_ms;
  while (mqttdev_stats(&dev)->state != MQTTDEV_ONLINE && test_now_ms() < end) run(5);
  return mqttdev_stats(&dev)->state == MQTTDEV_ONLINE;
}

static const obs_msg_t *wait_msg(const char *topic, const char *substr, int after, unsigned timeout_ms) {
  uint64_t end = test_now_ms() + timeout_ms;
  for (;;) {
    for (int i = after; i < obs.n; i++)
      if (strcmp(obs.msgs[i].topic, topic) == 0 && (!substr || strstr(obs.msgs[i].payload, substr)))
        return &obs.msgs[i];
    if (test_now_ms() >= end) return NULL;
    run(5);
  }
}

static void start_plug(void) {
  sock_net_init(&sock);
  mqttdev_config_t cfg = {.device_id = "t1", .net = sock_net_interface(&sock),
                          .app = {build_state, build_info, snapshot, command, NULL}, .random_seed = 7};
  CHECK(mqttdev_init(&dev, &cfg));
  mqttdev_broker_t b = {.host = "127.0.0.1", .port = broker.port};
  mqttdev_set_broker(&dev, &b, plug_now());
}

static void test_online_publishes_status_info_state_retained(void) {
  start_plug();
  CHECK(run_until_online(3000));
  run(200);
  /* a subscriber arriving later gets everything from the retained messages */
  mqtt_connect_info_t ci = {.client_id = "ha", .keep_alive_s = 30, .clean_session = true};
  CHECK_EQ_INT(obs_connect(&obs, broker.port, &ci), MQTT_OK);
  CHECK(obs_subscribe(&obs, "openbl602/+/info"));
  CHECK(obs_subscribe(&obs, "openbl602/t1/#"));
  const obs_msg_t *m = wait_msg("openbl602/t1/status", "online", 0, 2000);
  CHECK(m != NULL && m->retain);
  m = wait_msg("openbl602/t1/info", "\"protocol\":1", 0, 2000);
  CHECK(m != NULL && m->retain);
  m = wait_msg("openbl602/t1/state", "\"relay\":false", 0, 2000);
  CHECK(m != NULL && m->retain);
  CHECK(mqttdev_stats(&dev)->subscribed);
}

static void test_command_over_broker_switches_and_answers(void) {
  int mark = obs.n;
  const char *body = "{\"on\":true,\"req\":\"abc-1\"}";
  CHECK_EQ_INT(mqtt_publish(&obs.c, "openbl602/t1/cmd/relay", body, strlen(body), 1, false, NULL, test_now_ms()),
               MQTT_OK);
  uint64_t t0 = test_now_ms();
  const obs_msg_t *r = wait_msg("openbl602/t1/result", "\"req\":\"abc-1\"", mark, 2000);
  CHECK(r != NULL);
  if (r) CHECK_STR(r->payload, "{\"cmd\":\"relay\",\"req\":\"abc-1\",\"ok\":true,\"error\":null}");
  CHECK(wait_msg("openbl602/t1/state", "\"relay\":true", mark, 2000) != NULL);
  printf("command round trip: %llu ms\n", (unsigned long long)(test_now_ms() - t0));
  CHECK(relay);
}

static void test_steady_load_rate_through_real_broker(void) {
  /* Ten simulated minutes at 115 W with ±0.3 W meter noise, the plug's clock running 1 s per step. */
  int before = obs_count(&obs, "openbl602/t1/state");
  for (int t = 0; t < 600; t++) {
    sim_extra += 1000;
    power_w = 115.0f + (float)((t * 7919) % 7 - 3) * 0.1f;
    uint32_t f0 = mqttdev_stats(&dev)->failures;
    mqttdev_poll(&dev, plug_now());
    if (mqttdev_stats(&dev)->failures != f0) printf("connection lost at simulated second %d: %s\n", t, mqttdev_stats(&dev)->last_error);
    (void)mqtt_poll(&obs.c, test_now_ms());
    /* Simulated seconds fly by in real milliseconds: let an outstanding PINGRESP / PUBACK arrive before
     * the plug's clock moves on, so a busy machine cannot turn broker latency into a keep-alive timeout. */
    uint64_t settle_end = test_now_ms() + 2000;
    while ((dev.mqtt.ping_outstanding || mqtt_inflight_count(&dev.mqtt) > 0) && test_now_ms() < settle_end) {
      test_sleep_ms(1);
      mqttdev_poll(&dev, plug_now());
      (void)mqtt_poll(&obs.c, test_now_ms());
    }
  }
  run(300);
  int n = obs_count(&obs, "openbl602/t1/state") - before;
  printf("real broker, steady 115 W: %d state messages in 10 simulated minutes (%.1f/min; OpenBeken 32/min)\n", n,
         n / 10.0);
  CHECK(n >= 9 && n <= 11);
  CHECK_EQ_INT(mqttdev_stats(&dev)->state, MQTTDEV_ONLINE);
  power_w = 115.0f;
}

static void test_reconnects_after_broker_restart(void) {
  int connects = (int)mqttdev_stats(&dev)->connects;
  test_broker_kill(&broker);
  obs_drop(&obs);
  run(300);
  CHECK(mqttdev_stats(&dev)->state != MQTTDEV_ONLINE);
  printf("after broker kill: %s\n", mqttdev_stats(&dev)->last_error);
  CHECK(test_broker_restart(&broker));
  uint64_t t0 = test_now_ms();
  CHECK(run_until_online(8000));
  printf("reconnected %llu ms after the broker came back\n", (unsigned long long)(test_now_ms() - t0));
  CHECK_EQ_INT(mqttdev_stats(&dev)->connects, connects + 1);
  /* retained state again available (broker has no persistence: the plug re-published it) */
  mqtt_connect_info_t ci = {.client_id = "ha2", .clean_session = true};
  CHECK_EQ_INT(obs_connect(&obs, broker.port, &ci), MQTT_OK);
  CHECK(obs_subscribe(&obs, "openbl602/t1/#"));
  CHECK(wait_msg("openbl602/t1/status", "online", 0, 2000) != NULL);
  CHECK(wait_msg("openbl602/t1/state", "\"relay\":true", 0, 2000) != NULL);
  CHECK(wait_msg("openbl602/t1/info", NULL, 0, 2000) != NULL);
}

static void test_orderly_stop_publishes_offline(void) {
  int mark = obs.n;
  mqttdev_stop(&dev, plug_now());
  const obs_msg_t *m = wait_msg("openbl602/t1/status", "offline", mark, 2000);
  CHECK(m != NULL);
  CHECK_EQ_INT(mqttdev_stats(&dev)->state, MQTTDEV_OFF);
  mqttdev_broker_t b = {.host = "127.0.0.1", .port = broker.port};
  mark = obs.n;
  mqttdev_set_broker(&dev, &b, plug_now());
  CHECK(run_until_online(3000));
  CHECK(wait_msg("openbl602/t1/status", "online", mark, 2000) != NULL);
}

static void test_power_cut_publishes_last_will_offline(void) {
  int mark = obs.n;
  /* power cut: the socket vanishes without DISCONNECT and the plug stops running */
  close(sock_net_fd(&sock));
  sock.fd = -1;
  uint64_t t0 = test_now_ms();
  const obs_msg_t *m = NULL;
  while (!m && test_now_ms() - t0 < 3000) {
    (void)mqtt_poll(&obs.c, test_now_ms());
    for (int i = mark; i < obs.n && !m; i++)
      if (strcmp(obs.msgs[i].topic, "openbl602/t1/status") == 0 && strcmp(obs.msgs[i].payload, "offline") == 0)
        m = &obs.msgs[i];
    test_sleep_ms(2);
  }
  CHECK(m != NULL);
  printf("last will 'offline' seen %llu ms after the power cut\n", (unsigned long long)(test_now_ms() - t0));
  obs_close(&obs);
}

int main(void) {
  if (!test_broker_start(&broker, 0, false)) {
    printf("cannot start mosquitto\n");
    return 1;
  }
  RUN(test_online_publishes_status_info_state_retained);
  RUN(test_command_over_broker_switches_and_answers);
  RUN(test_steady_load_rate_through_real_broker);
  RUN(test_reconnects_after_broker_restart);
  RUN(test_orderly_stop_publishes_offline);
  RUN(test_power_cut_publishes_last_will_offline);
  test_broker_cleanup(&broker);
  return unit_report();
}
