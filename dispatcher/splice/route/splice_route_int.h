/* Internals of the session router shared by splice_route*.c. */
#ifndef DISP_SPLICE_ROUTE_INT_H
#define DISP_SPLICE_ROUTE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "lard/lard.h"
#include "splice/route/splice_route.h"

#define KIND_SID 's'
#define KIND_TICKET 't'
#define BE_MAX 1024                       /* config.c's backend bound */
#define FLUSH_SLICE 1024                  /* entries removed per lock hold */

struct be_count {
	_Atomic uint64_t full, resumed;
};

struct sroute {
	pthread_mutex_t lock;
	struct mt_table *mt;        /* NULL: session-table off */
	struct tls_key_conf *keys;  /* NULL: session-table off */
	struct disp_bset *bs;
	uint16_t n;                 /* backends in bs */
	char name[64];
	struct be_count *be;        /* n entries */
	struct lard *lard;          /* `scheduler lard`, else NULL; under lock */
	_Atomic uint64_t *pool_conns; /* per content pool: connections sent */
	unsigned npools;
#define SROUTE_FIELD(name, doc) _Atomic uint64_t name;
	SROUTE_COUNTERS(SROUTE_FIELD) /* splice_route_counters.h */
#undef SROUTE_FIELD
};

/* splice_route_lard.c: r->lard for `scheduler lard`. 0 or -errno. */
int sroute_lard_init(struct sroute *r);

/* Relaxed: counters are read for display only, never to synchronise. */
#define SROUTE_INC(c) atomic_fetch_add_explicit(&(c), 1, memory_order_relaxed)
#define SROUTE_GET(c) atomic_load_explicit(&(c), memory_order_relaxed)

#endif
