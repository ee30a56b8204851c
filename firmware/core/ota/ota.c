/* OTA manager: streaming parse, lazy erase, hashing, verification, trial boot bookkeeping. */
#include "ota/ota.h"

#include <string.h>

#define REC_FORMAT 1u
#define REC_LEN_V1 21u /* before the security counter */
#define REC_LEN 25u
#define DETECT_BYTES 16u
#define IO_CHUNK 256u

static const uint8_t k_xz_magic[6] = {0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00};
/* version_hardware of the SDK's ota.toml: what every vendor image carries unless its builder named a board
 * (OpenBeken's included), so it identifies no board at all. */
static const char k_sdk_default_hw[] = "BFL_Module_v1.1";

/* A board id an image may be checked against: non-empty and not the SDK's placeholder. */
static bool board_id_usable(const char *id) { return id[0] != 0 && strcmp(id, k_sdk_default_hw) != 0; }

/* ---- persistent record: format, pending, slot, trial boots, last error, version[16], security counter u32 ---- */

/* pending byte: 0 nothing, 1 trial image waiting for confirmation, 2 an upload was under way, 3 an image
 * without rollback (XZ) was installed */
#define REC_TRIAL 1u
#define REC_RECEIVING 2u
#define REC_INSTALLED 3u

typedef struct {
  uint8_t pending;
  uint8_t slot;
  uint8_t trial_boots;
  uint8_t last_error;
  char version[17];
  uint32_t counter; /* security counter of the image on trial / installed */
} ota_rec_t;

/* Without a store (st NULL: the settings flash could not be mounted) nothing is recorded; the port's own
 * trial-boot record still protects an update (hal_boot_trial_pending). */
static store_err_t rec_read(store_t *st, ota_rec_t *r) {
  uint8_t b[REC_LEN];
  size_t len = 0;
  memset(r, 0, sizeof *r);
  if (!st) return STORE_OK;
  store_err_t e = store_get(st, STORE_KEY_OTA, b, sizeof b, &len);
  if (e == STORE_ERR_NOT_FOUND) return STORE_OK;
  if (e != STORE_OK) return e;
  if ((len != REC_LEN && len != REC_LEN_V1) || b[0] != REC_FORMAT) return STORE_OK;
  r->pending = b[1] <= REC_INSTALLED ? b[1] : 0;
  r->slot = b[2];
  r->trial_boots = b[3];
  r->last_error = b[4] < OTA_ERR_COUNT ? b[4] : 0;
  memcpy(r->version, b + 5, 16);
  r->version[16] = 0;
  if (len == REC_LEN)
    r->counter = (uint32_t)b[21] | (uint32_t)b[22] << 8 | (uint32_t)b[23] << 16 | (uint32_t)b[24] << 24;
  return STORE_OK;
}

static store_err_t rec_write(store_t *st, const ota_rec_t *r) {
  if (!st) return STORE_OK;
  uint8_t b[REC_LEN] = {REC_FORMAT, r->pending, r->slot, r->trial_boots, r->last_error};
  /* A fixed 16-byte field, zero-padded, not NUL-terminated when full (b is zeroed above). */
  for (size_t i = 0; i < 16 && r->version[i]; i++) b[5 + i] = (uint8_t)r->version[i];
  for (int i = 0; i < 4; i++) b[21 + i] = (uint8_t)(r->counter >> (8 * i));
  return store_put(st, STORE_KEY_OTA, b, sizeof b);
}

static hal_partition_t other_slot(hal_partition_t p) {
  return p == HAL_PART_FW_A ? HAL_PART_FW_B : HAL_PART_FW_A;
}

static void copy_id(char dst[17], const char *src) {
  size_t n = 0;
  if (src)
    while (n < 16 && src[n]) {
      dst[n] = src[n];
      n++;
    }
  dst[n] = 0;
}

void ota_config_defaults(ota_config_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->board_id = "unknown";
  cfg->accept_obli = true;
  cfg->accept_bl60x = false;
  cfg->confirm_timeout_s = 300;
  cfg->confirm_after_s = 30;
}

static void roll_back(ota_t *o, ota_rec_t *r, const char *why) {
  hal_partition_t running = hal_boot_running_slot();
  hal_log(HAL_LOG_ERROR, "ota", "image %s in slot %c %s: rolling back", r->version,
          running == HAL_PART_FW_A ? 'A' : 'B', why);
  if (hal_boot_select(other_slot(running), false) != HAL_OK)
    hal_log(HAL_LOG_ERROR, "ota", "rollback: boot selection failed");
  r->pending = 0;
  r->last_error = OTA_ERR_ROLLED_BACK;
  (void)rec_write(o->store, r);
  o->pending_confirm = false;
  o->reboot_requested = true;
  o->state = OTA_FAILED;
  o->error = OTA_ERR_ROLLED_BACK;
}

store_err_t ota_init(ota_t *o, store_t *st, const ota_config_t *cfg, uint64_t now_us) {
  ota_config_t def;
  if (!cfg) {
    ota_config_defaults(&def);
    cfg = &def;
  }
  memset(o, 0, sizeof *o);
  o->store = st;
  copy_id(o->board_id, cfg->board_id);
  /* The vendor container's only board identity is its hardware string: without a port-specific one it must
   * carry the plug's board id (docs/ota-image.md §2), never anything else. */
  o->has_bl60x_hw = true;
  copy_id(o->bl60x_hw, cfg->bl60x_hw ? cfg->bl60x_hw : cfg->board_id);
  o->accept_obli = cfg->accept_obli;
  o->accept_bl60x = cfg->accept_bl60x;
  o->confirm_timeout_s = cfg->confirm_timeout_s ? cfg->confirm_timeout_s : 300;
  o->confirm_after_s = cfg->confirm_after_s ? cfg->confirm_after_s : 30;
  if (o->confirm_after_s > o->confirm_timeout_s) o->confirm_after_s = o->confirm_timeout_s;
  o->boot_us = now_us;
  o->state = OTA_IDLE;
  o->rollback = -1;

  ota_rec_t r;
  store_err_t e = rec_read(st, &r);
  if (e != STORE_OK) {
    /* A sick store must not close the way out: go on without the record (the next write repairs it). */
    hal_log(HAL_LOG_WARN, "ota", "OTA record unreadable (%d): continuing without it", (int)e);
    memset(&r, 0, sizeof r);
  }
  if (!r.pending) {
    if (hal_boot_trial_pending()) {
      /* The port booted us on trial but the record is gone: judge the trial all the same. */
      o->pending_confirm = true;
      r.pending = REC_TRIAL;
      r.slot = (uint8_t)hal_boot_running_slot();
      r.trial_boots = 1;
      (void)rec_write(st, &r);
      hal_log(HAL_LOG_WARN, "ota", "trial boot without an OTA record: confirming when proven");
    }
    return STORE_OK;
  }
  if (r.pending == REC_RECEIVING) {
    /* The plug restarted (power cut, crash) in the middle of an upload: the old image runs, say so. */
    hal_log(HAL_LOG_WARN, "ota", "an upload was interrupted by a restart; the running image is unchanged");
    memcpy(o->version, r.version, sizeof o->version);
    o->state = OTA_FAILED;
    o->error = OTA_ERR_ABORTED;
    r.pending = 0;
    r.last_error = OTA_ERR_ABORTED;
    return rec_write(st, &r);
  }
  hal_partition_t running = hal_boot_running_slot();
  memcpy(o->version, r.version, sizeof o->version);
  if (r.pending == REC_INSTALLED) {
    /* An XZ image: boot2 unpacked it over the old image (or, after a lost table write, never saw it). There
     * is no trial to judge and nothing to return to; the status said so before the install. */
    hal_log(HAL_LOG_INFO, "ota", "image %s installed without rollback", r.version);
    o->running_counter = r.counter; /* the floor rises once the trust record is loaded */
    o->raise_on_load = true;
    r.pending = 0;
    r.last_error = OTA_ERR_NONE;
    return rec_write(st, &r);
  }
  if ((uint8_t)running != r.slot) {
    /* Never booted (trial_boots 0): the restart came between recording the trial and switching slots.
     * Otherwise the bootloader already went back to the old image. */
    ota_err_t why = r.trial_boots == 0 ? OTA_ERR_ABORTED : OTA_ERR_ROLLED_BACK;
    hal_log(HAL_LOG_ERROR, "ota", "image %s %s: the previous image runs", r.version,
            why == OTA_ERR_ABORTED ? "was not switched to (restart)" : "did not confirm itself");
    r.pending = 0;
    r.last_error = (uint8_t)why;
    o->state = OTA_FAILED;
    o->error = why;
    return rec_write(st, &r);
  }
  o->running_counter = r.counter;
  r.trial_boots++;
  if (r.trial_boots > 1) {
    roll_back(o, &r, "was booted before and never confirmed");
    return STORE_OK;
  }
  o->pending_confirm = true;
  hal_log(HAL_LOG_INFO, "ota", "trial boot of %s: confirming when the network is healthy", r.version);
  return rec_write(st, &r);
}

void ota_set_public_key(ota_t *o, const uint8_t *key65) {
  o->has_key = key65 != NULL;
  if (key65)
    memcpy(o->key, key65, sizeof o->key);
  else
    memset(o->key, 0, sizeof o->key);
}

/* Marks (or clears) "an upload is under way" on flash, so a restart in the middle is reported. */
static void mark_receiving(ota_t *o, bool on) {
  ota_rec_t r;
  memset(&r, 0, sizeof r);
  r.pending = on ? REC_RECEIVING : 0;
  memcpy(r.version, o->version, sizeof r.version);
  if (on) r.slot = (uint8_t)o->target;
  if (rec_write(o->store, &r) != STORE_OK) hal_log(HAL_LOG_WARN, "ota", "could not record the upload state");
}

static ota_err_t fail(ota_t *o, ota_err_t e) {
  if (o->marked) {
    o->marked = false;
    mark_receiving(o, false);
  }
  o->state = OTA_FAILED;
  o->error = e;
  hal_log(HAL_LOG_ERROR, "ota", "update failed after %u of %u bytes: %s", (unsigned)o->received,
          (unsigned)o->total, ota_err_message(e));
  return e;
}

ota_err_t ota_begin(ota_t *o, uint32_t total_len) {
  if (o->state == OTA_RECEIVING || o->state == OTA_VERIFYING || o->state == OTA_REBOOTING ||
      o->pending_confirm || o->reboot_requested)
    return OTA_ERR_BUSY; /* never overwrite the rollback target while a trial image runs */
  o->target = other_slot(hal_boot_running_slot());
  hal_partition_info_t info;
  if (hal_flash_info(o->target, &info) != HAL_OK) return fail(o, OTA_ERR_FLASH);
  o->target_size = info.size;
  o->total = total_len;
  o->received = 0;
  o->erased_to = 0;
  o->hdr_need = DETECT_BYTES;
  o->hdr_done = false;
  o->format = OTA_FORMAT_NONE;
  o->trailer_len = 0;
  o->version[0] = 0;
  o->rollback = -1;
  o->error = OTA_ERR_NONE;
  o->marked = false;
  o->state = OTA_RECEIVING;
  if (total_len < DETECT_BYTES) return fail(o, OTA_ERR_TRUNCATED);
  if (total_len > o->target_size + OTA_BL60X_HEADER_SIZE) return fail(o, OTA_ERR_TOO_LARGE);
  mark_receiving(o, true);
  o->marked = true;
  hal_log(HAL_LOG_INFO, "ota", "receiving %u bytes into slot %c", (unsigned)total_len,
          o->target == HAL_PART_FW_A ? 'A' : 'B');
  return OTA_ERR_NONE;
}

/* Writes at slot offset `off`, erasing sectors just ahead of the data: one 4 KiB erase at a time keeps the
 * network responsive (erasing a whole slot at once stalled OpenBeken's HTTP server for seconds). */
static ota_err_t slot_write(ota_t *o, uint32_t off, const uint8_t *p, size_t n) {
  if (off > o->target_size || n > o->target_size - off) return OTA_ERR_TOO_LARGE;
  while (o->erased_to < off + n) {
    if (hal_flash_erase(o->target, o->erased_to, HAL_FLASH_SECTOR) != HAL_OK) return OTA_ERR_FLASH;
    o->erased_to += HAL_FLASH_SECTOR;
  }
  return hal_flash_write(o->target, off, p, n) == HAL_OK ? OTA_ERR_NONE : OTA_ERR_FLASH;
}

/* Security counter (signed with the image): below the floor is a downgrade, refused unless the owner allowed
 * one with the button (ota_button) in the last OTA_DOWNGRADE_WINDOW_S. */
static ota_err_t check_counter(ota_t *o, uint32_t counter) {
  o->counter = counter;
  if (counter >= o->min_counter) return OTA_ERR_NONE;
  if (o->downgrade_until_us && o->last_now_us <= o->downgrade_until_us) return OTA_ERR_NONE;
  o->pend_downgrade = true;
  o->pend_downgrade_until_us = 0; /* stamped by the next ota_poll / ota_button */
  hal_log(HAL_LOG_WARN, "ota", "image counter %u below %u: downgrade refused (press the button to allow one)",
          (unsigned)counter, (unsigned)o->min_counter);
  return OTA_ERR_DOWNGRADE;
}

static ota_err_t header_obli(ota_t *o) {
  if (!o->accept_obli) return OTA_ERR_BAD_MAGIC;
  ota_err_t e = ota_obli_parse_header(o->hdr, &o->obli);
  if (e) return e;
  copy_id(o->version, o->obli.version);
  o->rollback = 1; /* the envelope goes to the inactive slot as it is: the running image stays */
  if (!board_id_usable(o->board_id) || strcmp(o->obli.board, o->board_id) != 0) return OTA_ERR_WRONG_BOARD;
  e = check_counter(o, o->obli.security_counter);
  if (e) return e;
  uint64_t min = (uint64_t)OTA_OBLI_HEADER_SIZE + o->obli.payload_size + 4u;
  if (o->total < min || o->total - (min - 4u) > OTA_TRAILER_MAX) return OTA_ERR_SIZE_MISMATCH;
  if (o->total > o->target_size) return OTA_ERR_TOO_LARGE;
  o->trailer_len = o->total - OTA_OBLI_HEADER_SIZE - o->obli.payload_size;
  hal_sha256_init(&o->sha);
  hal_sha256_update(&o->sha, o->hdr, OTA_OBLI_HEADER_SIZE);
  return slot_write(o, 0, o->hdr, OTA_OBLI_HEADER_SIZE);
}

static ota_err_t header_bl60x(ota_t *o) {
  if (!o->accept_bl60x) return OTA_ERR_BAD_MAGIC;
  ota_err_t e = ota_bl60x_parse_header(o->hdr, &o->bl60x);
  if (e) return e;
  copy_id(o->version, o->bl60x.sw_version);
  /* A RAW body is booted from the inactive slot; boot2 unpacks an XZ body over the running slot. */
  o->rollback = o->bl60x.xz ? 0 : 1;
  if (!board_id_usable(o->bl60x_hw) || strcmp(o->bl60x.hw_version, o->bl60x_hw) != 0) return OTA_ERR_WRONG_BOARD;
  if ((uint64_t)o->bl60x.body_len + OTA_BL60X_HEADER_SIZE != o->total) return OTA_ERR_SIZE_MISMATCH;
  if (o->bl60x.body_len > o->target_size) return OTA_ERR_TOO_LARGE;
  if (o->bl60x.xz && o->bl60x.unpacked_len != 0xFFFFFFFFu) {
    /* boot2 unpacks into the other slot, i.e. the one running now */
    hal_partition_info_t run;
    if (hal_flash_info(hal_boot_running_slot(), &run) != HAL_OK) return OTA_ERR_FLASH;
    if (o->bl60x.unpacked_len > run.size) return OTA_ERR_TOO_LARGE;
  }
  if (o->has_key) {
    /* The signature covers the header (with the body's SHA-256): check it before taking any body. */
    if (!o->bl60x.has_signature) return OTA_ERR_UNSIGNED;
    uint8_t digest[32];
    hal_sha256_init(&o->sha);
    hal_sha256_update(&o->sha, o->hdr, OTA_BL60X_SIGNED_SPAN);
    hal_sha256_final(&o->sha, digest);
    if (!hal_ecdsa_p256_verify(o->key, digest, o->bl60x.signature)) return OTA_ERR_BAD_SIGNATURE;
  }
  e = check_counter(o, o->bl60x.security_counter);
  if (e) return e;
  hal_sha256_init(&o->sha);
  return OTA_ERR_NONE;
}

static ota_err_t take_header_bytes(ota_t *o, const uint8_t **p, size_t *len) {
  while (*len && !o->hdr_done) {
    size_t take = o->hdr_need - o->received;
    if (take > *len) take = *len;
    memcpy(o->hdr + o->received, *p, take);
    o->received += (uint32_t)take;
    *p += take;
    *len -= take;
    if (!ota_prefix_possible(o->hdr, o->received)) return OTA_ERR_BAD_MAGIC;
    if (o->received < o->hdr_need) break;
    if (o->format == OTA_FORMAT_NONE) {
      o->format = ota_detect(o->hdr, o->received);
      if (o->format == OTA_FORMAT_NONE) return OTA_ERR_BAD_MAGIC;
      o->hdr_need = o->format == OTA_FORMAT_OBLI ? OTA_OBLI_HEADER_SIZE : OTA_BL60X_HEADER_SIZE;
      if (o->total < o->hdr_need) return OTA_ERR_TRUNCATED;
      continue;
    }
    o->hdr_done = true;
    ota_err_t e = o->format == OTA_FORMAT_OBLI ? header_obli(o) : header_bl60x(o);
    if (e) return e;
  }
  return OTA_ERR_NONE;
}

static ota_err_t take_body_bytes(ota_t *o, const uint8_t *p, size_t len) {
  if (o->format == OTA_FORMAT_BL60X) {
    hal_sha256_update(&o->sha, p, len);
    ota_err_t e = slot_write(o, o->received - OTA_BL60X_HEADER_SIZE, p, len);
    o->received += (uint32_t)len;
    return e;
  }
  uint32_t hashed_end = OTA_OBLI_HEADER_SIZE + o->obli.payload_size;
  ota_err_t e = slot_write(o, o->received, p, len);
  if (e) return e;
  size_t n = o->received < hashed_end ? hashed_end - o->received : 0;
  if (n > len) n = len;
  hal_sha256_update(&o->sha, p, n);
  if (len > n) memcpy(o->trailer + (o->received + n - hashed_end), p + n, len - n);
  o->received += (uint32_t)len;
  return OTA_ERR_NONE;
}

ota_err_t ota_write(ota_t *o, const void *data, size_t len) {
  if (o->state == OTA_FAILED) return o->error;
  if (o->state != OTA_RECEIVING) return OTA_ERR_BUSY;
  if (len > o->total - o->received) return fail(o, OTA_ERR_SIZE_MISMATCH);
  const uint8_t *p = data;
  ota_err_t e = take_header_bytes(o, &p, &len);
  if (e) return fail(o, e);
  if (len) {
    e = take_body_bytes(o, p, len);
    if (e) return fail(o, e);
  }
  return OTA_ERR_NONE;
}

/* SHA-256 of `len` bytes of the target slot from `off`, as flash holds them now. */
static ota_err_t slot_hash(ota_t *o, uint32_t off, uint32_t len, uint8_t digest[32]) {
  uint8_t buf[IO_CHUNK];
  hal_sha256_init(&o->sha);
  while (len) {
    uint32_t n = len < IO_CHUNK ? len : IO_CHUNK;
    if (hal_flash_read(o->target, off, buf, n) != HAL_OK) return OTA_ERR_FLASH;
    hal_sha256_update(&o->sha, buf, n);
    off += n;
    len -= n;
  }
  hal_sha256_final(&o->sha, digest);
  return OTA_ERR_NONE;
}

static ota_err_t verify(ota_t *o) {
  uint8_t digest[32], again[32];
  hal_sha256_final(&o->sha, digest);
  if (o->format == OTA_FORMAT_OBLI) {
    ota_obli_trailer_t t;
    ota_err_t e = ota_obli_parse_trailer(o->trailer, o->trailer_len, &t);
    if (e) return e;
    if (memcmp(digest, t.sha256, 32) != 0) return OTA_ERR_HASH_MISMATCH;
    if (o->has_key) {
      if (!t.has_signature) return OTA_ERR_UNSIGNED;
      if (!hal_ecdsa_p256_verify(o->key, digest, t.signature)) return OTA_ERR_BAD_SIGNATURE;
    }
    e = slot_hash(o, 0, OTA_OBLI_HEADER_SIZE + o->obli.payload_size, again);
    if (e) return e;
  } else {
    if (memcmp(digest, o->bl60x.sha256, 32) != 0) return OTA_ERR_HASH_MISMATCH;
    if (o->bl60x.xz) {
      uint8_t m[6];
      if (o->bl60x.body_len < 6 || hal_flash_read(o->target, 0, m, 6) != HAL_OK ||
          memcmp(m, k_xz_magic, 6) != 0)
        return OTA_ERR_BAD_HEADER;
    }
    ota_err_t e = slot_hash(o, 0, o->bl60x.body_len, again);
    if (e) return e;
  }
  /* Read back: what boots is what is in flash, not what was received. */
  return memcmp(digest, again, 32) == 0 ? OTA_ERR_NONE : OTA_ERR_FLASH;
}

ota_err_t ota_finish(ota_t *o) {
  if (o->state == OTA_FAILED) return o->error;
  if (o->state != OTA_RECEIVING) return OTA_ERR_BUSY;
  if (o->received < o->total || !o->hdr_done) return fail(o, OTA_ERR_TRUNCATED);
  o->state = OTA_VERIFYING;
  ota_err_t e = verify(o);
  if (e) return fail(o, e);
  /* Record first, then switch: a cut in between leaves the old image with a never-booted trial record that
   * the next boot reports as aborted, never a switched image nobody will confirm. */
  ota_rec_t r;
  memset(&r, 0, sizeof r);
  bool trial = o->rollback == 1; /* an XZ image cannot be on trial: nothing would be left to go back to */
  r.pending = trial ? REC_TRIAL : REC_INSTALLED;
  r.slot = (uint8_t)o->target;
  r.counter = o->counter;
  memcpy(r.version, o->version, sizeof r.version);
  if (rec_write(o->store, &r) != STORE_OK) {
    if (o->store->last_hal == HAL_ERR_POWER) return fail(o, OTA_ERR_FLASH); /* the power is going: stop */
    hal_log(HAL_LOG_WARN, "ota", "OTA record not written: the port's trial record alone guards the switch");
  }
  o->marked = false; /* the trial record replaced the receiving mark */
  if (hal_boot_select(o->target, trial) != HAL_OK) {
    r.pending = 0;
    (void)rec_write(o->store, &r);
    return fail(o, OTA_ERR_FLASH);
  }
  o->state = OTA_REBOOTING;
  o->downgrade_until_us = 0; /* an allowed downgrade is for one image */
  if (!trial) ota_trust_raise_floor(o, o->counter); /* installed for good */
  hal_log(HAL_LOG_INFO, "ota", "image %s verified, slot %c selected for a trial boot", o->version,
          o->target == HAL_PART_FW_A ? 'A' : 'B');
  return OTA_ERR_NONE;
}

void ota_abort(ota_t *o) {
  if (o->state == OTA_RECEIVING || o->state == OTA_VERIFYING) (void)fail(o, OTA_ERR_ABORTED);
}

store_err_t ota_confirm(ota_t *o) {
  if (!o->pending_confirm) return STORE_OK;
  if (hal_boot_select(hal_boot_running_slot(), false) != HAL_OK) return STORE_ERR_IO;
  /* The port's selection is what boots: from here the image is kept, whatever the record says. */
  o->pending_confirm = false;
  ota_rec_t r;
  store_err_t e = rec_read(o->store, &r);
  if (e != STORE_OK) memset(&r, 0, sizeof r);
  memcpy(r.version, o->version, sizeof r.version);
  r.pending = 0;
  r.last_error = OTA_ERR_NONE;
  e = rec_write(o->store, &r);
  ota_trust_raise_floor(o, o->running_counter); /* confirmed: older images are downgrades from now on */
  hal_log(HAL_LOG_INFO, "ota", "image %s confirmed%s", o->version, e == STORE_OK ? "" : " (record not written)");
  return e;
}

void ota_note_proof(ota_t *o) { o->proven = true; }

ota_action_t ota_poll(ota_t *o, uint64_t now_us, bool network_healthy) {
  o->last_now_us = now_us;
  if (o->pend_downgrade && o->pend_downgrade_until_us == 0)
    o->pend_downgrade_until_us = now_us + (uint64_t)OTA_BUTTON_WINDOW_S * 1000000u;
  if (o->pend_key && now_us > o->pend_key_until_us) {
    o->pend_key = false;
    hal_log(HAL_LOG_WARN, "ota", "OTA signing key change not confirmed on the plug: key unchanged");
  }
  if (o->reboot_requested) return OTA_ACTION_REBOOT;
  if (!o->pending_confirm) return OTA_ACTION_NONE;
  /* Proven: it survived the supervisor's good-boot span, and someone reached it over the network. An image
   * that crashes 10-30 s in, or that comes up without reaching its owner, is not kept. */
  bool old_enough = now_us - o->boot_us >= (uint64_t)o->confirm_after_s * 1000000u;
  if (old_enough && network_healthy && o->proven) {
    (void)ota_confirm(o);
    if (!o->pending_confirm) return OTA_ACTION_NONE;
  }
  if (now_us - o->boot_us >= (uint64_t)o->confirm_timeout_s * 1000000u) {
    ota_rec_t r;
    if (rec_read(o->store, &r) != STORE_OK) memset(&r, 0, sizeof r);
    roll_back(o, &r, "found no healthy network in time");
    return OTA_ACTION_REBOOT;
  }
  return OTA_ACTION_NONE;
}

void ota_status(const ota_t *o, ota_status_t *out) {
  memset(out, 0, sizeof *out);
  out->state = o->state;
  out->error = o->error;
  out->format = o->format;
  out->bytes = o->received;
  out->total = o->total;
  out->progress = o->total ? (uint8_t)((uint64_t)o->received * 100u / o->total) : 0;
  if (o->state == OTA_REBOOTING) out->progress = 100;
  memcpy(out->version, o->version, sizeof out->version);
  out->pending_confirm = o->pending_confirm;
  out->rollback = o->rollback;
}

const char *ota_state_name(ota_state_t s) {
  switch (s) {
    case OTA_IDLE: return "idle";
    case OTA_RECEIVING: return "receiving";
    case OTA_VERIFYING: return "verifying";
    case OTA_REBOOTING: return "rebooting";
    case OTA_FAILED: return "failed";
  }
  return "idle";
}

const char *ota_err_code(ota_err_t e) {
  static const char *const codes[OTA_ERR_COUNT] = {
      "",          "bad_magic",     "bad_header",    "wrong_board", "too_large",
      "size_mismatch", "truncated", "hash_mismatch", "bad_signature", "unsigned",
      "flash_error", "busy",        "aborted",       "rolled_back", "downgrade",
  };
  return (unsigned)e < OTA_ERR_COUNT ? codes[e] : "error";
}

const char *ota_err_message(ota_err_t e) {
  static const char *const msgs[OTA_ERR_COUNT] = {
      "no error",
      "not a firmware image this plug accepts",
      "image header or trailer is invalid",
      "image is for another board",
      "image does not fit the firmware slot",
      "upload length does not match the image",
      "upload ended before the image was complete",
      "SHA-256 of the image does not match",
      "image signature is not valid for this plug's key",
      "plug requires a signed image",
      "flash write or read-back failed",
      "another update is running or the running firmware is not confirmed yet",
      "upload was aborted (connection lost, or the plug restarted during it)",
      "new firmware did not confirm itself; the previous firmware runs again",
      "image is older than the running firmware (security counter); press the plug's button to allow it",
  };
  return (unsigned)e < OTA_ERR_COUNT ? msgs[e] : "error";
}

bool ota_slot_version(hal_partition_t slot, char out[17]) {
  uint8_t h[OTA_OBLI_HEADER_SIZE];
  ota_obli_header_t hdr;
  out[0] = 0;
  if (hal_flash_read(slot, 0, h, sizeof h) != HAL_OK || ota_obli_parse_header(h, &hdr) != OTA_ERR_NONE)
    return false;
  memcpy(out, hdr.version, 17);
  return true;
}
