/* The mapping table as `show table` prints it: the paper's columns, one
 * row per candidate. See mt_show.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>

#include "backend/backend.h"
#include "ctl/ctl.h"
#include "splice/route/mt_show.h"

static void fmt_server(struct disp_bset *bs, uint16_t id, char *ip, size_t len,
		       unsigned *port)
{
	struct disp_backend *be = disp_bset_get(bs, id);
	const struct disp_addr *a = be ? disp_backend_addr(be) : NULL;

	*port = 0;
	/* A backend removed from the config since the entry was learned. */
	if (!a || !inet_ntop(a->family, &a->ip, ip, (socklen_t)len)) {
		snprintf(ip, len, "backend#%u", id);
		return;
	}
	*port = a->port;
}

int mt_show_row(const struct mt_entry_view *e, void *arg)
{
	struct mt_show_ctx *s = arg;
	char sid[2 * MT_MAX_KEY + 16], ip[INET6_ADDRSTRLEN + 16];
	size_t from = 0, at = 0;

	if (s->kind_byte && e->key_len > 0) {
		at = (size_t)snprintf(sid, sizeof(sid), "%s:",
				      e->key[0] == 's' ? "sid" :
				      e->key[0] == 't' ? "ticket" : "key");
		from = 1;
	}
	for (size_t i = from; i < e->key_len; i++, at += 2)
		snprintf(sid + at, 3, "%02x", e->key[i]);
	sid[at] = '\0';
	for (unsigned k = 0; k < e->n_cands; k++) {
		const struct mt_cand_view *c = &e->cands[k];
		uint64_t age = s->now > c->stamp_ms ? s->now - c->stamp_ms : 0;
		unsigned port;
		int r;

		fmt_server(s->bs, c->backend, ip, sizeof(ip), &port);
		if (s->json)
			r = disp_ctl_printf(s->o, "%s{\"session_id\":\"%s\",\"server_ip\":\"%s\","
					    "\"server_port\":%u,\"timestamp_ms\":%llu,"
					    "\"age_ms\":%llu,\"state\":\"%s\",\"users\":%u}",
					    s->first ? "" : ",", sid, ip, port,
					    (unsigned long long)c->stamp_ms,
					    (unsigned long long)age,
					    c->state == MT_BUSY ? "BUSY" : "IDLE", c->users);
		else if (c->state == MT_BUSY)
			r = disp_ctl_printf(s->o, "%s  %s  %u  %llu (%llu ms ago)  BUSY(%u)\n",
					    sid, ip, port, (unsigned long long)c->stamp_ms,
					    (unsigned long long)age, c->users);
		else
			r = disp_ctl_printf(s->o, "%s  %s  %u  %llu (%llu ms ago)  IDLE\n",
					    sid, ip, port, (unsigned long long)c->stamp_ms,
					    (unsigned long long)age);
		s->first = false;
		if (r < 0) {
			s->err = r;
			return 1; /* the reply is full: stop walking */
		}
	}
	return 0;
}

int mt_show_head(struct mt_show_ctx *s, struct disp_bset *bs,
		 struct disp_ctl_out *o, bool json, uint64_t now)
{
	*s = (struct mt_show_ctx){ .bs = bs, .o = o, .json = json, .first = true,
				   .now = now };
	/* The one place the text header is written. */
	return disp_ctl_printf(o, "%s", json ? "{\"table\":["
					     : "SESSION-ID  SERVER-IP  SERVER-PORT  TIMESTAMP  STATE\n");
}

int mt_show_tail(struct mt_show_ctx *s)
{
	if (s->err)
		return s->err;
	return s->json ? disp_ctl_printf(s->o, "]}\n") : 0;
}

int mt_show(const struct mt_table *t, struct disp_bset *bs,
	    struct disp_ctl_out *o, bool json, uint64_t now)
{
	struct mt_show_ctx s;
	int r = mt_show_head(&s, bs, o, json, now);

	if (r < 0)
		return r;
	(void)mt_foreach(t, mt_show_row, &s);
	return mt_show_tail(&s);
}
