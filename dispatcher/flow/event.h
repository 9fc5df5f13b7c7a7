/* Event API on top of the flow table (after mOS): modules do not re-parse
 * TCP; they subscribe to events that the flow layer raises.
 *
 * Built-in events are raised by disp_flow_track on TCP state changes;
 * custom events are predicates over (flow, packet) that a module
 * registers, evaluated for every packet of a tracked flow. A handler is
 * delivered inline (called before the packet is forwarded, so it may
 * decide the packet's fate) or batched (queued, and handed over as an
 * array by disp_ev_flush, typically once per receive burst: cheaper for
 * statistics and logging).
 *
 * A bus belongs to one worker, like the flow table: no locks. Handlers
 * and predicates run on that worker's thread.
 */
#ifndef SPLICEKIT_EVENT_H
#define SPLICEKIT_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "flow/flow.h"

/* Built-in events, as bits of a 64-bit mask. Custom events take bits from
 * DISP_EV_CUSTOM_FIRST up. */
enum {
	DISP_EV_SYN = 1u << 0,         /* client SYN (flow created) */
	DISP_EV_SYNACK = 1u << 1,      /* server SYN-ACK */
	DISP_EV_ESTABLISHED = 1u << 2, /* three-way handshake complete */
	DISP_EV_DATA = 1u << 3,        /* segment with new payload */
	DISP_EV_RETRANSMIT = 1u << 4,  /* payload at or below seq already seen */
	DISP_EV_FIN = 1u << 5,         /* FIN from either side */
	DISP_EV_RST = 1u << 6,         /* RST from either side */
	DISP_EV_CLOSED = 1u << 7,      /* flow left the table (any reason) */
	DISP_EV_TIMEOUT = 1u << 8,     /* flow expired (with CLOSED) */
	DISP_EV_REFUSED = 1u << 9,     /* new flow refused: table full */
};
#define DISP_EV_BUILTIN_MASK 0x3ffull
#define DISP_EV_CUSTOM_FIRST 16
#define DISP_EV_CUSTOM_MAX 16 /* custom events per bus */

/* What the flow layer knows about the packet an event came from. Payload
 * points into the received frame and is valid only during inline delivery
 * (it is NULL in batched delivery and for timer events). */
struct disp_pkt_meta {
	uint32_t seq;
	uint32_t ack;
	uint32_t payload_len;
	uint8_t tcp_flags;     /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 */
	uint8_t dir;           /* enum disp_flow_dir */
	const uint8_t *payload;
};

/* TCP flag bits as on the wire. */
enum {
	DISP_TCP_FIN = 0x01, DISP_TCP_SYN = 0x02, DISP_TCP_RST = 0x04,
	DISP_TCP_PSH = 0x08, DISP_TCP_ACK = 0x10,
};

/* One delivered event. In batched delivery flow may already be freed;
 * use the copies (key, state) and treat flow as an identity only. */
struct disp_event {
	uint64_t ev;                 /* exactly one bit */
	struct disp_flow *flow;      /* NULL for REFUSED */
	struct disp_flow_key key;    /* the flow's client key */
	uint8_t state;               /* flow state when raised */
	struct disp_pkt_meta pkt;    /* zero for timer events */
};

/* Delivery modes. */
enum disp_ev_mode {
	DISP_EV_INLINE = 0,
	DISP_EV_BATCH = 1,
};

struct disp_ev_bus;

/* Inline handler: called once per event it subscribed to. */
typedef void (*disp_ev_inline_fn)(const struct disp_event *e, void *arg);
/* Batched handler: called by disp_ev_flush with the queued events (in the
 * order raised) that match its mask. */
typedef void (*disp_ev_batch_fn)(const struct disp_event *ev, unsigned n,
				 void *arg);
/* Custom event predicate: true when the event should fire for this packet. */
typedef bool (*disp_ev_pred_fn)(const struct disp_flow *f,
				const struct disp_pkt_meta *p, void *arg);

/* Creates a bus whose batch queue holds batch_cap events (a full queue is
 * flushed before the next event is queued, so nothing is lost). Returns 0
 * and *out (free with disp_ev_bus_destroy), -EINVAL, -ENOMEM. */
int disp_ev_bus_create(struct disp_ev_bus **out, unsigned batch_cap);

/* Frees the bus (queued events are flushed first). NULL is accepted. */
void disp_ev_bus_destroy(struct disp_ev_bus *b);

/* Registers a custom event whose predicate is evaluated on every tracked
 * packet. Returns its event bit (>= 1 << DISP_EV_CUSTOM_FIRST) as a
 * positive value in *ev, 0 on success, -ENOSPC when all custom slots are
 * taken, -EINVAL for a NULL predicate. */
int disp_ev_register(struct disp_ev_bus *b, disp_ev_pred_fn pred, void *arg,
		     uint64_t *ev);

/* Subscribes an inline handler to the events in mask. Returns 0, -EINVAL,
 * -ENOSPC (too many subscribers). */
int disp_ev_subscribe(struct disp_ev_bus *b, uint64_t mask,
		      disp_ev_inline_fn fn, void *arg);

/* Subscribes a batched handler to the events in mask. Same returns. */
int disp_ev_subscribe_batch(struct disp_ev_bus *b, uint64_t mask,
			    disp_ev_batch_fn fn, void *arg);

/* Returns true when some subscriber wants any event in mask (lets the
 * fast path skip work nobody listens to). */
bool disp_ev_wanted(const struct disp_ev_bus *b, uint64_t mask);

/* Raises the events in mask for flow f (may be NULL for REFUSED) and
 * packet p (NULL for timer events), then evaluates the custom predicates
 * when p is given. Inline handlers run now; batched ones are queued. */
void disp_ev_raise(struct disp_ev_bus *b, struct disp_flow *f,
		   const struct disp_flow_key *key,
		   const struct disp_pkt_meta *p, uint64_t mask);

/* Delivers queued events to the batched handlers and empties the queue.
 * Returns the number of events delivered. */
unsigned disp_ev_flush(struct disp_ev_bus *b);

/* Returns how many batched events were lost because a batched handler
 * raised more events than the queue holds while it was being flushed. */
uint64_t disp_ev_overflow(const struct disp_ev_bus *b);

/* Returns the name of a built-in event bit ("syn", ...) or "custom". */
const char *disp_ev_name(uint64_t ev);

/* Updates f's TCP tracking and state for a packet travelling in p->dir at
 * now_ms and returns the built-in events that packet causes (a mask for
 * disp_ev_raise). The flow table is needed for the state's timeout list. */
uint64_t disp_flow_track(struct disp_flow_table *t, struct disp_flow *f,
			 const struct disp_pkt_meta *p, uint64_t now_ms);

#endif
