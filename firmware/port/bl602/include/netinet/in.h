/* netinet/in.h for the BL602 build: lwIP's POSIX compatibility headers (compat/posix) provide
 * <sys/socket.h>, <arpa/inet.h> and <netdb.h> but not this one; lwIP's sockets header defines what it
 * would (sockaddr_in, in_addr, IPPROTO_*, INADDR_ANY, htons/ntohl). */
#ifndef OBL_PORT_BL602_NETINET_IN_H
#define OBL_PORT_BL602_NETINET_IN_H
#include <lwip/sockets.h>
#endif
