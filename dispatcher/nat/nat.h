/* nat mode (nat.c): the backend picked on the SYN, addresses rewritten. */
#ifndef DISP_NAT_H
#define DISP_NAT_H

#include "engine/mode.h"

extern const struct disp_mode_ops nat_mode;

#endif
