/* errno.h for the firmware built on the BL602 SDK (this folder comes before the C library's headers).
 *
 * The SDK builds lwIP with LWIP_PROVIDE_ERRNO: its socket calls report errors in lwIP's own global
 * `int errno` (defined in the SDK's lwip-port sys_arch.c) using lwIP's values (EINPROGRESS 115, ...).
 * newlib's <errno.h> instead makes `errno` a per-task macro (*__errno()) with other values, which the
 * socket calls never set: core code testing `errno != EINPROGRESS` after a non-blocking connect() would
 * always see a failure. Every errno use in the core is socket error handling, so here errno means lwIP's.
 */
#ifndef OBL_PORT_BL602_ERRNO_H
#define OBL_PORT_BL602_ERRNO_H

#include <lwip/errno.h>

#ifdef errno
#undef errno /* newlib's, if one of its headers got in first */
#endif
extern int errno;

#endif /* OBL_PORT_BL602_ERRNO_H */
