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

#include "splicekit/cursor.h"
#include "splicekit/raw_io.h"
#include "splicekit/raw_pkt.h"
#include "inspect.h"
#include "splicectl.h"

#define N_BUCKETS 4096u
#define MAX_FLOWS 100000u
#define MAX_FRAME 262144u /* libpcap's own snapshot-length ceiling */

struct state {
	struct sc_flow *buckets[N_BUCKETS];
	struct sc_flow *all;    /* every flow, newest first */
	unsigned n_flows, n_live, n_tls;
	bool flows_full_noted;
	uint64_t skipped;
	uint64_t skip_frame;     /* the first skipped packet, and why */
	const char *skip_why;
	struct sc_out out;
};

#define VLAN_TAGS_MAX 8

/* Removes stacked 802.1Q / 802.1ad tags from an Ethernet frame in place,
 * so the packet parser (which takes one tag, as the dispatcher's access
 * port policy allows) sees the IP packet. Captures from trunks carry QinQ.
 * Returns the new length. */
static size_t strip_vlan_tags(uint8_t *b, size_t len)
{
	for (unsigned n = 0; n < VLAN_TAGS_MAX && len >= 18; n++) {
		unsigned type = (unsigned)b[12] << 8 | b[13];

		if (type != 0x8100 && type != 0x88a8 && type != 0x9100)
			break;
		memmove(b + 12, b + 16, len - 16);
		len -= 4;
	}
	return len;
}

static void count_skip(struct state *s, uint64_t frame, const char *why)
{
	if (s->skipped++ == 0) {
		s->skip_frame = frame;
		s->skip_why = why;
	}
}


static void usage(FILE *f)
{
	fputs("usage: splicectl inspect FILE.pcap [--json] [--sid-prefix HEX=N]...\n"
	      "                         [--ticket-prefix HEX=N]... [--sni-key]\n"
	      "  Prints every TLS handshake message in the capture (pcap or pcapng):\n"
	      "  flow, type, versions, session ID, SNI, ALPN, ticket, PSK identities\n"
	      "  and the routing key spliced would use. --json prints one JSON\n"
	      "  document. Exit 1 if the file is not a readable capture.\n"
	      "  --sid-prefix / --ticket-prefix HEX=N: session IDs / ticket key names\n"
	      "  starting with HEX route to backend N (as in spliced's config);\n"
	      "  --sni-key: use SNI as the last-resort key.\n", f);
}

static int hexval(uint8_t ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Parses "HEX=N" (a prefix of 1..TLS_PREFIX_MAX bytes and a backend
 * index) into the key config. Returns 0, or -EINVAL with a message. */
static int add_prefix(struct tls_key_conf *kc, enum tls_prefix_kind kind,
		      const char *opt, const char *arg)
{
	uint8_t prefix[TLS_PREFIX_MAX];
	size_t n = 0;
	long backend = -1;
	struct raw_cur c;
	uint8_t hi = 0, lo = 0;
	int r;

	raw_cur_init(&c, arg, strlen(arg));
	while (raw_cur_left(&c) >= 2 && *raw_cur_ptr(&c) != '=') {
		(void)raw_cur_u8(&c, &hi);
		(void)raw_cur_u8(&c, &lo);
		if (hexval(hi) < 0 || hexval(lo) < 0 || n == sizeof(prefix)) {
			fprintf(stderr, "splicectl inspect: %s '%s': prefix must be 1..%u bytes of hex\n",
				opt, arg, TLS_PREFIX_MAX);
			return -EINVAL;
		}
		prefix[n++] = (uint8_t)(hexval(hi) << 4 | hexval(lo));
	}
	if (n == 0 || raw_cur_u8(&c, &hi) < 0 || hi != '=' || raw_cur_left(&c) == 0 ||
	    raw_cur_left(&c) > 5) {
		fprintf(stderr, "splicectl inspect: %s '%s': expected HEX=BACKEND, e.g. 0a1b=2\n",
			opt, arg);
		return -EINVAL;
	}
	backend = 0;
	while (raw_cur_u8(&c, &lo) == 0) {
		if (lo < '0' || lo > '9') {
			fprintf(stderr, "splicectl inspect: %s '%s': backend must be a number\n",
				opt, arg);
			return -EINVAL;
		}
		backend = backend * 10 + (lo - '0');
	}
	r = tls_key_conf_add_prefix(kc, kind, prefix, n, (int)backend);
	if (r < 0)
		fprintf(stderr, "splicectl inspect: %s '%s': %s\n", opt, arg,
			r == -EEXIST ? "given twice" : r == -ENOSPC ? "too many prefixes"
								     : "invalid");
	return r;
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

static void finish_flow(struct state *s, struct sc_flow *fl, uint64_t frame)
{
	if (fl->finished)
		return;
	fl->finished = true;
	for (int d = 0; d < 2; d++) {
		struct sc_dir *dir = d ? &fl->s2c : &fl->c2s;
		const char *why = NULL;
		char what[160];

		if (dir->st.oow_segs > 1) {
			snprintf(what, sizeof(what),
				 "%s: %u segments (%llu bytes) far outside the window dropped in all",
				 d ? "server" : "client", dir->st.oow_segs,
				 (unsigned long long)dir->st.oow_bytes);
			sc_out_note(&s->out, frame, fl, what);
		}
		if (!dir->w.stopped && dir->st.n_pending > 0)
			why = "capture lost bytes (a hole in the TCP stream): later messages are not decoded";
		else if (fl->is_tls)
			why = sc_walk_eof(&dir->w);
		if (why) {
			snprintf(what, sizeof(what), "%s: %s", d ? "server" : "client", why);
			sc_out_note(&s->out, frame, fl, what);
		}
		sc_dir_release(fl, d == 0);
	}
}

static struct sc_flow *new_flow(struct state *s, const struct raw_pkt *p,
				bool sender_is_client, unsigned bucket)
{
	struct sc_flow *fl;

	if (s->n_live >= MAX_FLOWS)
		return NULL;
	fl = calloc(1, sizeof(*fl));
	if (!fl)
		return NULL;
	fl->index = s->n_flows++;
	fl->family = p->family;
	memcpy(sender_is_client ? fl->caddr : fl->saddr, p->saddr, 16);
	memcpy(sender_is_client ? fl->saddr : fl->caddr, p->daddr, 16);
	fl->cport = sender_is_client ? p->sport : p->dport;
	fl->sport = sender_is_client ? p->dport : p->sport;
	fl->next = s->buckets[bucket];
	s->buckets[bucket] = fl;
	/* Flows retired by port reuse leave the hash but stay here until
	 * the end-of-capture report. */
	fl->all_next = s->all;
	s->all = fl;
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
	bool from_client, was_tls;
	int r;

	for (fl = s->buckets[bucket]; fl; fl = fl->next)
		if (same_dir(fl, p) || rev_dir(fl, p))
			break;
	/* A SYN with a new ISN on a known 4-tuple (or any SYN after data on
	 * a flow whose SYN was not captured) is a new connection: port reuse.
	 * tshark numbers it as a new stream too. A retransmitted SYN carries
	 * the same ISN and is not. */
	if (fl && syn && !ack && same_dir(fl, p) &&
	    (fl->syn_seen ? p->seq != fl->c_isn : fl->had_data)) {
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
	if (syn && !ack && from_client && !fl->syn_seen) {
		fl->syn_seen = true;
		fl->c_isn = p->seq;
	}
	if (p->payload_len > 0)
		fl->had_data = true;
	was_tls = fl->is_tls;
	r = sc_dir_segment(fl, from_client, p->seq, syn, buf + p->payload_off,
			   p->payload_len, frame, &s->out);
	if (!was_tls && fl->is_tls)
		s->n_tls++;
	return r;
}

static void free_all(struct state *s)
{
	while (s->all) {
		struct sc_flow *fl = s->all;

		s->all = fl->all_next;
		sc_dir_release(fl, true);
		sc_dir_release(fl, false);
		free(fl);
	}
	memset(s->buckets, 0, sizeof(s->buckets));
}

static int inspect_file(const char *file, bool json, const struct tls_key_conf *kc)
{
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
	if (raw_io_link(pcap_datalink(pc), &link, &skip) < 0) {
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
	s->out.keyconf = kc;
	sc_out_begin(&s->out, file);

	while ((r = pcap_next_ex(pc, &hdr, &data)) == 1) {
		struct raw_pkt p;
		size_t len;

		frame++;
		if (hdr->caplen <= skip || hdr->caplen - skip > sizeof(buf)) {
			count_skip(s, frame, "shorter than its link header or too large");
			continue;
		}
		len = hdr->caplen - skip;
		memcpy(buf, data + skip, len);
		if (link == RAW_LINK_ETH)
			len = strip_vlan_tags(buf, len);
		if (raw_parse(&p, buf, len, link) < 0) {
			/* A packet cut by the snapshot length fails the IP length
			 * check; say so, since it explains missing messages. */
			if (hdr->caplen < hdr->len && s->skipped == 0)
				sc_out_note(&s->out, frame, NULL,
					    "packet cut short by the capture's snapshot length");
			count_skip(s, frame, raw_reason_str(p.reason));
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
	for (struct sc_flow *fl = s->all; fl; fl = fl->all_next)
		finish_flow(s, fl, frame);
	sc_out_end(&s->out, frame, s->n_flows, s->n_tls, s->skipped,
		   error[0] ? error : NULL);
	/* JSON has the count in skipped_packets; text readers need it too,
	 * since skipped packets explain messages that are not listed. */
	if (!json && s->skipped)
		fprintf(stderr, "splicectl inspect: %llu packets skipped (first: frame %llu, %s)\n",
			(unsigned long long)s->skipped, (unsigned long long)s->skip_frame,
			s->skip_why);
	if (error[0])
		fprintf(stderr, "splicectl inspect: %s: %s (after %llu frames)\n", file, error,
			(unsigned long long)frame);
	free_all(s);
	free(s);
	pcap_close(pc);
	return error[0] ? SC_EXIT_FAIL : SC_EXIT_OK;
}

int sc_cmd_inspect(int argc, char **argv, const struct sc_global *g)
{
	const char *file = NULL;
	bool json = false;
	struct tls_key_conf *keyconf;
	int r;

	(void)g;
	keyconf = tls_key_conf_new();
	if (!keyconf) {
		fprintf(stderr, "splicectl inspect: out of memory\n");
		return SC_EXIT_FAIL;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--sni-key") == 0) {
			tls_key_conf_set_sni(keyconf, true);
		} else if (strcmp(argv[i], "--sid-prefix") == 0 ||
			   strcmp(argv[i], "--ticket-prefix") == 0) {
			enum tls_prefix_kind kind = argv[i][2] == 's' ? TLS_PREFIX_SESSION_ID
								       : TLS_PREFIX_TICKET;

			if (i + 1 >= argc) {
				fprintf(stderr, "splicectl inspect: %s needs HEX=BACKEND\n", argv[i]);
				tls_key_conf_free(keyconf);
				return SC_EXIT_USAGE;
			}
			if (add_prefix(keyconf, kind, argv[i], argv[i + 1]) < 0) {
				tls_key_conf_free(keyconf);
				return SC_EXIT_USAGE;
			}
			i++;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			tls_key_conf_free(keyconf);
			return SC_EXIT_OK;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "splicectl inspect: unknown option '%s'\n", argv[i]);
			usage(stderr);
			tls_key_conf_free(keyconf);
			return SC_EXIT_USAGE;
		} else if (file) {
			fprintf(stderr, "splicectl inspect: one capture file only ('%s')\n", argv[i]);
			tls_key_conf_free(keyconf);
			return SC_EXIT_USAGE;
		} else {
			file = argv[i];
		}
	}
	if (!file) {
		usage(stderr);
		tls_key_conf_free(keyconf);
		return SC_EXIT_USAGE;
	}
	r = inspect_file(file, json, keyconf);
	tls_key_conf_free(keyconf);
	return r;
}
