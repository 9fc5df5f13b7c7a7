/* Reads the policy the wrapper passed in the environment, once, before
 * main(). A bad policy makes the shim a pure passthrough with one error
 * line rather than guessing. */
#include "ws.h"
#include "ws_args.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ws_config ws_cfg;

static int parse_level(const char *s)
{
	static const char *names[] = { "error", "warn", "info", "debug" };
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static unsigned env_uint(const char *name, unsigned dflt, unsigned max)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	if (!s || !*s)
		return dflt;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max) {
		ws_log(WS_LOG_ERROR, "%s=%s is not a number up to %u; using %u", name, s, max, dflt);
		return dflt;
	}
	return (unsigned)v;
}

/* "ADDR,ADDR,...": extra local addresses for SCTP multihoming. */
static int parse_multihome(const char *s)
{
	struct ws_addr a[WS_ADDRS_MAX];
	unsigned n;
	char err[128];

	if (ws_addrs_parse(s, strlen(s), a, WS_ADDRS_MAX, &n, err, sizeof(err)) < 0) {
		ws_log(WS_LOG_ERROR, "WITHSPLICE_MULTIHOME: %s", err);
		return -EINVAL;
	}
	for (unsigned i = 0; i < n; i++) {
		struct sockaddr_storage *ss = &ws_cfg.mh[i];
		memset(ss, 0, sizeof(*ss));
		ss->ss_family = (sa_family_t)a[i].family;
		if (a[i].family == AF_INET)
			memcpy(&((struct sockaddr_in *)ss)->sin_addr, a[i].addr, 4);
		else
			memcpy(&((struct sockaddr_in6 *)ss)->sin6_addr, a[i].addr, 16);
	}
	ws_cfg.nmh = n;
	return 0;
}

/* Removes this library from LD_PRELOAD so programs we exec run plain. */
static void strip_preload(void)
{
	const char *pl = getenv("LD_PRELOAD");
	char out[4096];
	size_t o = 0;

	if (!pl || strlen(pl) >= sizeof(out))
		return;
	while (*pl) {
		size_t n = strcspn(pl, ": ");
		if (n && !memmem(pl, n, "libwithsplice", 13)) {
			if (o)
				out[o++] = ' ';
			memcpy(out + o, pl, n);
			o += n;
		}
		pl += n;
		if (*pl)
			pl++;
	}
	out[o] = '\0';
	if (o)
		setenv("LD_PRELOAD", out, 1);
	else
		unsetenv("LD_PRELOAD");
}

__attribute__((constructor)) static void ws_init(void)
{
	struct ws_policy *p = &ws_cfg.policy;
	const char *s;
	char err[256];
	bool any = false;

	ws_real_init();
	snprintf(ws_cfg.prog, sizeof(ws_cfg.prog), "%s", program_invocation_short_name);
	if ((s = getenv("WITHSPLICE_LOG_FILE")) && *s)
		ws_log_set_file(s);
	if ((s = getenv("WITHSPLICE_LOG")) && *s) {
		int l = parse_level(s);
		if (l < 0)
			ws_log(WS_LOG_ERROR, "WITHSPLICE_LOG=%s: want error, warn, info or debug", s);
		else
			ws_loglevel = l;
	}
	if ((s = getenv("WITHSPLICE_INHERIT")) && strcmp(s, "0") == 0)
		strip_preload();

	ws_policy_init(p);
	if ((s = getenv("WITHSPLICE_DEFAULT")) && *s &&
	    ws_transport_parse(s, strlen(s), &p->dflt) < 0) {
		ws_log(WS_LOG_ERROR, "WITHSPLICE_DEFAULT=%s: want tcp, sctp or mptcp; shim disabled", s);
		return;
	}
	if ((s = getenv("WITHSPLICE_RULES")) && ws_policy_add_rules(p, s, err, sizeof(err)) < 0) {
		ws_log(WS_LOG_ERROR, "WITHSPLICE_RULES: %s; shim disabled", err);
		return;
	}
	if ((s = getenv("WITHSPLICE_FALLBACK")) && *s) {
		if (strcmp(s, "tcp") == 0)
			p->fallback_tcp = true;
		else if (strcmp(s, "none") == 0)
			p->fallback_tcp = false;
		else
			ws_log(WS_LOG_ERROR, "WITHSPLICE_FALLBACK=%s: want tcp or none", s);
	}
	p->fallback_ms = env_uint("WITHSPLICE_FALLBACK_MS", p->fallback_ms, 600000);
	ws_fallback_ttl = env_uint("WITHSPLICE_FALLBACK_TTL", ws_fallback_ttl, 86400);
	if ((s = getenv("WITHSPLICE_LOOPBACK")) && strcmp(s, "1") == 0)
		p->loopback = true;
	if ((s = getenv("WITHSPLICE_SHUTWR")) && *s) {
		if (strcmp(s, "full") == 0)
			p->shutwr = WS_SHUTWR_FULL;
		else if (strcmp(s, "defer") == 0)
			p->shutwr = WS_SHUTWR_DEFER;
		else
			ws_log(WS_LOG_ERROR, "WITHSPLICE_SHUTWR=%s: want defer or full", s);
	}
	if ((s = getenv("WITHSPLICE_MULTIHOME")) && *s) {
		ws_cfg.multihome = true;
		if (parse_multihome(s) < 0) {
			ws_log(WS_LOG_ERROR, "WITHSPLICE_MULTIHOME=%s: want up to 8 addresses, "
					     "comma-separated", s);
			ws_cfg.nmh = 0;
		}
	}
	if ((s = getenv("WITHSPLICE_PEERS")) && *s) {
		ws_cfg.multihome = true;
		if (ws_peers_parse(s) < 0)
			ws_log(WS_LOG_ERROR, "WITHSPLICE_PEERS=%s: want ADDR=ADDR,ADDR;...", s);
	}
	if ((s = getenv("WITHSPLICE_HALFCLOSE")) && strcmp(s, "1") == 0)
		ws_cfg.halfclose = true;
	ws_failover_ms = env_uint("WITHSPLICE_FAILOVER_MS", 0, 600000);

	/* When no rule can pick anything but TCP, track nothing at all: the
	 * passthrough cost is then one table-free branch per call. */
	any = p->dflt != WS_TCP;
	for (unsigned i = 0; i < p->nrules; i++)
		any |= p->rules[i].transport != WS_TCP;
	if (!any) {
		ws_log(WS_LOG_DEBUG, "policy only selects TCP: passthrough");
		return;
	}
	if (ws_fdtab_init() < 0) {
		ws_log(WS_LOG_ERROR, "cannot map the fd table; shim disabled");
		return;
	}
	ws_cfg.active = true;
	ws_fd_adopt_inherited();
	ws_log(WS_LOG_DEBUG, "active: default %s, %u rules, fallback %s after %u ms",
	       ws_transport_name(p->dflt), p->nrules, p->fallback_tcp ? "tcp" : "none",
	       p->fallback_ms);
}
