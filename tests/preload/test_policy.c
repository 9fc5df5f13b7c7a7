/* Rule parsing, matching and the decision order of the withsplice policy. */
#include <splicekit/ws_policy.h>

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

static struct ws_policy pol;
static char err[256];

static void setup(void)
{
	ws_policy_init(&pol);
	err[0] = '\0';
}

TestSuite(policy, .init = setup);

static int add(const char *r)
{
	return ws_policy_add_rule(&pol, r, strlen(r), err, sizeof(err));
}

static struct ws_query q4(enum ws_role role, const char *a, unsigned port, const char *prog)
{
	struct ws_query q = { .role = role, .family = AF_INET, .port = (uint16_t)port, .prog = prog };
	cr_assert_eq(inet_pton(AF_INET, a, q.addr), 1);
	return q;
}

static struct ws_query q6(enum ws_role role, const char *a, unsigned port)
{
	struct ws_query q = { .role = role, .family = AF_INET6, .port = (uint16_t)port };
	cr_assert_eq(inet_pton(AF_INET6, a, q.addr), 1);
	return q;
}

static enum ws_transport decide(struct ws_query q)
{
	struct ws_decision d;
	ws_policy_decide(&pol, &q, &d);
	return d.transport;
}

Test(policy, defaults)
{
	cr_assert_eq(pol.dflt, WS_TCP);
	cr_assert(pol.fallback_tcp);
	cr_assert_eq(pol.fallback_ms, 2000);
	cr_assert_eq(pol.shutwr, WS_SHUTWR_DEFER);
	cr_assert_eq(decide(q4(WS_ROLE_CONNECT, "10.0.0.1", 80, NULL)), WS_TCP);
}

Test(policy, full_rule_parses)
{
	cr_assert_eq(add("sctp connect addr 10.1.0.0/16 port 80-443 prog curl shutwr full"), 0, "%s", err);
	const struct ws_rule *r = &pol.rules[0];
	cr_assert_eq(pol.nrules, 1);
	cr_assert_eq(r->transport, WS_SCTP);
	cr_assert_eq(r->roles, WS_ROLE_CONNECT);
	cr_assert_eq(r->family, AF_INET);
	cr_assert_eq(r->plen, 16);
	cr_assert_eq(r->port_lo, 80);
	cr_assert_eq(r->port_hi, 443);
	cr_assert_str_eq(r->prog, "curl");
	cr_assert_eq(r->shutwr, WS_SHUTWR_FULL);
}

Test(policy, rejections_name_the_token)
{
	static const struct { const char *rule, *msg; } bad[] = {
		{ "", "empty rule" },
		{ "   ", "empty rule" },
		{ "udp", "must start with" },
		{ "sctp sideways", "unknown word: 'sideways'" },
		{ "sctp port", "missing value after: 'port'" },
		{ "sctp port 65536", "bad port" },
		{ "sctp port 80x", "bad port" },
		{ "sctp port 90-80", "upside down" },
		{ "sctp port -80", "bad port" },
		{ "sctp addr 10.0.0.300", "bad address" },
		{ "sctp addr 10.0.0.0/33", "bad prefix length" },
		{ "sctp addr fd00::/129", "bad prefix length" },
		{ "sctp addr /8", "bad address" },
		{ "sctp prog abcdefghijabcdefghijabcdefghijabc", "too long" },
		{ "sctp shutwr maybe", "shutwr takes defer or full" },
		{ "mptcp dual", "dual needs an sctp rule" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(add(bad[i].rule), -EINVAL, "'%s' accepted", bad[i].rule);
		cr_assert(strstr(err, bad[i].msg), "'%s': got '%s'", bad[i].rule, err);
	}
	cr_assert_eq(pol.nrules, 0);
}

Test(policy, too_many_rules)
{
	for (int i = 0; i < WS_MAX_RULES; i++)
		cr_assert_eq(add("sctp port 1"), 0);
	cr_assert_eq(add("sctp port 1"), -ENOSPC);
}

Test(policy, first_match_wins)
{
	cr_assert_eq(add("tcp port 8080"), 0);
	cr_assert_eq(add("sctp port 8000-9000"), 0);
	cr_assert_eq(decide(q4(WS_ROLE_CONNECT, "10.0.0.1", 8080, NULL)), WS_TCP);
	cr_assert_eq(decide(q4(WS_ROLE_CONNECT, "10.0.0.1", 8081, NULL)), WS_SCTP);
	cr_assert_eq(decide(q4(WS_ROLE_CONNECT, "10.0.0.1", 9001, NULL)), WS_TCP);
}

Test(policy, role_prog_and_prefix)
{
	pol.dflt = WS_TCP;
	cr_assert_eq(add("sctp listen port 80"), 0);
	cr_assert_eq(add("mptcp connect addr 192.168.0.0/23 prog wrk"), 0);
	cr_assert_eq(decide(q4(WS_ROLE_LISTEN, "0.0.0.0", 80, "nginx")), WS_SCTP);
	cr_assert_eq(decide(q4(WS_ROLE_CONNECT, "10.0.0.1", 80, "curl")), WS_TCP);
	cr_assert_eq(decide(q4(WS_ROLE_CONNECT, "192.168.1.255", 1, "wrk")), WS_MPTCP);
	cr_assert_eq(decide(q4(WS_ROLE_CONNECT, "192.168.2.0", 1, "wrk")), WS_TCP);
	cr_assert_eq(decide(q4(WS_ROLE_CONNECT, "192.168.1.1", 1, "curl")), WS_TCP);
	cr_assert_eq(decide(q4(WS_ROLE_CONNECT, "192.168.1.1", 1, NULL)), WS_TCP);
}

Test(policy, ipv6_prefixes)
{
	cr_assert_eq(add("sctp addr fd00:1::/33"), 0, "%s", err);
	cr_assert_eq(decide(q6(WS_ROLE_CONNECT, "fd00:1:7fff::1", 80)), WS_SCTP);
	cr_assert_eq(decide(q6(WS_ROLE_CONNECT, "fd00:1:8000::1", 80)), WS_TCP);
	/* An IPv4 rule never matches an IPv6 address. */
	cr_assert_eq(add("mptcp addr 0.0.0.0/0"), 0);
	cr_assert_eq(decide(q6(WS_ROLE_CONNECT, "2001:db8::1", 80)), WS_TCP);
	cr_assert_eq(decide(q4(WS_ROLE_CONNECT, "203.0.113.1", 80, NULL)), WS_MPTCP);
}

Test(policy, dns_and_loopback_stay_tcp_unless_asked)
{
	pol.dflt = WS_SCTP;
	struct ws_decision d;
	struct ws_query q = q4(WS_ROLE_CONNECT, "10.0.0.53", 53, NULL);
	ws_policy_decide(&pol, &q, &d);
	cr_assert_eq(d.transport, WS_TCP);
	cr_assert_eq(d.rule, -1);
	cr_assert_eq(decide(q4(WS_ROLE_CONNECT, "127.0.0.1", 80, NULL)), WS_TCP);
	cr_assert_eq(decide(q4(WS_ROLE_LISTEN, "127.0.0.2", 80, NULL)), WS_TCP);
	cr_assert_eq(decide(q6(WS_ROLE_CONNECT, "::1", 80)), WS_TCP);
	q = q4(WS_ROLE_CONNECT, "10.0.0.1", 80, NULL);
	ws_policy_decide(&pol, &q, &d);
	cr_assert_eq(d.transport, WS_SCTP);
	cr_assert_eq(d.rule, -2);
	/* Asked: a user rule, or the loopback switch. */
	cr_assert_eq(add("sctp port 53"), 0);
	cr_assert_eq(decide(q4(WS_ROLE_CONNECT, "10.0.0.53", 53, NULL)), WS_SCTP);
	pol.loopback = true;
	cr_assert_eq(decide(q4(WS_ROLE_CONNECT, "127.0.0.1", 80, NULL)), WS_SCTP);
}

Test(policy, shutdown_policy_per_rule)
{
	struct ws_decision d;
	pol.dflt = WS_SCTP;
	cr_assert_eq(add("sctp prog sshd shutwr full"), 0);
	struct ws_query q = q4(WS_ROLE_LISTEN, "0.0.0.0", 22, "sshd");
	ws_policy_decide(&pol, &q, &d);
	cr_assert_eq(d.shutwr, WS_SHUTWR_FULL);
	q.prog = "nginx";
	ws_policy_decide(&pol, &q, &d);
	cr_assert_eq(d.shutwr, WS_SHUTWR_DEFER);
}

Test(policy, rule_lists_with_comments)
{
	cr_assert_eq(ws_policy_add_rules(&pol, "sctp port 80; # web\n\n tcp prog ssh # keep\nmptcp", err,
					 sizeof(err)), 0, "%s", err);
	cr_assert_eq(pol.nrules, 3);
	cr_assert_eq(pol.rules[2].transport, WS_MPTCP);
	ws_policy_init(&pol);
	cr_assert_eq(ws_policy_add_rules(&pol, "sctp port 80;tcp port x", err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "rule 2: bad port"), "%s", err);
}

Test(policy, transport_names)
{
	enum ws_transport t;
	cr_assert_eq(ws_transport_parse("mptcp", 5, &t), 0);
	cr_assert_eq(t, WS_MPTCP);
	cr_assert_eq(ws_transport_parse("sctpx", 5, &t), -EINVAL);
	cr_assert_eq(ws_transport_parse("sct", 3, &t), -EINVAL);
	cr_assert_str_eq(ws_transport_name(WS_SCTP), "sctp");
}
