/* Backend "afpacket": AF_PACKET socket with a TPACKET_V3 receive ring.
 *
 * The kernel fills fixed-size blocks with variable-size frames and hands a
 * block to us when it is full or its retire timeout expires; we walk its
 * frames in place (no copy) and hand the block back when the caller
 * releases the batch. A batch never spans two blocks.
 *
 * The ring's block and frame headers are the kernel ABI written by the
 * kernel into memory we map, not bytes from the wire; they are read as
 * structs, but every offset in them is still checked against the block
 * before use, so a bug in that arithmetic cannot walk out of the ring.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io_int.h"

/* TPACKET_V3 hands a block over when it is full or its retire timeout
 * (>= 1 ms) expires, so a block that fills slowly delays every packet in
 * it: under a light load a big block costs a TCP stream up to 1 ms per hop
 * (measured with tools/bench/skfwd-pps.sh --block-kb: 4-8 KiB blocks beat
 * 256 KiB ones by ~1.4x on one stream). So blocks are as small as the
 * largest frame we must keep whole allows: an MTU-sized frame when
 * super-packets are refused anyway, snaplen when they are to be split. */
static unsigned default_block(const struct raw_io *io)
{
	unsigned need = (io->opts.deliver_big ? io->opts.snaplen : io->mtu) + 256;
	unsigned b = 8192;

	while (b < need && b < (1u << 22))
		b <<= 1;
	return b;
}

struct afp_be {
	uint8_t *ring;
	size_t ring_len;
	unsigned block_size, block_nr;
	unsigned cur;          /* block being read */
	uint32_t left;         /* frames of cur not yet returned */
	uint32_t next;         /* offset of the next frame in cur */
	bool held;             /* cur belongs to us (TP_STATUS_USER) */
	uint64_t drops;
};

static struct tpacket_block_desc *block(struct afp_be *b, unsigned i)
{
	return (struct tpacket_block_desc *)(b->ring + (size_t)i * b->block_size);
}

static int linktype_of(int fd, unsigned ifindex, int *dlt)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (!if_indextoname(ifindex, ifr.ifr_name))
		return -ENODEV;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == -1)
		return -errno;
	switch (ifr.ifr_hwaddr.sa_family) {
	case ARPHRD_ETHER:
	case ARPHRD_LOOPBACK: /* lo frames carry a zeroed Ethernet header */
		*dlt = DLT_EN10MB;
		return 0;
	default:
		return -EPROTONOSUPPORT;
	}
}

/* Compiles filter and attaches it to fd, replacing any filter there (the
 * kernel swaps programs under the socket lock: a frame meets the old one
 * or the new one). 0 or -errno, message in err. */
static int attach(int fd, const char *filter, int linktype, unsigned snaplen,
		  char *err, size_t errlen)
{
	struct bpf_program prog;
	struct sock_fprog fprog;
	int r = raw_io_compile(filter, linktype, snaplen, &prog, err, errlen);

	if (r < 0)
		return r;
	/* struct bpf_insn and struct sock_filter are the same classic BPF
	 * instruction layout. */
	fprog.len = (unsigned short)prog.bf_len;
	fprog.filter = (struct sock_filter *)prog.bf_insns;
	r = setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog));
	pcap_freecode(&prog);
	if (r == -1) {
		r = -errno;
		raw_io_err(err, errlen, "SO_ATTACH_FILTER: %s", strerror(-r));
	}
	return r;
}

static int set_filter_afp(struct raw_io *io, const char *filter, char *err,
			  size_t errlen)
{
	return attach(io->fd, filter, io->linktype, io->opts.snaplen, err, errlen);
}

static int open_afp(struct raw_io *io, const char *ifname, char *err, size_t errlen)
{
	struct tpacket_req3 req;
	struct sockaddr_ll sll;
	struct afp_be *b;
	unsigned ifindex, ver = TPACKET_V3;
	int fd, r, one = 1;

	ifindex = if_nametoindex(ifname);
	if (ifindex == 0) {
		raw_io_err(err, errlen, "no interface \"%s\"", ifname);
		return -ENODEV;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	/* Protocol 0: the socket sees nothing until bind, so no frame gets in
	 * before the filter is attached. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		r = -errno;
		raw_io_err(err, errlen, "AF_PACKET socket: %s", strerror(-r));
		free(b);
		return r;
	}
	r = linktype_of(fd, ifindex, &io->linktype);
	if (r < 0) {
		raw_io_err(err, errlen, "%s: link type not supported: %s", ifname,
			   strerror(-r));
		goto fail;
	}
	r = attach(fd, io->opts.filter, io->linktype, io->opts.snaplen, err, errlen);
	if (r < 0)
		goto fail;
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)) == -1) {
		r = -errno;
		raw_io_err(err, errlen, "PACKET_VERSION v3: %s", strerror(-r));
		goto fail;
	}
	if (io->opts.inbound_only &&
	    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) == -1) {
		r = -errno;
		raw_io_err(err, errlen, "PACKET_IGNORE_OUTGOING: %s", strerror(-r));
		goto fail;
	}
	b->block_size = io->opts.block_kb ? io->opts.block_kb * 1024 : default_block(io);
	if (b->block_size < 4096 || (b->block_size & (b->block_size - 1))) {
		raw_io_err(err, errlen, "block size %u KiB is not a power of two >= 4",
			   io->opts.block_kb);
		r = -EINVAL;
		goto fail;
	}
	/* A frame longer than a block is truncated by the kernel to fit (and
	 * a forwarder then drops it); a block must at least hold one frame of
	 * the interface's MTU. */
	if (io->mtu + 256 > b->block_size) {
		raw_io_err(err, errlen, "block of %u KiB cannot hold a frame of MTU %u",
			   b->block_size / 1024, io->mtu);
		r = -EINVAL;
		goto fail;
	}
	b->block_nr = io->opts.ring_kb / (b->block_size / 1024);
	if (b->block_nr < 2)
		b->block_nr = 2;
	memset(&req, 0, sizeof(req));
	req.tp_block_size = b->block_size;
	req.tp_block_nr = b->block_nr;
	req.tp_frame_size = 2048; /* V3 packs frames; this only sizes tp_frame_nr */
	req.tp_frame_nr = b->block_size / req.tp_frame_size * b->block_nr;
	req.tp_retire_blk_tov = io->opts.block_timeout_ms;
	if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) == -1) {
		r = -errno;
		raw_io_err(err, errlen, "PACKET_RX_RING: %s", strerror(-r));
		goto fail;
	}
	b->ring_len = (size_t)b->block_size * b->block_nr;
	b->ring = mmap(NULL, b->ring_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_LOCKED | MAP_POPULATE, fd, 0);
	if (b->ring == MAP_FAILED) {
		/* MAP_LOCKED can exceed RLIMIT_MEMLOCK; unlocked still works. */
		b->ring = mmap(NULL, b->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			       fd, 0);
	}
	if (b->ring == MAP_FAILED) {
		r = -errno;
		raw_io_err(err, errlen, "mmap ring: %s", strerror(-r));
		b->ring = NULL;
		goto fail;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1) {
		r = -errno;
		raw_io_err(err, errlen, "bind %s: %s", ifname, strerror(-r));
		goto fail;
	}
	if (io->opts.promisc) {
		struct packet_mreq mr = { .mr_ifindex = (int)ifindex,
					  .mr_type = PACKET_MR_PROMISC };

		if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) == -1) {
			r = -errno;
			raw_io_err(err, errlen, "promiscuous mode: %s", strerror(-r));
			goto fail;
		}
	}
	if (io->opts.fanout != RAW_IO_FANOUT_NONE) {
		static const int mode[] = {
			[RAW_IO_FANOUT_HASH] = PACKET_FANOUT_HASH,
			[RAW_IO_FANOUT_LB] = PACKET_FANOUT_LB,
			[RAW_IO_FANOUT_CPU] = PACKET_FANOUT_CPU,
			[RAW_IO_FANOUT_CBPF] = PACKET_FANOUT_CBPF,
		};
		/* DEFRAG: fragments of one datagram must hash to one socket. */
		unsigned type = (unsigned)(mode[io->opts.fanout] | PACKET_FANOUT_FLAG_DEFRAG);
		int arg = (int)(io->opts.fanout_group | type << 16);

		if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) == -1) {
			r = -errno;
			raw_io_err(err, errlen, "PACKET_FANOUT group %u: %s",
				   io->opts.fanout_group, strerror(-r));
			goto fail;
		}
		if (io->opts.fanout == RAW_IO_FANOUT_CBPF &&
		    setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, io->opts.fanout_prog,
			       sizeof(*io->opts.fanout_prog)) == -1) {
			r = -errno;
			raw_io_err(err, errlen, "PACKET_FANOUT_DATA: %s", strerror(-r));
			goto fail;
		}
	}
	io->fd = fd;
	io->be = b;
	return 0;
fail:
	if (b->ring)
		munmap(b->ring, b->ring_len);
	close(fd);
	free(b);
	return r;
}

static int recv_afp(struct raw_io *io, struct raw_frame *pkts, unsigned max)
{
	struct afp_be *b = io->be;
	struct tpacket_block_desc *bd = block(b, b->cur);
	unsigned n = 0;

	if (!b->held) {
		/* Acquire: the status must be read before the frames. */
		if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
		      TP_STATUS_USER))
			return 0;
		b->held = true;
		b->left = bd->hdr.bh1.num_pkts;
		b->next = bd->hdr.bh1.offset_to_first_pkt;
	}
	while (n < max && b->left > 0) {
		const struct tpacket3_hdr *h;
		const struct sockaddr_ll *sll;
		struct raw_frame *p;
		uint32_t off = b->next;

		/* A frame that does not fit the block ends the block. */
		if (off > b->block_size - sizeof(*h)) {
			b->left = 0;
			break;
		}
		h = (const struct tpacket3_hdr *)((uint8_t *)bd + off);
		if (h->tp_mac < TPACKET_ALIGN(sizeof(*h)) + sizeof(*sll) ||
		    h->tp_mac > b->block_size - off ||
		    h->tp_snaplen > b->block_size - off - h->tp_mac) {
			b->left = 0;
			break;
		}
		sll = (const struct sockaddr_ll *)((const uint8_t *)h +
						   TPACKET_ALIGN(sizeof(*h)));
		b->left--;
		b->next = off + h->tp_next_offset;
		if (h->tp_next_offset == 0)
			b->left = 0;
		/* PACKET_IGNORE_OUTGOING is not honoured for sockets in a
		 * fanout group (the group's hook receives the copy), so our
		 * own sends are also skipped here. */
		if (io->opts.inbound_only && sll->sll_pkttype == PACKET_OUTGOING)
			continue;
		p = &pkts[n++];
		p->data = (const uint8_t *)h + h->tp_mac;
		p->caplen = h->tp_snaplen;
		p->wirelen = h->tp_len;
		p->ts.tv_sec = h->tp_sec;
		p->ts.tv_nsec = h->tp_nsec;
		p->linktype = io->linktype;
		p->flags = 0;
		if (h->tp_status & TP_STATUS_CSUMNOTREADY)
			p->flags |= RAW_FRAME_CSUM_PARTIAL;
		if (h->tp_status & TP_STATUS_CSUM_VALID)
			p->flags |= RAW_FRAME_CSUM_VALID;
		if (sll->sll_pkttype == PACKET_OUTGOING)
			p->flags |= RAW_FRAME_OUTGOING;
		p->vlan_tci = 0;
		if (h->tp_status & TP_STATUS_VLAN_VALID) {
			p->flags |= RAW_FRAME_VLAN;
			p->vlan_tci = (uint16_t)h->hv1.tp_vlan_tci;
		}
	}
	return (int)n;
}

static void release_afp(struct raw_io *io)
{
	struct afp_be *b = io->be;

	if (!b->held || b->left > 0)
		return;
	__atomic_store_n(&block(b, b->cur)->hdr.bh1.block_status, TP_STATUS_KERNEL,
			 __ATOMIC_RELEASE);
	b->held = false;
	b->cur = (b->cur + 1) % b->block_nr;
}

static int stats_afp(struct raw_io *io, uint64_t *drops)
{
	struct afp_be *b = io->be;
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof(st);

	/* Reading resets the kernel's counters: keep a running total. */
	if (getsockopt(io->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == -1)
		return -errno;
	b->drops += st.tp_drops;
	*drops = b->drops;
	return 0;
}

static void close_afp(struct raw_io *io)
{
	struct afp_be *b = io->be;

	if (!b)
		return;
	munmap(b->ring, b->ring_len);
	close(io->fd);
	free(b);
}

const struct raw_io_ops raw_io_afpacket_ops = {
	.name = "afpacket",
	.open = open_afp,
	.recv = recv_afp,
	.release = release_afp,
	.set_filter = set_filter_afp,
	.stats = stats_afp,
	.close = close_afp,
};
