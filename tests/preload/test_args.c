/* Golden tables for withsplice's settings parsers (preload/ws_args.c,
 * preload/ws_addrs.c): text in, the error (a substring of the message
 * that must name the problem) or the value kept out. The inputs are
 * hand-written to hit one branch each; the fuzz harnesses
 * (tests/fuzz/fuzz_ws_*.c) start from the same kinds of input. */
#include "ws_args.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

struct line_case {
	const char *text; /* config text, may hold several lines */
	const char *err;  /* substring of the error, NULL = accepted */
};

static const struct line_case lines[] = {
	{ "default sctp", NULL },
	{ "default udp", "t:1: default transport 'udp': want tcp, sctp or mptcp" },
	{ "fallback none", NULL },
	{ "fallback maybe", "t:1: fallback maybe: want tcp or none" },
	{ "fallback-ms 250", NULL },
	{ "fallback-ms 12a", "fallback-ms '12a': want milliseconds" },
	{ "fallback-ms 600001", "fallback-ms 600001: want 0 to 600000 milliseconds" },
	{ "failover-ms 10", "failover-ms 10: want 30 to 600000 milliseconds" },
	{ "shutwr full", NULL },
	{ "shutwr half", "shutwr half: want defer or full" },
	{ "log debug", NULL },
	{ "log loud", "log loud: want error, warn, info or debug" },
	{ "multihome 10.0.0.1,fe80::1 10.0.0.2", NULL },
	{ "multihome 10.0.0.300", "not an IPv4 or IPv6 address: '10.0.0.300'" },
	{ "multihome ,", "multihome: no address given" },
	{ "multihome 1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6,1.1.1.7,1.1.1.8,1.1.1.9",
	  "too many addresses at '1.1.1.9'" },
	{ "peer 10.0.0.1=10.0.1.1,10.0.2.1", NULL },
	{ "peer 10.0.0.1", "a peer group needs ADDR=ADDR[,ADDR...], not '10.0.0.1'" },
	{ "peer 10.0.0.1=host.example", "not an IPv4 or IPv6 address: 'host.example'" },
	{ "loopback yes", NULL },
	{ "loopback maybe", "loopback 'maybe': want yes or no" },
	{ "half-close 1", NULL },
	{ "sctp listen port 80 dual", NULL },
	{ "mptcp port 90-80", "t:1: port range upside down: '90-80'" },
	{ "frobnicate yes", "t:1: unknown setting 'frobnicate'" },
	{ "# only a comment\n\n   \t\r\nsctp port 9 # trailing comment\r", NULL },
	{ "sctp port 1\ntcp prog\n", "t:2: missing value after: 'prog'" },
};

Test(args, config_lines)
{
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct ws_opts o;
		char err[256] = "";
		ws_opts_init(&o);
		int rc = ws_opts_config(&o, lines[i].text, strlen(lines[i].text), "t", err,
					sizeof(err));
		if (!lines[i].err) {
			cr_expect_eq(rc, 0, "'%s' refused: %s", lines[i].text, err);
		} else {
			cr_expect_eq(rc, -EINVAL, "'%s' accepted", lines[i].text);
			cr_expect(strstr(err, lines[i].err) != NULL, "'%s': got '%s', want '%s'",
				  lines[i].text, err, lines[i].err);
		}
	}
}

Test(args, config_keeps_values)
{
	static const char text[] = "default mptcp\nfallback-ms 250\npeer 1.1.1.1=2.2.2.2\n"
				   "peer ::1=::2\ntcp port 25\nsctp listen\nhalf-close yes\n";
	struct ws_opts o;
	char err[256] = "";

	ws_opts_init(&o);
	cr_assert_eq(ws_opts_config(&o, text, sizeof(text) - 1, "t", err, sizeof(err)), 0, "%s",
		     err);
	cr_expect_eq(o.pol.dflt, WS_MPTCP);
	cr_expect_str_eq(o.fallback_ms, "250");
	cr_expect_str_eq(o.peers, "1.1.1.1=2.2.2.2;::1=::2");
	cr_expect_str_eq(o.rules, "tcp port 25;sctp listen");
	cr_expect(o.halfclose);
}

Test(args, config_line_limits)
{
	char text[600], err[256] = "";
	struct ws_opts o;

	ws_opts_init(&o);
	memset(text, 'x', sizeof(text));
	cr_expect_eq(ws_opts_config(&o, text, sizeof(text), "t", err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "t:1: line longer than 510 bytes") != NULL, "%s", err);
	cr_expect_eq(ws_opts_config(&o, "log\0debug", 9, "t", err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "t:1: NUL byte in the line") != NULL, "%s", err);
}

Test(args, addresses)
{
	struct ws_addr a[WS_ADDRS_MAX];
	unsigned n = 99;
	char err[128];

	cr_expect_eq(ws_addrs_parse("", 0, a, WS_ADDRS_MAX, &n, err, sizeof(err)), 0);
	cr_expect_eq(n, 0);
	cr_expect_eq(ws_addrs_parse("1.2.3.4,, ::1", 13, a, WS_ADDRS_MAX, &n, err, sizeof(err)), 0);
	cr_expect_eq(n, 2);
	cr_expect_eq(a[0].family, AF_INET);
	cr_expect_eq(a[0].addr[3], 4);
	cr_expect_eq(a[1].family, AF_INET6);
	cr_expect_eq(a[1].addr[15], 1);
	/* Length-bounded: the bytes after len are not looked at. */
	cr_expect_eq(ws_addrs_parse("1.2.3.4XYZ", 7, a, WS_ADDRS_MAX, &n, err, sizeof(err)), 0);
	cr_expect_eq(n, 1);
}

Test(args, peer_groups)
{
	struct ws_peer_group g[WS_PEER_GROUPS];
	unsigned n = 0;
	char err[128], many[1024] = "";

	cr_expect_eq(ws_peers_spec("1.1.1.1=2.2.2.2;3.3.3.3=4.4.4.4,5.5.5.5;", 40, g,
				   WS_PEER_GROUPS, &n, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(n, 2);
	cr_expect_eq(g[1].n, 3);
	cr_expect_eq(ws_peers_spec("1.1.1.1=2.2.2.2;3.3.3.3", 23, g, WS_PEER_GROUPS, &n, err,
				   sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "not '3.3.3.3'") != NULL, "%s", err);
	for (int i = 0; i < WS_PEER_GROUPS + 1; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "10.0.0.%d=10.1.0.%d;",
			 i, i);
	n = 0;
	cr_expect_eq(ws_peers_spec(many, strlen(many), g, WS_PEER_GROUPS, &n, err, sizeof(err)),
		     -EINVAL);
	cr_expect(strstr(err, "too many peer groups at '10.0.0.16=10.1.0.16'") != NULL, "%s", err);
}

struct argv_case {
	const char *argv[8];
	int rc;          /* index of the program, or -EINVAL */
	const char *err;
};

static const struct argv_case argvs[] = {
	{ { "withsplice", "--sctp", "--", "prog", NULL }, 3, NULL },
	{ { "withsplice", "--mptcp", "prog", "--sctp", NULL }, 2, NULL },
	{ { "withsplice", "--sctp", NULL }, -EINVAL, "no program given" },
	{ { "withsplice", "--bogus", "prog", NULL }, -EINVAL, "unknown option or missing value: '--bogus'" },
	{ { "withsplice", "--log", NULL }, -EINVAL, "unknown option or missing value: '--log'" },
	{ { "withsplice", "--log", "loud", "prog", NULL }, -EINVAL, "--log loud: want error" },
	{ { "withsplice", "--rule", "tcp port 80", "--rule", "sctp sideways", "p", NULL }, -EINVAL,
	  "--rule #2: unknown word: 'sideways'" },
	{ { "withsplice", "--peer", "1.2.3.4=5.6.7.8", "--multihome", "::1", "p", NULL }, 5, NULL },
	{ { "withsplice", "--peer", "1.2.3.4", "p", NULL }, -EINVAL, "--peer: a peer group needs" },
	{ { "withsplice", "--config", "/nonexistent/ws.conf", "p", NULL }, -EINVAL,
	  "cannot read config /nonexistent/ws.conf" },
};

Test(args, command_lines)
{
	for (size_t i = 0; i < sizeof(argvs) / sizeof(argvs[0]); i++) {
		struct ws_opts o;
		char err[256] = "";
		int argc = 0;
		while (argvs[i].argv[argc])
			argc++;
		ws_opts_init(&o);
		int rc = ws_opts_argv(&o, argc, (char **)argvs[i].argv, err, sizeof(err));
		cr_expect_eq(rc, argvs[i].rc, "case %zu: rc %d, want %d (%s)", i, rc, argvs[i].rc,
			     err);
		if (argvs[i].err)
			cr_expect(strstr(err, argvs[i].err) != NULL, "case %zu: got '%s', want '%s'",
				  i, err, argvs[i].err);
	}
}

Test(args, help)
{
	const char *argv[] = { "withsplice", "-h", NULL };
	struct ws_opts o;
	char err[64];

	ws_opts_init(&o);
	cr_expect_eq(ws_opts_argv(&o, 2, (char **)argv, err, sizeof(err)), 0);
	cr_expect(o.help);
}
