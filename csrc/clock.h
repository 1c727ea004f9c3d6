/* clock.h: the loop's clock, CLOCK_MONOTONIC in seconds (time.monotonic()). */
#ifndef CLOOP_CLOCK_H
#define CLOOP_CLOCK_H

/* Seconds on the monotonic clock, the clock asyncio's loop.time() uses. */
double cl_clock_now(void);

/* The clock's resolution in seconds (time.get_clock_info('monotonic')). */
double cl_clock_resolution(void);

#endif /* CLOOP_CLOCK_H */
