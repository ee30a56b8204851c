/* app_command.h — what a command does (docs/protocol.md §5, §8.3), the same for HTTP and MQTT: the main
 * loop's executor of app_link calls. */
#ifndef OBL_APP_COMMAND_H
#define OBL_APP_COMMAND_H

#include "app/app_link.h"

/* Runs c in the main loop: status 200 with the answer in c->out, or errors in c->errs; publishes the view. */
int cmd_run(app_call_t *c);

#endif
