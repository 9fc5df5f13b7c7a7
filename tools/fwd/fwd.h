/* skfwd: a minimal translating forwarder built on raw/ only. One VIP:port,
 * one backend, static; client->VIP packets get the backend as destination,
 * backend->client packets get the VIP back as source. */
#ifndef SKFWD_FWD_H
#define SKFWD_FWD_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <splicekit/raw_io.h>

enum fwd_tx { FWD_TX_IP, FWD_TX_PACKET };

#define FWD_THREADS_MAX 16

struct fwd_conf {
	const char *io;          /* raw_io backend name */
	const char *client_if;   /* dispatcher interface facing clients */
	const char *server_if;   /* dispatcher interface facing the backend */
	int family;              /* AF_INET or AF_INET6, from the VIP */
	uint8_t vip[16];
	uint16_t vport;
	uint8_t backend[16];
	uint16_t bport;
	enum fwd_tx tx;
	uint8_t server_mac[6];   /* FWD_TX_PACKET: the backend's MAC */
	enum raw_io_csum_policy csum;
	bool deliver_big;        /* split super-packets (default) or refuse */
	unsigned duration_s;     /* 0 = until SIGINT/SIGTERM */
	unsigned fanout_group;   /* 0 = no fanout */
	unsigned block_kb;       /* afpacket ring block size; 0 = default */
	unsigned threads;        /* workers sharing the load by fanout; 0 = 1 */
	bool verbose;
};

/* Why packets were not forwarded, counted per direction. */
enum fwd_drop {
	FWD_D_PARSE,     /* raw_parse rejected it */
	FWD_D_NOT_TCP,
	FWD_D_CSUM,      /* corrupt: checksum wrong and not a partial one */
	FWD_D_NO_MAC,    /* AF_PACKET TX, client MAC not yet learned */
	FWD_D_SEND,      /* the send itself failed */
	FWD_D_MAX
};

struct fwd_dir_stats {
	uint64_t forwarded;
	uint64_t csum_completed;
	uint64_t split;          /* super-packets cut into MTU-sized pieces */
	uint64_t drop[FWD_D_MAX];
};

/* Runs the forwarder until *stop is set or the duration ends; prints the
 * counters on stderr at the end. Returns 0 or -errno (message printed). */
int fwd_run(const struct fwd_conf *c, volatile sig_atomic_t *stop);

#endif
