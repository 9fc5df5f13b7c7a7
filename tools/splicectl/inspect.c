/* splicectl inspect FILE.pcap [--json]: every TLS handshake message in a
 * capture, decoded by the dispatcher's own parsers (raw_parse, tls_ch,
 * tls_srv, tls_key_derive) after per-flow TCP reassembly.
 *
 * Exit status: 0 when the whole file was read (problems inside flows are
 * reported as notes), 1 when the file cannot be read as a capture or ends
 * in the middle of a record, 2 for a bad command line.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "splicekit/raw_pkt.h"
#include "inspect.h"
#include "splicectl.h"

#define N_BUCKETS 4096u
#define MAX_FLOWS 100000u
#define MAX_FRAME 262144u /* libpcap's own snapshot-length ceiling */

struct state {
	struct sc_flow *buckets[N_BUCKETS];
	unsigned n_flows, n_live, n_tls;
	bool flows_full_noted;
	uint64_t skipped;
	struct sc_out out;
};

/* Retired flows (port reuse) stay on this list until the end. */
struct link_node {
	struct sc_flow *fl;
	struct link_node *next;
};

static struct link_node *all_flows;

static void usage(FILE *f)
{
	fputs("usage: splicectl inspect FILE.pcap [--json]\n"
	      "  Prints every TLS handshake message in the capture (pcap or pcapng):\n"
	      "  flow, type, versions, session ID, SNI, ALPN, ticket, PSK identities\n"
	      "  and the routing key spliced would use. --json prints one JSON\n"
	      "  document. Exit 1 if the file is not a readable capture.\n", f);
}

static int map_link(int dlt, enum raw_link *link, size_t *skip)
{
	*skip = 0;
	switch (dlt) {
	case DLT_EN10MB:
		*link = RAW_LINK_ETH;
		return 0;
	case DLT_RAW:
#ifdef DLT_IPV4
	case DLT_IPV4:
#endif
#ifdef DLT_IPV6
	case DLT_IPV6:
#endif
		*link = RAW_LINK_IP;
		return 0;
	case DLT_LINUX_SLL:
		*link = RAW_LINK_SLL;
		return 0;
	case DLT_NULL:
	case DLT_LOOP:
		/* 4-byte address family; the IP version nibble says the rest */
		*link = RAW_LINK_IP;
		*skip = 4;
		return 0;
	default:
		return -EPROTONOSUPPORT;
	}
}

static unsigned flow_hash(const struct raw_pkt *p)
{
	/* Symmetric so both directions land in one bucket; not keyed, as a
	 * capture file is not a live attacker and the chains are bounded by
	 * MAX_FLOWS anyway. */
	unsigned h = (unsigned)p->sport ^ p->dport;

	for (unsigned i = 0; i < 16; i++)
		h = h * 31 + (p->saddr[i] ^ p->daddr[i]);
	return h % N_BUCKETS;
}

static bool same_dir(const struct sc_flow *fl, const struct raw_pkt *p)
{
	return fl->cport == p->sport && fl->sport == p->dport &&
	       memcmp(fl->caddr, p->saddr, 16) == 0 && memcmp(fl->saddr, p->daddr, 16) == 0;
}

static bool rev_dir(const struct sc_flow *fl, const struct raw_pkt *p)
{
	return fl->sport == p->sport && fl->cport == p->dport &&
	       memcmp(fl->saddr, p->saddr, 16) == 0 && memcmp(fl->caddr, p->daddr, 16) == 0;
}

static void release_dir(struct sc_flow *fl, bool client)
{
	/* Nothing more will be decoded in this direction: give the memory
	 * back so a long capture costs little per finished flow. */
	if (client) {
		sc_stream_free(&fl->c2s.st);
		tls_ch_free(fl->ch);
		fl->ch = NULL;
	} else {
		sc_stream_free(&fl->s2c.st);
		tls_srv_free(fl->srv);
		fl->srv = NULL;
	}
}

static void finish_flow(struct state *s, struct sc_flow *fl, uint64_t frame)
{
	if (fl->finished)
		return;
	fl->finished = true;
	for (int d = 0; d < 2; d++) {
		struct sc_dir *dir = d ? &fl->s2c : &fl->c2s;
		const char *why = NULL;
		char what[160];

		if (!dir->w.stopped && dir->st.n_pending > 0)
			why = "capture lost bytes (a hole in the TCP stream): later messages are not decoded";
		else if (fl->is_tls)
			why = sc_walk_eof(&dir->w);
		if (why) {
			snprintf(what, sizeof(what), "%s: %s", d ? "server" : "client", why);
			sc_out_note(&s->out, frame, fl, what);
		}
		release_dir(fl, d == 0);
	}
}

static struct sc_flow *new_flow(struct state *s, const struct raw_pkt *p,
				bool sender_is_client, unsigned bucket)
{
	struct sc_flow *fl;
	struct link_node *ln;

	if (s->n_live >= MAX_FLOWS)
		return NULL;
	fl = calloc(1, sizeof(*fl));
	ln = calloc(1, sizeof(*ln));
	if (!fl || !ln) {
		free(fl);
		free(ln);
		return NULL;
	}
	fl->index = s->n_flows++;
	fl->family = p->family;
	memcpy(sender_is_client ? fl->caddr : fl->saddr, p->saddr, 16);
	memcpy(sender_is_client ? fl->saddr : fl->caddr, p->daddr, 16);
	fl->cport = sender_is_client ? p->sport : p->dport;
	fl->sport = sender_is_client ? p->dport : p->sport;
	fl->next = s->buckets[bucket];
	s->buckets[bucket] = fl;
	ln->fl = fl;
	ln->next = all_flows;
	all_flows = ln;
	s->n_live++;
	return fl;
}

static void unlink_flow(struct state *s, struct sc_flow *fl, unsigned bucket)
{
	struct sc_flow **pp = &s->buckets[bucket];

	while (*pp != fl)
		pp = &(*pp)->next;
	*pp = fl->next;
	fl->next = NULL;
	s->n_live--;
}

static int on_tcp(struct state *s, const struct raw_pkt *p, const uint8_t *buf,
		  uint64_t frame)
{
	unsigned bucket = flow_hash(p);
	bool syn = p->tcp_flags & RAW_TCP_SYN, ack = p->tcp_flags & RAW_TCP_ACK;
	struct sc_flow *fl;
	bool from_client;
	struct sc_dir *dir;
	int r;

	for (fl = s->buckets[bucket]; fl; fl = fl->next)
		if (same_dir(fl, p) || rev_dir(fl, p))
			break;
	/* A fresh SYN on a known 4-tuple whose client already sent data is
	 * a new connection (port reuse); tshark numbers it as a new stream
	 * too. */
	if (fl && syn && !ack && same_dir(fl, p) && fl->c2s.st.started &&
	    fl->c2s.st.next_seq != p->seq + 1) {
		unlink_flow(s, fl, bucket);
		finish_flow(s, fl, frame);
		fl = NULL;
	}
	if (!fl) {
		fl = new_flow(s, p, !(syn && ack), bucket);
		if (!fl) {
			if (!s->flows_full_noted)
				sc_out_note(&s->out, frame, NULL,
					    "too many concurrent flows; new ones are ignored");
			s->flows_full_noted = true;
			return 0;
		}
	}
	from_client = same_dir(fl, p);
	dir = from_client ? &fl->c2s : &fl->s2c;
	if (dir->w.stopped)
		return 0;
	r = sc_stream_add(&dir->st, p->seq, syn, buf + p->payload_off, p->payload_len);
	if (r < 0)
		return r;
	if (dir->st.len > 0) {
		bool was_tls = fl->is_tls;

		r = sc_walk_feed(fl, from_client, dir->st.buf, dir->st.len, frame, &s->out);
		dir->st.len = 0;
		if (r < 0)
			return r;
		if (!was_tls && fl->is_tls)
			s->n_tls++;
	}
	if (dir->st.truncated && !dir->w.stopped) {
		sc_out_note(&s->out, frame, fl, from_client
			    ? "client: too many out-of-order segments; decoding stops"
			    : "server: too many out-of-order segments; decoding stops");
		dir->w.stopped = true;
	}
	if (dir->w.stopped)
		release_dir(fl, from_client);
	return 0;
}

static void free_all(struct state *s)
{
	while (all_flows) {
		struct link_node *ln = all_flows;

		all_flows = ln->next;
		release_dir(ln->fl, true);
		release_dir(ln->fl, false);
		free(ln->fl);
		free(ln);
	}
	memset(s->buckets, 0, sizeof(s->buckets));
}

int sc_cmd_inspect(int argc, char **argv, const struct sc_global *g)
{
	const char *file = NULL;
	bool json = false;
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	char error[PCAP_ERRBUF_SIZE + 64] = "";
	struct state *s;
	pcap_t *pc;
	enum raw_link link;
	size_t skip;
	uint64_t frame = 0;
	static uint8_t buf[MAX_FRAME];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	struct stat sb;
	int r;

	(void)g;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return SC_EXIT_OK;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "splicectl inspect: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return SC_EXIT_USAGE;
		} else if (file) {
			fprintf(stderr, "splicectl inspect: one capture file only ('%s')\n", argv[i]);
			return SC_EXIT_USAGE;
		} else {
			file = argv[i];
		}
	}
	if (!file) {
		usage(stderr);
		return SC_EXIT_USAGE;
	}
	/* libpcap words an empty file as a truncated header; say it plainly. */
	if (stat(file, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0) {
		fprintf(stderr, "splicectl inspect: %s: empty file, not a capture\n", file);
		return SC_EXIT_FAIL;
	}
	pc = pcap_open_offline(file, errbuf);
	if (!pc) {
		fprintf(stderr, "splicectl inspect: %s: not a readable capture: %s\n", file, errbuf);
		return SC_EXIT_FAIL;
	}
	if (map_link(pcap_datalink(pc), &link, &skip) < 0) {
		const char *n = pcap_datalink_val_to_name(pcap_datalink(pc));

		fprintf(stderr, "splicectl inspect: %s: unsupported link type %s (%d)\n",
			file, n ? n : "?", pcap_datalink(pc));
		pcap_close(pc);
		return SC_EXIT_FAIL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		pcap_close(pc);
		fprintf(stderr, "splicectl inspect: out of memory\n");
		return SC_EXIT_FAIL;
	}
	s->out.f = stdout;
	s->out.json = json;
	sc_out_begin(&s->out, file);

	while ((r = pcap_next_ex(pc, &hdr, &data)) == 1) {
		struct raw_pkt p;

		frame++;
		if (hdr->caplen <= skip || hdr->caplen - skip > sizeof(buf)) {
			s->skipped++;
			continue;
		}
		memcpy(buf, data + skip, hdr->caplen - skip);
		if (raw_parse(&p, buf, hdr->caplen - skip, link) < 0) {
			/* A packet cut by the snapshot length fails the IP length
			 * check; say so, since it explains missing messages. */
			if (hdr->caplen < hdr->len && s->skipped == 0)
				sc_out_note(&s->out, frame, NULL,
					    "packet cut short by the capture's snapshot length");
			s->skipped++;
			continue;
		}
		if (!p.is_tcp)
			continue;
		if (on_tcp(s, &p, buf, frame) < 0) {
			snprintf(error, sizeof(error), "out of memory at frame %llu",
				 (unsigned long long)frame);
			break;
		}
	}
	if (r == PCAP_ERROR)
		snprintf(error, sizeof(error), "%s", pcap_geterr(pc));
	/* Oldest flow first would be nicer to read, but notes carry their
	 * stream number, and the list is newest first. */
	for (struct link_node *ln = all_flows; ln; ln = ln->next)
		finish_flow(s, ln->fl, frame);
	sc_out_end(&s->out, frame, s->n_flows, s->n_tls, s->skipped,
		   error[0] ? error : NULL);
	if (error[0])
		fprintf(stderr, "splicectl inspect: %s: %s (after %llu frames)\n", file, error,
			(unsigned long long)frame);
	free_all(s);
	free(s);
	pcap_close(pc);
	return error[0] ? SC_EXIT_FAIL : SC_EXIT_OK;
}
