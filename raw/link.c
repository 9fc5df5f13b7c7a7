/* Capture link types: one mapping for spliced, skfwd and splicectl. */
#include <errno.h>

#include <splicekit/raw_io.h>
#include <splicekit/raw_pkt.h>

int raw_io_link(int dlt, enum raw_link *link, size_t *skip)
{
	*skip = 0;
	switch (dlt) {
	case DLT_EN10MB:
		*link = RAW_LINK_ETH;
		return 0;
	case DLT_RAW:
#ifdef DLT_IPV4
	case DLT_IPV4:
#endif
#ifdef DLT_IPV6
	case DLT_IPV6:
#endif
		*link = RAW_LINK_IP;
		return 0;
	case DLT_LINUX_SLL:
		*link = RAW_LINK_SLL;
		return 0;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		/* 20 bytes (protocol, interface, ARPHRD, packet type,
		 * address); raw_parse knows only v1, but the IP version
		 * nibble is all it needs after the header. */
		*link = RAW_LINK_IP;
		*skip = 20;
		return 0;
#endif
	case DLT_NULL:
	case DLT_LOOP:
		/* 4-byte address family; the IP version nibble says the rest */
		*link = RAW_LINK_IP;
		*skip = 4;
		return 0;
	default:
		return -EPROTONOSUPPORT;
	}
}
