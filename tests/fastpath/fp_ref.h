/* Golden-test helpers: Ethernet frames built by raw/, the expected bytes
 * of a fast-path translation computed by the user-space translator
 * (raw_rw_* in the order and with the arithmetic of the splice
 * translation), and one BPF_PROG_TEST_RUN of the tc program. */
#ifndef FP_REF_H
#define FP_REF_H

#include <stddef.h>
#include <stdint.h>

#include "fastpath/fastpath.h"

#define FP_FRAME_MAX 3600

struct fp_tuple {
	int family;              /* AF_INET / AF_INET6 */
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport;   /* host order */
};

/* Builds Ethernet + IP + TCP into buf (FP_FRAME_MAX); returns the length. */
size_t fp_frame(uint8_t *buf, const struct fp_tuple *t, uint32_t seq,
		uint32_t ack, uint8_t flags, uint16_t win, const uint8_t *opts,
		size_t opts_len, size_t payload_len);

/* Applies the translation of flow f to frame[0..len) in place, through the
 * user-space rewrite helpers. Returns 0, or -1 if raw/ rejects the frame. */
int fp_ref_xlate(uint8_t *frame, size_t len, const struct disp_fp_flow *f);

/* Runs the tc program once on in[0..len); gso_size 0 for a plain skb.
 * Returns the bpf() result; *retval, out and *out_len get the program's. */
int fp_run_tc(int prog_fd, const uint8_t *in, size_t len, uint16_t gso_size,
	      uint8_t *out, uint32_t *out_len, uint32_t *retval);

#endif
