/* Dropping privileges after spliced has opened its sockets. */
#ifndef DISP_PRIVDROP_H
#define DISP_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>

/* Reduces the process to CAP_NET_RAW and CAP_NET_ADMIN, plus CAP_BPF with
 * keep_bpf (a service asked for the fast path), in permitted and
 * effective (every other capability leaves the bounding set, ambient and
 * inheritable sets are cleared), sets no_new_privs, and when user is not
 * empty switches to that user's uid, gid and supplementary groups first,
 * keeping those capabilities across the switch. Must run before any
 * thread is created: capabilities are per thread. Running unprivileged
 * (without CAP_SETUID/CAP_SETPCAP) with no user, it only sets
 * no_new_privs and drops what it can. Returns 0 or a negative errno with
 * a message in err. */
int disp_privdrop(const char *user, bool keep_bpf, char *err, size_t errlen);

#endif
