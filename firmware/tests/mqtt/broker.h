/* broker.h — a real Mosquitto for host tests: started by the test on a free 127.0.0.1 port with its own
 * config in a temporary directory, killed (and restartable on the same port) by the test. Host only. */
#ifndef OBL_TEST_BROKER_H
#define OBL_TEST_BROKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
  pid_t pid;
  uint16_t port;
  char dir[64];
  bool with_password; /* require user "plug" / password "secret" */
} test_broker_t;

/* port 0 = pick a free one. false (with a message on stderr) if mosquitto did not come up in 5 s. */
bool test_broker_start(test_broker_t *b, uint16_t port, bool with_password);
/* SIGKILL: the broker vanishes like a crashed server. */
void test_broker_kill(test_broker_t *b);
bool test_broker_restart(test_broker_t *b);
/* SIGSTOP / SIGCONT: the TCP connection stays open but nothing answers (a hung or unreachable broker). */
void test_broker_pause(test_broker_t *b);
void test_broker_resume(test_broker_t *b);
/* Kills the broker and removes its directory. */
void test_broker_cleanup(test_broker_t *b);

uint64_t test_now_ms(void);
void test_sleep_ms(unsigned ms);

#endif
