/* Map keys from packets parsed in user space (both builds). */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <splicekit/raw_pkt.h>

#include "fastpath.h"

int disp_fp_key_from_pkt(struct disp_fp_key *key, const struct raw_pkt *p)
{
	if (!p->is_tcp)
		return -EINVAL;
	memset(key, 0, sizeof(*key));
	memcpy(key->saddr, p->saddr, sizeof(key->saddr));
	memcpy(key->daddr, p->daddr, sizeof(key->daddr));
	key->sport = htons(p->sport);
	key->dport = htons(p->dport);
	key->family = p->family == AF_INET ? DISP_FP_FAM_V4 : DISP_FP_FAM_V6;
	key->proto = IPPROTO_TCP;
	return 0;
}
