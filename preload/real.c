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
		if (!p_ && libc)                                  \
			p_ = dlsym(libc, #name);                  \
		memcpy(&ws_real.name, &p_, sizeof(p_));           \
	} while (0)

static void resolve(void)
{
	/* RTLD_NEXT finds nothing when libc itself was preloaded ahead of
	 * us (LD_PRELOAD="libc.so.6 libwithsplice.so"); then ask libc. */
	void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);

	R(socket); R(connect); R(bind); R(listen); R(accept); R(accept4);
	R(setsockopt); R(getsockopt);
	R(write); R(send); R(sendto); R(writev); R(sendmsg); R(sendfile); R(splice);
	R(read); R(recv); R(recvfrom); R(readv); R(recvmsg);
	R(shutdown); R(close); R(dup); R(dup2); R(dup3); R(fcntl); R(ioctl); R(close_range); R(closefrom);
	R(epoll_create1); R(epoll_ctl); R(getaddrinfo); R(poll);
	R(ppoll); R(epoll_pwait); R(select); R(pselect);
}

void ws_real_init(void)
{
	pthread_once(&once, resolve);
}
