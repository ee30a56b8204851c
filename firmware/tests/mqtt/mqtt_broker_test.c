/* The MQTT client against a real Mosquitto started by this test on a free 127.0.0.1 port. */
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "observer.h"
#include "unit.h"

static test_broker_t broker;

static void test_publish_qos0_and_qos1_roundtrip(void) {
  static observer_t a;
  mqtt_connect_info_t ci = {.client_id = "rt", .keep_alive_s = 30, .clean_session = true};
  CHECK_EQ_INT(obs_connect(&a, broker.port, &ci), MQTT_OK);
  CHECK(obs_subscribe(&a, "rt/#"));
  CHECK_EQ_INT(mqtt_publish(&a.c, "rt/q0", "zero", 4, 0, false, NULL, test_now_ms()), MQTT_OK);
  CHECK_EQ_INT(mqtt_publish(&a.c, "rt/q1", "one", 3, 1, false, NULL, test_now_ms()), MQTT_OK);
  static char big[1500];
  memset(big, 'b', sizeof big - 1);
  CHECK_EQ_INT(mqtt_publish(&a.c, "rt/big", big, strlen(big), 1, false, NULL, test_now_ms()), MQTT_OK);
  CHECK(obs_wait(&a, "rt/q0", "zero", 2000) != NULL);
  const obs_msg_t *m = obs_wait(&a, "rt/q1", "one", 2000);
  CHECK(m != NULL && m->qos == 1);
  m = obs_wait(&a, "rt/big", NULL, 2000);
  CHECK(m != NULL && strlen(m->payload) == sizeof big - 1);
  CHECK(obs_run(&a, 100) == MQTT_OK);
  CHECK_EQ_INT(a.pubacks, 2);
  CHECK_EQ_INT(mqtt_inflight_count(&a.c), 0);
  obs_close(&a);
}

static void test_retained_message_reaches_a_later_subscriber(void) {
  static observer_t a, b;
  mqtt_connect_info_t ca = {.client_id = "ret-a", .clean_session = true};
  CHECK_EQ_INT(obs_connect(&a, broker.port, &ca), MQTT_OK);
  CHECK_EQ_INT(mqtt_publish(&a.c, "ret/x", "kept", 4, 1, true, NULL, test_now_ms()), MQTT_OK);
  CHECK(obs_run(&a, 100) == MQTT_OK);
  obs_close(&a);
  mqtt_connect_info_t cb = {.client_id = "ret-b", .clean_session = true};
  CHECK_EQ_INT(obs_connect(&b, broker.port, &cb), MQTT_OK);
  CHECK(obs_subscribe(&b, "ret/x"));
  const obs_msg_t *m = obs_wait(&b, "ret/x", "kept", 2000);
  CHECK(m != NULL && m->retain);
  obs_close(&b);
}

static void test_last_will_on_abrupt_disconnect_only(void) {
  static observer_t watcher, plug;
  mqtt_connect_info_t cw = {.client_id = "lwt-watch", .clean_session = true};
  CHECK_EQ_INT(obs_connect(&watcher, broker.port, &cw), MQTT_OK);
  CHECK(obs_subscribe(&watcher, "lwt/#"));
  const uint8_t off[] = "offline";
  mqtt_connect_info_t cp = {.client_id = "lwt-plug", .keep_alive_s = 30, .clean_session = true,
                            .will_topic = "lwt/status", .will_payload = off, .will_len = 7, .will_qos = 1,
                            .will_retain = true};
  /* orderly DISCONNECT: the broker discards the will */
  CHECK_EQ_INT(obs_connect(&plug, broker.port, &cp), MQTT_OK);
  obs_close(&plug);
  CHECK(obs_wait(&watcher, "lwt/status", "offline", 500) == NULL);
  /* socket closed without DISCONNECT (power cut): the will goes out */
  CHECK_EQ_INT(obs_connect(&plug, broker.port, &cp), MQTT_OK);
  uint64_t t0 = test_now_ms();
  obs_drop(&plug);
  const obs_msg_t *m = obs_wait(&watcher, "lwt/status", "offline", 3000);
  CHECK(m != NULL);
  printf("LWT seen %llu ms after the abrupt close\n", (unsigned long long)(test_now_ms() - t0));
  obs_close(&watcher);
}

static void test_keepalive_holds_an_idle_connection(void) {
  static observer_t a;
  mqtt_connect_info_t ci = {.client_id = "ka", .keep_alive_s = 1, .clean_session = true};
  CHECK_EQ_INT(obs_connect(&a, broker.port, &ci), MQTT_OK);
  /* mosquitto drops a client silent for 1.5 × keep-alive; PINGREQ/PINGRESP must keep it up */
  CHECK_EQ_INT(obs_run(&a, 3500), MQTT_OK);
  CHECK_EQ_INT(mqtt_state(&a.c), MQTT_STATE_CONNECTED);
  CHECK(!a.c.ping_outstanding || test_now_ms() - a.c.ping_sent_ms < 1000);
  obs_close(&a);
}

static void test_hung_broker_is_detected_by_keepalive(void) {
  static observer_t a;
  mqtt_connect_info_t ci = {.client_id = "hung", .keep_alive_s = 1, .clean_session = true};
  CHECK_EQ_INT(obs_connect(&a, broker.port, &ci), MQTT_OK);
  a.c.cfg.ping_timeout_ms = 1000;
  test_broker_pause(&broker);
  uint64_t t0 = test_now_ms();
  mqtt_status_t st = obs_run(&a, 5000);
  uint64_t took = test_now_ms() - t0;
  test_broker_resume(&broker);
  CHECK_EQ_INT(st, MQTT_ERR_TIMEOUT);
  CHECK(took <= 2500); /* keep-alive 1 s + PINGRESP timeout 1 s */
  printf("hung broker detected after %llu ms (%s)\n", (unsigned long long)took, mqtt_last_error_detail(&a.c));
  obs_drop(&a);
}

static void test_broker_death_is_detected(void) {
  static observer_t a;
  mqtt_connect_info_t ci = {.client_id = "death", .keep_alive_s = 30, .clean_session = true};
  CHECK_EQ_INT(obs_connect(&a, broker.port, &ci), MQTT_OK);
  test_broker_kill(&broker);
  mqtt_status_t st = obs_run(&a, 1000);
  CHECK_EQ_INT(st, MQTT_ERR_TRANSPORT);
  CHECK(test_broker_restart(&broker));
  obs_drop(&a);
}

static void test_wrong_password_is_refused_with_reason(void) {
  test_broker_t secure;
  CHECK(test_broker_start(&secure, 0, true));
  static observer_t a;
  mqtt_connect_info_t bad = {.client_id = "pw", .username = "plug", .password = "wrong", .clean_session = true};
  CHECK_EQ_INT(obs_connect(&a, secure.port, &bad), MQTT_ERR_REFUSED);
  printf("refusal: %s\n", mqtt_last_error_detail(&a.c));
  CHECK(strstr(mqtt_last_error_detail(&a.c), "CONNACK") != NULL);
  obs_drop(&a);
  mqtt_connect_info_t good = {.client_id = "pw", .username = "plug", .password = "secret", .clean_session = true};
  CHECK_EQ_INT(obs_connect(&a, secure.port, &good), MQTT_OK);
  obs_close(&a);
  test_broker_cleanup(&secure);
}

int main(void) {
  if (!test_broker_start(&broker, 0, false)) {
    printf("cannot start mosquitto\n");
    return 1;
  }
  RUN(test_publish_qos0_and_qos1_roundtrip);
  RUN(test_retained_message_reaches_a_later_subscriber);
  RUN(test_last_will_on_abrupt_disconnect_only);
  RUN(test_keepalive_holds_an_idle_connection);
  RUN(test_hung_broker_is_detected_by_keepalive);
  RUN(test_broker_death_is_detected);
  RUN(test_wrong_password_is_refused_with_reason);
  test_broker_cleanup(&broker);
  return unit_report();
}
