/* Keyed ISNs for splice mode's SYN-ACKs, and the secret they use.
 *
 * Why a keyed hash and a slot: the ISN must be unpredictable to anyone
 * without the secret (RFC 6528), and every worker, and a second spliced
 * sharing the secret, must compute the same ISN for a retransmitted SYN
 * without sharing state. The slot bounds how long one ISN stays in use. */
#include "splice/syn/splice_syn_int.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "util/siphash.h"

static uint64_t le64(const uint8_t *p)
{
	uint64_t x = 0;

	for (int i = 7; i >= 0; i--)
		x = x << 8 | p[i];
	return x;
}

static int load_key(uint64_t k[2], const uint8_t *key)
{
	uint8_t rnd[16];

	if (!key) {
		/* 16 bytes never block once the pool is initialised; a short
		 * read is treated as failure, never as a weak key. */
		ssize_t n = getrandom(rnd, sizeof rnd, 0);

		if (n == -1)
			return -errno;
		if (n != (ssize_t)sizeof rnd)
			return -EIO;
		key = rnd;
	}
	k[0] = le64(key);
	k[1] = le64(key + 8);
	memset(rnd, 0, sizeof rnd);
	return 0;
}

int ssyn_secret_init(struct ssyn_secret *s, const uint8_t *key, uint64_t now_s)
{
	int rc;

	memset(s, 0, sizeof *s);
	rc = load_key(s->cur, key);
	if (rc < 0)
		return rc;
	s->rot_slot = ssyn_slot(now_s);
	return 0;
}

int ssyn_secret_rotate(struct ssyn_secret *s, const uint8_t *key,
		       uint64_t now_s)
{
	uint64_t k[2];
	int rc = load_key(k, key);

	if (rc < 0)
		return rc;
	s->prev[0] = s->cur[0];
	s->prev[1] = s->cur[1];
	s->cur[0] = k[0];
	s->cur[1] = k[1];
	s->has_prev = true;
	s->rot_slot = ssyn_slot(now_s);
	return 0;
}

uint64_t ssyn_mac(const uint64_t k[2], const struct ssyn_tuple *t,
		  unsigned domain, uint64_t slot, uint32_t client_isn,
		  uint16_t extra)
{
	uint8_t m[SSYN_MSG_LEN];
	uint8_t *p = m;

	memcpy(p, t->caddr, 16);
	p += 16;
	memcpy(p, t->vaddr, 16);
	p += 16;
	*p++ = (uint8_t)(t->cport >> 8);
	*p++ = (uint8_t)t->cport;
	*p++ = (uint8_t)(t->vport >> 8);
	*p++ = (uint8_t)t->vport;
	*p++ = t->family;
	*p++ = (uint8_t)domain;
	*p++ = (uint8_t)(extra >> 8);
	*p++ = (uint8_t)extra;
	for (int i = 7; i >= 0; i--)
		*p++ = (uint8_t)(slot >> (8 * i));
	for (int i = 3; i >= 0; i--)
		*p++ = (uint8_t)(client_isn >> (8 * i));
	return disp_siphash(k, m, sizeof m);
}

uint32_t ssyn_isn(const struct ssyn_secret *s, const struct ssyn_tuple *t,
		  uint64_t now_s)
{
	/* The client ISN is left out on purpose: a SYN retransmitted with
	 * a new ISN (a new connection attempt on the same port) still gets
	 * a fresh value in the next slot, and the table path keys on the
	 * tuple anyway. */
	return (uint32_t)ssyn_mac(s->cur, t, SSYN_DOM_ISN, ssyn_slot(now_s), 0, 0);
}

int ssyn_tuple_from_pkt(const struct raw_pkt *p, struct ssyn_tuple *t)
{
	if (!p->is_tcp)
		return -EINVAL;
	memset(t, 0, sizeof *t);
	t->family = p->family;
	memcpy(t->caddr, p->saddr, 16);
	memcpy(t->vaddr, p->daddr, 16);
	if (p->family == AF_INET) {
		/* raw_pkt promises zeros past 4 bytes; make it true here too
		 * so the MAC never sees stale bytes. */
		memset(t->caddr + 4, 0, 12);
		memset(t->vaddr + 4, 0, 12);
	}
	t->cport = p->sport;
	t->vport = p->dport;
	return 0;
}

void ssyn_opts_from_tcpopts(const struct raw_tcpopts *in, struct ssyn_opts *o)
{
	memset(o, 0, sizeof *o);
	o->wscale = -1;
	if (in->present & RAW_TCPOPT_F_MSS)
		o->mss = in->mss;
	if (in->present & RAW_TCPOPT_F_WSCALE)
		o->wscale = (int8_t)(in->wscale > 14 ? 14 : in->wscale);
	o->sack_perm = (in->present & RAW_TCPOPT_F_SACK_PERM) != 0;
	if (in->present & RAW_TCPOPT_F_TS) {
		o->ts = true;
		o->tsval = in->tsval;
	}
}
