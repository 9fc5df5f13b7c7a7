/* spliced configuration: the parsed form of a config file.
 *
 * Contract between the control branch (which parses it) and the engine
 * (which reads it). The structs are plain data, owned by the struct
 * disp_config that holds them, and read-only once disp_config_load returns:
 * every thread may read them without locks. Extend by appending fields;
 * never rename or reorder.
 *
 * The text format is documented in tools/examples/nat.conf.
 */
#ifndef SPLICEKIT_CONFIG_H
#define SPLICEKIT_CONFIG_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rules/rule.h"
#include "util/addr.h"

/* An IPv4 or IPv6 address with a port. port is in host byte order (0 when
 * the config did not give one); addresses are in network order, as the
 * packet layer compares them. */
enum disp_mode {
	DISP_MODE_NAT,    /* pick the server on the SYN, rewrite addresses */
	DISP_MODE_SPLICE, /* answer the handshake, route on the ClientHello */
};

enum disp_io {
	DISP_IO_PCAP,   /* libpcap */
	DISP_IO_PACKET, /* AF_PACKET ring */
};

/* `fastpath auto|tc|off`: whether the service's established flows are
 * forwarded by the kernel (dispatcher/fastpath). auto falls back to user
 * space, logging why; tc refuses to start without it. */
enum disp_fastpath {
	DISP_FASTPATH_OFF,  /* default until the engine offloads flows */
	DISP_FASTPATH_AUTO,
	DISP_FASTPATH_TC,
};

/* Where the fast path pins its maps unless `fastpath-dir` says. */
#define DISP_FP_DIR_DEFAULT "/sys/fs/bpf/spliced"

enum disp_sched_kind {
	DISP_SCHED_RR,          /* weighted round-robin */
	DISP_SCHED_WLC,         /* weighted least-connections */
	DISP_SCHED_SOURCE_HASH, /* consistent hash of the client address */
	DISP_SCHED_LARD,        /* splice: LARD/R on the HTTP path (lard.h);
				 * connections without one: wlc */
};

struct disp_backend_conf {
	struct disp_addr addr; /* port always set */
	unsigned weight;       /* 1..256; 0 is rejected by the parser */
	unsigned line;         /* config line, for messages */
	/* splice mode, TLS 1.3 and ticket routing by prefix (optional):
	 * `ticket-key-file PATH` gives the key_name of the backend's ticket
	 * key (nginx ssl_session_ticket_key), `session-id-prefix HEX` the
	 * prefix of the session IDs it generates. */
	bool has_ticket_name;
	uint8_t ticket_name[16];
	uint8_t sid_prefix_len;      /* 0: none */
	uint8_t sid_prefix[32];
	/* splice mode, content pools: 0 when the line is outside every
	 * `pool NAME {` block, else 1 + the index of its pool in pools[]. */
	unsigned pool;
};

/* A content pool: `pool NAME {` ... `}` around backend lines (splice mode).
 * Rules (`use-pool NAME if FIELD VALUE ...`) choose a pool on the client's
 * first bytes; the TLS session routing then stays inside it. */
struct disp_pool_conf {
	char name[64];
	unsigned line;   /* of the `pool` keyword */
};

/* Active health checks (TCP connect, optionally a TLS handshake). A backend
 * goes DOWN after `fall` failed probes in a row and UP after `rise` good
 * ones; while DOWN the probe interval doubles up to backoff_max_ms. */
struct disp_health_conf {
	bool enabled;
	bool tls;              /* complete a TLS handshake, not just connect */
	unsigned interval_ms;  /* probe period while UP */
	unsigned timeout_ms;   /* per probe */
	unsigned fall;         /* failures in a row before DOWN */
	unsigned rise;         /* successes in a row before UP again */
	unsigned backoff_max_ms; /* cap on the doubled interval while DOWN */
	uint16_t port;         /* probe this port instead of the backend's; 0 = same */
	char sni[256];         /* TLS server name; empty = none */
};

/* Per-state flow timeouts, in milliseconds. */
struct disp_timeouts {
	unsigned syn_ms;         /* SYN seen, handshake not complete */
	unsigned established_ms; /* idle established flow */
	unsigned fin_ms;         /* after the first FIN or an RST */
	unsigned hello_ms;       /* splice: longest wait for a whole
				  * ClientHello before balancing on what is
				  * known (`timeout hello`, default 1s) */
};

struct disp_service_conf {
	char name[64];
	unsigned line;              /* line of the `service` keyword */
	struct disp_addr vip;       /* port always set */
	enum disp_mode mode;
	enum disp_io io;
	enum disp_fastpath fastpath; /* `fastpath auto|tc|off` (off) */
	char client_if[IF_NAMESIZE]; /* interface facing clients */
	char server_if[IF_NAMESIZE]; /* interface facing backends */
	enum disp_sched_kind sched;
	struct disp_timeouts timeouts;
	unsigned session_lifetime_s; /* mapping-table entry lifetime (splice) */
	unsigned max_flows;          /* flow-table bound for this service */
	/* Source NAT: with transparent, backends see client addresses (their
	 * route back must go through spliced); otherwise snat_addr replaces
	 * the client's address on the server leg (port 0). */
	bool transparent;
	struct disp_addr snat_addr;
	struct disp_health_conf health;
	/* Passive health: a backend the data path sees refuse or stay silent
	 * is DOWN for passive_hold_ms (`passive-health on|off`, default on;
	 * `passive-hold SECONDS`, default 10). */
	bool passive_health;
	unsigned passive_hold_ms;
	struct disp_backend_conf *backends; /* n_backends >= 1 */
	size_t n_backends;
	/* splice mode: TLS session routing. */
	bool session_table;          /* `session-table on|off` (default on) */
	unsigned session_table_size; /* `session-table-size N` (65536) */
	unsigned load_guard_pct;     /* `load-guard PCT [min N]|off`; 0 off,
				      * default 150 (maptable.h) */
	unsigned load_guard_min;     /* default 4 */
	/* splice mode, content pools. Pool numbers: 0 is the backends outside
	 * every pool block, i + 1 is pools[i]. Without pool blocks there is
	 * one pool, 0, of every backend, and no rule. */
	struct disp_pool_conf *pools;
	size_t n_pools;
	unsigned default_pool;       /* `default-pool NAME`; 0 if not given */
	struct rule_set rules;       /* `use-pool` lines in order; rule.pool
				      * is a pool number as above */
};

struct disp_config {
	char path[4096];        /* file it came from */
	char ctl_path[108];     /* control socket (sun_path size) */
	mode_t ctl_mode;        /* default 0600 */
	char user[64];          /* drop to this user after setup; empty = stay */
	char state_path[4096];  /* `state-file PATH`: admin states and weights
				 * kept across restarts; empty = none */
	char fp_dir[256];       /* `fastpath-dir PATH`: where the fast path's
				 * maps are pinned (a bpffs directory); empty
				 * = DISP_FP_DIR_DEFAULT */
	unsigned workers;       /* packet worker threads, >= 1 */
	struct disp_service_conf *services; /* n_services >= 1 */
	size_t n_services;
	/* splice mode: the master secret of SYN-ACK ISNs and cookies, from
	 * `isn-secret-file PATH` (SHA-256 of the file, first 16 bytes), so
	 * several spliced instances behind one VIP accept each other's
	 * cookies; without it each process draws its own. */
	bool has_isn_secret;
	uint8_t isn_secret[16];
};

/* Reads and validates the config file at path. On success returns 0 and
 * *out, which the caller frees with disp_config_free. On failure returns a
 * negative errno (-EINVAL for a bad config, or the error opening the file)
 * and writes one line "FILE:LINE: what was wrong, what was expected" into
 * err (always NUL-terminated when errlen > 0). */
int disp_config_load(const char *path, struct disp_config **out, char *err,
		     size_t errlen);

/* As disp_config_load, over len bytes of text in memory; name is used in
 * messages (and stored as the path). The text need not be NUL-terminated. */
int disp_config_parse(const char *text, size_t len, const char *name,
		      struct disp_config **out, char *err, size_t errlen);

/* Frees a config and everything it holds. NULL is a no-op. */
void disp_config_free(struct disp_config *cfg);


/* Returns the config keyword for a value ("nat", "wlc", ...). */
const char *disp_mode_name(enum disp_mode m);
const char *disp_sched_name(enum disp_sched_kind k);
const char *disp_io_name(enum disp_io io);
const char *disp_fastpath_name(enum disp_fastpath fp);

/* True when a service of cfg asks for the fast path (auto or tc): the
 * process then keeps CAP_BPF after dropping privileges. */
bool disp_config_wants_fastpath(const struct disp_config *cfg);

#endif
