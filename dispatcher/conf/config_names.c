/* The config's enum values as the config spells them. */
#include "conf/config.h"

const char *disp_mode_name(enum disp_mode m)
{
	return m == DISP_MODE_SPLICE ? "splice" : "nat";
}

const char *disp_sched_name(enum disp_sched_kind k)
{
	switch (k) {
	case DISP_SCHED_RR: return "rr";
	case DISP_SCHED_WLC: return "wlc";
	case DISP_SCHED_SOURCE_HASH: return "source-hash";
	}
	return "?";
}

const char *disp_io_name(enum disp_io io)
{
	return io == DISP_IO_PACKET ? "packet" : "pcap";
}
