/* splicectl inspect: TLS record and handshake framing for one direction.
 *
 * Policy: only plaintext is decoded. A direction stops at its first
 * ChangeCipherSpec or application_data record (everything after is
 * encrypted), at an alert, and at anything that is not a TLS record. The
 * one exception is TLS 1.3's HelloRetryRequest: the client's compatibility
 * CCS is then followed by a second, plaintext ClientHello, and the server's
 * by a real ServerHello, so both sides keep going.
 */
#include <errno.h>
#include <string.h>

#include "splicekit/cursor.h"
#include "splicekit/tls.h"
#include "inspect.h"

#define REC_HANDSHAKE 22
#define REC_CCS 20
#define REC_ALERT 21
#define REC_APPDATA 23
#define HS_CLIENT_HELLO 1
#define HS_SERVER_HELLO 2
#define HS_NEW_SESSION_TICKET 4

const char *sc_hs_type_name(uint8_t type)
{
	switch (type) {
	case 0: return "hello_request";
	case 1: return "client_hello";
	case 2: return "server_hello";
	case 4: return "new_session_ticket";
	case 5: return "end_of_early_data";
	case 8: return "encrypted_extensions";
	case 11: return "certificate";
	case 12: return "server_key_exchange";
	case 13: return "certificate_request";
	case 14: return "server_hello_done";
	case 15: return "certificate_verify";
	case 16: return "client_key_exchange";
	case 20: return "finished";
	case 22: return "certificate_status";
	case 24: return "key_update";
	case 254: return "message_hash";
	default: return NULL;
	}
}

struct ctx {
	struct sc_flow *fl;
	struct sc_walk *w;
	bool client;
	const uint8_t *p;
	size_t span;     /* first byte not yet given to the parser */
	uint64_t frame;
	struct sc_out *out;
};

static int ensure_parser(struct ctx *c)
{
	if (c->client && !c->fl->ch) {
		c->fl->ch = tls_ch_new(0);
		if (!c->fl->ch)
			return -ENOMEM;
	}
	if (!c->client && !c->fl->srv) {
		c->fl->srv = tls_srv_new(0);
		if (!c->fl->srv)
			return -ENOMEM;
	}
	return 0;
}

/* Hands p[span..upto) to the dispatcher's parser for this direction. */
static void flush(struct ctx *c, size_t upto)
{
	struct sc_walk *w = c->w;
	int r;

	if (upto <= c->span)
		return;
	if (!w->parser_done) {
		if (c->client)
			r = tls_ch_feed(c->fl->ch, c->p + c->span, upto - c->span);
		else
			r = tls_srv_feed(c->fl->srv, c->p + c->span, upto - c->span);
		if (r != TLS_MORE) {
			w->fresh = c->client && r == TLS_DONE;
			w->parser_done = true;
			w->parser_err = r < 0 ? r : 0;
			if (r < 0 && r != -EPROTONOSUPPORT) {
				char what[160];
				enum tls_reason why = c->client ? tls_ch_reason(c->fl->ch)
								: tls_srv_reason(c->fl->srv);

				snprintf(what, sizeof(what), "%s parser rejected the stream: %s",
					 c->client ? "client" : "server",
					 tls_reason_str(why));
				sc_out_note(c->out, c->frame, c->fl, what);
			}
		}
	}
	c->span = upto;
}

static void emit(struct ctx *c, uint8_t type)
{
	struct sc_flow *fl = c->fl;
	struct sc_msg m = {
		.frame = c->frame,
		.flow = fl,
		.from_client = c->client,
		.type = type,
	};
	struct tls_key keys[TLS_KEY_CANDIDATES];
	struct tls_key learn;

	if (c->client && type == HS_CLIENT_HELLO) {
		c->w->hellos++;
		/* The parser's result is that of the last hello it finished,
		 * which is not this one if it gave up or was never restarted
		 * (a second hello without a captured HRR). */
		m.ch = c->w->fresh ? tls_ch_result(fl->ch) : NULL;
		m.unparsed = !m.ch;
		c->w->fresh = false;
		if (m.ch) {
			int n = tls_key_derive(c->out->keyconf, m.ch, keys, TLS_KEY_CANDIDATES);

			m.keys = keys;
			m.n_keys = n > 0 ? n : 0;
			/* Lets the server parser tell a TLS 1.2 resumption from
			 * a new session, as the live path does. */
			if (!fl->srv)
				fl->srv = tls_srv_new(0);
			if (fl->srv)
				(void)tls_srv_set_offered(fl->srv, m.ch->session_id,
							  m.ch->session_id_len);
		}
	} else if (!c->client && (type == HS_SERVER_HELLO || type == HS_NEW_SESSION_TICKET)) {
		const struct tls_server_stream *s = tls_srv_result(fl->srv);

		if (type == HS_SERVER_HELLO) {
			m.hrr = s->seen_hrr && !s->seen_hello;
			if (s->seen_hello || m.hrr)
				m.srv = s;
			if (!m.hrr && tls_key_learn(s, &learn) == 1)
				m.learn = &learn;
		} else if (s->has_ticket) {
			m.srv = s;
		}
	}
	sc_out_msg(c->out, &m);
}

/* Decides what a complete record header means. Returns false to stop. */
static bool on_record(struct ctx *c, size_t hdr_end)
{
	struct sc_walk *w = c->w;
	struct raw_cur cur;
	const struct tls_server_stream *s;
	bool after_hrr;
	uint8_t type;
	uint16_t version, len;

	raw_cur_init(&cur, w->rec_hdr, sizeof(w->rec_hdr));
	(void)raw_cur_u8(&cur, &type);
	(void)raw_cur_u16(&cur, &version);
	(void)raw_cur_u16(&cur, &len);
	if (version >> 8 != 3 || len > TLS_RECORD_MAX ||
	    (type != REC_HANDSHAKE && type != REC_CCS && type != REC_ALERT &&
	     type != REC_APPDATA)) {
		w->stop_why = "not a TLS record";
		return false;
	}
	if (c->client && !c->fl->is_tls) {
		if (type != REC_HANDSHAKE) {
			w->stop_why = "not a TLS record";
			return false;
		}
		c->fl->is_tls = true;
	}
	w->rec_type = type;
	w->rec_left = len;
	w->skip_feed = false;
	s = c->fl->srv ? tls_srv_result(c->fl->srv) : NULL;
	after_hrr = s && s->seen_hrr && !s->seen_hello;
	switch (type) {
	case REC_HANDSHAKE:
		if (c->client && after_hrr && w->hellos == 1 && !w->ch2_reset) {
			/* The second ClientHello: the parser finished with the
			 * first one, so restart it on this record. Its header
			 * may have come in an earlier segment, so it is fed from
			 * the walker's copy. */
			flush(c, hdr_end);
			tls_ch_reset(c->fl->ch);
			w->parser_done = false;
			w->parser_err = 0;
			w->ch2_reset = true;
			(void)tls_ch_feed(c->fl->ch, w->rec_hdr, sizeof(w->rec_hdr));
		}
		return true;
	case REC_CCS:
		if (c->client && after_hrr && w->hellos == 1) {
			/* Compatibility CCS before the second ClientHello
			 * (RFC 8446 D.4): not part of the hello. */
			flush(c, hdr_end - (hdr_end < 5 ? hdr_end : 5));
			w->skip_feed = true;
			c->span = hdr_end;
			return true;
		}
		if (!c->client && after_hrr)
			return true; /* tls_srv knows this compatibility CCS */
		w->stop_why = "encrypted";
		return false;
	case REC_ALERT:
		w->stop_why = "alert";
		return false;
	default:
		w->stop_why = "encrypted";
		return false;
	}
}

/* Walks handshake bytes p[i..i+n) of the current record. */
static void on_handshake_bytes(struct ctx *c, size_t i, size_t n)
{
	struct sc_walk *w = c->w;
	size_t end = i + n;

	while (i < end) {
		if (w->hs_have < 4) {
			w->hs_hdr[w->hs_have++] = c->p[i++];
			if (w->hs_have < 4)
				continue;
			w->hs_left = (uint32_t)w->hs_hdr[1] << 16 |
				     (uint32_t)w->hs_hdr[2] << 8 | w->hs_hdr[3];
		} else {
			size_t take = end - i < w->hs_left ? end - i : w->hs_left;

			w->hs_left -= (uint32_t)take;
			i += take;
		}
		if (w->hs_have == 4 && w->hs_left == 0) {
			if (!w->skip_feed)
				flush(c, i);
			emit(c, w->hs_hdr[0]);
			w->hs_have = 0;
		}
	}
}

int sc_walk_feed(struct sc_flow *fl, bool from_client, const uint8_t *p,
		 size_t n, uint64_t frame, struct sc_out *out)
{
	struct sc_walk *w = from_client ? &fl->c2s.w : &fl->s2c.w;
	struct ctx c = {
		.fl = fl, .w = w, .client = from_client, .p = p,
		.frame = frame, .out = out,
	};
	size_t i = 0;
	int r = ensure_parser(&c);

	if (r < 0)
		return r;
	while (i < n && !w->stopped) {
		if (w->rec_have < 5) {
			w->rec_hdr[w->rec_have++] = p[i++];
			if (w->rec_have == 5 && !on_record(&c, i))
				w->stopped = true;
			else if (w->rec_have == 5 && w->rec_left == 0)
				w->rec_have = 0;
			continue;
		}
		size_t take = n - i < w->rec_left ? n - i : w->rec_left;

		if (w->rec_type == REC_HANDSHAKE)
			on_handshake_bytes(&c, i, take);
		i += take;
		w->rec_left -= (uint32_t)take;
		if (w->skip_feed)
			c.span = i;
		if (w->rec_left == 0) {
			w->rec_have = 0;
			w->skip_feed = false;
		}
	}
	if (!w->skip_feed)
		flush(&c, i);
	return 0;
}

const char *sc_walk_eof(const struct sc_walk *w)
{
	if (w->stopped)
		return NULL;
	if (w->rec_have > 0)
		return "capture ends inside a TLS record";
	if (w->hs_have > 0)
		return "capture ends inside a handshake message";
	return NULL;
}

void sc_dir_release(struct sc_flow *fl, bool client)
{
	/* Nothing more will be decoded in this direction: give the memory
	 * back so a long capture costs little per finished flow. */
	if (client) {
		sc_stream_free(&fl->c2s.st);
		tls_ch_free(fl->ch);
		fl->ch = NULL;
	} else {
		sc_stream_free(&fl->s2c.st);
		tls_srv_free(fl->srv);
		fl->srv = NULL;
	}
}

int sc_dir_segment(struct sc_flow *fl, bool from_client, uint32_t seq, bool syn,
		   const uint8_t *data, size_t len, uint64_t frame,
		   struct sc_out *out)
{
	struct sc_dir *dir = from_client ? &fl->c2s : &fl->s2c;
	int r;

	if (dir->w.stopped)
		return 0;
	r = sc_stream_add(&dir->st, seq, syn, data, len);
	if (r < 0)
		return r;
	if (dir->st.len > 0) {
		r = sc_walk_feed(fl, from_client, dir->st.buf, dir->st.len, frame, out);
		/* The walker keeps its own framing state, so the in-order bytes
		 * are consumed here and the buffer never grows past what one
		 * drain delivers. */
		dir->st.len = 0;
		if (r < 0)
			return r;
	}
	if (dir->st.restarts != dir->restarts_noted) {
		dir->restarts_noted = dir->st.restarts;
		sc_out_note(out, frame, fl, from_client
			    ? "client: SYN repeated with a new ISN before any data; reassembly restarted"
			    : "server: SYN-ACK repeated with a new ISN before any data; reassembly restarted");
	}
	if (dir->st.oow_segs > 0 && !dir->oow_noted) {
		char what[160];

		dir->oow_noted = true;
		snprintf(what, sizeof(what),
			 "%s: %llu bytes at seq %u dropped, far outside the window (next expected %u)",
			 from_client ? "client" : "server",
			 (unsigned long long)dir->st.oow_bytes, dir->st.oow_first_seq,
			 dir->st.oow_first_want);
		sc_out_note(out, frame, fl, what);
	}
	if (dir->st.truncated && !dir->w.stopped) {
		sc_out_note(out, frame, fl, from_client
			    ? "client: too many out-of-order segments; decoding stops"
			    : "server: too many out-of-order segments; decoding stops");
		dir->w.stopped = true;
	}
	if (dir->w.stopped)
		sc_dir_release(fl, from_client);
	return 0;
}
