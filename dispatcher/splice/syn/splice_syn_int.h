/* Shared by splice_isn.c and splice_cookie.c: the bytes we MAC. */
#ifndef DISP_SPLICE_SYN_INT_H
#define DISP_SPLICE_SYN_INT_H

#include <stdint.h>

#include "splice/syn/splice_syn.h"

/* Domain separators: an ISN and a cookie over the same tuple and slot
 * must never collide by construction. */
#define SSYN_DOM_ISN    1u
#define SSYN_DOM_COOKIE 2u

/* Fixed layout so every worker and instance hashes the same bytes:
 * caddr 16, vaddr 16, cport 2, vport 2, family 1, domain 1, extra 2
 * (cookie option bits), slot 8, client ISN 4. */
#define SSYN_MSG_LEN 52

/* Returns SipHash-2-4 under k of the tuple, slot and extras. */
uint64_t ssyn_mac(const uint64_t k[2], const struct ssyn_tuple *t,
		  unsigned domain, uint64_t slot, uint32_t client_isn,
		  uint16_t extra);

#endif
