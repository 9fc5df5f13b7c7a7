/* skfwd's loop: two captures (client side, server side), one rewrite each
 * way, one sender. Single-threaded; several instances can share the load
 * with --fanout on afpacket. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <splicekit/cursor.h>
#include <splicekit/raw_io.h>
#include <splicekit/raw_pkt.h>
#include <splicekit/raw_rewrite.h>

#include "fwd.h"

enum { C2S, S2C };

struct fwd {
	const struct fwd_conf *c;
	struct raw_io *io[2];       /* [C2S] reads the client side */
	struct raw_tx *tx[2];       /* [C2S] sends towards the backend */
	uint8_t client_mac[6];
	bool client_mac_known;
	uint8_t if_mac[2][6];       /* our MAC on [C2S] server side, [S2C] client side */
	struct fwd_dir_stats st[2];
	/* A frame is copied here before it is rewritten: ring memory is
	 * shared with the kernel and libpcap's is not ours. */
	uint8_t buf[262144 + 64];
	/* Pieces of a split super-packet, with room for a link header. */
	uint8_t seg[RAW_ETH_HLEN + 65536];
};

static const char *const drop_names[FWD_D_MAX] = {
	[FWD_D_PARSE] = "parse", [FWD_D_NOT_TCP] = "not_tcp", [FWD_D_CSUM] = "csum",
	[FWD_D_NO_MAC] = "no_mac", [FWD_D_SEND] = "send",
};

static void filters(const struct fwd_conf *c, char f[2][200])
{
	char vip[INET6_ADDRSTRLEN], be[INET6_ADDRSTRLEN];
	const char *ip = c->family == AF_INET ? "ip" : "ip6";

	inet_ntop(c->family, c->vip, vip, sizeof(vip));
	inet_ntop(c->family, c->backend, be, sizeof(be));
	snprintf(f[C2S], 200, "%s and tcp and dst host %s and dst port %u", ip, vip,
		 c->vport);
	snprintf(f[S2C], 200, "%s and tcp and src host %s and src port %u", ip, be,
		 c->bport);
}

/* Reads the source MAC of an Ethernet frame through the cursor. */
static int frame_src_mac(const struct raw_frame *fr, uint8_t mac[6])
{
	struct raw_cur cur;
	const uint8_t *m;

	raw_cur_init(&cur, fr->data, fr->caplen);
	if (raw_cur_skip(&cur, 6) < 0 || raw_cur_bytes(&cur, 6, &m) < 0)
		return -EBADMSG;
	memcpy(mac, m, 6);
	return 0;
}

/* Sends the IP packet l3[0..len). For AF_PACKET a fresh untagged Ethernet
 * header is written into the RAW_ETH_HLEN bytes before l3, which every
 * caller leaves free (the captured frame's own header, or seg's headroom). */
static int send_l3(struct fwd *f, int dir, uint8_t *l3, size_t len)
{
	const struct fwd_conf *c = f->c;
	uint8_t *eth = l3 - RAW_ETH_HLEN;

	if (c->tx == FWD_TX_IP)
		return raw_tx_queue(f->tx[dir], l3, len);
	if (dir == S2C && !f->client_mac_known)
		return -EHOSTUNREACH;
	memcpy(eth, dir == C2S ? c->server_mac : f->client_mac, 6);
	memcpy(eth + 6, f->if_mac[dir], 6);
	eth[12] = (uint8_t)((l3[0] >> 4 == 4 ? RAW_ETHERTYPE_IPV4 : RAW_ETHERTYPE_IPV6) >> 8);
	eth[13] = (uint8_t)(l3[0] >> 4 == 4 ? RAW_ETHERTYPE_IPV4 : RAW_ETHERTYPE_IPV6);
	return raw_tx_queue(f->tx[dir], eth, len + RAW_ETH_HLEN);
}

struct emit_ctx {
	struct fwd *f;
	int dir;
};

static int emit_piece(void *ctx, uint8_t *pkt, size_t len)
{
	struct emit_ctx *e = ctx;

	return send_l3(e->f, e->dir, pkt, len);
}

static int send_pkt(struct fwd *f, int dir, struct raw_pkt *p)
{
	unsigned mtu = raw_io_mtu(f->io[1 - dir]); /* the outgoing link */

	if (p->l3_off < RAW_ETH_HLEN && f->c->tx == FWD_TX_PACKET)
		return -EBADMSG;
	if (mtu && p->l3_len > mtu) {
		struct emit_ctx e = { f, dir };
		int n = raw_io_tcp_split(p, mtu, f->seg + RAW_ETH_HLEN,
					 sizeof(f->seg) - RAW_ETH_HLEN, emit_piece, &e);

		if (n > 0)
			f->st[dir].split++;
		return n < 0 ? n : 0;
	}
	return send_l3(f, dir, p->buf + p->l3_off, p->l3_len);
}

static void one(struct fwd *f, int dir, const struct raw_frame *fr)
{
	const struct fwd_conf *c = f->c;
	struct fwd_dir_stats *st = &f->st[dir];
	enum raw_link link;
	struct raw_pkt p;
	size_t skip;
	int r;

	if (raw_io_link(fr->linktype, &link, &skip) < 0 || fr->caplen < skip ||
	    fr->caplen - skip > sizeof(f->buf)) {
		st->drop[FWD_D_PARSE]++;
		return;
	}
	memcpy(f->buf, fr->data + skip, fr->caplen - skip);
	if (raw_parse(&p, f->buf, fr->caplen - skip, link) < 0) {
		st->drop[FWD_D_PARSE]++;
		if (c->verbose)
			fprintf(stderr, "skfwd: drop: %s\n", raw_reason_str(p.reason));
		return;
	}
	if (!p.is_tcp) {
		st->drop[FWD_D_NOT_TCP]++;
		return;
	}
	r = raw_io_csum_fix(&p, fr->flags);
	if (r < 0) {
		st->drop[FWD_D_CSUM]++;
		return;
	}
	if (r == 1)
		st->csum_completed++;
	if (dir == C2S) {
		if (c->tx == FWD_TX_PACKET && link == RAW_LINK_ETH &&
		    frame_src_mac(fr, f->client_mac) == 0)
			f->client_mac_known = true;
		raw_rw_daddr(&p, c->backend);
		raw_rw_dport(&p, c->bport);
	} else {
		raw_rw_saddr(&p, c->vip);
		raw_rw_sport(&p, c->vport);
	}
	r = send_pkt(f, dir, &p);
	if (r == -EHOSTUNREACH && c->tx == FWD_TX_PACKET) {
		st->drop[FWD_D_NO_MAC]++;
	} else if (r < 0) {
		st->drop[FWD_D_SEND]++;
		if (c->verbose)
			fprintf(stderr, "skfwd: send: %s\n", strerror(-r));
	} else {
		st->forwarded++;
	}
}

/* Sends what one() queued: one sendmmsg per batch instead of one
 * syscall per packet. forwarded counts packets handed to the sender;
 * those the kernel then refuses (pieces of a split included) are counted
 * in drop_send as well. */
static void flush(struct fwd *f, int dir)
{
	unsigned failed = 0;

	raw_tx_flush(f->tx[dir], &failed);
	f->st[dir].drop[FWD_D_SEND] += failed;
}

static int drain(struct fwd *f, int dir)
{
	struct raw_frame frames[64];
	int n, total = 0;

	/* Bounded: a flood on one side must not starve the other. */
	for (int round = 0; round < 8; round++) {
		n = raw_io_recv(f->io[dir], frames, 64);
		if (n < 0)
			return n;
		for (int i = 0; i < n; i++)
			one(f, dir, &frames[i]);
		raw_io_release(f->io[dir]);
		flush(f, dir);
		total += n;
		if (n == 0)
			break;
	}
	return total;
}

/* Prints one direction's counters, summed over the workers. */
static void report(struct fwd **fs, unsigned n, const char *who)
{
	static const char *const dname[2] = { "c2s", "s2c" };

	for (int d = 0; d < 2; d++) {
		struct fwd_dir_stats t = { 0 };
		struct raw_io_stats s = { 0 };

		for (unsigned w = 0; w < n; w++) {
			struct raw_io_stats one_s = { 0 };

			raw_io_stats(fs[w]->io[d], &one_s);
			s.received += one_s.received;
			s.kernel_drops += one_s.kernel_drops;
			s.refused_big += one_s.refused_big;
			s.refused_csum += one_s.refused_csum;
			s.csum_partial += one_s.csum_partial;
			t.forwarded += fs[w]->st[d].forwarded;
			t.csum_completed += fs[w]->st[d].csum_completed;
			t.split += fs[w]->st[d].split;
			for (int k = 0; k < FWD_D_MAX; k++)
				t.drop[k] += fs[w]->st[d].drop[k];
		}
		fprintf(stderr,
			"%s: %s forwarded=%llu csum_completed=%llu split=%llu "
			"received=%llu kernel_drops=%llu refused_big=%llu "
			"refused_csum=%llu csum_partial=%llu",
			who, dname[d], (unsigned long long)t.forwarded,
			(unsigned long long)t.csum_completed,
			(unsigned long long)t.split,
			(unsigned long long)s.received,
			(unsigned long long)s.kernel_drops,
			(unsigned long long)s.refused_big,
			(unsigned long long)s.refused_csum,
			(unsigned long long)s.csum_partial);
		for (int k = 0; k < FWD_D_MAX; k++)
			fprintf(stderr, " drop_%s=%llu", drop_names[k],
				(unsigned long long)t.drop[k]);
		fputc('\n', stderr);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Opens one worker's two captures and two senders: 0 or -errno, with the
 * message printed. */
static int fwd_open(struct fwd *f, const struct fwd_conf *c, char filt[2][200])
{
	const char *ifs[2] = { c->client_if, c->server_if };
	char err[512];
	int r;

	f->c = c;
	for (int d = 0; d < 2; d++) {
		struct raw_io_opts o = {
			.filter = filt[d],
			.inbound_only = true,
			.csum = c->csum,
			.deliver_big = c->deliver_big,
			/* 16 MiB: with offloads on a window's worth of 64 KiB
			 * super-packets arrives at once, and libpcap's ring
			 * holds whole snaplen-sized slots (4 MiB: ~60). */
			.ring_kb = 16384,
			.block_kb = c->block_kb,
			.fanout = c->fanout_group ? RAW_IO_FANOUT_HASH : RAW_IO_FANOUT_NONE,
			/* The two sides need separate groups: one group per
			 * interface and direction. */
			.fanout_group = (uint16_t)(c->fanout_group + (unsigned)d),
		};

		r = raw_io_open(&f->io[d], c->io, ifs[d], &o, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "skfwd: %s capture on %s: %s\n", c->io, ifs[d], err);
			return r;
		}
		/* C2S packets leave on the server side and vice versa. */
		if (c->tx == FWD_TX_IP)
			r = raw_tx_open_ip(&f->tx[d], c->family);
		else
			r = raw_tx_open_packet(&f->tx[d], ifs[1 - d]);
		if (r == 0 && c->tx == FWD_TX_PACKET)
			r = raw_tx_mac(f->tx[d], f->if_mac[d]);
		if (r < 0) {
			fprintf(stderr, "skfwd: sender towards %s: %s\n", ifs[1 - d],
				strerror(-r));
			return r;
		}
	}
	return 0;
}

static void fwd_close(struct fwd *f)
{
	for (int d = 0; d < 2; d++) {
		raw_io_close(f->io[d]);
		raw_tx_close(f->tx[d]);
	}
}

struct worker {
	pthread_t th;
	struct fwd *f;
	volatile sig_atomic_t *stop;
	double end;
	int r;
};

static void *fwd_loop(void *arg)
{
	struct worker *w = arg;
	struct fwd *f = w->f;

	while (!*w->stop && (!w->end || now() < w->end)) {
		struct pollfd pfd[2] = {
			{ .fd = raw_io_fd(f->io[C2S]), .events = POLLIN },
			{ .fd = raw_io_fd(f->io[S2C]), .events = POLLIN },
		};

		if (poll(pfd, 2, 100) == -1 && errno != EINTR) {
			w->r = -errno;
			fprintf(stderr, "skfwd: poll: %s\n", strerror(errno));
			break;
		}
		/* Drain both every time: a TPACKET_V3 block can be ready
		 * without a fresh POLLIN edge for it. */
		for (int d = 0; d < 2; d++) {
			int n = drain(f, d);

			if (n < 0) {
				w->r = n;
				fprintf(stderr, "skfwd: receive: %s\n", strerror(-n));
				return NULL;
			}
		}
	}
	return NULL;
}

int fwd_run(const struct fwd_conf *c, volatile sig_atomic_t *stop)
{
	unsigned n = c->threads ? c->threads : 1, started = 0;
	struct worker w[FWD_THREADS_MAX];
	struct fwd *fs[FWD_THREADS_MAX] = { 0 };
	char filt[2][200];
	double end = c->duration_s ? now() + c->duration_s : 0;
	int r = 0;

	if (n > FWD_THREADS_MAX)
		return -EINVAL;
	filters(c, filt);
	/* Everything is opened before any thread starts, so a bad interface
	 * or a missing privilege is reported once and nothing half runs. */
	for (unsigned i = 0; i < n && r == 0; i++) {
		fs[i] = calloc(1, sizeof(struct fwd));
		r = fs[i] ? fwd_open(fs[i], c, filt) : -ENOMEM;
	}
	if (r == 0 && c->verbose)
		fprintf(stderr, "skfwd: %s: %u thread(s) [%s] %s | [%s] %s\n", c->io, n,
			c->client_if, filt[C2S], c->server_if, filt[S2C]);
	for (unsigned i = 0; i < n && r == 0; i++) {
		w[i] = (struct worker){ .f = fs[i], .stop = stop, .end = end };
		r = -pthread_create(&w[i].th, NULL, fwd_loop, &w[i]);
		if (r == 0)
			started++;
	}
	for (unsigned i = 0; i < started; i++) {
		pthread_join(w[i].th, NULL);
		if (w[i].r < 0 && r == 0)
			r = w[i].r;
	}
	if (started == n) {
		if (n > 1)
			for (unsigned i = 0; i < n; i++) {
				char who[32];

				snprintf(who, sizeof(who), "skfwd[%u]", i);
				report(&fs[i], 1, who);
			}
		report(fs, n, "skfwd");
	}
	for (unsigned i = 0; i < n; i++)
		if (fs[i]) {
			fwd_close(fs[i]);
			free(fs[i]);
		}
	return r;
}
