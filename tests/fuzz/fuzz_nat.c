/* libFuzzer harness for the nat input path: a sequence of frames, each
 * with a control byte choosing link type, the checksum flags raw-io would
 * set, the worker and a clock jump, goes through disp_nat_input on a
 * detached engine (two workers, an IPv4 source-NAT service and an IPv6
 * transparent one, 4 flows each worker so the table fills). What must
 * hold: no crash, no sanitizer report, and every packet sent parses as
 * TCP, fits the MTU, and carries right checksums unless the input lied
 * that its checksum was already verified.
 *
 * Input: records of [ctl][len hi][len lo][len bytes]; ctl bits 0-1 link
 * (Ethernet, SLL, IP), bits 2-4 RAW_FRAME_CSUM_PARTIAL/VALID/UNKNOWN, bit 5
 * RAW_FRAME_BIG, bit 6 worker 1, bit 7 jump the clock 400 s (expiry). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "backend/backend.h"
#include "conf/config.h"
#include <splicekit/raw_csum.h>
#include <splicekit/raw_io.h>
#include <splicekit/raw_pkt.h>

#include "engine/worker.h"
#include "tx_check.h"
#include "modes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char conf[] =
	"workers 2\n"
	"service v4 {\n vip 10.0.100.1:80\n client-interface c0\n io packet\n"
	" backend 10.0.11.2:8080\n backend 10.0.12.2:80\n max-flows 8\n"
	" source-nat 10.0.200.1\n}\n"
	"service v6 {\n vip [fd00:100::1]:443\n client-interface c0\n io packet\n"
	" backend [fd00:11::2]:443\n max-flows 8\n}\n";

static int check_tx(void *arg, int family, const uint8_t *pkt, size_t len)
{
	(void)arg;
	(void)tx_check(family, pkt, len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct disp_config *cfg;
	static const uint32_t flag_bits[3] = {
		RAW_FRAME_CSUM_PARTIAL, RAW_FRAME_CSUM_VALID, RAW_FRAME_CSUM_UNKNOWN,
	};
	struct disp_pool *pool = NULL;
	struct disp_engine *e = NULL;
	uint64_t now = 1;
	char err[256];

	if (!cfg && disp_config_parse(conf, sizeof(conf) - 1, "fuzz", &cfg, err,
				      sizeof(err)) < 0)
		abort();
	if (disp_pool_create(cfg, &pool) < 0 ||
	    disp_engine_create_detached(&e, cfg, pool, spliced_modes, err, sizeof(err)) < 0)
		abort();
	for (unsigned i = 0; i < e->nw; i++)
		e->w[i].tx_hook = check_tx;

	while (size >= 3) {
		uint8_t ctl = data[0];
		size_t len = (size_t)data[1] << 8 | data[2];
		struct disp_frame fr;

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		fr.data = data;
		fr.len = (uint32_t)len;
		fr.link = (uint8_t)(ctl & 3); /* 0: unreadable link type */
		fr.flags = 0;
		for (int b = 0; b < 3; b++)
			if (ctl & (4u << b))
				fr.flags |= flag_bits[b];
		if (ctl & 0x20)
			fr.flags |= RAW_FRAME_BIG;
		tx_lied = fr.flags & RAW_FRAME_CSUM_VALID;
		if (ctl & 0x80)
			now += 400000;
		disp_engine_input(&e->w[((ctl >> 6) & 1u) % e->nw], &fr, now++);
		disp_flow_expire(e->w[0].ft, now, 0);
		if (e->nw > 1)
			disp_flow_expire(e->w[1].ft, now, 0);
		data += len;
		size -= len;
	}
	disp_engine_destroy(e);
	disp_pool_free(pool);
	return 0;
}
