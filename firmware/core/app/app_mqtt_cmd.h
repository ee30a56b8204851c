/* app_mqtt_cmd.h — the MQTT command path (docs/protocol.md §8.3): a command from the broker is admitted
 * (authenticated form where §8.5 requires it, core/cmdauth), parsed like its HTTP twin, passed through the
 * same OTA-key gate and run by the main loop through app_link. Network loop; publishing (app_publish.h) gets
 * app_mqtt_command as its command hook at boot. */
#ifndef OBL_APP_MQTT_CMD_H
#define OBL_APP_MQTT_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "mqttdev/mqttdev.h"
#include "store/store.h"

/* cmd_store: where authenticated commands keep their counter (§8.5), NULL for none (RAM only). */
void app_mqtt_cmd_boot(store_t *cmd_store);
/* mqttdev's command hook: true when the main loop carried the command out (status 200). */
bool app_mqtt_command(void *ctx, const char *name, const char *body, size_t len, mqttdev_error_t *err);

#endif
