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
	case DISP_SCHED_LARD: return "lard";
	}
	return "?";
}

const char *disp_io_name(enum disp_io io)
{
	return io == DISP_IO_PACKET ? "packet" : "pcap";
}

const char *disp_fastpath_name(enum disp_fastpath fp)
{
	return fp == DISP_FASTPATH_AUTO ? "auto" : fp == DISP_FASTPATH_TC ? "tc" : "off";
}

bool disp_config_wants_fastpath(const struct disp_config *cfg)
{
	for (size_t i = 0; i < cfg->n_services; i++)
		if (cfg->services[i].fastpath != DISP_FASTPATH_OFF)
			return true;
	return false;
}
