/* raw_io front end: backend table, option defaults, offload policy. */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io_int.h"

static const struct raw_io_ops *const backends[] = {
	&raw_io_pcap_ops,
	&raw_io_afpacket_ops,
};
#define NBACKENDS (sizeof(backends) / sizeof(backends[0]))

static const char *const names[] = { "pcap", "afpacket", NULL };

const char *const *raw_io_backends(void)
{
	return names;
}

static const struct raw_io_ops *find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < NBACKENDS; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

bool raw_io_backend_known(const char *backend)
{
	return find(backend) != NULL;
}

void raw_io_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int raw_io_compile(const char *filter, int linktype, unsigned snaplen,
		   struct bpf_program *prog, char *err, size_t errlen)
{
	pcap_t *p = pcap_open_dead(linktype, (int)snaplen);
	int r = 0;

	if (!p)
		return -ENOMEM;
	/* optimize=1; the netmask only matters for "broadcast" tests, which
	 * a forwarder's filters do not use. */
	if (pcap_compile(p, prog, filter ? filter : "", 1, PCAP_NETMASK_UNKNOWN) == -1) {
		raw_io_err(err, errlen, "bad filter \"%s\": %s", filter ? filter : "",
			   pcap_geterr(p));
		r = -EINVAL;
	}
	pcap_close(p);
	return r;
}

int raw_io_set_filter(struct raw_io *io, const char *filter, char *errbuf,
		      size_t errlen)
{
	return io->ops->set_filter(io, filter, errbuf, errlen);
}

int raw_io_filter_check(const char *filter, char *errbuf, size_t errlen)
{
	struct bpf_program prog;
	int r = raw_io_compile(filter, DLT_EN10MB, 65535, &prog, errbuf, errlen);

	if (r == 0)
		pcap_freecode(&prog);
	return r;
}

bool raw_io_too_big(uint32_t wirelen, unsigned mtu, int linktype)
{
	/* Ethernet header plus one 802.1Q tag left in the frame; the kernel
	 * normally strips the tag, so this errs towards delivering. */
	uint32_t l2 = linktype == DLT_EN10MB ? 18 : 0;

	return mtu != 0 && wirelen > mtu + l2;
}

static int ifmtu(const char *ifname, unsigned *mtu)
{
	struct ifreq ifr;
	int fd, r = 0;

	if (strlen(ifname) >= IFNAMSIZ)
		return -ENODEV;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, SIOCGIFMTU, &ifr) == -1)
		r = errno == ENODEV || errno == ENXIO ? -ENODEV : -errno;
	else
		*mtu = (unsigned)ifr.ifr_mtu;
	close(fd);
	return r;
}

int raw_io_open(struct raw_io **out, const char *backend, const char *ifname,
		const struct raw_io_opts *opts, char *errbuf, size_t errlen)
{
	const struct raw_io_ops *ops = find(backend);
	struct raw_io *io;
	int r;

	*out = NULL;
	if (!ops) {
		raw_io_err(errbuf, errlen, "unknown I/O backend \"%s\" (pcap, afpacket)",
			   backend ? backend : "(null)");
		return -ENOENT;
	}
	if (!ifname || !*ifname) {
		raw_io_err(errbuf, errlen, "no interface given");
		return -EINVAL;
	}
	io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	io->ops = ops;
	io->fd = -1;
	if (opts)
		io->opts = *opts;
	if (io->opts.snaplen == 0)
		io->opts.snaplen = 65535;
	if (io->opts.ring_kb == 0)
		io->opts.ring_kb = 4096;
	if (io->opts.block_timeout_ms == 0)
		io->opts.block_timeout_ms = 1;
	if (io->opts.snaplen < 64 || io->opts.snaplen > 262144) {
		raw_io_err(errbuf, errlen, "snaplen %u out of range 64..262144",
			   io->opts.snaplen);
		r = -EINVAL;
		goto fail;
	}
	if (io->opts.ring_kb < 64 || io->opts.ring_kb > 1024 * 1024) {
		raw_io_err(errbuf, errlen, "ring size %u KiB out of range 64..1048576",
			   io->opts.ring_kb);
		r = -EINVAL;
		goto fail;
	}
	if (io->opts.fanout > RAW_IO_FANOUT_CBPF ||
	    (io->opts.fanout == RAW_IO_FANOUT_CBPF && !io->opts.fanout_prog)) {
		raw_io_err(errbuf, errlen, "unknown fanout mode %d", (int)io->opts.fanout);
		r = -EINVAL;
		goto fail;
	}
	r = ifmtu(ifname, &io->mtu);
	if (r < 0) {
		raw_io_err(errbuf, errlen, "interface \"%s\": %s", ifname, strerror(-r));
		goto fail;
	}
	r = ops->open(io, ifname, errbuf, errlen);
	if (r < 0)
		goto fail;
	*out = io;
	return 0;
fail:
	free(io);
	return r;
}

int raw_io_fd(const struct raw_io *io)
{
	return io->fd;
}

int raw_io_recv(struct raw_io *io, struct raw_frame *pkts, unsigned max)
{
	int n, kept = 0;

	if (max > RAW_IO_BATCH_MAX)
		max = RAW_IO_BATCH_MAX;
	n = io->ops->recv(io, pkts, max);
	if (n <= 0)
		return n;
	/* The policy, in place: refused packets are dropped from the batch
	 * (their memory is still released with it). */
	for (int i = 0; i < n; i++) {
		struct raw_frame *p = &pkts[i];

		if (raw_io_too_big(p->wirelen, io->mtu, p->linktype)) {
			if (!io->opts.deliver_big) {
				io->st.refused_big++;
				continue;
			}
			p->flags |= RAW_FRAME_BIG;
		}
		if (p->flags & RAW_FRAME_CSUM_PARTIAL) {
			if (io->opts.csum == RAW_IO_CSUM_REFUSE) {
				io->st.refused_csum++;
				continue;
			}
			io->st.csum_partial++;
		}
		if (kept != i)
			pkts[kept] = *p;
		kept++;
	}
	io->st.received += (uint64_t)kept;
	return kept;
}

void raw_io_release(struct raw_io *io)
{
	io->ops->release(io);
}

int raw_io_stats(struct raw_io *io, struct raw_io_stats *st)
{
	int r = io->ops->stats(io, &io->st.kernel_drops);

	*st = io->st;
	return r;
}

const char *raw_io_backend(const struct raw_io *io)
{
	return io->ops->name;
}

unsigned raw_io_mtu(const struct raw_io *io)
{
	return io->mtu;
}

void raw_io_close(struct raw_io *io)
{
	if (!io)
		return;
	io->ops->close(io);
	free(io);
}
