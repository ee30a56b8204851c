/* app_entry.h — the core entry points this port's tasks drive: obl_app_init() once, then
 * obl_app_main_poll() and obl_app_net_poll() in their own tasks, which share no state (core/app/app_link.h).
 * Declared by the core's app module; this header only names it for the port. */
#ifndef OBL_PORT_BL602_APP_ENTRY_H
#define OBL_PORT_BL602_APP_ENTRY_H

#include "app/app.h"

#endif /* OBL_PORT_BL602_APP_ENTRY_H */
