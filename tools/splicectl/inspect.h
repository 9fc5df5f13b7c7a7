/* splicectl inspect internals: flows, the per-direction handshake walker,
 * and output. Private to tools/splicectl/inspect*.c. */
#ifndef SPLICECTL_INSPECT_H
#define SPLICECTL_INSPECT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "splicekit/tls.h"
#include "reasm.h"

/* One direction of a flow, from record bytes to handshake messages.
 *
 * The walker frames TLS records and handshake messages itself, so it can
 * list every plaintext message (Certificate, ServerHelloDone ...), and
 * hands the same bytes to the dispatcher's own parsers (tls_ch / tls_srv)
 * for the fields, so inspect decodes exactly what the live path would. */
struct sc_walk {
	uint8_t rec_hdr[5];
	unsigned rec_have;  /* header bytes collected */
	uint32_t rec_left;  /* payload bytes left in the current record */
	uint8_t rec_type;
	uint8_t hs_hdr[4];
	unsigned hs_have;
	uint32_t hs_left;   /* body bytes left in the current message */
	bool stopped;       /* encrypted, alert, or not TLS: nothing more */
	const char *stop_why;
	unsigned hellos;    /* ClientHellos seen (2 after an HRR) */
	bool skip_feed;     /* current record is hidden from the parser */
	bool ch2_reset;     /* parser restarted for the post-HRR hello */
	bool parser_done;   /* tls_ch/tls_srv returned DONE or an error */
	bool fresh;         /* tls_ch finished a hello not yet printed: only
			       then does its result belong to the message */
	int parser_err;     /* its error, 0 if none */
};

struct sc_dir {
	struct sc_stream st;
	struct sc_walk w;
	bool fin;
	unsigned restarts_noted; /* st.restarts already reported */
	bool oow_noted;          /* the first out-of-window drop reported */
};

struct sc_flow {
	struct sc_flow *next;    /* hash chain */
	struct sc_flow *all_next; /* every flow of the capture, newest first */
	unsigned index;          /* order of first packet, from 0 (tshark's
				    tcp.stream) */
	uint8_t family;
	uint8_t caddr[16], saddr[16]; /* client / server as on the wire */
	uint16_t cport, sport;
	bool is_tls;             /* a record header from the client parsed */
	bool finished;           /* end-of-flow checks done, memory released */
	bool syn_seen;           /* the client's SYN was captured: c_isn valid */
	bool had_data;           /* some payload was seen in either direction */
	uint32_t c_isn;          /* the client's initial sequence number */
	struct sc_dir c2s, s2c;
	struct tls_ch *ch;
	struct tls_srv *srv;
};

struct sc_note;

/* Output sink: text lines or one JSON document. */
struct sc_out {
	FILE *f;
	bool json;
	const struct tls_key_conf *keyconf; /* prefixes/SNI for routing keys */
	unsigned n_msgs;
	struct sc_note *notes;   /* JSON notes, printed at the end; owned */
	unsigned n_notes;
	unsigned dropped_notes;
};

/* One handshake message, as handed to the output. */
struct sc_msg {
	uint64_t frame;          /* capture frame that completed it (1-based) */
	const struct sc_flow *flow;
	bool from_client;
	uint8_t type;
	bool hrr;                /* a ServerHello that is a HelloRetryRequest */
	const struct tls_client_hello *ch;     /* set for a parsed ClientHello */
	bool unparsed;           /* a ClientHello the parser did not read */
	const struct tls_server_stream *srv;   /* set for ServerHello/NST */
	const struct tls_key *keys;            /* routing keys of ch */
	int n_keys;
	const struct tls_key *learn;           /* key a table learns from srv */
};

/* Feeds in-order stream bytes of one direction; prints each complete
 * handshake message. frame is the capture frame being processed.
 * Returns 0, or a negative errno on allocation failure. */
int sc_walk_feed(struct sc_flow *fl, bool from_client, const uint8_t *p,
		 size_t n, uint64_t frame, struct sc_out *out);

/* Adds one TCP segment of a flow (sequence number, SYN flag, payload):
 * reassembles, walks and prints what completes. Frees the direction's
 * memory once it stops. Returns 0 or -ENOMEM. */
int sc_dir_segment(struct sc_flow *fl, bool from_client, uint32_t seq, bool syn,
		   const uint8_t *data, size_t len, uint64_t frame,
		   struct sc_out *out);

/* Frees one direction's reassembly buffer and parser (idempotent). */
void sc_dir_release(struct sc_flow *fl, bool client);

/* Returns why a direction is incomplete at the end of the capture, or NULL
 * if it ended cleanly (between messages, or stopped on purpose). */
const char *sc_walk_eof(const struct sc_walk *w);

/* Output. */
void sc_out_begin(struct sc_out *o, const char *file);
void sc_out_msg(struct sc_out *o, const struct sc_msg *m);
/* A problem with one flow or frame (flow may be NULL). */
void sc_out_note(struct sc_out *o, uint64_t frame, const struct sc_flow *flow,
		 const char *what);
void sc_out_end(struct sc_out *o, uint64_t frames, unsigned flows,
		unsigned tls_flows, uint64_t skipped, const char *error);

/* Formats "addr:port" (IPv6 in brackets) into buf. */
void sc_fmt_endpoint(char *buf, size_t len, uint8_t family,
		     const uint8_t *addr, uint16_t port);

/* Returns the RFC 8446/5246 name of a handshake type ("certificate"), or
 * NULL if unknown. */
const char *sc_hs_type_name(uint8_t type);

#endif
