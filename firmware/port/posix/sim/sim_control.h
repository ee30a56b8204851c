/* sim_control.h — the simulated plug's control interface for tests and demos (docs/protocol.md §12):
 * line commands on stdin and, optionally, on a TCP port on 127.0.0.1. Each command gets one answer line,
 * "ok ..." or "err <message>". */
#ifndef OBL_SIM_CONTROL_H
#define OBL_SIM_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "board/board.h"

enum { SIM_CONTROL_RUN = 0, SIM_CONTROL_QUIT = 1 };

/* addr "IP:PORT" or NULL (stdin only). 0, or -1 with a message. */
int sim_control_init(const char *addr, const board_profile_t *board);
/* Waits up to timeout_ms for control input or for one of the extra fds (the core's sockets) to become
 * readable; runs complete command lines. */
int sim_control_poll(int timeout_ms, const int *extra, size_t n_extra);
/* Plays scheduled button levels. */
void sim_control_tick(uint64_t now_us);
/* "hang": the main loop stopped (the watchdog will reset the process). */
bool sim_control_hung(void);
/* Runs one command line, writes the answer (with a trailing newline) into out. */
int sim_control_exec(const char *line, char *out, size_t cap);

#endif
