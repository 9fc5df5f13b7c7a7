/* The one monotonic clock of spliced. Flow timeouts, timers, control-socket
 * limits and health intervals all read it, so their values compare. */
#ifndef DISP_UTIL_CLOCK_H
#define DISP_UTIL_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds / microseconds. */
uint64_t disp_now_ms(void);
uint64_t disp_now_us(void);

/* CLOCK_REALTIME minus CLOCK_MONOTONIC, in milliseconds: added to a
 * disp_now_ms() value it gives wall-clock time. */
int64_t disp_wall_offset_ms(void);

#endif
