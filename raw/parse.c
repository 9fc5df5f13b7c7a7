/* Packet parse entry points: link layer, then IPv4/IPv6, then TCP. */
#include <errno.h>
#include <string.h>

#include "parse_int.h"
#include "splicekit/raw_consts.h"

static const char *const reason_names[RAW_R_MAX] = {
	[RAW_R_OK] = "ok",
	[RAW_R_ETH_TRUNC] = "eth-trunc",
	[RAW_R_VLAN_TRUNC] = "vlan-trunc",
	[RAW_R_VLAN_STACKED] = "vlan-stacked",
	[RAW_R_SLL_TRUNC] = "sll-trunc",
	[RAW_R_ETHERTYPE] = "ethertype",
	[RAW_R_IP_TRUNC] = "ip-trunc",
	[RAW_R_IP_VERSION] = "ip-version",
	[RAW_R_IPV4_IHL] = "ipv4-ihl",
	[RAW_R_IPV4_OPT_TRUNC] = "ipv4-opt-trunc",
	[RAW_R_IPV4_TOTLEN_SHORT] = "ipv4-totlen-short",
	[RAW_R_IP_LEN_PAST] = "ip-len-past-capture",
	[RAW_R_FRAGMENT] = "fragment",
	[RAW_R_IPV6_EXT_TRUNC] = "ipv6-ext-trunc",
	[RAW_R_IPV6_EXT_LIMIT] = "ipv6-ext-limit",
	[RAW_R_IPV6_HBH_POS] = "ipv6-hbh-position",
	[RAW_R_IPV6_ESP] = "ipv6-esp",
	[RAW_R_IPV6_AH] = "ipv6-ah",
	[RAW_R_IPV6_EXT_UNKNOWN] = "ipv6-ext-unknown",
	[RAW_R_TCP_TRUNC] = "tcp-trunc",
	[RAW_R_TCP_DOFF_SHORT] = "tcp-doff-short",
	[RAW_R_TCP_DOFF_PAST] = "tcp-doff-past",
	[RAW_R_TCPOPT_TRUNC] = "tcpopt-trunc",
	[RAW_R_TCPOPT_LEN] = "tcpopt-len",
	[RAW_R_TCPOPT_BADLEN] = "tcpopt-badlen",
	[RAW_R_TCPOPT_DUP] = "tcpopt-dup",
	[RAW_R_NOT_TCP] = "not-tcp",
	[RAW_R_IPV4_OPT_BAD] = "ipv4-opt-bad",
	[RAW_R_IPV4_SRCROUTE] = "ipv4-srcroute",
	[RAW_R_IPV6_ROUTING] = "ipv6-routing",
};

const char *raw_reason_str(enum raw_reason r)
{
	if ((unsigned)r >= RAW_R_MAX || !reason_names[r])
		return "unknown";
	return reason_names[r];
}

/* Ethernet II, at most one 802.1Q tag (policy in raw_pkt.h). */
static int parse_eth(struct raw_pkt *p, struct raw_cur *c, uint16_t *type)
{
	if (raw_cur_skip(c, 2 * RAW_ETH_ALEN) < 0 || raw_cur_u16(c, type) < 0)
		return reject(p, RAW_R_ETH_TRUNC, -EBADMSG);
	if (*type == RAW_ETHERTYPE_QINQ)
		return reject(p, RAW_R_VLAN_STACKED, -EPROTONOSUPPORT);
	if (*type == RAW_ETHERTYPE_VLAN) {
		if (raw_cur_u16(c, &p->vlan_tci) < 0 || raw_cur_u16(c, type) < 0)
			return reject(p, RAW_R_VLAN_TRUNC, -EBADMSG);
		p->has_vlan = true;
		if (*type == RAW_ETHERTYPE_VLAN || *type == RAW_ETHERTYPE_QINQ)
			return reject(p, RAW_R_VLAN_STACKED, -EPROTONOSUPPORT);
	}
	return 0;
}

/* Linux cooked capture v1: packet type(2) ARPHRD(2) addr len(2) addr(8)
 * protocol(2); the protocol is an EtherType for IP. */
static int parse_sll(struct raw_pkt *p, struct raw_cur *c, uint16_t *type)
{
	if (raw_cur_skip(c, RAW_SLL_HLEN - 2) < 0 || raw_cur_u16(c, type) < 0)
		return reject(p, RAW_R_SLL_TRUNC, -EBADMSG);
	return 0;
}

/* Peeks the IP version nibble to pick the family of a link-less packet. */
static int sniff_ip(struct raw_pkt *p, const struct raw_cur *c, uint16_t *type)
{
	struct raw_cur peek = *c;
	uint8_t v;

	if (raw_cur_u8(&peek, &v) < 0)
		return reject(p, RAW_R_IP_TRUNC, -EBADMSG);
	switch (v >> 4) {
	case 4: *type = RAW_ETHERTYPE_IPV4; return 0;
	case 6: *type = RAW_ETHERTYPE_IPV6; return 0;
	default: return reject(p, RAW_R_IP_VERSION, -EBADMSG);
	}
}

int raw_parse(struct raw_pkt *p, uint8_t *buf, size_t len, enum raw_link link)
{
	struct raw_cur c;
	uint16_t type = 0;
	int r;

	memset(p, 0, sizeof(*p));
	p->buf = buf;
	p->link = link;
	/* Offsets are 32-bit; nothing real comes near 4 GiB, but a caller bug
	 * must not wrap them. */
	if (len > UINT32_MAX)
		len = UINT32_MAX;
	p->cap = (uint32_t)len;
	raw_cur_init(&c, buf, len);

	switch (link) {
	case RAW_LINK_ETH: r = parse_eth(p, &c, &type); break;
	case RAW_LINK_SLL: r = parse_sll(p, &c, &type); break;
	case RAW_LINK_IP: r = sniff_ip(p, &c, &type); break;
	default: return reject(p, RAW_R_ETHERTYPE, -EINVAL);
	}
	if (r < 0)
		return r;
	p->ethertype = type;
	p->l3_off = (uint32_t)raw_cur_pos(&c);
	if (type == RAW_ETHERTYPE_IPV4)
		r = raw_parse_ipv4(p, &c);
	else if (type == RAW_ETHERTYPE_IPV6)
		r = raw_parse_ipv6(p, &c);
	else
		r = reject(p, RAW_R_ETHERTYPE, -EPROTONOSUPPORT);
	if (r < 0)
		p->is_tcp = false;
	return r;
}

int raw_parse_eth(struct raw_pkt *p, uint8_t *buf, size_t len)
{
	return raw_parse(p, buf, len, RAW_LINK_ETH);
}

int raw_parse_ip(struct raw_pkt *p, uint8_t *buf, size_t len)
{
	return raw_parse(p, buf, len, RAW_LINK_IP);
}

int raw_parse_upper(struct raw_pkt *p, struct raw_cur *l4)
{
	p->l4_off = p->l3_off + p->l3_hlen;
	p->l4_len = (uint32_t)l4->len;
	if (p->l4_proto != RAW_IPPROTO_TCP)
		return 0;
	return raw_parse_tcp(p, l4);
}
