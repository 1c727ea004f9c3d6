/* poller.h: epoll, the per-fd interest table, the eventfd waker and the
 * signal pipe.
 *
 * Pure C: every function returns 0 (or a count) on success and -1 with
 * errno on failure; the loop turns errno into OSError. The poller knows
 * which events each fd is watched for, not who watches it: the callbacks
 * live in the loop's watcher table (loop_io.c).
 *
 * Invariants: the low bits of masks[fd] are the CL_POLL_* mask the caller
 * last set for fd (0 = not watched), the high ones what the kernel holds
 * (see poller.c); the waker fd is registered for EPOLLIN from init until
 * close and never appears in masks; so is the signal pipe's read end once
 * opened, except that it appears in masks (as CL_POLL_READ) while the
 * caller watches it (see cl_poller_signal_fd). Events on the internal fds
 * are consumed by cl_poller_wait and never reach the caller, which sees
 * `signalled` instead; a watched signal pipe's events reach it as well.
 */
#ifndef CLOOP_POLLER_H
#define CLOOP_POLLER_H

#include <stdint.h>
#include <sys/epoll.h>

#define CL_POLL_READ 1u
#define CL_POLL_WRITE 2u
#define CL_POLL_BOTH (CL_POLL_READ | CL_POLL_WRITE)
/* A hint with a mask: its watchers stop at their first event (a sock_*
 * wait). The fd is then registered with EPOLLONESHOT: the kernel disables
 * the registration as it reports the event, so stopping costs no system
 * call and the next wait one EPOLL_CTL_MOD, instead of a DEL and an ADD
 * per wait. A disabled registration reports nothing, so one the kernel
 * still holds after the fd's number went to another file (the loop does
 * not own a sock_* socket) is harmless; a watcher that goes on watching
 * after the event is registered again before the next wait. */
#define CL_POLL_ONCE 4u

typedef struct {
    int epfd;                   /* owned, -1 once closed */
    int wakefd;                 /* owned eventfd, -1 once closed */
    int sigfd[2];               /* owned signal pipe (read, write) or -1 */
    char signalled;             /* the last wait saw the pipe readable */
    unsigned char *masks;       /* CL_POLL_* and kernel state per fd */
    int nmasks;                 /* length of masks */
    int nwatched;               /* fds with a non-zero mask */
    struct epoll_event *events; /* results of the last wait */
    int maxevents;
    int nlast; /* events of the last wait to look at again before the
                  next (0 when none was one-shot) */
} cl_poller;

int cl_poller_init(cl_poller *p);
void cl_poller_close(cl_poller *p);

/* Sets the CL_POLL_* mask for fd (CL_POLL_ONCE included); 0 stops
 * watching it. A registration that the kernel forgot because the fd was
 * closed is re-added transparently. */
int cl_poller_set(cl_poller *p, int fd, unsigned mask);

/* Sets fd's mask and registers it with the kernel even when the mask is
 * unchanged: an fd closed while watched and whose number a new file reuses
 * is unknown to epoll, though the mask says it is watched. 0, or -1 with
 * errno. */
int cl_poller_rearm(cl_poller *p, int fd, unsigned mask);

/* 0 if fd is an open descriptor, else -1 with errno EBADF. */
int cl_poller_check_fd(int fd);

/* The CL_POLL_READ/CL_POLL_WRITE bits currently set for fd. */
unsigned cl_poller_get(const cl_poller *p, int fd);

/* Waits up to timeout_ns nanoseconds (-1 = forever, 0 = only what is ready)
 * and returns the number of events in p->events, or -1 with errno (EINTR
 * when a signal interrupted the wait). A positive wait is as fine as the
 * kernel's timers with epoll_pwait2 (Linux 5.11+); where the kernel lacks
 * it, it is rounded up to whole milliseconds (epoll_wait), as asyncio's
 * selector rounds. Does not take or release the GIL: the caller does. */
int cl_poller_wait(cl_poller *p, int64_t timeout_ns);
/* Whether waits finer than a millisecond are on for the process: 1, or 0
 * once the kernel refused epoll_pwait2 or they were switched off. enable 0
 * or 1 switches them (the tests' way to check the millisecond fallback);
 * -1 only asks. */
int cl_poller_fine_waits(int enable);

/* Opens (once) the signal pipe: its write end is the loop's wakeup fd
 * (signal.set_wakeup_fd, into which Python's C signal handler writes each
 * signal's number), so that a signal arriving just before the loop blocks
 * still wakes it. Returns the write end, or -1 with errno.
 *
 * The pipe is registered with epoll from here until close. While nobody
 * watches its read end (sigfd[0]), the poller drains it and only sets
 * `signalled`. The caller reads the signal numbers by watching the read end
 * for CL_POLL_READ with cl_poller_set (cloop/_signals.py does while the
 * loop has signal handlers, through the loop's reader table): its events
 * are then reported like any fd's and nothing is drained. Setting its mask
 * to 0 hands it back to the poller, which keeps it registered. So one pipe
 * per loop is both the wake-up and the carrier of the signal numbers, and
 * a loop never needs a second wakeup fd. */
int cl_poller_signal_fd(cl_poller *p);

/* Wakes a thread blocked in cl_poller_wait; safe from any thread. */
int cl_poller_wake(cl_poller *p);

/* Translates epoll's bits to CL_POLL_* as selectors.EpollSelector does:
 * errors and hang-ups wake both readers and writers. */
static inline unsigned
cl_poller_events_to_mask(uint32_t ev)
{
    unsigned mask = 0;
    if (ev & ~(uint32_t)EPOLLOUT) {
        mask |= CL_POLL_READ;
    }
    if (ev & ~(uint32_t)EPOLLIN) {
        mask |= CL_POLL_WRITE;
    }
    return mask;
}

#endif /* CLOOP_POLLER_H */
