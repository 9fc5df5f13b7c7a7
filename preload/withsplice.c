/* withsplice: run a program with libwithsplice.so preloaded and a policy in
 * its environment. All validation happens here, before exec, so mistakes
 * are reported with a clear message instead of a silently inactive shim. */
#include <splicekit/ws_policy.h>

#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef WS_LIBDIR
#define WS_LIBDIR "/usr/local/lib"
#endif

static const char usage[] =
"usage: withsplice [--tcp|--sctp|--mptcp] [--rule RULE]... [--config FILE]\n"
"                  [--multihome ADDRS] [--peer ADDR=ADDR,...] [--failover-ms MS]\n"
"                  [--fallback tcp|none] [--fallback-ms MS]\n"
"                  [--shutwr defer|full] [--loopback] [--no-inherit]\n"
"                  [--log LEVEL] [--log-file FILE] [--] PROGRAM [ARGS]\n"
"\n"
"Runs PROGRAM with libwithsplice.so preloaded, so its TCP stream sockets\n"
"become SCTP (one-to-one) or MPTCP sockets, or stay TCP, as the policy says.\n"
"The decision is taken per socket at connect() (clients) and listen()\n"
"(servers); the socket is replaced under the program's fd.\n"
"\n"
"  --tcp, --sctp, --mptcp  default transport when no rule matches (tcp)\n"
"  --rule RULE             add a rule; the first matching rule wins:\n"
"        TRANSPORT [connect|listen] [addr ADDR[/LEN]] [port P[-Q]]\n"
"                  [prog NAME] [shutwr defer|full] [dual]\n"
"      ('dual', sctp listen rules only: keep the TCP listener and listen\n"
"      on SCTP at the same port too; accept(), poll() and epoll see both)\n"
"      e.g. --rule 'sctp listen port 80'  --rule 'tcp prog ssh'\n"
"           --rule 'mptcp connect addr 10.0.0.0/8 port 443'\n"
"      Built in after your rules: port 53 and loopback stay TCP.\n"
"  --config FILE           rules and settings, one per line ('#' comments):\n"
"      a rule, or 'default T', 'fallback tcp|none', 'fallback-ms N',\n"
"      'multihome A,B', 'peer A=B,C', 'failover-ms N', 'shutwr defer|full',\n"
"      'loopback yes', 'log LEVEL'\n"
"  --multihome ADDRS       extra local addresses for SCTP sockets\n"
"                          (comma-separated), so an association survives\n"
"                          the loss of one path, e.g. 10.1.0.1,10.2.0.1.\n"
"                          Clients then also connect to every address a\n"
"                          name resolved to (getaddrinfo) at once\n"
"  --peer A=B,C            (repeatable) when connecting to A over SCTP, give\n"
"                          the association B and C as further paths\n"
"  --failover-ms MS        tune SCTP (RTO, heartbeats, 2 path retransmits)\n"
"                          so a dead path is left within about MS ms\n"
"                          (default: kernel values, i.e. tens of seconds)\n"
"  --fallback tcp|none     when an SCTP peer does not answer (ABORT, ICMP\n"
"                          protocol unreachable, timeout), reconnect over\n"
"                          TCP on the same fd (tcp, default) or fail (none).\n"
"                          Also allows running where the kernel lacks SCTP.\n"
"  --fallback-ms MS        how long an SCTP connect may take (2000); a\n"
"                          non-blocking connect() returns EINPROGRESS at\n"
"                          once and the fallback runs from the program's\n"
"                          poll/select/epoll waits\n"
"  --shutwr defer|full     shutdown(SHUT_WR) on SCTP (no half-close there):\n"
"                          defer it to close() (default) or shut down fully\n"
"  --loopback              convert loopback sockets too (normally TCP)\n"
"  --no-inherit            programs PROGRAM executes run without the shim\n"
"  --log LEVEL             error, warn (default), info (one line per\n"
"                          converted socket), debug\n"
"  --log-file FILE         append log lines to FILE instead of stderr\n"
"  -h, --help              this text\n"
"  -V, --version           print the version\n"
"\n"
"Examples:\n"
"  withsplice --sctp -- nginx -g 'daemon off;'\n"
"  withsplice --sctp --fallback tcp -- curl http://10.0.0.2/\n"
"  withsplice --mptcp --log info -- wrk -d5s http://10.0.0.2/\n"
"  withsplice --sctp --multihome 10.1.0.1,10.2.0.1 -- iperf3 -s\n"
"\n"
"Environment: WITHSPLICE_LIB overrides where libwithsplice.so is found\n"
"(default: next to this program, then " WS_LIBDIR "). LD_PRELOAD is\n"
"appended to, never replaced.\n";

struct opts {
	struct ws_policy pol;
	char rules[8192];
	size_t rlen;
	const char *dflt, *multihome, *fallback, *fallback_ms, *shutwr, *log, *logfile, *failover;
	char peers[1024];
	bool loopback, noinherit, fallback_given;
};

__attribute__((format(printf, 2, 3), noreturn))
static void die(int code, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "withsplice: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void add_rule(struct opts *o, const char *rule, const char *where)
{
	char err[256];
	if (ws_policy_add_rule(&o->pol, rule, strlen(rule), err, sizeof(err)) < 0) {
		fprintf(stderr, "withsplice: %s: %s\n", where, err);
		exit(2);
	}
	if (o->rlen + strlen(rule) + 2 > sizeof(o->rules))
		die(2, "%s: too many rules", where);
	o->rlen += (size_t)snprintf(o->rules + o->rlen, sizeof(o->rules) - o->rlen, "%s%s",
				    o->rlen ? ";" : "", rule);
}

static void add_peer(struct opts *o, const char *spec, const char *where)
{
	size_t n = strlen(o->peers);
	if (!strchr(spec, '=') || strspn(spec, "0123456789abcdefABCDEF.:=,") != strlen(spec))
		die(2, "%s: peer '%s': want ADDR=ADDR[,ADDR...]", where, spec);
	if (n + strlen(spec) + 2 > sizeof(o->peers))
		die(2, "%s: too many peers", where);
	snprintf(o->peers + n, sizeof(o->peers) - n, "%s%s", n ? ";" : "", spec);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static void read_config(struct opts *o, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512], where[PATH_MAX + 32];
	unsigned ln = 0;

	if (!f)
		die(2, "cannot read config %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		ln++;
		snprintf(where, sizeof(where), "%s:%u", path, ln);
		if (!strchr(line, '\n') && !feof(f))
			die(2, "%s: line longer than 510 bytes", where);
		char *h = strchr(line, '#');
		if (h)
			*h = '\0';
		char *s = trim(line);
		if (!*s)
			continue;
		char *val = s + strcspn(s, " \t");
		if (*val)
			*val++ = '\0';
		val = trim(val);
		/* Settings keep their string; it must outlive this line. */
		if (!strcmp(s, "default"))
			o->dflt = strdup(val);
		else if (!strcmp(s, "fallback"))
			o->fallback = strdup(val), o->fallback_given = true;
		else if (!strcmp(s, "fallback-ms"))
			o->fallback_ms = strdup(val);
		else if (!strcmp(s, "multihome"))
			o->multihome = strdup(val);
		else if (!strcmp(s, "peer"))
			add_peer(o, val, where);
		else if (!strcmp(s, "failover-ms"))
			o->failover = strdup(val);
		else if (!strcmp(s, "shutwr"))
			o->shutwr = strdup(val);
		else if (!strcmp(s, "log"))
			o->log = strdup(val);
		else if (!strcmp(s, "loopback"))
			o->loopback = !strcmp(val, "yes") || !strcmp(val, "1");
		else if (!strcmp(s, "tcp") || !strcmp(s, "sctp") || !strcmp(s, "mptcp")) {
			char rule[512];
			snprintf(rule, sizeof(rule), "%s %s", s, val);
			add_rule(o, rule, where);
		} else
			die(2, "%s: unknown setting '%s' (a rule starts with tcp, sctp or mptcp)",
			    where, s);
	}
	fclose(f);
}

static bool transport_used(const struct opts *o, enum ws_transport t)
{
	if (o->pol.dflt == t)
		return true;
	for (unsigned i = 0; i < o->pol.nrules; i++)
		if (o->pol.rules[i].transport == t)
			return true;
	return false;
}

static void check_kernel(const struct opts *o, enum ws_transport t)
{
	int fd = socket(AF_INET, SOCK_STREAM, t == WS_SCTP ? IPPROTO_SCTP : IPPROTO_MPTCP);
	const char *name = t == WS_SCTP ? "SCTP" : "MPTCP";
	bool fb = !o->fallback || !strcmp(o->fallback, "tcp");

	if (fd >= 0) {
		close(fd);
		return;
	}
	fprintf(stderr, "withsplice: this kernel cannot make %s sockets (%s)%s\n", name,
		strerror(errno),
		t == WS_SCTP ? "; load the sctp module (modprobe sctp)"
			     : "; check sysctl net.mptcp.enabled");
	if (o->fallback_given && fb) {
		fprintf(stderr, "withsplice: --fallback tcp: every socket the policy gives %s "
				"stays on TCP\n", name);
		return;
	}
	fprintf(stderr, "withsplice: refusing to run; with --fallback tcp every socket the "
			"policy gives %s would stay on TCP\n", name);
	exit(1);
}

static void find_program(const char *prog, char *out, size_t len)
{
	const char *path = getenv("PATH");

	if (strchr(prog, '/')) {
		snprintf(out, len, "%s", prog);
		return;
	}
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");
		snprintf(out, len, "%.*s/%s", (int)n, n ? p : ".", prog);
		if (access(out, X_OK) == 0)
			return;
		p += n;
		if (*p)
			p++;
	}
	die(127, "%s: command not found", prog);
}

static void find_lib(char *out, size_t len)
{
	const char *env = getenv("WITHSPLICE_LIB");
	char self[PATH_MAX - 32];
	ssize_t n;

	if (env && *env) {
		if (access(env, R_OK) < 0)
			die(1, "WITHSPLICE_LIB=%s: %s", env, strerror(errno));
		snprintf(out, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(out, len, "%s/libwithsplice.so", self);
			if (access(out, R_OK) == 0)
				return;
		}
	}
	snprintf(out, len, "%s/libwithsplice.so", WS_LIBDIR);
	if (access(out, R_OK) < 0)
		die(1, "cannot find libwithsplice.so next to withsplice or at %s (set WITHSPLICE_LIB)",
		    out);
}

static void setenv_opt(const char *name, const char *v)
{
	if (v)
		setenv(name, v, 1);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "tcp", no_argument, NULL, 't' },
		{ "sctp", no_argument, NULL, 's' },
		{ "mptcp", no_argument, NULL, 'm' },
		{ "rule", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "multihome", required_argument, NULL, 'H' },
		{ "peer", required_argument, NULL, 'P' },
		{ "failover-ms", required_argument, NULL, 'O' },
		{ "fallback", required_argument, NULL, 'f' },
		{ "fallback-ms", required_argument, NULL, 'F' },
		{ "shutwr", required_argument, NULL, 'S' },
		{ "loopback", no_argument, NULL, 'L' },
		{ "no-inherit", no_argument, NULL, 'N' },
		{ "log", required_argument, NULL, 'l' },
		{ "log-file", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	struct opts o;
	char prog[PATH_MAX], lib[PATH_MAX], preload[8192], arg[64];
	struct stat st;
	int c;

	memset(&o, 0, sizeof(o));
	ws_policy_init(&o.pol);
	while ((c = getopt_long(argc, argv, "+hV", lo, NULL)) != -1) {
		switch (c) {
		case 't': o.dflt = "tcp"; break;
		case 's': o.dflt = "sctp"; break;
		case 'm': o.dflt = "mptcp"; break;
		case 'r':
			snprintf(arg, sizeof(arg), "--rule #%u", o.pol.nrules + 1);
			add_rule(&o, optarg, arg);
			break;
		case 'c': read_config(&o, optarg); break;
		case 'H': o.multihome = optarg; break;
		case 'P': add_peer(&o, optarg, "--peer"); break;
		case 'O': o.failover = optarg; break;
		case 'f': o.fallback = optarg; o.fallback_given = true; break;
		case 'F': o.fallback_ms = optarg; break;
		case 'S': o.shutwr = optarg; break;
		case 'L': o.loopback = true; break;
		case 'N': o.noinherit = true; break;
		case 'l': o.log = optarg; break;
		case 'o': o.logfile = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': printf("withsplice %s\n", SPLICEKIT_VERSION); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind >= argc) {
		fputs("withsplice: no program given\n", stderr);
		fputs(usage, stderr);
		return 2;
	}
	if (o.dflt && ws_transport_parse(o.dflt, strlen(o.dflt), &o.pol.dflt) < 0)
		die(2, "default transport '%s': want tcp, sctp or mptcp", o.dflt);
	if (o.fallback && strcmp(o.fallback, "tcp") && strcmp(o.fallback, "none"))
		die(2, "--fallback %s: want tcp or none", o.fallback);
	if (o.shutwr && strcmp(o.shutwr, "defer") && strcmp(o.shutwr, "full"))
		die(2, "--shutwr %s: want defer or full", o.shutwr);
	if (o.log && strcmp(o.log, "error") && strcmp(o.log, "warn") && strcmp(o.log, "info") &&
	    strcmp(o.log, "debug"))
		die(2, "--log %s: want error, warn, info or debug", o.log);
	if (o.fallback_ms && strspn(o.fallback_ms, "0123456789") != strlen(o.fallback_ms))
		die(2, "--fallback-ms %s: want milliseconds", o.fallback_ms);
	if (o.failover && (strspn(o.failover, "0123456789") != strlen(o.failover) || atoi(o.failover) < 30))
		die(2, "--failover-ms %s: want milliseconds, at least 30", o.failover);

	if (transport_used(&o, WS_SCTP))
		check_kernel(&o, WS_SCTP);
	if (transport_used(&o, WS_MPTCP))
		check_kernel(&o, WS_MPTCP);

	find_program(argv[optind], prog, sizeof(prog));
	if (stat(prog, &st) < 0)
		die(127, "%s: %s", prog, strerror(errno));
	if (st.st_mode & (S_ISUID | S_ISGID))
		die(126, "%s is setuid/setgid: the dynamic loader ignores LD_PRELOAD for it, so "
			 "the shim would silently not apply; refusing", prog);
	find_lib(lib, sizeof(lib));

	const char *old = getenv("LD_PRELOAD");
	if (old && *old && strstr(old, lib))
		snprintf(preload, sizeof(preload), "%s", old);
	else if (old && *old)
		snprintf(preload, sizeof(preload), "%s %s", old, lib);
	else
		snprintf(preload, sizeof(preload), "%s", lib);
	setenv("LD_PRELOAD", preload, 1);
	setenv("WITHSPLICE_DEFAULT", ws_transport_name(o.pol.dflt), 1);
	setenv("WITHSPLICE_RULES", o.rules, 1);
	setenv_opt("WITHSPLICE_FALLBACK", o.fallback);
	setenv_opt("WITHSPLICE_FALLBACK_MS", o.fallback_ms);
	setenv_opt("WITHSPLICE_SHUTWR", o.shutwr);
	setenv_opt("WITHSPLICE_MULTIHOME", o.multihome);
	if (o.peers[0])
		setenv("WITHSPLICE_PEERS", o.peers, 1);
	setenv_opt("WITHSPLICE_FAILOVER_MS", o.failover);
	setenv_opt("WITHSPLICE_LOG", o.log);
	setenv_opt("WITHSPLICE_LOG_FILE", o.logfile);
	if (o.loopback)
		setenv("WITHSPLICE_LOOPBACK", "1", 1);
	if (o.noinherit)
		setenv("WITHSPLICE_INHERIT", "0", 1);
	execv(prog, argv + optind);
	fprintf(stderr, "withsplice: cannot run %s: %s\n", prog, strerror(errno));
	return 127;
}
