/* libFuzzer harness for the splice-mode packet path: sequences of frames
 * through a detached engine with an IPv4 source-NAT splice service and an
 * IPv6 transparent one with content pools, so every phase is reachable: client handshake,
 * first data and the ClientHello parse, the backend leg, replay and its
 * timers, translation both ways, close. What must hold: no crash, no
 * sanitizer report, no leak, and every packet sent parses as TCP, fits
 * the MTU and carries right checksums (unless the input lied that its
 * checksum was verified).
 *
 * Input: records of [ctl][op][len hi][len lo][len bytes]. ctl as in
 * fuzz_nat.c (bits 0-1 link, 2-4 checksum flags, 5 big, 6 worker 1, 7 jump
 * the clock 400 s). op bit 0: add the ISN of our last SYN-ACK to the
 * frame's ack field (the fuzzer cannot guess our keyed ISNs; seeds carry
 * offsets); op bit 1: run the timers 300 ms later; op bit 2: 2 s later.
 * Seeds: tests/fuzz/make_splice_seeds.py. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "backend/backend.h"
#include "conf/config.h"
#include <splicekit/raw_csum.h>
#include <splicekit/raw_io.h>
#include <splicekit/raw_pkt.h>
#include <splicekit/raw_rewrite.h>

#include "splice/splice_int.h"
#include "tx_check.h"
#include "modes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char conf[] =
	"workers 2\n"
	"service v4 {\n vip 10.0.100.1:443\n mode splice\n client-interface c0\n"
	" io packet\n backend 10.0.11.2:8443\n backend 10.0.12.2:8443\n"
	" max-flows 16\n source-nat 10.0.200.1\n}\n"
	"service v6 {\n vip [fd00:100::1]:443\n mode splice\n client-interface c0\n"
	" io packet\n backend [fd00:11::2]:8443\n max-flows 16\n"
	/* content pools: the first bytes go through the rules' reader (TLS
	 * or HTTP), a match to pool a's backend */
	" pool a {\n  backend [fd00:12::2]:8443\n }\n"
	" use-pool a if sni a.example\n use-pool a if path /a and cookie k=v\n}\n";

static uint32_t last_isn; /* of our last SYN-ACK */

static int check_tx(void *arg, int family, const uint8_t *pkt, size_t len)
{
	struct raw_pkt p = tx_check(family, pkt, len);

	(void)arg;
	if ((p.tcp_flags & (RAW_TCP_SYN | RAW_TCP_ACK)) == (RAW_TCP_SYN | RAW_TCP_ACK))
		last_isn = p.seq;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct disp_config *cfg;
	static const uint32_t flag_bits[3] = {
		RAW_FRAME_CSUM_PARTIAL, RAW_FRAME_CSUM_VALID, RAW_FRAME_CSUM_UNKNOWN,
	};
	static uint8_t frame[DISP_PKT_MAX];
	struct disp_pool *pool = NULL;
	struct disp_engine *e = NULL;
	uint64_t now = 1000;
	char err[256];

	if (!cfg && disp_config_parse(conf, sizeof(conf) - 1, "fuzz", &cfg, err,
				      sizeof(err)) < 0)
		abort();
	if (disp_pool_create(cfg, &pool) < 0 ||
	    disp_engine_create_detached(&e, cfg, pool, spliced_modes, err, sizeof(err)) < 0)
		abort();
	for (unsigned i = 0; i < e->nw; i++)
		e->w[i].tx_hook = check_tx;
	last_isn = 0;

	while (size >= 4) {
		uint8_t ctl = data[0], op = data[1];
		size_t len = (size_t)data[2] << 8 | data[3];
		struct disp_worker *w = &e->w[((ctl >> 6) & 1u) % e->nw];
		struct disp_frame fr = { .data = frame };
		struct raw_pkt p;

		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		memcpy(frame, data, len);
		fr.len = (uint32_t)len;
		fr.link = (uint8_t)(ctl & 3); /* 0: unreadable link type */
		for (int b = 0; b < 3; b++)
			if (ctl & (4u << b))
				fr.flags |= flag_bits[b];
		if (ctl & 0x20)
			fr.flags |= RAW_FRAME_BIG;
		/* Incremental update: a right checksum stays right. */
		if ((op & 1) && fr.link == RAW_LINK_IP &&
		    raw_parse_ip(&p, frame, len) == 0 && p.is_tcp)
			raw_rw_ack_add(&p, last_isn);
		tx_lied = fr.flags & RAW_FRAME_CSUM_VALID;
		if (ctl & 0x80)
			now += 400000;
		if (len)
			disp_engine_input(w, &fr, now++);
		if (op & 6) {
			now += (op & 4) ? 2000 : 300;
			for (unsigned i = 0; i < e->nw; i++) {
				disp_flow_expire(e->w[i].ft, now, 0);
				splice_timer(&e->w[i], now);
			}
		}
		data += len;
		size -= len;
	}
	disp_engine_destroy(e);
	disp_pool_free(pool);
	return 0;
}
