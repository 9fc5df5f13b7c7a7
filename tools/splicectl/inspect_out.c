/* splicectl inspect output: one text line per handshake message, or one
 * JSON document {"file", "messages": [...], "notes": [...], counters}.
 * Every byte string from the capture is printed as hex or escaped, never
 * raw, so a hostile capture cannot inject terminal codes or break JSON. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "inspect.h"

#define HEAD_BYTES 16 /* ticket / PSK identity bytes the text shows; JSON
			 has them whole, as tshark does, so they can be
			 matched against other captures and logs */
#define MAX_NOTES 1000

struct sc_note {
	uint64_t frame;
	int stream;
	char flow[120];
	char what[160];
};


void sc_fmt_endpoint(char *buf, size_t len, uint8_t family,
		     const uint8_t *addr, uint16_t port)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(family, addr, a, sizeof(a)))
		strcpy(a, "?");
	snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
}

static void fmt_flow(char *buf, size_t len, const struct sc_flow *fl,
		     bool from_client)
{
	char c[64], s[64];

	sc_fmt_endpoint(c, sizeof(c), fl->family, fl->caddr, fl->cport);
	sc_fmt_endpoint(s, sizeof(s), fl->family, fl->saddr, fl->sport);
	if (from_client)
		snprintf(buf, len, "%s > %s", c, s);
	else
		snprintf(buf, len, "%s > %s", s, c);
}

static void hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static void json_str(FILE *f, const uint8_t *p, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '"' || p[i] == '\\')
			fprintf(f, "\\%c", p[i]);
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			fprintf(f, "\\u%04x", p[i]);
		else
			fputc(p[i], f);
	}
	fputc('"', f);
}

/* Text mode: printable ASCII as is, anything else as \xNN. */
static void text_str(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] > 0x20 && p[i] < 0x7f && p[i] != '\\' && p[i] != ',')
			fputc(p[i], f);
		else
			fprintf(f, "\\x%02x", p[i]);
	}
}

static const char *version_name(uint16_t v)
{
	switch (v) {
	case TLS_VERSION_SSL3: return "SSL3";
	case TLS_VERSION_1_0: return "TLS1.0";
	case TLS_VERSION_1_1: return "TLS1.1";
	case TLS_VERSION_1_2: return "TLS1.2";
	case TLS_VERSION_1_3: return "TLS1.3";
	default: return NULL;
	}
}

static void text_version(FILE *f, uint16_t v)
{
	const char *n = version_name(v);

	if (n)
		fputs(n, f);
	else
		fprintf(f, "0x%04x", v);
}

static void out_key_json(FILE *f, const char *name, const struct tls_key *k)
{
	fprintf(f, ",\"%s\":", name);
	if (!k) {
		fputs("null", f);
		return;
	}
	fprintf(f, "{\"kind\":\"%s\",\"bytes\":\"", tls_key_kind_str(k->kind));
	hex(f, k->bytes, k->len);
	fprintf(f, "\",\"backend\":%d}", k->backend);
}

static void out_key_text(FILE *f, const char *name, const struct tls_key *k)
{
	if (!k)
		return;
	fprintf(f, " %s=%s:", name, tls_key_kind_str(k->kind));
	/* Tickets and PSK identities run to hundreds of bytes; a line shows
	 * enough to recognise one (--json has all of it). */
	hex(f, k->bytes, k->len < 2 * HEAD_BYTES ? k->len : 2 * HEAD_BYTES);
	if (k->len > 2 * HEAD_BYTES)
		fprintf(f, "..(%u bytes)", k->len);
	if (k->backend >= 0)
		fprintf(f, "->backend%d", k->backend);
}

static void ch_json(FILE *f, const struct sc_msg *m)
{
	const struct tls_client_hello *ch = m->ch;

	fprintf(f, ",\"record_version\":\"0x%04x\",\"legacy_version\":\"0x%04x\","
		   "\"max_version\":\"0x%04x\"",
		ch->record_version, ch->client_version, ch->max_version);
	if (ch->has_versions) {
		fputs(",\"supported_versions\":[", f);
		for (size_t i = 0; i + 1 < ch->versions_len; i += 2)
			fprintf(f, "%s\"0x%04x\"", i ? "," : "",
				ch->versions[i] << 8 | ch->versions[i + 1]);
		fputc(']', f);
	}
	fputs(",\"session_id\":\"", f);
	hex(f, ch->session_id, ch->session_id_len);
	fputc('"', f);
	if (ch->has_sni) {
		fputs(",\"sni\":", f);
		json_str(f, (const uint8_t *)ch->sni, ch->sni_len);
	}
	if (ch->has_alpn) {
		fputs(",\"alpn\":[", f);
		for (unsigned i = 0; i < ch->alpn_count; i++) {
			const uint8_t *name;
			size_t len;

			if (tls_ch_alpn(ch, i, &name, &len) == 0) {
				fputs(i ? "," : "", f);
				json_str(f, name, len);
			}
		}
		fputc(']', f);
	}
	if (ch->has_ticket_ext) {
		fprintf(f, ",\"ticket\":{\"len\":%zu,\"bytes\":\"", ch->ticket_len);
		hex(f, ch->ticket, ch->ticket_len);
		fputs("\"}", f);
	}
	if (ch->has_psk) {
		fputs(",\"psk_identities\":[", f);
		for (unsigned i = 0; i < ch->psk_count; i++) {
			const uint8_t *id;
			size_t len;
			uint32_t age;

			if (tls_ch_psk_identity(ch, i, &id, &len, &age) != 0)
				continue;
			fprintf(f, "%s{\"len\":%zu,\"identity\":\"", i ? "," : "", len);
			hex(f, id, len);
			fprintf(f, "\",\"obfuscated_age\":%u}", age);
		}
		fputc(']', f);
	}
	fprintf(f, ",\"records\":%u", ch->records);
	out_key_json(f, "routing_key", m->n_keys > 0 ? &m->keys[0] : NULL);
}

static void ch_text(FILE *f, const struct sc_msg *m)
{
	const struct tls_client_hello *ch = m->ch;

	fputs(" legacy=", f);
	text_version(f, ch->client_version);
	if (ch->has_versions) {
		fputs(" versions=", f);
		for (size_t i = 0; i + 1 < ch->versions_len; i += 2) {
			fputs(i ? "," : "", f);
			text_version(f, (uint16_t)(ch->versions[i] << 8 | ch->versions[i + 1]));
		}
	}
	fputs(" sid=", f);
	if (ch->session_id_len)
		hex(f, ch->session_id, ch->session_id_len);
	else
		fputc('-', f);
	if (ch->has_sni) {
		fputs(" sni=", f);
		text_str(f, (const uint8_t *)ch->sni, ch->sni_len);
	}
	if (ch->has_alpn) {
		fputs(" alpn=", f);
		for (unsigned i = 0; i < ch->alpn_count; i++) {
			const uint8_t *name;
			size_t len;

			if (tls_ch_alpn(ch, i, &name, &len) == 0) {
				fputs(i ? "," : "", f);
				text_str(f, name, len);
			}
		}
	}
	if (ch->has_ticket_ext) {
		fprintf(f, " ticket=%zu", ch->ticket_len);
		if (ch->ticket_len) {
			fputc(':', f);
			hex(f, ch->ticket, ch->ticket_len < HEAD_BYTES ? ch->ticket_len : HEAD_BYTES);
		}
	}
	for (unsigned i = 0; ch->has_psk && i < ch->psk_count; i++) {
		const uint8_t *id;
		size_t len;

		if (tls_ch_psk_identity(ch, i, &id, &len, NULL) != 0)
			continue;
		fprintf(f, " psk%u=%zu:", i, len);
		hex(f, id, len < HEAD_BYTES ? len : HEAD_BYTES);
	}
	out_key_text(f, "key", m->n_keys > 0 ? &m->keys[0] : NULL);
}

static void srv_json(FILE *f, const struct sc_msg *m)
{
	const struct tls_server_stream *s = m->srv;

	if (m->type == 4) {
		fprintf(f, ",\"lifetime_hint\":%u,\"ticket\":{\"len\":%zu,\"bytes\":\"",
			s->ticket_lifetime, s->ticket_len);
		hex(f, s->ticket, s->ticket_len);
		fputs("\"}", f);
		return;
	}
	fprintf(f, ",\"hello_retry_request\":%s,\"legacy_version\":\"0x%04x\","
		   "\"version\":\"0x%04x\",\"session_id\":\"",
		m->hrr ? "true" : "false", s->legacy_version, s->version);
	hex(f, s->session_id, s->session_id_len);
	fprintf(f, "\",\"cipher_suite\":\"0x%04x\",\"resumed\":%s", s->cipher_suite,
		s->resumed ? "true" : "false");
	if (s->psk_accepted)
		fprintf(f, ",\"psk_selected\":%u", s->psk_selected);
	out_key_json(f, "learn_key", m->learn);
}

static void srv_text(FILE *f, const struct sc_msg *m)
{
	const struct tls_server_stream *s = m->srv;

	if (m->type == 4) {
		fprintf(f, " lifetime=%u ticket=%zu:", s->ticket_lifetime, s->ticket_len);
		hex(f, s->ticket, s->ticket_len < HEAD_BYTES ? s->ticket_len : HEAD_BYTES);
		return;
	}
	if (m->hrr)
		fputs(" hello_retry_request", f);
	fputs(" version=", f);
	text_version(f, s->version);
	fputs(" sid=", f);
	if (s->session_id_len)
		hex(f, s->session_id, s->session_id_len);
	else
		fputc('-', f);
	fprintf(f, " cipher=0x%04x%s", s->cipher_suite, s->resumed ? " resumed" : "");
	if (s->psk_accepted)
		fprintf(f, " psk_selected=%u", s->psk_selected);
	out_key_text(f, "learn", m->learn);
}

void sc_out_begin(struct sc_out *o, const char *file)
{
	if (!o->json)
		return;
	fputs("{\"file\":", o->f);
	json_str(o->f, (const uint8_t *)file, strlen(file));
	fputs(",\"messages\":[", o->f);
}

void sc_out_msg(struct sc_out *o, const struct sc_msg *m)
{
	FILE *f = o->f;
	const char *name = sc_hs_type_name(m->type);
	char flow[140];

	fmt_flow(flow, sizeof(flow), m->flow, m->from_client);
	if (o->json) {
		char cflow[140];

		fmt_flow(cflow, sizeof(cflow), m->flow, true);
		fprintf(f, "%s\n{\"frame\":%llu,\"stream\":%u,\"flow\":\"%s\",\"dir\":\"%s\","
			   "\"type_id\":%u,\"type\":",
			o->n_msgs ? "," : "", (unsigned long long)m->frame, m->flow->index,
			cflow, m->from_client ? "c2s" : "s2c", m->type);
		if (name)
			fprintf(f, "\"%s\"", name);
		else
			fputs("null", f);
		if (m->unparsed)
			fputs(",\"parsed\":false", f);
		if (m->ch)
			ch_json(f, m);
		if (m->srv)
			srv_json(f, m);
		fputc('}', f);
	} else {
		fprintf(f, "#%llu stream %u %s ", (unsigned long long)m->frame,
			m->flow->index, flow);
		if (name)
			fputs(name, f);
		else
			fprintf(f, "handshake_type_%u", m->type);
		if (m->unparsed)
			fputs(" unparsed", f);
		if (m->ch)
			ch_text(f, m);
		if (m->srv)
			srv_text(f, m);
		fputc('\n', f);
	}
	o->n_msgs++;
}

void sc_out_note(struct sc_out *o, uint64_t frame, const struct sc_flow *flow,
		 const char *what)
{
	struct sc_note *n;

	if (!o->json) {
		char fl[140] = "";

		if (flow)
			fmt_flow(fl, sizeof(fl), flow, true);
		fprintf(stderr, "splicectl inspect: frame %llu%s%s: %s\n",
			(unsigned long long)frame, flow ? " " : "", fl, what);
		return;
	}
	if (!o->notes)
		o->notes = calloc(MAX_NOTES, sizeof(*o->notes));
	if (!o->notes || o->n_notes == MAX_NOTES) {
		o->dropped_notes++;
		return;
	}
	n = &o->notes[o->n_notes++];
	n->frame = frame;
	n->stream = flow ? (int)flow->index : -1;
	if (flow)
		fmt_flow(n->flow, sizeof(n->flow), flow, true);
	snprintf(n->what, sizeof(n->what), "%s", what);
}

void sc_out_end(struct sc_out *o, uint64_t frames, unsigned flows,
		unsigned tls_flows, uint64_t skipped, const char *error)
{
	FILE *f = o->f;

	if (!o->json) {
		free(o->notes);
		o->notes = NULL;
		return;
	}
	fputs("\n],\"notes\":[", f);
	for (unsigned i = 0; i < o->n_notes; i++) {
		fprintf(f, "%s\n{\"frame\":%llu,\"stream\":%d,\"flow\":\"%s\",\"what\":",
			i ? "," : "", (unsigned long long)o->notes[i].frame, o->notes[i].stream,
			o->notes[i].flow);
		json_str(f, (const uint8_t *)o->notes[i].what, strlen(o->notes[i].what));
		fputc('}', f);
	}
	fprintf(f, "\n],\"notes_dropped\":%u,\"frames\":%llu,\"flows\":%u,\"tls_flows\":%u,"
		   "\"skipped_packets\":%llu,\"error\":",
		o->dropped_notes, (unsigned long long)frames, flows, tls_flows,
		(unsigned long long)skipped);
	if (error)
		json_str(f, (const uint8_t *)error, strlen(error));
	else
		fputs("null", f);
	fputs("}\n", f);
	free(o->notes);
	o->notes = NULL;
	o->n_notes = o->dropped_notes = 0;
}
