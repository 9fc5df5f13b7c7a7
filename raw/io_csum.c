/* The checksum half of the offload policy (see raw_io.h): complete what
 * the kernel left partial, verify the rest, never pass on a corrupt one. */
#include <errno.h>
#include <sys/socket.h>

#include <splicekit/cursor.h>
#include <splicekit/raw_csum.h>
#include <splicekit/raw_io.h>
#include <splicekit/raw_pkt.h>

/* The TCP checksum field as the wire has it; the view guarantees the
 * header is inside the buffer, the cursor checks it again. */
static int tcp_field(const struct raw_pkt *p, uint16_t *v)
{
	struct raw_cur c;

	raw_cur_init(&c, p->buf, p->len);
	if (raw_cur_skip(&c, (size_t)p->l4_off + 16) < 0)
		return -EBADMSG;
	return raw_cur_u16(&c, v);
}

/* What a CHECKSUM_PARTIAL sender leaves in the field: the folded
 * pseudo-header sum, not complemented (the NIC adds the rest). */
static uint16_t partial_signature(const struct raw_pkt *p)
{
	uint32_t sum = p->family == AF_INET ?
		raw_csum_pseudo4(p->saddr, p->daddr, RAW_IPPROTO_TCP, p->l4_len) :
		raw_csum_pseudo6(p->saddr, p->daddr, RAW_IPPROTO_TCP, p->l4_len);

	return (uint16_t)~raw_csum_fold(sum);
}

int raw_io_csum_fix(struct raw_pkt *p, uint32_t frame_flags)
{
	uint16_t field;

	if (!p->is_tcp)
		return -EINVAL;
	if (p->family == AF_INET && !raw_ipv4_csum_ok(p))
		return -EBADMSG;
	if (frame_flags & RAW_FRAME_CSUM_PARTIAL) {
		raw_tcp_csum_set(p);
		return 1;
	}
	if (frame_flags & RAW_FRAME_CSUM_VALID)
		return 0;
	if (raw_tcp_csum_ok(p))
		return 0;
	if ((frame_flags & RAW_FRAME_CSUM_UNKNOWN) && tcp_field(p, &field) == 0 &&
	    field == partial_signature(p)) {
		raw_tcp_csum_set(p);
		return 1;
	}
	return -EBADMSG;
}
