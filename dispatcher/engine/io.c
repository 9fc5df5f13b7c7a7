/* Packet I/O for the engine over raw-io: captures per interface, raw IP
 * senders per family. */
#include <errno.h>
#include <net/if.h>
#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>

#include <splicekit/raw_io.h>
#include <splicekit/raw_pkt.h>

#include "engine/worker.h"

struct disp_rx {
	struct raw_io *io;
	int ifindex;
	struct raw_frame pk[DISP_BURST];
};

struct disp_tx {
	struct raw_tx *tx;
};

int disp_rx_open(struct disp_rx **out, enum disp_io io, const char *ifname,
		 const char *filter, const struct sock_fprog *prog,
		 uint16_t group, char *err, size_t errlen)
{
	/* Our own sends leave through the same interfaces: inbound_only keeps
	 * them from coming back as input. Partial checksums are delivered
	 * flagged and completed after the rewrite (nat.c). */
	struct raw_io_opts o = {
		.filter = filter,
		.inbound_only = true,
		.csum = RAW_IO_CSUM_DELIVER,
		/* Super-packets (offloads) are segmented by the engine; a
		 * 64 KiB IP packet plus its link header must fit whole. */
		.deliver_big = true,
		.snaplen = 65535 + 64,
		.fanout = prog ? RAW_IO_FANOUT_CBPF : RAW_IO_FANOUT_NONE,
		.fanout_group = group,
		.fanout_prog = prog,
	};
	struct disp_rx *rx = calloc(1, sizeof(*rx));
	int r;

	if (!rx)
		return -ENOMEM;
	r = raw_io_open(&rx->io, io == DISP_IO_PACKET ? "afpacket" : "pcap",
			ifname, &o, err, errlen);
	if (r < 0) {
		free(rx);
		return r;
	}
	rx->ifindex = (int)if_nametoindex(ifname);
	*out = rx;
	return 0;
}

int disp_rx_fd(const struct disp_rx *rx)
{
	return raw_io_fd(rx->io);
}

int disp_rx_burst(struct disp_rx *rx, struct disp_frame *fr, unsigned max)
{
	int n;

	if (max > DISP_BURST)
		max = DISP_BURST;
	n = raw_io_recv(rx->io, rx->pk, max);
	for (int i = 0; i < n; i++) {
		const struct raw_frame *k = &rx->pk[i];
		uint32_t len = k->caplen < k->wirelen ? k->caplen : k->wirelen;
		enum raw_link link;
		size_t skip;

		/* link 0: a link type the packet path cannot read (dropped
		 * and counted by the ingress). */
		if (raw_io_link(k->linktype, &link, &skip) < 0 || skip > len) {
			link = 0;
			skip = 0;
		}
		fr[i].data = k->data + skip;
		fr[i].len = len - (uint32_t)skip;
		fr[i].link = (uint8_t)link;
		fr[i].flags = k->flags;
		fr[i].ifindex = rx->ifindex;
		fr[i].ts_ms = (uint64_t)k->ts.tv_sec * 1000 +
			      (uint64_t)k->ts.tv_nsec / 1000000;
	}
	return n;
}

unsigned disp_rx_mtu(const struct disp_rx *rx)
{
	return raw_io_mtu(rx->io);
}

void disp_rx_release(struct disp_rx *rx)
{
	raw_io_release(rx->io);
}

int disp_rx_set_filter(struct disp_rx *rx, const char *filter)
{
	return raw_io_set_filter(rx->io, filter, NULL, 0);
}

void disp_rx_close(struct disp_rx *rx)
{
	if (!rx)
		return;
	raw_io_close(rx->io);
	free(rx);
}

int disp_tx_open(struct disp_tx **out, int family)
{
	struct disp_tx *tx = calloc(1, sizeof(*tx));
	int r;

	if (!tx)
		return -ENOMEM;
	r = raw_tx_open_ip(&tx->tx, family);
	if (r < 0) {
		free(tx);
		return r;
	}
	*out = tx;
	return 0;
}

int disp_tx_queue(struct disp_tx *tx, const void *pkt, size_t len)
{
	return raw_tx_queue(tx->tx, pkt, len);
}

unsigned disp_tx_flush(struct disp_tx *tx)
{
	unsigned failed = 0;

	if (tx && raw_tx_flush(tx->tx, &failed) < 0)
		return 0;
	return failed;
}

void disp_tx_close(struct disp_tx *tx)
{
	if (!tx)
		return;
	raw_tx_close(tx->tx);
	free(tx);
}
