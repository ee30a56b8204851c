/* app_publish.h — what the plug tells the world, in one place (network loop): the state and info documents
 * (docs/protocol.md §2, §3) built from the main loop's view, change detection, and the fan-out of state
 * reports and events to the SSE streams (§6) and MQTT (§8), both under the one reporting policy of
 * mqttdev/report.h. Owns the MQTT binding (core/mqttdev). */
#ifndef OBL_APP_PUBLISH_H
#define OBL_APP_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app_model.h"
#include "http/http_server.h"
#include "mqttdev/mqttdev.h"
#include "store/store.h"
#include "json/json.h"

/* What runs an MQTT command (§8.3; app_mqtt_cmd.h): passed in, so publishing does not depend on the
 * command path and its gates. */
typedef bool (*pub_command_fn)(void *ctx, const char *name, const char *body, size_t len, mqttdev_error_t *err);

/* boot: the MQTT binding over the port's transport; ota_board: the id OTA images must name, or NULL
 * when OTA is unavailable (§2) */
void pub_boot(const char *ota_board, pub_command_fn command);

/* The HTTP server whose SSE streams get the events, NULL while none listens. */
void pub_attach_http(http_server_t *http);
/* The network as MQTT needs it: online = link up in station mode. Link lost: the connection is dropped
 * (the broker publishes our will); setup mode: an orderly goodbye. */
void pub_network(bool online, bool link_lost);
/* Follows the view (broker, reporting thresholds, info), queues the SSE state reports, drives MQTT. */
void pub_poll(uint64_t now_ms);
/* MQTT connected to its broker (CONNACK received). */
bool pub_mqtt_online(void);
/* Orderly end: MQTT "offline" and DISCONNECT. */
void pub_stop(void);

/* Documents from the network loop's view. */
void pub_state_write(jsonw_t *w);
int pub_state_json(char *buf, size_t cap);
void pub_info_write(jsonw_t *w, bool for_mqtt);
/* A new SSE stream's first event: the state. */
void pub_sse_hello(http_conn_t *c);

/* Changes the network loop makes itself. */
void pub_changed(void);      /* a reportable change (e.g. setup mode) */
void pub_info_changed(void); /* name, setup mode, auth: re-publish the retained info */
void pub_set_setup_mode(bool on);
void pub_set_hostname(const char *name); /* the name mDNS settled on (§10): info re-published */
void pub_set_ota(const app_ota_status_t *st);
void pub_ota_event(void); /* the OTA status as an event (§6, §8.2) */
void pub_button_event(const char *action);

#endif
