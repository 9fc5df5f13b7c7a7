/* withsplice: run a program with libwithsplice.so preloaded and a policy in
 * its environment. All validation happens here, before exec, so mistakes
 * are reported with a clear message instead of a silently inactive shim. */
#include "ws_args.h"

#include <errno.h>
#include <stdarg.h>
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
"                  [--shutwr defer|full] [--half-close] [--loopback]\n"
"                  [--no-inherit] [--log LEVEL] [--log-file FILE]\n"
"                  [--] PROGRAM [ARGS]\n"
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
"      'loopback yes', 'half-close yes', 'log LEVEL'\n"
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
"  --fallback-ms MS        how long an SCTP connect may take (2000);\n"
"                          non-blocking connects never wait for it\n"
"  --shutwr defer|full     shutdown(SHUT_WR) on SCTP (no half-close there):\n"
"                          defer it to close() (default) or shut down fully\n"
"  --half-close            shutdown(SHUT_WR) on SCTP is a real half-close\n"
"                          when the peer's withsplice has it too (else\n"
"                          --shutwr); reads then use recvmsg\n"
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

static bool transport_used(const struct ws_opts *o, enum ws_transport t)
{
	if (o->pol.dflt == t)
		return true;
	for (unsigned i = 0; i < o->pol.nrules; i++)
		if (o->pol.rules[i].transport == t)
			return true;
	return false;
}

static void check_kernel(const struct ws_opts *o, enum ws_transport t)
{
	int fd = socket(AF_INET, SOCK_STREAM, t == WS_SCTP ? IPPROTO_SCTP : IPPROTO_MPTCP);
	const char *name = t == WS_SCTP ? "SCTP" : "MPTCP";
	bool fb = !o->fallback[0] || !strcmp(o->fallback, "tcp");

	if (fd >= 0) {
		close(fd);
		return;
	}
	fprintf(stderr, "withsplice: this kernel cannot make %s sockets (%s)%s\n", name,
		strerror(errno),
		t == WS_SCTP ? "; load the sctp module (modprobe sctp)"
			     : "; check sysctl net.mptcp.enabled");
	if (o->fallback[0] && fb) {
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
	if (v && *v)
		setenv(name, v, 1);
}

int main(int argc, char **argv)
{
	struct ws_opts o;
	char prog[PATH_MAX], lib[PATH_MAX], preload[8192], err[512];
	struct stat st;
	int first;

	ws_opts_init(&o);
	first = ws_opts_argv(&o, argc, argv, err, sizeof(err));
	if (first < 0) {
		fprintf(stderr, "withsplice: %s\n", err);
		fputs(usage, stderr);
		return 2;
	}
	if (o.help) {
		fputs(usage, stdout);
		return 0;
	}
	if (o.version) {
		printf("withsplice %s\n", SPLICEKIT_VERSION);
		return 0;
	}
	if (transport_used(&o, WS_SCTP))
		check_kernel(&o, WS_SCTP);
	if (transport_used(&o, WS_MPTCP))
		check_kernel(&o, WS_MPTCP);

	find_program(argv[first], prog, sizeof(prog));
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
	setenv_opt("WITHSPLICE_PEERS", o.peers);
	setenv_opt("WITHSPLICE_FAILOVER_MS", o.failover);
	setenv_opt("WITHSPLICE_LOG", o.log);
	setenv_opt("WITHSPLICE_LOG_FILE", o.logfile);
	if (o.loopback)
		setenv("WITHSPLICE_LOOPBACK", "1", 1);
	if (o.halfclose)
		setenv("WITHSPLICE_HALFCLOSE", "1", 1);
	if (o.noinherit)
		setenv("WITHSPLICE_INHERIT", "0", 1);
	execv(prog, argv + first);
	fprintf(stderr, "withsplice: cannot run %s: %s\n", prog, strerror(errno));
	return 127;
}
