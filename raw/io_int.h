/* Private to raw/io*.c: the backend interface behind raw_io.h. One struct
 * of ops per backend (io_pcap.c, io_afpacket.c); io.c picks one by name
 * and applies the offload policy to whatever the backend delivers. */
#ifndef SPLICEKIT_RAW_IO_INT_H
#define SPLICEKIT_RAW_IO_INT_H

#include <pcap/pcap.h>
#include <splicekit/raw_io.h>

struct raw_io_ops {
	const char *name;
	/* Sets io->be, io->fd, io->linktype; returns 0 or -errno. */
	int (*open)(struct raw_io *io, const char *ifname, char *err, size_t errlen);
	/* Up to max packets, raw, before the policy: count or -errno. */
	int (*recv)(struct raw_io *io, struct raw_frame *pkts, unsigned max);
	void (*release)(struct raw_io *io);
	/* Replaces the kernel (and user-space) filter: 0 or -errno. */
	int (*set_filter)(struct raw_io *io, const char *filter, char *err,
			  size_t errlen);
	/* Kernel-side totals since open. */
	int (*stats)(struct raw_io *io, uint64_t *kernel_drops);
	void (*close)(struct raw_io *io);
};

struct raw_io {
	const struct raw_io_ops *ops;
	void *be;
	int fd;
	int linktype;
	unsigned mtu;
	struct raw_io_opts opts;
	struct raw_io_stats st;
};

extern const struct raw_io_ops raw_io_pcap_ops;
extern const struct raw_io_ops raw_io_afpacket_ops;

/* Compiles opts->filter for linktype into *prog (free with pcap_freecode):
 * 0, or -EINVAL with libpcap's message in err. An empty filter compiles to
 * accept-all. */
int raw_io_compile(const char *filter, int linktype, unsigned snaplen,
		   struct bpf_program *prog, char *err, size_t errlen);

/* Formats an error message into err (may be NULL). */
void raw_io_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
