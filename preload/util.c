/* Address helpers and the per-destination fallback memory. */
#include "ws.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

int ws_proto(enum ws_transport t)
{
	switch (t) {
	case WS_SCTP: return IPPROTO_SCTP;
	case WS_MPTCP: return IPPROTO_MPTCP;
	default: return IPPROTO_TCP;
	}
}

int ws_query_from_sa(struct ws_query *q, const struct sockaddr *sa, socklen_t len)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	memset(q->addr, 0, sizeof(q->addr));
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		q->family = AF_INET;
		memcpy(q->addr, &s4->sin_addr, 4);
		q->port = ntohs(s4->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		q->port = ntohs(s6->sin6_port);
		if (memcmp(&s6->sin6_addr, mapped, 12) == 0) {
			q->family = AF_INET;
			memcpy(q->addr, (const uint8_t *)&s6->sin6_addr + 12, 4);
		} else {
			q->family = AF_INET6;
			memcpy(q->addr, &s6->sin6_addr, 16);
		}
		return 0;
	}
	return -EAFNOSUPPORT;
}

const char *ws_sa_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		port = ntohs(s4->sin_port);
		snprintf(buf, len, "%s:%u", a, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		port = ntohs(s6->sin6_port);
		snprintf(buf, len, "[%s]:%u", a, port);
	} else {
		snprintf(buf, len, "family %d", sa->sa_family);
	}
	return buf;
}

/* Destinations whose SCTP attempt failed go straight to TCP for a while,
 * so a TCP-only peer costs the fallback delay once, not on every connect. */
#define FB_SLOTS 64

struct fb_entry {
	struct ws_query q;
	time_t until;
};
static struct fb_entry fb[FB_SLOTS];
static unsigned fb_next;
unsigned ws_fallback_ttl = 300;

static time_t now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

bool ws_fallback_known(const struct sockaddr *sa, socklen_t len)
{
	struct ws_query q;
	time_t now = now_s();
	bool hit = false;

	if (ws_query_from_sa(&q, sa, len) < 0)
		return false;
	ws_lock();
	for (unsigned i = 0; i < FB_SLOTS && !hit; i++)
		hit = fb[i].until > now && fb[i].q.family == q.family && fb[i].q.port == q.port &&
		      memcmp(fb[i].q.addr, q.addr, 16) == 0;
	ws_unlock();
	return hit;
}

void ws_fallback_remember(const struct sockaddr *sa, socklen_t len)
{
	struct ws_query q;

	if (ws_query_from_sa(&q, sa, len) < 0)
		return;
	ws_lock();
	fb[fb_next].q = q;
	fb[fb_next].until = now_s() + (time_t)ws_fallback_ttl;
	fb_next = (fb_next + 1) % FB_SLOTS;
	ws_unlock();
}
