/* clock.c: CLOCK_MONOTONIC as float seconds.
 *
 * Owns nothing. asyncio's loop.time() is time.monotonic(), which on Linux is
 * clock_gettime(CLOCK_MONOTONIC); using the same clock keeps call_at()
 * deadlines computed by user code from asyncio's clock meaningful here. */
#include <time.h>

#include "clock.h"

double
cl_clock_now(void)
{
    struct timespec ts;
    /* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double
cl_clock_resolution(void)
{
    struct timespec ts;
    if (clock_getres(CLOCK_MONOTONIC, &ts) != 0) {
        return 1e-9;
    }
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
