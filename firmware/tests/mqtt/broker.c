/* broker.c — start/stop a private Mosquitto for tests (see broker.h). */
#define _DEFAULT_SOURCE
#include "broker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

uint64_t test_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void test_sleep_ms(unsigned ms) {
  struct timespec ts = {ms / 1000u, (long)(ms % 1000u) * 1000000L};
  nanosleep(&ts, NULL);
}

static uint16_t free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  uint16_t port = 0;
  if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
      getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
    port = ntohs(sa.sin_port);
  if (fd >= 0) close(fd);
  return port;
}

static bool port_open(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
  if (fd >= 0) close(fd);
  return ok;
}

static bool spawn(test_broker_t *b) {
  char conf[128];
  snprintf(conf, sizeof conf, "%s/mosquitto.conf", b->dir);
  char *argv[] = {"mosquitto", "-c", conf, NULL};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  char log[128];
  snprintf(log, sizeof log, "%s/mosquitto.log", b->dir);
  posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
  int rc = posix_spawnp(&b->pid, "mosquitto", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    fprintf(stderr, "broker: cannot spawn mosquitto: %s\n", strerror(rc));
    b->pid = 0;
    return false;
  }
  for (int i = 0; i < 250; i++) {
    if (port_open(b->port)) return true;
    int status;
    if (waitpid(b->pid, &status, WNOHANG) == b->pid) {
      fprintf(stderr, "broker: mosquitto exited early (see %s)\n", log);
      b->pid = 0;
      return false;
    }
    test_sleep_ms(20);
  }
  fprintf(stderr, "broker: mosquitto not listening on %u after 5 s\n", b->port);
  return false;
}

bool test_broker_start(test_broker_t *b, uint16_t port, bool with_password) {
  memset(b, 0, sizeof *b);
  b->with_password = with_password;
  snprintf(b->dir, sizeof b->dir, "/tmp/obl-mosq-XXXXXX");
  if (!mkdtemp(b->dir)) return false;
  chmod(b->dir, 0755); /* mosquitto may drop to its own user before reading the password file */
  b->port = port ? port : free_port();
  char path[128];
  snprintf(path, sizeof path, "%s/mosquitto.conf", b->dir);
  FILE *f = fopen(path, "w");
  if (!f) return false;
  /* set_tcp_nodelay: tests that compress simulated time must not wait on Nagle + delayed ACK (40 ms) */
  fprintf(f, "listener %u 127.0.0.1\npersistence false\nlog_dest stderr\nlog_type all\nset_tcp_nodelay true\n", b->port);
  if (getuid() == 0) fprintf(f, "user root\n");
  if (with_password) {
    fprintf(f, "allow_anonymous false\npassword_file %s/passwd\n", b->dir);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "mosquitto_passwd -b -c %s/passwd plug secret >/dev/null 2>&1", b->dir);
    if (system(cmd) != 0) {
      fclose(f);
      fprintf(stderr, "broker: mosquitto_passwd failed\n");
      return false;
    }
  } else {
    fprintf(f, "allow_anonymous true\n");
  }
  fclose(f);
  return spawn(b);
}

void test_broker_kill(test_broker_t *b) {
  if (b->pid > 0) {
    kill(b->pid, SIGCONT);
    kill(b->pid, SIGKILL);
    waitpid(b->pid, NULL, 0);
  }
  b->pid = 0;
}

void test_broker_pause(test_broker_t *b) {
  if (b->pid > 0) kill(b->pid, SIGSTOP);
}

void test_broker_resume(test_broker_t *b) {
  if (b->pid > 0) kill(b->pid, SIGCONT);
}

bool test_broker_restart(test_broker_t *b) {
  test_broker_kill(b);
  return spawn(b);
}

void test_broker_cleanup(test_broker_t *b) {
  test_broker_kill(b);
  if (b->dir[0]) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", b->dir);
    if (system(cmd) != 0) fprintf(stderr, "broker: could not remove %s\n", b->dir);
  }
}
