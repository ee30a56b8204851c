/* netinet/tcp.h for the BL602 build: TCP_NODELAY and friends come from lwIP's sockets header (see in.h). */
#ifndef OBL_PORT_BL602_NETINET_TCP_H
#define OBL_PORT_BL602_NETINET_TCP_H
#include <lwip/sockets.h>
#endif
