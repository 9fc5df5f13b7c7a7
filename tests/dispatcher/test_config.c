/* Config parser: good files parse into the expected struct; every kind of
 * bad file is refused with "NAME:LINE: ..." naming the problem. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "conf/config.h"
#include "conf/config_int.h"

#define SVC_HEAD "service web {\n\tvip 10.0.0.100:80\n\tclient-interface eth0\n"
#define BE "\tbackend 10.0.1.1:80\n"
#define BE2 "\tbackend 10.0.1.2:80\n"

static int parse(const char *text, struct disp_config **cfg, char *err,
		 size_t errlen)
{
	return disp_config_parse(text, strlen(text), "t.conf", cfg, err, errlen);
}

Test(config, minimal_service_gets_defaults)
{
	struct disp_config *c = NULL;
	char err[256];

	cr_assert_eq(parse(SVC_HEAD BE "}\n", &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c->n_services, 1);
	cr_assert_str_eq(c->ctl_path, "/run/spliced.sock");
	cr_assert_eq(c->ctl_mode, 0600);
	cr_assert_eq(c->workers, 1);
	struct disp_service_conf *s = &c->services[0];
	cr_assert_str_eq(s->name, "web");
	cr_assert_eq(s->mode, DISP_MODE_NAT);
	cr_assert_eq(s->sched, DISP_SCHED_RR);
	cr_assert_str_eq(s->server_if, "eth0", "one-armed default");
	cr_assert(s->transparent);
	cr_assert_eq(s->fastpath, DISP_FASTPATH_OFF);
	cr_assert_not(disp_config_wants_fastpath(c));
	cr_assert_not(s->health.enabled);
	cr_assert(s->passive_health, "passive health on by default");
	cr_assert_eq(s->passive_hold_ms, 10000);
	cr_assert_eq(s->vip.family, AF_INET);
	cr_assert_eq(s->vip.port, 80);
	cr_assert_eq(s->vip.ip.v4.s_addr, inet_addr("10.0.0.100"));
	cr_assert_eq(s->n_backends, 1);
	cr_assert_eq(s->backends[0].weight, 1);
	cr_assert_eq(s->backends[0].line, 4);
	disp_config_free(c);
}

Test(config, every_keyword)
{
	const char *text =
		"# comment line\n"
		"control-socket /tmp/x.sock   # trailing comment\n"
		"control-mode 0660\n"
		"user nobody\n"
		"workers 4\r\n"
		"service a {\n"
		"  vip [fd00::100]:443\n"
		"  mode splice\n"
		"  client-interface c0\n"
		"  server-interface s0\n"
		"  io packet\n"
		"  fastpath tc\n"
		"  scheduler source-hash\n"
		"  backend [fd00:1::1]:443 weight 7\n"
		"  backend [fd00:1::2]:8443\n"
		"  timeout syn 250ms\n"
		"  timeout established 2m\n"
		"  timeout fin 1h\n"
		"  session-lifetime 90s\n"
		"  max-flows 1000\n"
		"  source-nat fd00:1::ff\n"
		"  health tls interval 3s timeout 500ms fall 4 rise 5 backoff-max 1m port 8443 sni a.example\n"
		"}\n"
		"service b {\n"
		"  vip 10.0.0.1:80\n  client-interface c0\n  scheduler wlc\n"
		"  backend 10.0.1.1:80\n}\n";
	struct disp_config *c = NULL;
	char err[256];

	cr_assert_eq(parse(text, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c->ctl_path, "/tmp/x.sock");
	cr_assert_eq(c->ctl_mode, 0660);
	cr_assert_str_eq(c->user, "nobody");
	cr_assert_eq(c->workers, 4);
	cr_assert_eq(c->n_services, 2);
	struct disp_service_conf *s = &c->services[0];
	cr_assert_eq(s->vip.family, AF_INET6);
	cr_assert_eq(s->vip.port, 443);
	cr_assert_eq(s->mode, DISP_MODE_SPLICE);
	cr_assert_str_eq(s->server_if, "s0");
	cr_assert_eq(s->io, DISP_IO_PACKET);
	cr_assert_eq(s->fastpath, DISP_FASTPATH_TC);
	cr_assert_str_eq(disp_fastpath_name(s->fastpath), "tc");
	cr_assert(disp_config_wants_fastpath(c));
	cr_assert_eq(c->services[1].fastpath, DISP_FASTPATH_OFF);
	cr_assert_eq(s->sched, DISP_SCHED_SOURCE_HASH);
	cr_assert_eq(s->backends[0].weight, 7);
	cr_assert_eq(s->backends[1].addr.port, 8443);
	cr_assert_eq(s->timeouts.syn_ms, 250);
	cr_assert_eq(s->timeouts.established_ms, 120000);
	cr_assert_eq(s->timeouts.fin_ms, 3600000);
	cr_assert_eq(s->session_lifetime_s, 90);
	cr_assert_eq(s->max_flows, 1000);
	cr_assert_not(s->transparent);
	cr_assert_eq(s->snat_addr.family, AF_INET6);
	cr_assert(s->health.enabled && s->health.tls);
	cr_assert_eq(s->health.interval_ms, 3000);
	cr_assert_eq(s->health.timeout_ms, 500);
	cr_assert_eq(s->health.fall, 4);
	cr_assert_eq(s->health.rise, 5);
	cr_assert_eq(s->health.backoff_max_ms, 60000);
	cr_assert_eq(s->health.port, 8443);
	cr_assert_str_eq(s->health.sni, "a.example");
	cr_assert_eq(c->services[1].sched, DISP_SCHED_WLC);
	cr_assert_eq(c->services[1].line, 24);
	disp_config_free(c);
}

/* Each bad config, the line it must blame, and words the message must hold. */
static const struct bad {
	const char *what, *text;
	unsigned line;
	const char *expect;
} bad[] = {
	{ "unknown keyword", SVC_HEAD "\tbalance rr\n" BE "}\n", 4, "unknown keyword 'balance'" },
	{ "unknown global", "listen 80\n", 1, "unknown keyword 'listen'" },
	{ "missing argument", SVC_HEAD "\tmode\n" BE "}\n", 4, "expected 'mode nat|splice'" },
	{ "extra argument", SVC_HEAD "\tmode nat fast\n" BE "}\n", 4, "wrong number of arguments" },
	{ "bad vip address", "service w {\n\tvip 10.0.0.300:80\n", 2, "'10.0.0.300:80' is not an address" },
	{ "vip without port", "service w {\n\tvip 10.0.0.1\n", 2, "with a port" },
	{ "port out of range", SVC_HEAD "\tbackend 10.0.1.1:65536\n}\n", 4, "is not an address" },
	{ "hostname not address", SVC_HEAD "\tbackend web1:80\n}\n", 4, "is not an address" },
	{ "bad mode", SVC_HEAD "\tmode proxy\n" BE "}\n", 4, "expected nat or splice" },
	{ "bad scheduler", SVC_HEAD "\tscheduler lc\n" BE "}\n", 4, "expected rr, wlc, source-hash or lard" },
	{ "bad io", SVC_HEAD "\tio dpdk\n" BE "}\n", 4, "expected pcap or packet" },
	{ "bad fastpath", SVC_HEAD "\tfastpath xdp\n" BE "}\n", 4, "'xdp' is unknown (expected auto, tc or off)" },
	{ "fastpath no value", SVC_HEAD "\tfastpath\n" BE "}\n", 4, "expected 'fastpath auto|tc|off'" },
	{ "weight zero", SVC_HEAD "\tbackend 10.0.1.1:80 weight 0\n}\n", 4, "not a number in 1..256" },
	{ "weight keyword missing", SVC_HEAD "\tbackend 10.0.1.1:80 7\n}\n", 4, "[weight N]" },
	{ "duplicate backend", SVC_HEAD BE BE "}\n", 5, "already listed at line 4" },
	{ "no backends", SVC_HEAD "}\n", 1, "has no backend" },
	{ "no vip", "service w {\n\tclient-interface e\n" BE "}\n", 1, "has no vip" },
	{ "no client interface", "service w {\n\tvip 10.0.0.1:80\n" BE "}\n", 1, "has no client-interface" },
	{ "unclosed block", SVC_HEAD BE "\n\n", 6, "end of file inside service 'web' opened at line 1" },
	{ "stray brace", "}\n", 1, "'}' without an open" },
	{ "nested service", SVC_HEAD "service x {\n", 4, "'service' inside service 'web'" },
	{ "brace on next line", "service web\n{\n", 1, "brace on the same line" },
	{ "service keyword outside", "vip 10.0.0.1:80\n", 1, "belongs inside a 'service NAME {' block" },
	{ "global inside service", SVC_HEAD "\tworkers 2\n", 4, "is a global setting" },
	{ "bad duration unit", SVC_HEAD "\ttimeout syn 5\n" BE "}\n", 4, "not a duration" },
	{ "duration overflow", SVC_HEAD "\ttimeout syn 99999999999h\n" BE "}\n", 4, "out of range" },
	{ "bad timeout state", SVC_HEAD "\ttimeout idle 5s\n" BE "}\n", 4, "expected syn, established, fin or hello" },
	{ "duplicate vip keyword", SVC_HEAD "\tvip 10.0.0.2:80\n" BE "}\n", 4, "'vip' given twice" },
	{ "family mismatch", SVC_HEAD "\tbackend [fd00::1]:80\n}\n", 4, "not the vip's address family" },
	{ "snat and transparent", SVC_HEAD BE "\ttransparent\n\tsource-nat 10.0.1.9\n}\n", 6, "one of source-nat or transparent" },
	{ "snat with port", SVC_HEAD BE "\tsource-nat 10.0.1.9:5\n}\n", 5, "without a port" },
	{ "health timeout > interval", SVC_HEAD BE "\thealth tcp interval 1s timeout 2s\n}\n", 5, "expected timeout <= interval" },
	{ "health fall zero", SVC_HEAD BE "\thealth tcp fall 0\n}\n", 5, "fall: '0' is not a number" },
	{ "health dangling key", SVC_HEAD BE "\thealth tcp interval\n}\n", 5, "'interval' needs a value" },
	{ "health unknown key", SVC_HEAD BE "\thealth tcp every 2s\n}\n", 5, "'every' is unknown" },
	{ "health sni without tls", SVC_HEAD BE "\thealth tcp sni a.b\n}\n", 5, "sni needs 'health tls'" },
	{ "interface name too long", "service w {\n\tclient-interface abcdefghijklmnopq\n", 2, "not an interface name" },
	{ "duplicate service", SVC_HEAD BE "}\nservice web {\n", 6, "already defined at line 1" },
	{ "duplicate vip", SVC_HEAD BE "}\nservice b {\n\tvip 10.0.0.100:80\n\tclient-interface e\n" BE "}\n", 6, "already used by service 'web'" },
	{ "relative socket path", "control-socket spliced.sock\n", 1, "not an absolute path" },
	{ "world-writable socket", "control-mode 0666\n", 1, "every local user" },
	{ "relative fastpath-dir", "fastpath-dir bpf/spliced\n", 1, "fastpath-dir: 'bpf/spliced' is not an absolute path" },
	{ "fastpath-dir no value", "fastpath-dir\n", 1, "expected 'fastpath-dir PATH'" },
	{ "workers zero", "workers 0\n", 1, "not a number in 1..256" },
	{ "no service", "# nothing here\nworkers 2\n", 2, "no service defined" },
	{ "empty file", "", 1, "no service defined" },
	{ "control byte", SVC_HEAD "\tmode nat\x01\n", 4, "control byte 0x01" },
	{ "trailing after brace", SVC_HEAD BE "} x\n", 5, "unexpected 'x' after '}'" },
	{ "duplicate global", "workers 2\nuser a\nworkers 3\n", 3, "'workers' given twice" },
	{ "bad service name", "service we/b {\n", 1, "is not a name" },
	{ "passive-health value", SVC_HEAD "\tpassive-health maybe\n" BE "}\n", 4, "passive-health: 'maybe' is not on or off" },
	{ "passive-hold zero", SVC_HEAD "\tpassive-hold 0\n" BE "}\n", 4, "not a number in 1..3600" },
	{ "passive-hold twice", SVC_HEAD "\tpassive-hold 5\n\tpassive-hold 6\n" BE "}\n", 5, "'passive-hold' given twice" },
	/* splice-mode session routing */
#define SPL SVC_HEAD "\tmode splice\n"
	{ "session-table in nat", SVC_HEAD "\tsession-table off\n" BE "}\n", 4, "session-table only applies to 'mode splice' (service 'web' is in nat mode)" },
	{ "timeout hello in nat, mode after", SVC_HEAD "\ttimeout hello 1s\n\tmode nat\n" BE "}\n", 4, "timeout hello only applies to 'mode splice'" },
	{ "load-guard in nat", SVC_HEAD BE "\tload-guard off\n}\n", 5, "load-guard only applies" },
	{ "table size in nat", SVC_HEAD BE "\tsession-table-size 10\n}\n", 5, "session-table-size only applies" },
	{ "sid prefix in nat", SVC_HEAD "\tbackend 10.0.1.1:80 session-id-prefix 5b01\n}\n", 4, "backend session-id-prefix only applies" },
	{ "session-table value", SPL "\tsession-table maybe\n" BE "}\n", 5, "'maybe' is not on or off" },
	{ "session-table twice", SPL "\tsession-table on\n\tsession-table off\n" BE "}\n", 6, "'session-table' given twice" },
	{ "table size zero", SPL "\tsession-table-size 0\n" BE "}\n", 5, "not a number in 1..16777216" },
	{ "table size huge", SPL "\tsession-table-size 99999999\n" BE "}\n", 5, "not a number in 1..16777216" },
	{ "load-guard under 100", SPL "\tload-guard 90\n" BE "}\n", 5, "not a number in 100..10000" },
	{ "load-guard min keyword", SPL "\tload-guard 150 4\n" BE "}\n", 5, "expected 'load-guard PCT [min N]' or 'load-guard off'" },
	{ "load-guard min value", SPL "\tload-guard 150 min x\n" BE "}\n", 5, "load-guard min: 'x' is not a number" },
	{ "load-guard off extra", SPL "\tload-guard off min 2\n" BE "}\n", 5, "nothing may follow 'off'" },
	{ "load-guard too many", SPL "\tload-guard 150 min 2 3\n" BE "}\n", 5, "expected 'load-guard PCT [min N] | load-guard off'" },
	{ "hello timeout unit", SPL "\ttimeout hello 5\n" BE "}\n", 5, "not a duration" },
	{ "sid prefix not hex", SPL "\tbackend 10.0.1.1:80 session-id-prefix 5g01\n}\n", 5, "session-id-prefix '5g01' is not hex bytes" },
	{ "sid prefix odd", SPL "\tbackend 10.0.1.1:80 session-id-prefix abc\n}\n", 5, "is not hex bytes" },
	{ "sid prefix too long", SPL "\tbackend 10.0.1.1:80 session-id-prefix 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n}\n", 5, "is not hex bytes" },
	{ "sid prefix shared", SPL "\tbackend 10.0.1.1:80 session-id-prefix 5b01\n\tbackend 10.0.1.2:80 session-id-prefix 5b01\n}\n", 6, "same as the backend's at line 5" },
	{ "sid prefix twice", SPL "\tbackend 10.0.1.1:80 session-id-prefix 5b session-id-prefix 5c\n}\n", 5, "'session-id-prefix' given twice" },
	{ "weight twice", SPL "\tbackend 10.0.1.1:80 weight 2 weight 3\n}\n", 5, "'weight' given twice" },
	{ "backend option unknown", SPL "\tbackend 10.0.1.1:80 sticky yes\n}\n", 5, "'sticky' is unknown (expected 'backend IP:PORT [weight N] [ticket-key-file PATH] [session-id-prefix HEX]')" },
	{ "backend option no value", SPL "\tbackend 10.0.1.1:80 weight 2 session-id-prefix\n}\n", 5, "'session-id-prefix' needs a value" },
	{ "ticket file is a directory", SPL "\tbackend 10.0.1.1:80 ticket-key-file /tmp\n}\n", 5, "/tmp is not a regular file" },
	{ "ticket file is a device", SPL "\tbackend 10.0.1.1:80 ticket-key-file /dev/null\n}\n", 5, "/dev/null is not a regular file" },
	{ "ticket file missing", SPL "\tbackend 10.0.1.1:80 ticket-key-file /nonexistent/t.key\n}\n", 5, "cannot open /nonexistent/t.key" },
	{ "backend too many words", SPL "\tbackend 10.0.1.1:80 weight 1 weight 1 weight 1 weight\n}\n", 5, "wrong number of arguments" },
	/* content pools and rules */
#define PA "\tpool a {\n\t\tbackend 10.0.2.1:80\n\t}\n"
	{ "pool in nat", SVC_HEAD BE PA "\tuse-pool a if host a.example\n}\n", 5, "pool: content pools need 'mode splice' (service 'web' is in nat mode, which picks the backend on the SYN, by address and port only" },
	{ "use-pool in nat, mode after", SVC_HEAD BE PA "\tuse-pool a if host a.example\n\tmode nat\n}\n", 5, "content pools need 'mode splice'" },
	{ "rule before its pool", SPL BE "\tuse-pool a if sni a.example\n" PA "}\n", 6, "use-pool: no pool 'a' above this line (expected 'pool a {' ... '}' before the lines that name it)" },
	{ "unknown pool", SPL BE PA "\tuse-pool b if sni a.example\n}\n", 9, "no pool 'b' above this line" },
	{ "unknown default-pool", SPL PA "\tdefault-pool z\n}\n", 8, "default-pool: no pool 'z'" },
	{ "duplicate pool", SPL BE PA "\tpool a {\n", 9, "pool: 'a' is already defined at line 6" },
	{ "pool without brace", SPL "\tpool a\n", 5, "expected 'pool NAME {' with the brace on the same line" },
	{ "bad pool name", SPL "\tpool a/b {\n", 5, "pool: 'a/b' is not a name" },
	{ "empty pool", SPL BE "\tpool a {\n\t}\n}\n", 6, "pool 'a' has no backend" },
	{ "keyword inside pool", SPL "\tpool a {\n\t\tscheduler wlc\n", 6, "'scheduler' inside pool 'a' (a pool block holds only 'backend' lines; expected backend or '}')" },
	{ "pool inside pool", SPL "\tpool a {\n\t\tpool b {\n", 6, "'pool' inside pool 'a'" },
	{ "unclosed pool", SPL "\tpool a {\n" BE, 6, "end of file inside pool 'a' opened at line 5" },
	{ "rule without if", SPL BE PA "\tuse-pool a when sni a.example\n}\n", 9, "expected 'if' after the pool name, not 'when'" },
	{ "rule bad sni", SPL BE PA "\tuse-pool a if sni *foo.example\n}\n", 9, "use-pool: sni '*foo.example': a wildcard is only allowed as '*.suffix'" },
	{ "rule bad host", SPL BE PA "\tuse-pool a if host a..example\n}\n", 9, "use-pool: host 'a..example': not a host name" },
	{ "rule bad path", SPL BE PA "\tuse-pool a if path api\n}\n", 9, "use-pool: path 'api': a path prefix starts with '/'" },
	{ "rule bad cookie", SPL BE PA "\tuse-pool a if cookie novalue\n}\n", 9, "expected NAME=VALUE" },
	{ "rule unknown field", SPL BE PA "\tuse-pool a if src 10.0.0.0/8\n}\n", 9, "unknown condition (sni, alpn, host, path, cookie)" },
	{ "rule missing and", SPL BE PA "\tuse-pool a if sni a.example or host b\n}\n", 9, "expected 'and' between conditions, not 'or'" },
	{ "rule dangling and", SPL BE PA "\tuse-pool a if sni a.example and\n}\n", 9, "'and' dangles" },
	{ "rule value missing", SPL BE PA "\tuse-pool a if sni a.example and host\n}\n", 9, "'host' needs a value" },
	{ "rule too many conditions", SPL BE PA "\tuse-pool a if sni a and sni b and sni c and sni d and sni e\n}\n", 9, "more than 4 conditions in one rule" },
	{ "rule too short", SPL BE PA "\tuse-pool a if sni\n}\n", 9, "wrong number of arguments (expected 'use-pool NAME if sni|alpn|host|path|cookie VALUE [and ...]')" },
	{ "pools without default", SPL PA "\tuse-pool a if sni a.example\n}\n", 1, "service 'web' has pools but no default" },
	{ "backend outside with default-pool", SPL BE PA "\tdefault-pool a\n}\n", 5, "backend outside every pool block while default-pool is 'a'" },
	{ "pool nobody uses", SPL BE PA "}\n", 6, "pool 'a' is named by no use-pool rule and is not the default-pool" },
	{ "default-pool twice", SPL PA "\tdefault-pool a\n\tdefault-pool a\n}\n", 9, "'default-pool' given twice" },
	{ "backend in two pools", SPL PA "\tpool b {\n\t\tbackend 10.0.2.1:80\n", 9, "already listed at line 6" },
	{ "lard in nat", SVC_HEAD "\tscheduler lard\n" BE "}\n", 4, "scheduler lard routes on the HTTP path, which only 'mode splice' reads (service 'web' is in nat mode)" },
#undef PA
#undef SPL
};

/* Criterion runs each case in a fresh process where string-literal
 * addresses may differ, so the parameter is an index, not a pointer. */
static size_t bad_idx[sizeof(bad) / sizeof(bad[0])];

ParameterizedTestParameters(config, rejects)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		bad_idx[i] = i;
	return cr_make_param_array(size_t, bad_idx, sizeof(bad_idx) / sizeof(bad_idx[0]));
}

ParameterizedTest(size_t *i, config, rejects)
{
	const struct bad *b = &bad[*i];
	struct disp_config *c = NULL;
	char err[512], prefix[32];

	cr_assert_eq(parse(b->text, &c, err, sizeof(err)), -EINVAL,
		     "%s: accepted", b->what);
	cr_assert_null(c);
	snprintf(prefix, sizeof(prefix), "t.conf:%u: ", b->line);
	cr_assert_eq(strncmp(err, prefix, strlen(prefix)), 0,
		     "%s: got '%s', wanted prefix '%s'", b->what, err, prefix);
	cr_assert_not_null(strstr(err, b->expect), "%s: got '%s', wanted '%s'",
			   b->what, err, b->expect);
}

/* scheduler lard: at most 64 backends per pool (LARD keeps a target's
 * backends as a 64-bit set); the path is read even without a path rule. */
Test(config, lard_scheduler)
{
	char text[8192], err[256];
	struct disp_config *c = NULL;
	size_t off = 0;

	off += (size_t)snprintf(text + off, sizeof(text) - off,
				SVC_HEAD "\tmode splice\n\tscheduler lard\n\tpool big {\n");
	for (int i = 0; i < 65; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"\t\tbackend 10.0.2.%d:80\n", i + 1);
	snprintf(text + off, sizeof(text) - off, "\t}\n" BE "\tuse-pool big if host b\n}\n");
	cr_assert_eq(parse(text, &c, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "t.conf:5: scheduler lard: pool 'big' has 65 backends (at most 64)"),
			   "%s", err);
	cr_assert_eq(parse(SVC_HEAD "\tmode splice\n\tscheduler lard\n" BE "}\n", &c, err,
			   sizeof(err)), 0, "%s", err);
	cr_assert_eq(c->services[0].sched, DISP_SCHED_LARD);
	cr_assert_str_eq(disp_sched_name(DISP_SCHED_LARD), "lard");
	cr_assert(rule_set_uses(&c->services[0].rules, RULE_PATH));
	disp_config_free(c);
}

/* Pools, rules and the default: pool numbers, rule order and conditions,
 * and a config without pools left as it was (one pool 0, no rule). */
Test(config, pools_and_rules)
{
	const char *text =
		SVC_HEAD "\tmode splice\n"
		"\tbackend 10.0.1.1:80\n"
		"\tpool a {\n\t\tbackend 10.0.2.1:80\n\t\tbackend 10.0.2.2:80 weight 3\n\t}\n"
		"\tpool b {   # a comment\n\t\tbackend 10.0.3.1:80\n\t}\n"
		"\tuse-pool a if sni A.Example.\n"
		"\tuse-pool b if sni *.b.example and alpn h2\n"
		"\tuse-pool b if host www.b.example and path /api and cookie srv=b\n"
		"}\n";
	struct disp_config *c = NULL;
	char err[256];

	cr_assert_eq(parse(text, &c, err, sizeof(err)), 0, "%s", err);
	struct disp_service_conf *s = &c->services[0];
	cr_assert_eq(s->n_pools, 2);
	cr_assert_str_eq(s->pools[0].name, "a");
	cr_assert_eq(s->pools[0].line, 6);
	cr_assert_str_eq(s->pools[1].name, "b");
	cr_assert_eq(s->n_backends, 4);
	cr_assert_eq(s->backends[0].pool, 0);
	cr_assert_eq(s->backends[1].pool, 1);
	cr_assert_eq(s->backends[2].pool, 1);
	cr_assert_eq(s->backends[2].weight, 3);
	cr_assert_eq(s->backends[3].pool, 2);
	cr_assert_eq(s->default_pool, 0, "the backends outside pool blocks");
	cr_assert_eq(s->rules.nrules, 3);
	cr_assert_eq(s->rules.rules[0].pool, 1);
	cr_assert_eq(s->rules.rules[0].ncond, 1);
	cr_assert_str_eq(s->rules.rules[0].cond[0].value, "a.example");
	cr_assert_eq(s->rules.rules[1].pool, 2);
	cr_assert_eq(s->rules.rules[1].ncond, 2);
	cr_assert(s->rules.rules[1].cond[0].suffix);
	cr_assert_eq(s->rules.rules[2].ncond, 3);
	cr_assert_eq(s->rules.ncookies, 1);
	cr_assert(rule_set_uses(&s->rules, RULE_PATH));
	disp_config_free(c);

	/* default-pool instead of backends outside the blocks */
	text = SVC_HEAD "\tmode splice\n"
		"\tpool a {\n\t\tbackend 10.0.2.1:80\n\t}\n"
		"\tpool rest {\n\t\tbackend 10.0.3.1:80\n\t}\n"
		"\tdefault-pool rest\n"
		"\tuse-pool a if path /a\n}\n";
	cr_assert_eq(parse(text, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c->services[0].default_pool, 2);
	disp_config_free(c);

	cr_assert_eq(parse(SVC_HEAD BE BE2 "}\n", &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c->services[0].n_pools, 0);
	cr_assert_eq(c->services[0].rules.nrules, 0);
	cr_assert_eq(c->services[0].backends[1].pool, 0);
	disp_config_free(c);
}

Test(config, splice_defaults)
{
	struct disp_config *c = NULL;
	char err[256];

	cr_assert_eq(parse(SVC_HEAD "\tmode splice\n" BE "}\n", &c, err, sizeof(err)), 0,
		     "%s", err);
	struct disp_service_conf *s = &c->services[0];
	cr_assert(s->session_table);
	cr_assert_eq(s->session_table_size, 65536);
	cr_assert_eq(s->load_guard_pct, 150);
	cr_assert_eq(s->load_guard_min, 4);
	cr_assert_eq(s->timeouts.hello_ms, 1000);
	cr_assert_not(s->backends[0].has_ticket_name);
	cr_assert_eq(s->backends[0].sid_prefix_len, 0);
	disp_config_free(c);
}

/* A scratch directory with one file of n bytes (byte i = i + seed). */
static void key_file(char *dir, size_t dlen, const char *name, size_t n,
		     uint8_t seed)
{
	char path[512];
	FILE *f;

	if (!dir[0]) {
		snprintf(dir, dlen, "/tmp/sk-cfgtest-XXXXXX");
		cr_assert_not_null(mkdtemp(dir));
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	for (size_t i = 0; i < n; i++)
		fputc((int)(uint8_t)(i + seed), f);
	fclose(f);
}

static void rm_dir(const char *dir, const char *const *names, size_t n)
{
	char path[512];

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

Test(config, splice_keywords)
{
	static const char *const files[] = { "a.key", "b.key", "short.key", "long.key", "t.conf" };
	char dir[64] = "", text[2048], err[512], path[512];
	struct disp_config *c = NULL;
	FILE *f;

	key_file(dir, sizeof(dir), "a.key", 80, 0x10);
	key_file(dir, sizeof(dir), "b.key", 48, 0x40);
	key_file(dir, sizeof(dir), "short.key", 47, 0);
	key_file(dir, sizeof(dir), "long.key", 100, 0);
	/* Options in any order; b.key is relative to the config's directory. */
	snprintf(text, sizeof(text),
		 "service s {\n vip 10.0.0.1:443\n client-interface c0\n"
		 " session-table off\n session-table-size 1024\n"
		 " load-guard 200 min 8\n timeout hello 300ms\n mode splice\n"
		 " backend 10.0.1.1:443 ticket-key-file %s/a.key weight 3 session-id-prefix 5B01\n"
		 " backend 10.0.1.2:443 session-id-prefix c0de ticket-key-file b.key\n"
		 " backend 10.0.1.3:443\n}\n"
		 "service t {\n vip 10.0.0.2:443\n client-interface c0\n mode splice\n"
		 " load-guard off\n backend 10.0.1.1:443\n}\n", dir);
	snprintf(path, sizeof(path), "%s/t.conf", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(disp_config_load(path, &c, err, sizeof(err)), 0, "%s", err);
	struct disp_service_conf *s = &c->services[0];
	cr_assert_not(s->session_table);
	cr_assert_eq(s->session_table_size, 1024);
	cr_assert_eq(s->load_guard_pct, 200);
	cr_assert_eq(s->load_guard_min, 8);
	cr_assert_eq(s->timeouts.hello_ms, 300);
	cr_assert_eq(s->backends[0].weight, 3);
	cr_assert(s->backends[0].has_ticket_name);
	for (unsigned i = 0; i < 16; i++) {
		cr_assert_eq(s->backends[0].ticket_name[i], 0x10 + i);
		cr_assert_eq(s->backends[1].ticket_name[i], 0x40 + i);
	}
	cr_assert_eq(s->backends[0].sid_prefix_len, 2);
	cr_assert_eq(s->backends[0].sid_prefix[0], 0x5b);
	cr_assert_eq(s->backends[0].sid_prefix[1], 0x01);
	cr_assert_eq(s->backends[1].sid_prefix_len, 2);
	cr_assert_eq(s->backends[1].sid_prefix[0], 0xc0);
	cr_assert_not(s->backends[2].has_ticket_name);
	cr_assert_eq(s->backends[2].sid_prefix_len, 0);
	cr_assert_eq(c->services[1].load_guard_pct, 0);
	disp_config_free(c);

	/* Key files of the wrong size, and one key shared by two backends. */
	static const struct { const char *line, *expect; } kbad[] = {
		{ "backend 10.0.1.1:443 ticket-key-file short.key", "t.conf:2: ticket-key-file: " },
		{ "backend 10.0.1.1:443 ticket-key-file long.key", "is over 80 bytes (expected 48 or 80" },
		{ "backend 10.0.1.1:443 ticket-key-file a.key ticket-key-file b.key", "'ticket-key-file' given twice" },
		{ "backend 10.0.1.1:443 ticket-key-file a.key\n backend 10.0.1.2:443 ticket-key-file a.key",
		  "t.conf:3: backend: ticket key name is the same as the backend's at line 2" },
	};
	for (size_t i = 0; i < sizeof(kbad) / sizeof(kbad[0]); i++) {
		snprintf(text, sizeof(text),
			 "service s {\n %s\n vip 10.0.0.1:443\n client-interface c0\n mode splice\n}\n",
			 kbad[i].line);
		f = fopen(path, "w");
		cr_assert_not_null(f);
		fputs(text, f);
		fclose(f);
		c = NULL;
		cr_assert_eq(disp_config_load(path, &c, err, sizeof(err)), -EINVAL,
			     "case %zu accepted", i);
		cr_assert_not_null(strstr(err, kbad[i].expect), "case %zu: '%s'", i, err);
	}
	cr_assert_not_null(strstr(err, path), "%s", err);
	/* The short file's message says how long it was. */
	snprintf(text, sizeof(text),
		 "service s {\n backend 10.0.1.1:443 ticket-key-file short.key\n}\n");
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	cr_assert_eq(disp_config_load(path, &c, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "short.key is 47 bytes (expected 48 or 80"), "%s", err);
	rm_dir(dir, files, sizeof(files) / sizeof(files[0]));
}

Test(config, long_line_rejected)
{
	char *text = malloc(3000);
	struct disp_config *c = NULL;
	char err[256];

	memset(text, 'a', 2999);
	text[2999] = '\0';
	cr_assert_eq(parse(text, &c, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "t.conf:1: line longer than"), "%s", err);
	free(text);
}

Test(config, nul_byte_rejected)
{
	static const char text[] = "workers 2\n\0service";
	struct disp_config *c = NULL;
	char err[256];

	cr_assert_eq(disp_config_parse(text, sizeof(text) - 1, "t.conf", &c, err,
				       sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "t.conf:2: control byte 0x00"), "%s", err);
}

Test(config, missing_file_names_path)
{
	struct disp_config *c = NULL;
	char err[256];

	cr_assert_eq(disp_config_load("/nonexistent/ct.conf", &c, err, sizeof(err)),
		     -ENOENT);
	cr_assert_not_null(strstr(err, "/nonexistent/ct.conf: cannot open"), "%s", err);
}

Test(config, example_configs_parse)
{
	const char *src = getenv("SPLICEKIT_SRC");
	const char *names[] = { "nat.conf", "splice.conf", "pools.conf" };

	cr_assert_not_null(src, "SPLICEKIT_SRC not set");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[4096], err[512];
		struct disp_config *c = NULL;

		snprintf(path, sizeof(path), "%s/tools/examples/%s", src, names[i]);
		cr_assert_eq(disp_config_load(path, &c, err, sizeof(err)), 0, "%s", err);
		cr_assert_geq(c->n_services, 1);
		disp_config_free(c);
	}
}

Test(config, err_buffer_tiny_is_safe)
{
	struct disp_config *c = NULL;
	char err[8];

	cr_assert_eq(parse("bogus\n", &c, err, sizeof(err)), -EINVAL);
	cr_assert_eq(strlen(err), 7);
}

Test(addr, parse_and_format)
{
	struct disp_addr a;
	char buf[DISP_ADDR_STRLEN];

	cr_assert_eq(disp_addr_parse("[fd00::1]:443", 13, true, &a), 0);
	cr_assert_str_eq(disp_addr_format(&a, buf, sizeof(buf)), "[fd00::1]:443");
	cr_assert_eq(disp_addr_parse("fd00::1", 7, false, &a), 0);
	cr_assert_str_eq(disp_addr_format(&a, buf, sizeof(buf)), "fd00::1");
	cr_assert_eq(disp_addr_parse("10.1.2.3:8080", 13, true, &a), 0);
	cr_assert_str_eq(disp_addr_format(&a, buf, sizeof(buf)), "10.1.2.3:8080");
	/* Only the given length is read: "10.1.2.3:80" cut to the address. */
	cr_assert_eq(disp_addr_parse("10.1.2.3:80", 8, false, &a), 0);
	cr_assert_eq(disp_addr_parse("fd00::1:80", 10, true, &a), -EINVAL,
		     "bare v6 with a port is ambiguous");
	cr_assert_eq(disp_addr_parse("[fd00::1]", 9, true, &a), -EINVAL);
	cr_assert_eq(disp_addr_parse("[fd00::1", 8, false, &a), -EINVAL);
	cr_assert_eq(disp_addr_parse("1.2.3.4:0", 9, true, &a), -EINVAL);
	cr_assert_eq(disp_addr_parse("1.2.3.4:", 8, true, &a), -EINVAL);
	cr_assert_eq(disp_addr_parse("1.2.3.4:08x", 11, true, &a), -EINVAL);
	cr_assert_eq(disp_addr_parse("", 0, false, &a), -EINVAL);
	cr_assert_eq(disp_addr_parse("[10.0.0.1]:80", 13, true, &a), -EINVAL);
}

/* isn-secret-file: 16..64 bytes; the key is SHA-256 of the file, first 16
 * bytes (checked against OpenSSL's one-shot SHA256 of the same bytes). */
Test(config, isn_secret_file)
{
	static const char *const files[] = { "s32", "s8", "s70" };
	char dir[64] = "", text[512], err[512];
	struct disp_config *c = NULL;
	uint8_t raw[32], md[SHA256_DIGEST_LENGTH];

	key_file(dir, sizeof(dir), "s32", 32, 7);
	key_file(dir, sizeof(dir), "s8", 8, 0);
	key_file(dir, sizeof(dir), "s70", 70, 0);
	for (unsigned i = 0; i < 32; i++)
		raw[i] = (uint8_t)(i + 7);
	SHA256(raw, sizeof(raw), md);
	snprintf(text, sizeof(text), "isn-secret-file %s/s32\n"
		 "service s {\n vip 10.0.0.1:443\n mode splice\n client-interface c0\n"
		 " backend 10.0.1.1:443\n}\n", dir);
	cr_assert_eq(parse(text, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert(c->has_isn_secret);
	cr_assert_eq(memcmp(c->isn_secret, md, 16), 0);
	disp_config_free(c);
	c = NULL;

	snprintf(text, sizeof(text), "workers 1\nisn-secret-file %s/s8\n", dir);
	cr_assert_lt(parse(text, &c, err, sizeof(err)), 0);
	cr_assert_not_null(strstr(err, ":2: isn-secret-file: "), "%s", err);
	cr_assert_not_null(strstr(err, "is 8 bytes (expected 16 to 64"), "%s", err);
	snprintf(text, sizeof(text), "isn-secret-file %s/s70\n", dir);
	cr_assert_lt(parse(text, &c, err, sizeof(err)), 0);
	cr_assert_not_null(strstr(err, "is over 64 bytes"), "%s", err);
	cr_assert_lt(parse("isn-secret-file /tmp\n", &c, err, sizeof(err)), 0);
	cr_assert_not_null(strstr(err, "/tmp is not a regular file"), "%s", err);
	rm_dir(dir, files, 3);
}

/* Whether the hint "a, b or c" lists word as a whole item. */
static bool hint_has(const char *hint, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = strstr(hint, word); p; p = strstr(p + 1, word)) {
		bool start = p == hint || p[-1] == ' ';
		bool end = p[wl] == '\0' || p[wl] == ',' || p[wl] == ' ';

		if (start && end)
			return true;
	}
	return false;
}

/* The "unknown keyword" hint is built from the keyword tables: every
 * keyword is named in the hint of the place it belongs (and only there),
 * and the parser gives that hint. */
Test(config, unknown_keyword_hint_names_every_keyword)
{
	char top[512], svc[512], err[1024];
	struct disp_config *c = NULL;
	size_t n = disp_cfg_keyword_count();

	cr_assert_geq(n, 20);
	disp_cfg_hint(false, top, sizeof(top));
	disp_cfg_hint(true, svc, sizeof(svc));
	for (size_t i = 0; i < n; i++) {
		const struct disp_cfg_kw *k = disp_cfg_keyword(i);

		cr_assert(hint_has(k->in_service ? svc : top, k->name),
			  "'%s' missing from the hint", k->name);
		cr_assert(!hint_has(k->in_service ? top : svc, k->name),
			  "'%s' in the wrong hint", k->name);
	}
	cr_assert_not_null(strstr(top, "isn-secret-file"), "%s", top);
	cr_assert_not_null(strstr(svc, " or '}'"), "%s", svc);
	cr_assert_null(strstr(top, "vip"), "%s", top);
	cr_assert_null(disp_cfg_keyword(n));

	cr_assert_lt(disp_config_parse("listen 80\n", 10, "t", &c, err, sizeof(err)), 0);
	cr_assert_not_null(strstr(err, top), "%s", err);
	cr_assert_lt(disp_config_parse(SVC_HEAD "\tbalance rr\n" BE "}\n",
				       strlen(SVC_HEAD "\tbalance rr\n" BE "}\n"), "t", &c,
				       err, sizeof(err)), 0);
	cr_assert_not_null(strstr(err, svc), "%s", err);
}
