/* libFuzzer harness: arbitrary bytes as the client's packet to splice
 * mode's handshake (SYN cookies and the half-open table).
 *
 * Input: [ctl][xseq][xack][xport] then an IP packet (no link header).
 *   ctl bit 0   0: the packet is the client's ACK, checked as it is;
 *               1: the packet is the client's SYN: we answer it with a
 *                  cookie and check the ACK the client would send, with
 *                  seq, ack and client port XORed by xseq, xack << 9|xack
 *                  and xport (all zero: the honest ACK).
 *   bits 1-2    check this many slots after the cookie was made
 *   bit 3       rotate the secret in between; bit 4: rotate twice
 * What must hold: no crash or sanitizer report; every accepted cookie is
 * exactly what ssyn_cookie_make() gives for the recovered options under
 * a key and slot the secret still honours (so nothing is accepted that we
 * did not, or could not have, made); the honest ACK within its lifetime is
 * always accepted and brings back what the SYN offered; the half-open
 * table only ever returns the entry of the tuple asked for. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <splicekit/raw_pkt.h>
#include <splicekit/raw_tcpopt.h>
#include "splice/syn/splice_syn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t keys[3][16] = {
	"fuzz-key-one....", "fuzz-key-two....", "fuzz-key-three..",
};

#define T0 (1000u * SSYN_SLOT_SECS + 17u)

/* True when some key still honoured at now (current, or the previous one
 * within a slot of the rotation) made this cookie in this slot or the one
 * before. */
static bool made_by_us(const struct ssyn_secret *s, int nkeys,
		       const struct ssyn_tuple *t, uint32_t seq, uint32_t ack,
		       uint64_t now, const struct ssyn_opts *r)
{
	for (int k = nkeys - 1; k >= 0 && k >= nkeys - 2; k--) {
		struct ssyn_secret x;

		if (k == nkeys - 2 && !(s->has_prev && ssyn_slot(now) <= s->rot_slot + 1))
			continue;
		if (ssyn_secret_init(&x, keys[k], 0))
			abort();
		for (uint64_t d = 0; d < 2 && d * SSYN_SLOT_SECS <= now; d++)
			if (ssyn_cookie_make(&x, t, seq - 1, r, now - d * SSYN_SLOT_SECS) == ack - 1)
				return true;
	}
	return false;
}

static void table(const struct raw_pkt *p, const struct ssyn_tuple *t,
		  const struct ssyn_tuple *ask)
{
	struct ssyn_ho *h = ssyn_ho_new(2, 1000);
	struct ssyn_ho_entry e = { .t = *t, .client_isn = p->seq, .isn = p->ack };
	const struct ssyn_ho_entry *out = NULL;
	int rc;

	if (!h)
		abort();
	rc = ssyn_ho_insert(h, &e, 5, &out);
	if (rc != 0 || !out || memcmp(&out->t, t, sizeof *t))
		abort();
	if (ssyn_ho_insert(h, &e, 6, &out) != -EEXIST || out->client_isn != p->seq)
		abort();
	out = ssyn_ho_lookup(h, ask, 7);
	if (out && memcmp(&out->t, ask, sizeof *ask))
		abort();
	if ((out != NULL) != !memcmp(t, ask, sizeof *t))
		abort();
	if (ssyn_ho_lookup(h, t, 5 + 1000))
		abort();         /* expired */
	ssyn_ho_free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[2048];
	struct raw_pkt p;
	struct raw_tcpopts to;
	struct ssyn_secret s;
	struct ssyn_tuple t, ask;
	struct ssyn_opts o, r;
	uint8_t ctl, xseq, xack, xport;
	uint32_t seq, ack, cookie = 0;
	uint64_t now;
	int nkeys = 1, rc;

	if (size < 4 || size - 4 > sizeof buf)
		return 0;
	ctl = data[0];
	xseq = data[1];
	xack = data[2];
	xport = data[3];
	memcpy(buf, data + 4, size - 4);
	if (raw_parse_ip(&p, buf, size - 4) != 0 || !p.is_tcp)
		return 0;
	if (ssyn_tuple_from_pkt(&p, &t) != 0)
		abort();
	if (ssyn_secret_init(&s, keys[0], 0))
		abort();
	ask = t;
	seq = p.seq;
	ack = p.ack;
	if (ctl & 1) {
		if (raw_pkt_tcpopts(&p, &to) != 0)
			return 0;
		ssyn_opts_from_tcpopts(&to, &o);
		cookie = ssyn_cookie_make(&s, &t, p.seq, &o, T0);
		seq = p.seq + 1;
		ack = cookie + 1;
		seq ^= xseq;
		ack ^= (uint32_t)xack << 9 | xack;
		ask.cport ^= xport;
	}
	now = T0 + ((ctl >> 1) & 3u) * SSYN_SLOT_SECS;
	if (ctl & 8) {
		if (ssyn_secret_rotate(&s, keys[1], T0 + 1))
			abort();
		nkeys = 2;
		if (ctl & 16) {
			if (ssyn_secret_rotate(&s, keys[2], T0 + 2))
				abort();
			nkeys = 3;
		}
	}
	rc = ssyn_cookie_check(&s, &ask, seq, ack, now, &r);
	if (rc != 0 && rc != -EACCES)
		abort();
	if (rc == 0) {
		if (r.mss == 0 || r.wscale > 14 || r.wscale < -1 || r.tsval != 0)
			abort();
		if (!made_by_us(&s, nkeys, &ask, seq, ack, now, &r))
			abort();
	}
	if ((ctl & 1) && !xseq && !xack && !xport && ((ctl >> 1) & 3u) <= 1 &&
	    nkeys < 3) {
		/* The honest ACK in its lifetime. */
		if (rc != 0)
			abort();
		if (r.wscale != o.wscale || r.sack_perm != o.sack_perm || r.ts != o.ts)
			abort();
		if (o.mss >= 536 && r.mss > o.mss)
			abort();
	}
	table(&p, &t, &ask);
	return 0;
}
