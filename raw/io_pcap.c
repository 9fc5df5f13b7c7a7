/* Backend "pcap": libpcap live capture, immediate mode, nonblocking.
 *
 * libpcap's packet pointers are valid only until its next read, so a batch
 * is copied into an arena owned by the handle. libpcap does not expose the
 * kernel's checksum state, so every packet is flagged RAW_FRAME_CSUM_UNKNOWN. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "io_int.h"

struct pcap_be {
	pcap_t *p;
	struct raw_frame *out;  /* batch being filled by the callback */
	unsigned n, max;
	uint8_t *arena;       /* copies of the batch's packets */
	size_t arena_len, used;
	size_t snaplen;
	uint64_t lost;        /* did not fit the arena (should not happen) */
	int linktype;
};

/* Compiles filter and installs it on p: 0 or -errno, message in err. */
static int setfilter(pcap_t *p, const char *filter, int linktype, unsigned snaplen,
		     char *err, size_t errlen)
{
	struct bpf_program prog;
	int r = raw_io_compile(filter, linktype, snaplen, &prog, err, errlen);

	if (r < 0)
		return r;
	r = pcap_setfilter(p, &prog);
	pcap_freecode(&prog);
	if (r == -1) {
		raw_io_err(err, errlen, "pcap_setfilter: %s", pcap_geterr(p));
		return -EIO;
	}
	return 0;
}

static int set_filter_pcap(struct raw_io *io, const char *filter, char *err,
			   size_t errlen)
{
	struct pcap_be *b = io->be;

	return setfilter(b->p, filter, b->linktype, io->opts.snaplen, err, errlen);
}

static int open_pcap(struct raw_io *io, const char *ifname, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_be *b;
	int r;

	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->p = pcap_create(ifname, ebuf);
	if (!b->p) {
		raw_io_err(err, errlen, "pcap_create %s: %s", ifname, ebuf);
		r = -ENODEV;
		goto fail;
	}
	pcap_set_snaplen(b->p, (int)io->opts.snaplen);
	pcap_set_promisc(b->p, io->opts.promisc);
	pcap_set_immediate_mode(b->p, 1);
	pcap_set_buffer_size(b->p, (int)io->opts.ring_kb * 1024);
	pcap_set_tstamp_precision(b->p, PCAP_TSTAMP_PRECISION_NANO);
	r = pcap_activate(b->p);
	if (r < 0) {
		raw_io_err(err, errlen, "pcap_activate %s: %s", ifname, pcap_geterr(b->p));
		r = r == PCAP_ERROR_PERM_DENIED ? -EPERM :
		    r == PCAP_ERROR_NO_SUCH_DEVICE ? -ENODEV : -EIO;
		goto fail;
	}
	if (io->opts.inbound_only && pcap_setdirection(b->p, PCAP_D_IN) == -1) {
		raw_io_err(err, errlen, "pcap_setdirection: %s", pcap_geterr(b->p));
		r = -EIO;
		goto fail;
	}
	b->linktype = pcap_datalink(b->p);
	r = setfilter(b->p, io->opts.filter, b->linktype, io->opts.snaplen, err, errlen);
	if (r < 0)
		goto fail;
	if (pcap_setnonblock(b->p, 1, ebuf) == -1) {
		raw_io_err(err, errlen, "pcap_setnonblock: %s", ebuf);
		r = -EIO;
		goto fail;
	}
	io->fd = pcap_get_selectable_fd(b->p);
	if (io->fd < 0) {
		raw_io_err(err, errlen, "%s has no selectable descriptor", ifname);
		r = -EOPNOTSUPP;
		goto fail;
	}
	/* recv asks libpcap for no more packets than surely fit (one snaplen
	 * each), so every packet it hands us does; 1 MiB holds a batch of
	 * MTU-sized frames and 16 full 64 KiB ones. */
	b->snaplen = io->opts.snaplen;
	b->arena_len = 2 * b->snaplen > (1u << 20) ? 2 * b->snaplen : (1u << 20);
	b->arena = malloc(b->arena_len);
	if (!b->arena) {
		r = -ENOMEM;
		goto fail;
	}
	io->linktype = b->linktype;
	io->be = b;
	return 0;
fail:
	if (b->p)
		pcap_close(b->p);
	free(b);
	return r;
}

static void take(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct pcap_be *b = (struct pcap_be *)user;
	struct raw_frame *p;

	/* Both hold by the counts recv asks for; checked rather than
	 * trusted, and counted as lost rather than overflowing. */
	if (b->n >= b->max || h->caplen > b->arena_len - b->used) {
		b->lost++;
		return;
	}
	p = &b->out[b->n++];
	memcpy(b->arena + b->used, bytes, h->caplen);
	p->data = b->arena + b->used;
	b->used += h->caplen;
	p->caplen = h->caplen;
	p->wirelen = h->len;
	/* With nanosecond precision requested, tv_usec holds nanoseconds. */
	p->ts.tv_sec = h->ts.tv_sec;
	p->ts.tv_nsec = h->ts.tv_usec;
	p->linktype = b->linktype;
	p->flags = RAW_FRAME_CSUM_UNKNOWN;
	p->vlan_tci = 0;
}

static int recv_pcap(struct raw_io *io, struct raw_frame *pkts, unsigned max)
{
	struct pcap_be *b = io->be;
	int r;

	b->out = pkts;
	b->n = 0;
	b->max = max;
	b->used = 0;
	while (b->n < max) {
		size_t fit = (b->arena_len - b->used) / b->snaplen;
		unsigned want = max - b->n;

		if (fit == 0)
			break;
		if (fit < want)
			want = (unsigned)fit;
		r = pcap_dispatch(b->p, (int)want, take, (u_char *)b);
		if (r == PCAP_ERROR)
			return -EIO;
		if (r <= 0 || (unsigned)r < want)
			break; /* nothing more ready now */
	}
	return (int)b->n;
}

static void release_pcap(struct raw_io *io)
{
	struct pcap_be *b = io->be;

	b->used = 0;
	b->n = 0;
}

static int stats_pcap(struct raw_io *io, uint64_t *drops)
{
	struct pcap_be *b = io->be;
	struct pcap_stat ps;

	if (pcap_stats(b->p, &ps) == -1)
		return -EIO;
	*drops = ps.ps_drop + b->lost;
	return 0;
}

static void close_pcap(struct raw_io *io)
{
	struct pcap_be *b = io->be;

	if (!b)
		return;
	pcap_close(b->p);
	free(b->arena);
	free(b);
}

const struct raw_io_ops raw_io_pcap_ops = {
	.name = "pcap",
	.open = open_pcap,
	.recv = recv_pcap,
	.release = release_pcap,
	.set_filter = set_filter_pcap,
	.stats = stats_pcap,
	.close = close_pcap,
};
