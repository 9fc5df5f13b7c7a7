/* One direction of a TCP stream, put back in order for offline decoding.
 *
 * splicectl inspect feeds every captured segment here and reads the
 * in-order bytes from buf. Segments may arrive out of order, overlap, or be
 * retransmitted: bytes before the next expected sequence number are dropped
 * (the first copy wins, like most receivers), bytes past it wait in a
 * bounded pending list. Both the in-order buffer and the pending list are
 * capped; past the cap the stream is marked truncated and stops growing,
 * because a handshake never needs that much and a capture must not make
 * the tool use unbounded memory.
 */
#ifndef SPLICECTL_REASM_H
#define SPLICECTL_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SC_REASM_MAX_BYTES (256u * 1024)  /* in-order bytes kept */
#define SC_REASM_MAX_PENDING 64            /* out-of-order segments held */
/* A segment further than this from the next expected byte, either way, is
 * not this connection's (TCP's largest window is 2^30, RFC 7323 §2.3): it
 * is dropped and counted, never held or taken for a retransmission. */
#define SC_REASM_WINDOW (1u << 30)

struct sc_pending;

struct sc_stream {
	bool started;      /* next_seq is known */
	bool truncated;    /* a cap was hit: later bytes are missing */
	bool gap;          /* the stream was given up at a hole */
	uint32_t next_seq; /* sequence number of the next in-order byte */
	uint8_t *buf;      /* in-order bytes [0, len); owned */
	size_t len;
	size_t cap;
	struct sc_pending *pending; /* sorted by seq; owned */
	unsigned n_pending;
	uint64_t dup_bytes; /* retransmitted/overlapping bytes dropped */
	bool had_data;      /* bytes were delivered since the start */
	unsigned restarts;  /* SYNs with a new ISN before any data */
	unsigned oow_segs;  /* segments dropped as far out of the window */
	uint64_t oow_bytes;
	uint32_t oow_first_seq; /* the first such segment's seq, and what */
	uint32_t oow_first_want; /* was expected then */
};

/* Adds one segment: seq is the segment's sequence number, syn/fin its
 * flags, data[0..len) its payload. A SYN fixes the start (seq + 1); a
 * stream first seen without a SYN starts at its first segment. A SYN with
 * another ISN before any data starts the stream again (a SYN-ACK repeated
 * with a new ISN: the earlier one was abandoned), dropping what was held.
 * Returns 0 or -ENOMEM. */
int sc_stream_add(struct sc_stream *s, uint32_t seq, bool syn,
		  const uint8_t *data, size_t len);

/* Marks the stream as ending at a hole (capture lost bytes): drops pending
 * segments and sets gap. */
void sc_stream_give_up(struct sc_stream *s);

/* Frees what the stream owns and zeroes it. */
void sc_stream_free(struct sc_stream *s);

#endif
