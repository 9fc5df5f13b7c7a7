/* See clock.h. */
#include <time.h>

#include "util/clock.h"

static uint64_t ns_of(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t disp_now_ms(void)
{
	return ns_of(CLOCK_MONOTONIC) / 1000000;
}

uint64_t disp_now_us(void)
{
	return ns_of(CLOCK_MONOTONIC) / 1000;
}

int64_t disp_wall_offset_ms(void)
{
	return (int64_t)(ns_of(CLOCK_REALTIME) / 1000000) - (int64_t)disp_now_ms();
}
