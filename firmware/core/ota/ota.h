/* ota.h — OTA manager: stream an image into the inactive firmware slot, verify it, switch with a trial boot,
 * confirm or roll back (states and checks as in docs/ota-image.md).
 *
 * Shaped for an HTTP body:
 *   ota_begin(&ota, content_length)   → OTA_ERR_NONE or why not (busy, too large)
 *   ota_write(&ota, chunk, n) ...     → an error stops the upload (respond 400/413 with ota_err_code())
 *   ota_finish(&ota)                  → verified and switched: state REBOOTING. The caller answers the request,
 *                                       then energy_flush(), supervisor_prepare_reboot(), hal_reboot().
 *   ota_abort(&ota)                   → connection lost: state FAILED "aborted"
 * Until ota_finish() succeeds the boot selection is untouched, so any failure, including a power cut at any
 * moment, leaves the old image running. An upload cut short by a restart is reported after it as FAILED
 * "aborted".
 *
 * After the switch the new image boots on trial and must prove itself: ota_poll() confirms it after 30 s of
 * uptime with a healthy network and a served API request or MQTT CONNACK (ota_note_proof), and rolls back if
 * that did not happen within confirm_timeout_s (or if the trial image is booted a second time unconfirmed —
 * BL602's stock boot2 has no rollback of its own). ota_poll() then
 * returns OTA_ACTION_REBOOT and the status shows FAILED "rolled_back".
 *
 * One owner task (the network task); ota_status() may be read from the same task.
 */
#ifndef OBL_OTA_H
#define OBL_OTA_H

#include <stdbool.h>
#include <stdint.h>

#include "hal.h"
#include "ota/ota_image.h"
#include "store/store.h"

typedef enum { OTA_IDLE = 0, OTA_RECEIVING, OTA_VERIFYING, OTA_REBOOTING, OTA_FAILED } ota_state_t;
typedef enum { OTA_ACTION_NONE = 0, OTA_ACTION_REBOOT } ota_action_t;

typedef struct {
  const char *board_id;       /* OBLI images must carry this board id (e.g. "posix-sim", "sm-028-v1.3") */
  bool accept_obli;
  bool accept_bl60x;
  const char *bl60x_hw;       /* BL60X hw_version the plug requires; NULL = board_id. Never the SDK default
                               * "BFL_Module_v1.1" nor empty: such images and ports are refused */
  uint32_t confirm_timeout_s; /* default 300 */
  uint32_t confirm_after_s;   /* a trial image confirms no earlier than this; default 30 (the good-boot mark) */
} ota_config_t;

typedef struct {
  ota_state_t state;
  ota_err_t error;         /* why FAILED (or the last failure, kept until the next begin) */
  ota_format_t format;
  uint32_t bytes;          /* received so far */
  uint32_t total;          /* announced length */
  uint8_t progress;        /* 0..100 */
  char version[17];        /* version of the image being received / installed, "" if unknown */
  bool pending_confirm;    /* running a trial image that has not confirmed itself yet */
  int8_t rollback;         /* the image being received / installed can be rolled back: 1 yes (written to the
                            * inactive slot, trial boot), 0 no (XZ: boot2 unpacks it over the running
                            * image), -1 not known yet (no header seen) */
} ota_status_t;

/* Outcome of a request to set, change or clear the trusted signing key (ota_key_request). */
typedef enum {
  OTA_KEY_UNCHANGED = 0,       /* the same key as now */
  OTA_KEY_SET,                 /* trusted now (first use: the plug had none) */
  OTA_KEY_PENDING,             /* a change or clearing waits for a button press on the plug within 60 s */
  OTA_KEY_REFUSED_SETUP_AP,    /* never over the setup access point */
  OTA_KEY_REFUSED_NO_PASSWORD, /* a change needs the API password (set one first) */
  OTA_KEY_REFUSED_STORE,       /* the trust record could not be written */
} ota_key_result_t;

#define OTA_BUTTON_WINDOW_S 60u     /* a key change or a refused downgrade waits this long for the button */
#define OTA_DOWNGRADE_WINDOW_S 600u /* after the button: one older image may be installed within this time */

typedef struct {
  /* configuration */
  store_t *store;
  char board_id[17];
  char bl60x_hw[17];
  bool has_bl60x_hw, accept_obli, accept_bl60x;
  uint32_t confirm_timeout_s, confirm_after_s;
  bool has_key;
  uint8_t key[65];
  /* trust (ota_trust.c): the key above and the security counter floor, in their own record */
  uint32_t min_counter;      /* images with a lower security counter are downgrades */
  uint32_t counter;          /* security counter of the image being received */
  bool pend_key;             /* a key change waits for the button */
  bool pend_key_present;     /* ... to this key (false: clear it) */
  uint8_t pend_key65[65];
  uint64_t pend_key_until_us;
  bool pend_downgrade;       /* a downgrade was refused: the button may allow it */
  uint64_t pend_downgrade_until_us; /* 0: stamped at the next poll/button */
  uint64_t downgrade_until_us;      /* button given: one older image accepted until then */
  uint64_t last_now_us;      /* the latest time ota_poll/ota_button saw */
  uint32_t running_counter;  /* security counter of the running trial / just installed image */
  bool raise_on_load;        /* that image is final already (installed without trial): floor at trust load */
  /* transfer */
  ota_state_t state;
  ota_err_t error;
  ota_format_t format;
  uint32_t total, received;
  hal_partition_t target;
  uint32_t target_size;
  uint32_t erased_to;
  uint8_t hdr[OTA_BL60X_HEADER_SIZE];
  uint32_t hdr_need;
  bool hdr_done;
  ota_obli_header_t obli;
  ota_bl60x_header_t bl60x;
  uint8_t trailer[OTA_TRAILER_MAX];
  uint32_t trailer_len;
  hal_sha256_ctx_t sha;
  char version[17];
  int8_t rollback;         /* as ota_status_t.rollback */
  bool marked;             /* "upload under way" is recorded on flash */
  /* trial / confirm */
  bool pending_confirm;
  bool reboot_requested;
  bool proven;             /* ota_note_proof() since boot */
  uint64_t boot_us;
} ota_t;

void ota_config_defaults(ota_config_t *cfg);

/* At boot, after store_mount. Accounts for a trial boot (confirm pending / roll back). */
store_err_t ota_init(ota_t *o, store_t *st, const ota_config_t *cfg, uint64_t now_us);

/* The settings' ota_public_key (65 bytes 04||X||Y), or NULL for none. Takes effect from the next begin. */
void ota_set_public_key(ota_t *o, const uint8_t *key65);

ota_err_t ota_begin(ota_t *o, uint32_t total_len);
ota_err_t ota_write(ota_t *o, const void *data, size_t len);
ota_err_t ota_finish(ota_t *o);
void ota_abort(ota_t *o);

/* Call about once a second from the owner task. network_healthy: Wi-Fi up and the HTTP server listening.
 * A trial image is confirmed once it has run confirm_after_s (30 s) since ota_init, the network is healthy
 * and ota_note_proof() was called; until then any reset returns to the previous image. Returns
 * OTA_ACTION_REBOOT when the caller must reboot (rollback decided). */
ota_action_t ota_poll(ota_t *o, uint64_t now_us, bool network_healthy);
/* The running image served an API request or got an MQTT CONNACK: it reaches its owner. Call from the
 * owner task; cheap, any number of times. */
void ota_note_proof(ota_t *o);
/* Confirm the running trial image now (also done by ota_poll). */
store_err_t ota_confirm(ota_t *o);

void ota_status(const ota_t *o, ota_status_t *out);
const char *ota_state_name(ota_state_t s);   /* "idle", "receiving", "verifying", "rebooting", "failed" */
const char *ota_err_code(ota_err_t e);       /* "bad_magic", ..., "" for none (docs/ota-image.md §4) */
const char *ota_err_message(ota_err_t e);    /* a sentence for people */

/* ---- trust (ota_trust.c, docs/ota-image.md §3) ----
 * The signing key and the security counter floor live in their own store record. ota_trust_load(), once after
 * ota_init(): reads that record; a plug without one adopts config_key65 (the key older firmware kept in its
 * config), else has no key. A key is trusted on first use; after that it changes (or is cleared) only when
 * the request proved the API password, did not come over the setup AP, and a button press on the plug
 * confirms it within OTA_BUTTON_WINDOW_S. */
void ota_trust_load(ota_t *o, const uint8_t *config_key65);
/* hex: "" (clear) or 130 hex digits 04…; password_proven: the plug has an API password and the request gave
 * it; setup_ap: the request came while the plug is in setup mode (its own open AP). */
ota_key_result_t ota_key_request(ota_t *o, const char *hex, bool password_proven, bool setup_ap, uint64_t now_us);
/* A button press on the plug (any gesture). Confirms a pending key change and/or allows the downgrade refused
 * in the last OTA_BUTTON_WINDOW_S. true when it confirmed something (the caller may then skip the press's
 * other meaning and must refresh what shows the key). */
bool ota_button(ota_t *o, uint64_t now_us);
/* For a config change: runs ota_key_request() on the config's requested key `cfg_hex` (a hex string, "" or
 * 130 digits) and then writes the key that is trusted now back into cfg_hex, so the config always shows the
 * trusted key. Returns the HTTP status: 200 (unchanged or trusted now), 202 (waits for the button: apply
 * nothing else of the request) or 403 (refused); *code / *message describe 202 and 403. */
int ota_key_gate(ota_t *o, char cfg_hex[131], bool password_proven, bool setup_ap, uint64_t now_us, const char **code,
                 const char **message);
/* The trusted key as 130 lowercase hex digits, "" for none. */
void ota_key_hex(const ota_t *o, char out[131]);
/* Internal to the module: the running image's counter became final (confirmed / installed). */
void ota_trust_raise_floor(ota_t *o, uint32_t counter);

/* Version string of the OBLI image stored in `slot` (e.g. the running one), false if none is there. */
bool ota_slot_version(hal_partition_t slot, char out[17]);

#endif
