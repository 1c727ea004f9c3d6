/* common.h: small macros shared by every file of the C core. */
#ifndef CLOOP_COMMON_H
#define CLOOP_COMMON_H

#include <stddef.h>

#include "compat.h"

/* Branch hints for the hot paths. */
#define CL_LIKELY(x) __builtin_expect(!!(x), 1)
#define CL_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* asyncio's limits (base_events.py): the longest single poll, and when a
 * heap of timers is worth compacting. */
#define CL_MAX_POLL_SECONDS (24.0 * 3600.0)
#define CL_MIN_SCHEDULED_TIMERS_TO_COMPACT 100
#define CL_MAX_CANCELLED_TIMER_FRACTION 0.5

#endif /* CLOOP_COMMON_H */
