/* Sending: raw IP sockets (the kernel routes and resolves neighbours) and
 * AF_PACKET (the caller supplies whole frames, MACs included). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <splicekit/cursor.h>
#include <splicekit/raw_io.h>

/* The send batch: packets are copied into one arena and go out in one
 * sendmmsg. 64 packets or 256 KiB, whichever fills first. */
#define TXQ_MAX 64
#define TXQ_ARENA (256 * 1024)

struct raw_tx {
	int fd;
	int family;      /* AF_INET, AF_INET6, or AF_PACKET */
	uint8_t mac[6];  /* AF_PACKET: the interface's own address */
	unsigned n;      /* queued packets */
	size_t used;     /* arena bytes in use */
	unsigned failed; /* refused by the kernel during an automatic flush */
	struct mmsghdr msg[TXQ_MAX];
	struct iovec iov[TXQ_MAX];
	struct sockaddr_storage dst[TXQ_MAX];
	uint8_t arena[TXQ_ARENA];
};

int raw_tx_open_ip(struct raw_tx **out, int family)
{
	struct raw_tx *tx;
	int one = 1;

	*out = NULL;
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	tx = calloc(1, sizeof(*tx));
	if (!tx)
		return -ENOMEM;
	tx->family = family;
	/* IPPROTO_RAW implies IP_HDRINCL for IPv4 and header-included sends
	 * for IPv6; raw sockets of this protocol never receive, so no queue
	 * fills up behind our back. */
	tx->fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (tx->fd == -1) {
		int r = -errno;

		free(tx);
		return r;
	}
	if (family == AF_INET)
		(void)setsockopt(tx->fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one));
	*out = tx;
	return 0;
}

int raw_tx_open_packet(struct raw_tx **out, const char *ifname)
{
	struct sockaddr_ll sll;
	struct ifreq ifr;
	struct raw_tx *tx;
	unsigned ifindex;
	int r;

	*out = NULL;
	if (!ifname || strlen(ifname) >= IFNAMSIZ)
		return -ENODEV;
	ifindex = if_nametoindex(ifname);
	if (ifindex == 0)
		return -ENODEV;
	tx = calloc(1, sizeof(*tx));
	if (!tx)
		return -ENOMEM;
	tx->family = AF_PACKET;
	/* Protocol 0: a send-only socket, it is never given received frames. */
	tx->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (tx->fd == -1) {
		r = -errno;
		goto fail;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)ifindex;
	if (bind(tx->fd, (struct sockaddr *)&sll, sizeof(sll)) == -1) {
		r = -errno;
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(tx->fd, SIOCGIFHWADDR, &ifr) == -1) {
		r = -errno;
		goto fail;
	}
	memcpy(tx->mac, ifr.ifr_hwaddr.sa_data, 6);
	*out = tx;
	return 0;
fail:
	if (tx->fd >= 0)
		close(tx->fd);
	free(tx);
	return r;
}

/* Reads the destination address the kernel needs for sendto(). Only the
 * version and the address are looked at; the packet is sent as given. */
static int ip_dest(const struct raw_tx *tx, const void *pkt, size_t len,
		   struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct raw_cur c;
	const uint8_t *a;
	uint8_t v;

	raw_cur_init(&c, pkt, len);
	if (raw_cur_u8(&c, &v) < 0)
		return -EBADMSG;
	memset(ss, 0, sizeof(*ss));
	if (tx->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (v >> 4 != 4 || len < 20 || raw_cur_skip(&c, 15) < 0 ||
		    raw_cur_bytes(&c, 4, &a) < 0)
			return -EBADMSG;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a, 4);
		*sslen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		if (v >> 4 != 6 || len < 40 || raw_cur_skip(&c, 23) < 0 ||
		    raw_cur_bytes(&c, 16, &a) < 0)
			return -EBADMSG;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, a, 16);
		*sslen = sizeof(*sin6);
	}
	return 0;
}

int raw_tx_send(struct raw_tx *tx, const void *pkt, size_t len)
{
	ssize_t n;

	if (tx->family == AF_PACKET) {
		if (len < 14)
			return -EBADMSG;
		n = send(tx->fd, pkt, len, 0);
	} else {
		struct sockaddr_storage ss;
		socklen_t sslen;
		int r = ip_dest(tx, pkt, len, &ss, &sslen);

		if (r < 0)
			return r;
		n = sendto(tx->fd, pkt, len, 0, (struct sockaddr *)&ss, sslen);
	}
	if (n == -1)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int raw_tx_queue(struct raw_tx *tx, const void *pkt, size_t len)
{
	socklen_t sslen = 0;
	int r;

	if (len > 65535)
		return -EMSGSIZE;
	if (tx->family == AF_PACKET && len < 14)
		return -EBADMSG;
	if (tx->n == TXQ_MAX || len > TXQ_ARENA - tx->used) {
		unsigned f = 0;

		raw_tx_flush(tx, &f);
		tx->failed += f;
	}
	memset(&tx->msg[tx->n], 0, sizeof(tx->msg[tx->n]));
	if (tx->family != AF_PACKET) {
		r = ip_dest(tx, pkt, len, &tx->dst[tx->n], &sslen);
		if (r < 0)
			return r;
		tx->msg[tx->n].msg_hdr.msg_name = &tx->dst[tx->n];
		tx->msg[tx->n].msg_hdr.msg_namelen = sslen;
	}
	memcpy(tx->arena + tx->used, pkt, len);
	tx->iov[tx->n].iov_base = tx->arena + tx->used;
	tx->iov[tx->n].iov_len = len;
	tx->msg[tx->n].msg_hdr.msg_iov = &tx->iov[tx->n];
	tx->msg[tx->n].msg_hdr.msg_iovlen = 1;
	tx->used += len;
	tx->n++;
	return 0;
}

int raw_tx_flush(struct raw_tx *tx, unsigned *failed)
{
	unsigned done = 0, bad = tx->failed;
	int sent = 0;

	tx->failed = 0;
	while (done < tx->n) {
		int r = sendmmsg(tx->fd, tx->msg + done, tx->n - done, 0);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			/* The packet at done was refused (no route, too big,
			 * buffer full): skip it, keep the rest. */
			done++;
			bad++;
			continue;
		}
		done += (unsigned)r;
		sent += r;
	}
	tx->n = 0;
	tx->used = 0;
	if (failed)
		*failed = bad;
	return sent;
}

int raw_tx_mac(const struct raw_tx *tx, uint8_t mac[6])
{
	if (tx->family != AF_PACKET)
		return -EINVAL;
	memcpy(mac, tx->mac, 6);
	return 0;
}

void raw_tx_close(struct raw_tx *tx)
{
	if (!tx)
		return;
	raw_tx_flush(tx, NULL);
	close(tx->fd);
	free(tx);
}
