/* Wire constants of the packet layer: header sizes, EtherTypes, protocol
 * numbers, TCP flags and option kinds. Values only, no functions, so any
 * file can include it without pulling in the parser. */
#ifndef SPLICEKIT_RAW_CONSTS_H
#define SPLICEKIT_RAW_CONSTS_H

/* Link layer */
#define RAW_ETH_HLEN        14
#define RAW_VLAN_HLEN       4
#define RAW_SLL_HLEN        16 /* Linux cooked capture v1 (DLT_LINUX_SLL) */
#define RAW_ETH_ALEN        6
#define RAW_ETHERTYPE_IPV4  0x0800
#define RAW_ETHERTYPE_IPV6  0x86DD
#define RAW_ETHERTYPE_VLAN  0x8100 /* 802.1Q C-tag */
#define RAW_ETHERTYPE_QINQ  0x88A8 /* 802.1ad S-tag */
#define RAW_ETHERTYPE_MIN   0x0600 /* below: an 802.3 length, not a type */

/* IPv4 */
#define RAW_IPV4_HLEN_MIN   20
#define RAW_IPV4_HLEN_MAX   60
#define RAW_IPV4_ALEN       4
#define RAW_IPV4_FLAG_DF    0x4000
#define RAW_IPV4_FLAG_MF    0x2000
#define RAW_IPV4_FRAG_MASK  0x1FFF /* offset in 8-byte units */
#define RAW_IPV4_OPT_EOL    0
#define RAW_IPV4_OPT_NOP    1
#define RAW_IPV4_OPT_LSRR   0x83   /* loose source and record route */
#define RAW_IPV4_OPT_SSRR   0x89   /* strict source and record route */
#define RAW_IPV4_OFF_CSUM   10     /* header checksum, from the header start */
#define RAW_IPV4_OFF_SADDR  12
#define RAW_IPV4_OFF_DADDR  16

/* IPv6 */
#define RAW_IPV6_HLEN       40
#define RAW_IPV6_ALEN       16
#define RAW_IPV6_OFF_SADDR  8
#define RAW_IPV6_OFF_DADDR  24
/* Extension headers we walk before giving up: real traffic carries at most
 * one or two; a long chain is an attack on the parser's time, and a packet
 * whose TCP header sits past this many headers is dropped. */
#define RAW_IPV6_EXT_MAX    4

/* IP protocol / IPv6 next-header numbers */
#define RAW_IPPROTO_HOPOPTS  0
#define RAW_IPPROTO_ICMP     1
#define RAW_IPPROTO_TCP      6
#define RAW_IPPROTO_UDP      17
#define RAW_IPPROTO_ROUTING  43
#define RAW_IPPROTO_FRAGMENT 44
#define RAW_IPPROTO_ESP      50
#define RAW_IPPROTO_AH       51
#define RAW_IPPROTO_ICMPV6   58
#define RAW_IPPROTO_NONE     59
#define RAW_IPPROTO_DSTOPTS  60
#define RAW_IPPROTO_MOBILITY 135
#define RAW_IPPROTO_HIP      139
#define RAW_IPPROTO_SHIM6    140
#define RAW_IPPROTO_EXP1     253
#define RAW_IPPROTO_EXP2     254

/* TCP */
#define RAW_TCP_HLEN_MIN    20
#define RAW_TCP_HLEN_MAX    60
#define RAW_TCP_OFF_SEQ     4
#define RAW_TCP_OFF_ACK     8
#define RAW_TCP_OFF_WIN     14
#define RAW_TCP_OFF_CSUM    16
#define RAW_TCP_FIN         0x01
#define RAW_TCP_SYN         0x02
#define RAW_TCP_RST         0x04
#define RAW_TCP_PSH         0x08
#define RAW_TCP_ACK         0x10
#define RAW_TCP_URG         0x20
#define RAW_TCP_ECE         0x40
#define RAW_TCP_CWR         0x80

/* TCP option kinds and their fixed lengths (RFC 9293, 7323, 2018) */
#define RAW_TCPOPT_EOL          0
#define RAW_TCPOPT_NOP          1
#define RAW_TCPOPT_MSS          2
#define RAW_TCPOPT_WSCALE       3
#define RAW_TCPOPT_SACK_PERM    4
#define RAW_TCPOPT_SACK         5
#define RAW_TCPOPT_TS           8
#define RAW_TCPOLEN_MSS         4
#define RAW_TCPOLEN_WSCALE      3
#define RAW_TCPOLEN_SACK_PERM   2
#define RAW_TCPOLEN_SACK_BLOCK  8
#define RAW_TCPOLEN_TS          10
#define RAW_TCP_SACK_MAX        4  /* 2 + 4*8 = 34 bytes: the most that fit */
#define RAW_TCP_WSCALE_MAX      14 /* RFC 7323 2.3: larger shifts mean 14 */

#endif
