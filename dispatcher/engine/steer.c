/* Packet steering for several workers (PACKET_FANOUT_CBPF).
 *
 * Both directions of a nat flow must reach the worker that owns the flow,
 * but they have different 5-tuples (client->VIP, backend->client), so the
 * kernel's flow-hash fanout would split them. The one value both carry is
 * the client's port: the source port of client->VIP packets and the
 * destination port of the backend's answers (with source NAT, the
 * nat_port we choose, which keeps the client port's residue). So the
 * program returns
 *
 *     dst port is a VIP port ? src port : dst port
 *
 * mixed by disp_steer_mix (Linux gives connect() even ports only, so the
 * raw port modulo an even worker count would leave workers idle), and the
 * kernel takes that modulo the number of workers. A backend packet
 * whose destination port happens to equal a VIP port returns its source
 * port instead; the engine therefore never picks a VIP port as nat_port,
 * and client ports equal to a VIP port (privileged ports, never ephemeral)
 * are the documented exception.
 *
 * Loads are relative to the network header (SKF_NET_OFF), so the program
 * does not depend on the link layer or on where the kernel left skb->data.
 * IPv6 with extension headers before TCP goes to worker 0. */
#include <errno.h>
#include <linux/filter.h>
#include <string.h>

#include "engine/worker.h"

#define NET(k) ((uint32_t)(SKF_NET_OFF + (k)))
#define STEER_MUL 0x9e3779b1u /* 2^32 / golden ratio */

uint32_t disp_steer_mix(uint16_t port)
{
	return ((uint32_t)port * STEER_MUL) >> 16;
}

int disp_steer_prog(const uint16_t *ports, unsigned nports,
		    struct sock_filter *out, unsigned max)
{
	unsigned m = nports, n = 0;
	/* Instruction indices, from the layout below. */
	unsigned f4 = 7 + m, l6 = 9 + m, f6 = 14 + 2 * m, mix = f6 + 1,
		 ret0 = f6 + 4;

	if (nports == 0 || nports > 64 || max < ret0 + 1)
		return -EINVAL;
#define AT(i) ((uint8_t)((i) - n - 1)) /* jump offset from instruction n */
#define PUT(insn) (out[n] = (struct sock_filter)insn, n++)
	PUT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL)));
	PUT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 0, AT(l6)));
	/* IPv4: protocol, header length, ports. */
	PUT(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, NET(9)));
	PUT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, AT(ret0)));
	PUT(BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, NET(0)));
	PUT(BPF_STMT(BPF_LD | BPF_H | BPF_IND, NET(2)));
	for (unsigned i = 0; i < m; i++)
		PUT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ports[i], AT(f4), 0));
	PUT(BPF_STMT(BPF_JMP | BPF_JA, AT(mix)));
	PUT(BPF_STMT(BPF_LD | BPF_H | BPF_IND, NET(0)));
	PUT(BPF_STMT(BPF_JMP | BPF_JA, AT(mix)));
	/* IPv6: TCP directly after the fixed header only. */
	PUT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, 0, AT(ret0)));
	PUT(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, NET(6)));
	PUT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, AT(ret0)));
	PUT(BPF_STMT(BPF_LD | BPF_H | BPF_ABS, NET(42)));
	for (unsigned i = 0; i < m; i++)
		PUT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ports[i], AT(f6), 0));
	PUT(BPF_STMT(BPF_JMP | BPF_JA, AT(mix)));
	PUT(BPF_STMT(BPF_LD | BPF_H | BPF_ABS, NET(40)));
	/* mix: the same arithmetic as disp_steer_mix. */
	PUT(BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, STEER_MUL));
	PUT(BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16));
	PUT(BPF_STMT(BPF_RET | BPF_A, 0));
	PUT(BPF_STMT(BPF_RET | BPF_K, 0));
#undef PUT
#undef AT
	return (int)n;
}
