/* Addresses as the config and the control socket spell them, and the raw
 * address bytes the packet path compares and writes. */
#ifndef DISP_UTIL_ADDR_H
#define DISP_UTIL_ADDR_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct disp_addr {
	sa_family_t family; /* AF_INET or AF_INET6 */
	uint16_t port;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} ip;
};

/* Parses "1.2.3.4", "1.2.3.4:80", "::1", "[::1]:80" into *out. With
 * want_port the port is required (1..65535), otherwise forbidden. Returns
 * 0, or -EINVAL. Reads only s[0..len). */
int disp_addr_parse(const char *s, size_t len, bool want_port,
		    struct disp_addr *out);

/* Writes "1.2.3.4:80" or "[::1]:80" (or without the port when it is 0)
 * into buf. Returns buf. buf should hold DISP_ADDR_STRLEN bytes. */
#define DISP_ADDR_STRLEN (INET6_ADDRSTRLEN + 8)
char *disp_addr_format(const struct disp_addr *a, char *buf, size_t len);

/* True when a and b have the same family, address and port. */
bool disp_addr_equal(const struct disp_addr *a, const struct disp_addr *b);

/* The address bytes of a (4 or 16, network order). */
static inline const uint8_t *disp_addr_ip(const struct disp_addr *a)
{
	return a->family == AF_INET ? (const uint8_t *)&a->ip.v4
				    : (const uint8_t *)&a->ip.v6;
}

/* Sets *a from a family, its 4 or 16 address bytes and a port. */
void disp_addr_set(struct disp_addr *a, int family, const uint8_t *ip,
		   uint16_t port);

#endif
