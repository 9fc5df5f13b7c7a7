/* Packet I/O: receive frames from an interface through one small interface
 * whose backend ("pcap" or "afpacket") is chosen by name at run time, and
 * send packets back out (raw_tx, below).
 *
 * Receive model: raw_io_recv fills an array of struct raw_frame whose data
 * pointers stay valid until the next raw_io_release (or raw_io_close). The
 * caller owns the array; the handle owns the bytes. One batch at a time:
 * recv, use, release, recv again.
 *
 * Offload policy (applied here, the same for every backend, counted in
 * struct raw_io_stats):
 *  - a frame longer than the interface MTU plus its link header is a GRO/LRO
 *    (or, for our own host's traffic, TSO) super-packet. By default it is
 *    refused (never delivered, counted in refused_big): sent as is it
 *    would fail with EMSGSIZE or be dropped by the next hop. With
 *    deliver_big it is delivered flagged RAW_FRAME_BIG and the forwarder
 *    must cut it into MTU-sized TCP segments (raw_io_tcp_split) before
 *    sending;
 *  - a frame the kernel marks CHECKSUM_PARTIAL (TP_STATUS_CSUMNOTREADY) is
 *    delivered with RAW_FRAME_CSUM_PARTIAL set: its L4 checksum field holds
 *    only the pseudo-header sum, so whoever forwards it must complete the
 *    checksum from scratch (raw_io_csum_fix) rather than update it
 *    incrementally, or refuse it. With RAW_IO_CSUM_REFUSE such frames are
 *    dropped here instead (refused_csum);
 *  - a backend that cannot see the kernel's checksum state (libpcap) sets
 *    RAW_FRAME_CSUM_UNKNOWN: the forwarder must verify, and may complete only
 *    a checksum that matches the partial-checksum signature.
 */
#ifndef SPLICEKIT_RAW_IO_H
#define SPLICEKIT_RAW_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <pcap/dlt.h> /* DLT_* link types in struct raw_frame */

#include <splicekit/raw_pkt.h>

struct raw_io;
struct raw_tx;

/* Most packets one raw_io_recv call returns. */
#define RAW_IO_BATCH_MAX 256

enum raw_io_fanout {
	RAW_IO_FANOUT_NONE = 0,
	RAW_IO_FANOUT_HASH,   /* by flow hash: one flow stays on one socket */
	RAW_IO_FANOUT_LB,     /* round robin */
	RAW_IO_FANOUT_CPU,    /* by receiving CPU */
	RAW_IO_FANOUT_CBPF,   /* by the caller's classic BPF program
			       * (fanout_prog): its return value modulo the
			       * group size picks the socket, in join order */
};

struct sock_fprog; /* <linux/filter.h> */

enum raw_io_csum_policy {
	RAW_IO_CSUM_DELIVER = 0, /* deliver partial-checksum frames, flagged */
	RAW_IO_CSUM_REFUSE,      /* drop them here and count them */
};

struct raw_io_opts {
	const char *filter;       /* pcap filter expression; NULL or "" = all */
	unsigned snaplen;         /* bytes kept per frame; 0 = 65535 */
	unsigned ring_kb;         /* receive ring/buffer size; 0 = 4096 KiB */
	unsigned block_timeout_ms; /* afpacket: retire a partly filled block
				    * after this long; 0 = 1 ms */
	unsigned block_kb;        /* afpacket: ring block size, a power of two
				   * >= 4 KiB; 0 = the smallest that holds an MTU
				   * frame (or snaplen with deliver_big):
				   * small blocks cut latency (io_afpacket.c) */
	enum raw_io_fanout fanout; /* afpacket: share load between sockets */
	uint16_t fanout_group;    /* sockets with the same id share packets */
	const struct sock_fprog *fanout_prog; /* for RAW_IO_FANOUT_CBPF */
	bool promisc;
	bool inbound_only;        /* skip frames this host sends (our own
				   * injected packets among them) */
	enum raw_io_csum_policy csum;
	bool deliver_big;         /* deliver GRO/GSO super-packets flagged
				   * RAW_FRAME_BIG instead of refusing them,
				   * for a caller that segments them itself */
};

/* struct raw_frame flags. */
#define RAW_FRAME_CSUM_PARTIAL 0x1u /* L4 checksum not computed (see above) */
#define RAW_FRAME_CSUM_VALID   0x2u /* the kernel or NIC verified it */
#define RAW_FRAME_CSUM_UNKNOWN 0x4u /* backend cannot tell */
#define RAW_FRAME_OUTGOING     0x8u /* sent by this host */
#define RAW_FRAME_VLAN         0x10u /* tag stripped by the kernel: vlan_tci */
#define RAW_FRAME_BIG          0x20u /* longer than the MTU (deliver_big) */

struct raw_frame {
	const uint8_t *data;   /* the frame, starting with the link header */
	uint32_t caplen;       /* bytes at data */
	uint32_t wirelen;      /* bytes the frame had on the wire */
	struct timespec ts;
	int linktype;          /* DLT_* (DLT_EN10MB for Ethernet and veth) */
	uint32_t flags;        /* RAW_FRAME_* */
	uint16_t vlan_tci;
};

struct raw_io_stats {
	uint64_t received;     /* frames delivered to the caller */
	uint64_t kernel_drops; /* frames the kernel dropped: ring full */
	uint64_t refused_big;  /* GRO/LRO super-packets refused (policy) */
	uint64_t refused_csum; /* partial-checksum frames refused (policy) */
	uint64_t csum_partial; /* partial-checksum frames delivered, flagged */
};

/* Returns true when a backend of this name exists ("pcap", "afpacket"). */
bool raw_io_backend_known(const char *backend);

/* Returns the names of the backends, NULL-terminated (static storage). */
const char *const *raw_io_backends(void);

/* Opens a capture on ifname with the named backend. opts may be NULL for
 * the defaults. On success stores a handle the caller frees with
 * raw_io_close and returns 0. Errors: -ENOENT unknown backend, -ENODEV no
 * such interface, -EINVAL bad options or filter (message in errbuf when
 * errbuf is not NULL, errlen bytes), -EPERM not privileged, other -errno. */
int raw_io_open(struct raw_io **out, const char *backend, const char *ifname,
		const struct raw_io_opts *opts, char *errbuf, size_t errlen);

/* Returns the descriptor to poll for POLLIN (owned by the handle). */
int raw_io_fd(const struct raw_io *io);

/* Fills up to max (<= RAW_IO_BATCH_MAX) packets without blocking; returns
 * how many (0 if none are ready) or -errno. The packets point into the
 * handle's memory, valid until raw_io_release. */
int raw_io_recv(struct raw_io *io, struct raw_frame *pkts, unsigned max);

/* Gives the last batch back to the backend (ring slots to the kernel). */
void raw_io_release(struct raw_io *io);

/* Copies the counters since open into *st: 0 or -errno. */
int raw_io_stats(struct raw_io *io, struct raw_io_stats *st);

/* Returns the backend name the handle was opened with. */
const char *raw_io_backend(const struct raw_io *io);

/* Returns the interface MTU the offload policy measures against. */
unsigned raw_io_mtu(const struct raw_io *io);

/* Replaces the capture filter of an open handle (pcap filter syntax). Call
 * it from the thread that receives on io: libpcap's handles are not
 * thread-safe. AF_PACKET swaps the kernel program in one step, so no
 * frame is judged by half of each. Needs no privileges. Returns 0, or
 * -EINVAL (libpcap's message in errbuf) with the old filter still on. */
int raw_io_set_filter(struct raw_io *io, const char *filter, char *errbuf,
		      size_t errlen);

/* Closes the capture and frees the handle. NULL is allowed. */
void raw_io_close(struct raw_io *io);

/* Compiles a pcap filter expression for Ethernet frames into a classic BPF
 * program without opening any device, as a syntax check: 0, or -EINVAL with
 * libpcap's message in errbuf. Needs no privileges. */
int raw_io_filter_check(const char *filter, char *errbuf, size_t errlen);

/* Returns true when a frame of wirelen bytes is a super-packet the policy
 * refuses on a link of this MTU and link type. */
bool raw_io_too_big(uint32_t wirelen, unsigned mtu, int linktype);

/* --- checksum policy for forwarding --- */

/* Maps a capture's DLT_* link type to what raw_parse reads, and the bytes
 * to skip before that (a link header raw_parse does not know, whose IP
 * version nibble is all that is needed: SLL2, BSD loopback). Returns 0, or
 * -EPROTONOSUPPORT for a link type the packet path cannot read. */
int raw_io_link(int dlt, enum raw_link *link, size_t *skip);

struct raw_pkt; /* raw_pkt.h */

/* Applies the offload policy to a parsed TCP packet p of a frame with the
 * given RAW_FRAME_* flags, before it is rewritten and forwarded:
 *  - IPv4 header checksum wrong (never offloaded on receive): -EBADMSG;
 *  - RAW_FRAME_CSUM_PARTIAL: the TCP checksum is completed in place (1);
 *  - RAW_FRAME_CSUM_VALID: nothing to do (0);
 *  - otherwise the TCP checksum is verified (0 if right). If it is wrong
 *    and the backend could not see the kernel's state (CSUM_UNKNOWN) and
 *    the field holds exactly the pseudo-header sum, the signature of a
 *    CHECKSUM_PARTIAL packet, it is completed (1); anything else is
 *    corrupt: -EBADMSG, and must be dropped, never forwarded.
 * Returns -EINVAL for a non-TCP view. Afterwards incremental rewrites
 * (raw_rewrite.h) keep the checksum right. */
int raw_io_csum_fix(struct raw_pkt *p, uint32_t frame_flags);

/* Cuts the TCP segment p (checksum already made right by raw_io_csum_fix)
 * into IP packets of at most mtu bytes, the way TSO would have: same
 * headers and options, seq advanced, IPv4 ID incremented, FIN/PSH only on
 * the last piece and CWR only on the first, both checksums computed in
 * full. Each piece is built in out[0..outlen) and handed to emit(ctx, pkt,
 * len) before the next is built; emit's negative return stops the split
 * and is returned. Returns the number of pieces, -EINVAL for a non-TCP
 * view, -EMSGSIZE when the headers alone exceed mtu, -ENOSPC when out is
 * smaller than mtu. p is not changed. */
int raw_io_tcp_split(const struct raw_pkt *p, unsigned mtu, uint8_t *out,
		     size_t outlen, int (*emit)(void *ctx, uint8_t *pkt, size_t len),
		     void *ctx);

/* --- sending --- */

/* Opens a raw IP sender for family AF_INET or AF_INET6. Packets given to
 * raw_tx_send start with the IP header, which is sent as is (IP_HDRINCL,
 * IPPROTO_RAW); the kernel routes them and resolves neighbours. 0, or
 * -errno (-EPERM without CAP_NET_RAW). Free with raw_tx_close. */
int raw_tx_open_ip(struct raw_tx **out, int family);

/* Opens an AF_PACKET sender on ifname. Packets given to raw_tx_send are
 * whole frames, link header and MACs included. 0, or -errno. */
int raw_tx_open_packet(struct raw_tx **out, const char *ifname);

/* Sends one packet (an IP packet or a frame, as the sender was opened):
 * 0, -EBADMSG if an IP packet's version or length does not fit the sender,
 * -EMSGSIZE if it is longer than the route allows, other -errno. The
 * caller keeps ownership of pkt. */
int raw_tx_send(struct raw_tx *tx, const void *pkt, size_t len);

/* Copies pkt (as for raw_tx_send) into the sender's batch, to go out with
 * the next raw_tx_flush in one sendmmsg call: 0, -EBADMSG as for
 * raw_tx_send, -EMSGSIZE if len exceeds 65535. A full batch is flushed
 * first, by itself. The caller keeps ownership of pkt. */
int raw_tx_queue(struct raw_tx *tx, const void *pkt, size_t len);

/* Sends every queued packet. Returns how many went out; *failed (if not
 * NULL) gets how many the kernel refused (each is skipped, not retried). */
int raw_tx_flush(struct raw_tx *tx, unsigned *failed);

/* Stores the MAC of the AF_PACKET sender's interface in mac[6]: 0 or
 * -EINVAL for an IP sender. */
int raw_tx_mac(const struct raw_tx *tx, uint8_t mac[6]);

/* Closes the sender and frees it. NULL is allowed. */
void raw_tx_close(struct raw_tx *tx);

#endif
