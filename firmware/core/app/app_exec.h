/* app_exec.h — what a command does (docs/protocol.md §5, §8.3), the same for HTTP and MQTT: the main
 * loop's executor of app_link calls. */
#ifndef OBL_APP_EXEC_H
#define OBL_APP_EXEC_H

#include "app/app_link.h"

/* Runs c in the main loop: status 200 with the answer in c->out, or errors in c->errs; publishes the view. */
int exec_call(app_call_t *c);

#endif
