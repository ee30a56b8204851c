/* hal.h — everything the portable core needs from a port (POSIX simulated plug, BL602 SDK).
 *
 * The core never calls a vendor SDK or an OS directly; a port implements these functions. Rules for ports:
 *  - hal_gpio_set_edge_handler() handlers run in interrupt context and must only be given the timestamp:
 *    the core's handlers store it in a lock-free ring and return.
 *  - Flash follows NOR semantics on every port: erase sets a whole sector to 0xFF, write can only clear
 *    bits (the POSIX port enforces this and can cut power mid-operation for tests).
 *  - Nothing here allocates after hal_init().
 */
#ifndef OBL_HAL_H
#define OBL_HAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  HAL_OK = 0,
  HAL_ERR_ARG = -1,     /* bad pin, partition, offset or length */
  HAL_ERR_IO = -2,      /* the device refused or failed */
  HAL_ERR_POWER = -3,   /* POSIX fault injector: power was cut during this operation */
  HAL_ERR_UNSUPPORTED = -4,
} hal_status_t;

/* ---- time ---------------------------------------------------------------------------------------
 * hal_time_us64(): monotonic µs since boot, 64-bit so it never wraps in the plug's life.
 * hal_time_us32(): the raw 32-bit µs counter, cheap enough for interrupt context; wraps every 71.6 min
 * (the metering core extends it itself). */
uint64_t hal_time_us64(void);
uint32_t hal_time_us32(void);
/* Wall clock (Unix seconds) if the port has one (SNTP on BL602), 0 when unknown. */
uint64_t hal_time_unix(void);

/* ---- GPIO --------------------------------------------------------------------------------------- */
typedef enum { HAL_PULL_NONE = 0, HAL_PULL_UP, HAL_PULL_DOWN } hal_pull_t;
typedef enum { HAL_EDGE_RISING = 1, HAL_EDGE_FALLING = 2, HAL_EDGE_BOTH = 3 } hal_edge_t;
typedef void (*hal_edge_handler_t)(void *ctx, uint32_t t_us);

hal_status_t hal_gpio_output(uint8_t pin, bool level);           /* configure as output, drive level */
hal_status_t hal_gpio_write(uint8_t pin, bool level);
hal_status_t hal_gpio_input(uint8_t pin, hal_pull_t pull);
bool hal_gpio_read(uint8_t pin);
/* Calls handler(ctx, hal_time_us32()) from the pin's interrupt on the given edge. NULL detaches. */
hal_status_t hal_gpio_set_edge_handler(uint8_t pin, hal_edge_t edge, hal_edge_handler_t handler, void *ctx);

/* ---- flash, by partition ---------------------------------------------------------------------------
 * Offsets are relative to the partition. Erase works on whole sectors (HAL_FLASH_SECTOR bytes). */
#define HAL_FLASH_SECTOR 4096u
typedef enum {
  HAL_PART_SETTINGS = 0, /* record store for settings and counters */
  HAL_PART_FW_A,         /* firmware slot A */
  HAL_PART_FW_B,         /* firmware slot B (on BL602: the "FW" partition and the "OTA" partition) */
  HAL_PART_COUNT
} hal_partition_t;

typedef struct {
  uint32_t size;    /* bytes, a multiple of HAL_FLASH_SECTOR */
  uint32_t address; /* absolute flash address, for reports only */
} hal_partition_info_t;

hal_status_t hal_flash_info(hal_partition_t part, hal_partition_info_t *out);
hal_status_t hal_flash_read(hal_partition_t part, uint32_t offset, void *buf, size_t len);
hal_status_t hal_flash_write(hal_partition_t part, uint32_t offset, const void *buf, size_t len);
hal_status_t hal_flash_erase(hal_partition_t part, uint32_t offset, size_t len);

/* ---- firmware slots and boot ---------------------------------------------------------------------
 * The core's OTA manager decides; the port records the decision where its bootloader looks. */
hal_partition_t hal_boot_running_slot(void);
/* Boot `slot` next time; `trial` = boot it once and fall back unless the core confirms it. */
hal_status_t hal_boot_select(hal_partition_t slot, bool trial);
/* The running image was booted on trial and is not confirmed yet (the port's own record: the core asks it
 * when its settings store is unreadable). */
bool hal_boot_trial_pending(void);

/* ---- watchdog, reset ------------------------------------------------------------------------------ */
hal_status_t hal_watchdog_start(uint32_t timeout_ms);
void hal_watchdog_feed(void);

typedef enum {
  HAL_RESET_POWER_ON = 0,
  HAL_RESET_SOFTWARE,  /* hal_reboot() */
  HAL_RESET_WATCHDOG,
  HAL_RESET_BROWNOUT,
  HAL_RESET_EXCEPTION, /* crash, hard fault */
  HAL_RESET_UNKNOWN,
} hal_reset_reason_t;

hal_reset_reason_t hal_reset_reason(void);
/* Does not return. The core has already persisted what must survive. */
void hal_reboot(void);

/* ---- identity, randomness, logging ----------------------------------------------------------------- */
void hal_mac_address(uint8_t mac[6]);
/* Cryptographic-quality random bytes (TRNG on BL602, getrandom() on POSIX). */
hal_status_t hal_random(void *buf, size_t len);

typedef enum { HAL_LOG_ERROR = 0, HAL_LOG_WARN, HAL_LOG_INFO, HAL_LOG_DEBUG } hal_log_level_t;
void hal_log(hal_log_level_t level, const char *module, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---- crypto services (OpenSSL libcrypto on POSIX, mbedTLS on BL602) ----------------------------------
 * Streaming SHA-256: the context is opaque storage the port may use as it likes. */
typedef struct {
  uint64_t opaque[36]; /* 288 B: BL602's SEC-engine mbedTLS context is 280 B (the port asserts it fits) */
} hal_sha256_ctx_t;
void hal_sha256_init(hal_sha256_ctx_t *ctx);
void hal_sha256_update(hal_sha256_ctx_t *ctx, const void *data, size_t len);
void hal_sha256_final(hal_sha256_ctx_t *ctx, uint8_t digest[32]);

/* ECDSA P-256 check of a SHA-256 digest (mbedTLS on BL602 has P-256, not Ed25519).
 * public_key: uncompressed point 0x04||X||Y; signature: r||s, 32 bytes each, big-endian.
 * true only for a valid signature by public_key. */
bool hal_ecdsa_p256_verify(const uint8_t public_key[65], const uint8_t digest[32],
                           const uint8_t signature[64]);

/* ---- name resolution, never blocking (lwIP dns_gethostbyname with a callback on BL602; a resolver thread
 * on POSIX) ----------------------------------------------------------------------------------------------
 * One lookup at a time. hal_dns_start() returns at once; a start while an earlier lookup still runs replaces
 * it (its result is dropped when it comes). hal_dns_poll() reports the latest start's outcome and, when
 * done, its IPv4 address. A stalled resolver only ever leaves the poll PENDING: the caller's own timeouts
 * decide what to do (sock_net.c falls back to the last address it resolved). */
typedef enum { HAL_DNS_IDLE = 0, HAL_DNS_PENDING, HAL_DNS_DONE, HAL_DNS_FAILED } hal_dns_state_t;
hal_status_t hal_dns_start(const char *host);
hal_dns_state_t hal_dns_poll(uint8_t ipv4[4]);

/* ---- Wi-Fi (the BL602 SDK's wifi manager; simulated on POSIX) ------------------------------------------
 * The core speaks BSD sockets directly (lwIP on BL602); only link management is behind the HAL. */
typedef enum {
  HAL_WIFI_OFF = 0,
  HAL_WIFI_CONNECTING,
  HAL_WIFI_CONNECTED, /* station with an IP address */
  HAL_WIFI_AP,        /* own access point for setup mode */
} hal_wifi_state_t;

typedef struct {
  hal_wifi_state_t state;
  int8_t rssi_dbm; /* station only; 0 when unknown */
  uint8_t ipv4[4];
} hal_wifi_status_t;

typedef struct {
  char ssid[33];
  int8_t rssi_dbm;
  bool secured;
} hal_wifi_network_t;

hal_status_t hal_wifi_connect(const char *ssid, const char *password);
hal_status_t hal_wifi_start_ap(const char *ssid); /* open AP, e.g. "openbl602-a1b2c3" */
/* The name the station gives its DHCP server (option 12), e.g. "openbl602-a1b2c3"; taken at the next
 * DHCP exchange. ≤ 31 characters; longer names are cut. */
void hal_wifi_set_hostname(const char *name);
void hal_wifi_status(hal_wifi_status_t *out);
/* Fills at most max networks, returns how many. */
size_t hal_wifi_scan(hal_wifi_network_t *out, size_t max);

#ifdef __cplusplus
}
#endif

#endif /* OBL_HAL_H */
