/* Resolves the next definition of every interposed call once. */
#include "ws.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

struct ws_real ws_real;

static pthread_once_t once = PTHREAD_ONCE_INIT;

/* POSIX lets dlsym return functions through void *; ISO C has no cast
 * between the two, so copy the representation. */
#define R(name)                                                   \
	do {                                                      \
		void *p_ = dlsym(RTLD_NEXT, #name);               \
		memcpy(&ws_real.name, &p_, sizeof(p_));           \
	} while (0)

static void resolve(void)
{
	R(socket); R(connect); R(bind); R(listen); R(accept); R(accept4);
	R(setsockopt); R(getsockopt);
	R(write); R(send); R(sendto); R(writev); R(sendmsg); R(sendfile); R(splice);
	R(shutdown); R(close); R(dup); R(dup2); R(dup3); R(fcntl); R(close_range);
	R(epoll_create1); R(epoll_ctl); R(getaddrinfo);
}

void ws_real_init(void)
{
	pthread_once(&once, resolve);
}
