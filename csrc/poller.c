/* poller.c: epoll, the eventfd waker and the signal pipe (see poller.h
 * for the contract).
 *
 * Owns the epoll fd, the eventfd, the signal pipe and the interest table;
 * closes every fd exactly once in cl_poller_close. */
#define _GNU_SOURCE /* pipe2 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "poller.h"

#define INITIAL_EVENTS 64
#define MAX_EVENTS 4096

int
cl_poller_init(cl_poller *p)
{
    memset(p, 0, sizeof(*p));
    p->epfd = -1;
    p->wakefd = -1;
    p->sigfd[0] = p->sigfd[1] = -1;
    p->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (p->epfd < 0) {
        return -1;
    }
    p->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (p->wakefd < 0) {
        goto error;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = p->wakefd};
    if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->wakefd, &ev) < 0) {
        goto error;
    }
    p->events = malloc(INITIAL_EVENTS * sizeof(struct epoll_event));
    if (p->events == NULL) {
        errno = ENOMEM;
        goto error;
    }
    p->maxevents = INITIAL_EVENTS;
    return 0;

error:;
    int saved = errno;
    cl_poller_close(p);
    errno = saved;
    return -1;
}

void
cl_poller_close(cl_poller *p)
{
    if (p->epfd >= 0) {
        close(p->epfd);
        p->epfd = -1;
    }
    if (p->wakefd >= 0) {
        close(p->wakefd);
        p->wakefd = -1;
    }
    for (int i = 0; i < 2; i++) {
        if (p->sigfd[i] >= 0) {
            close(p->sigfd[i]);
            p->sigfd[i] = -1;
        }
    }
    free(p->masks);
    free(p->events);
    p->masks = NULL;
    p->events = NULL;
    p->nmasks = 0;
    p->nwatched = 0;
    p->maxevents = 0;
    p->nlast = 0;
}

int
cl_poller_check_fd(int fd)
{
    if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
        errno = EBADF;
        return -1;
    }
    return 0;
}

/* Grows the table to hold fd, which the caller has checked is open (so
 * below the process's descriptor limit). */
static int
ensure_mask_slot(cl_poller *p, int fd)
{
    if (fd < p->nmasks) {
        return 0;
    }
    size_t n = p->nmasks ? (size_t)p->nmasks : 64;
    while (n <= (size_t)fd) {
        n *= 2;
    }
    if (n > INT_MAX) {
        n = (size_t)INT_MAX;
    }
    unsigned char *masks = realloc(p->masks, n);
    if (masks == NULL) {
        errno = ENOMEM;
        return -1;
    }
    memset(masks + p->nmasks, 0, n - (size_t)p->nmasks);
    p->masks = masks;
    p->nmasks = (int)n;
    return 0;
}

/* The high bits of masks[fd]: what the kernel holds for fd. K_IN: fd is
 * registered (ADD done, no DEL since); its events are the low bits, unless
 * K_OFF: the registration was one-shot and has reported its event, so the
 * kernel disabled it. A registration with K_OFF and no low bits is parked:
 * watching fd again re-enables it with one MOD. */
#define WANT_BITS (CL_POLL_BOTH | CL_POLL_ONCE)
#define K_IN 0x10u
#define K_OFF 0x20u

unsigned
cl_poller_get(const cl_poller *p, int fd)
{
    return (fd >= 0 && fd < p->nmasks) ? (p->masks[fd] & CL_POLL_BOTH) : 0;
}

static uint32_t
mask_to_epoll(unsigned mask)
{
    return ((mask & CL_POLL_READ) ? EPOLLIN : 0)
           | ((mask & CL_POLL_WRITE) ? EPOLLOUT : 0)
           | ((mask & CL_POLL_ONCE) ? EPOLLONESHOT : 0);
}

/* Registers fd for mask (not 0): MOD when the kernel holds it, else ADD.
 * The kernel drops a registration when the last copy of an fd is closed,
 * and a new fd may reuse the number, so MOD falls back to ADD and ADD to
 * MOD. Returns the new state, or -1 with errno. */
static int
register_fd(cl_poller *p, int fd, unsigned state, unsigned mask)
{
    struct epoll_event ev = {.events = mask_to_epoll(mask), .data.fd = fd};
    int op = (state & K_IN) ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(p->epfd, op, fd, &ev) == 0
        || (op == EPOLL_CTL_MOD && errno == ENOENT
            && epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
        || (op == EPOLL_CTL_ADD && errno == EEXIST
            && epoll_ctl(p->epfd, EPOLL_CTL_MOD, fd, &ev) == 0)) {
        return (int)(mask | K_IN);
    }
    return -1;
}

/* Stops fd's events. A disabled one-shot registration stays parked (it
 * reports nothing); any other is deleted. Returns the new state, or -1
 * with errno. */
static int
unregister_fd(cl_poller *p, int fd, unsigned state)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    if (fd == p->sigfd[0]) {
        /* Unwatched, the signal pipe goes back to the internal drain: it
         * must stay registered to wake the loop. */
        return epoll_ctl(p->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -1 : 0;
    }
    if (state & K_OFF) {
        return (int)(K_IN | K_OFF);
    }
    if ((state & K_IN) && epoll_ctl(p->epfd, EPOLL_CTL_DEL, fd, &ev) < 0
        && errno != ENOENT && errno != EBADF) {
        return -1;
    }
    return 0;
}

/* Moves fd to mask, registering it again even if unchanged when `force`. */
static int
change(cl_poller *p, int fd, unsigned mask, int force)
{
    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    if (ensure_mask_slot(p, fd) < 0) {
        return -1;
    }
    unsigned state = p->masks[fd];
    if (!(mask & CL_POLL_BOTH)) {
        mask = 0;
    }
    unsigned old = state & WANT_BITS;
    if (old == mask && !force && (mask == 0 || !(state & K_OFF))) {
        return 0;
    }
    int next =
        mask ? register_fd(p, fd, state, mask) : unregister_fd(p, fd, state);
    if (next < 0) {
        return -1;
    }
    p->masks[fd] = (unsigned char)next;
    p->nwatched += (mask != 0) - (old != 0);
    return 0;
}

int
cl_poller_set(cl_poller *p, int fd, unsigned mask)
{
    return change(p, fd, mask, 0);
}

int
cl_poller_rearm(cl_poller *p, int fd, unsigned mask)
{
    return change(p, fd, mask, 1);
}

/* Before a wait: a one-shot registration that reported an event in the
 * last wait and is still wanted (its watcher found nothing to do, or the
 * other direction's watcher goes on) is enabled again. An fd that vanished
 * meanwhile stays as it is: its watcher hangs as under asyncio. */
static void
rearm_fired(cl_poller *p)
{
    for (int i = 0; i < p->nlast; i++) {
        int fd = p->events[i].data.fd;
        assert(fd >= 0 && fd < p->nmasks); /* only fds set here report */
        unsigned state = p->masks[fd];
        if ((state & K_OFF) && (state & CL_POLL_BOTH)) {
            (void)change(p, fd, state & WANT_BITS, 1);
        }
    }
    p->nlast = 0;
}

/* After a wait: the kernel disabled the one-shot registrations it
 * reported. The next wait looks at these events again only if one was. */
static void
mark_fired(cl_poller *p, int n)
{
    int fired = 0;
    for (int i = 0; i < n; i++) {
        int fd = p->events[i].data.fd;
        assert(fd >= 0 && fd < p->nmasks);
        if (p->masks[fd] & CL_POLL_ONCE) {
            p->masks[fd] |= K_OFF;
            fired = 1;
        }
    }
    p->nlast = fired ? n : 0;
}

/* Lets one wait return more events when the last one filled the array. */
static void
maybe_grow_events(cl_poller *p, int n)
{
    if (n < p->maxevents || p->maxevents >= MAX_EVENTS) {
        return;
    }
    struct epoll_event *events =
        realloc(p->events, 2 * (size_t)p->maxevents * sizeof(*events));
    if (events != NULL) {
        p->events = events;
        p->maxevents *= 2;
    }
}

int
cl_poller_signal_fd(cl_poller *p)
{
    if (p->sigfd[1] >= 0) {
        return p->sigfd[1];
    }
    if (p->epfd < 0) {
        errno = EBADF;
        return -1;
    }
    int fds[2];
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) {
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[0]};
    if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, fds[0], &ev) < 0) {
        int saved = errno;
        close(fds[0]);
        close(fds[1]);
        errno = saved;
        return -1;
    }
    p->sigfd[0] = fds[0];
    p->sigfd[1] = fds[1];
    return fds[1];
}

static void
drain_pipe(int fd)
{
    char buf[256];
    while (read(fd, buf, sizeof(buf)) > 0) {
    }
}

/* Consumes pending wake-ups (the waker fd was reported). */
static void
drain_wakeups(cl_poller *p)
{
    uint64_t value;
    /* EFD_NONBLOCK: one read resets the counter; EAGAIN if already 0. */
    (void)!read(p->wakefd, &value, sizeof(value));
}

/* Consumes the events of the internal fds and removes them from the
 * array, keeping the others in order (a watched signal pipe's too: its
 * watcher reads the signal numbers). Returns the remaining count. */
static int
take_internal_events(cl_poller *p, int n)
{
    int kept = 0;
    for (int i = 0; i < n; i++) {
        int fd = p->events[i].data.fd;
        if (fd == p->wakefd) {
            drain_wakeups(p);
        }
        else if (fd == p->sigfd[0] && fd >= 0) {
            p->signalled = 1;
            if (cl_poller_get(p, fd) == 0) {
                drain_pipe(fd);
            }
            else {
                p->events[kept++] = p->events[i];
            }
        }
        else {
            p->events[kept++] = p->events[i];
        }
    }
    return kept;
}

/* Set once the kernel refuses epoll_pwait2 (ENOSYS before Linux 5.11; EPERM
 * from a seccomp filter that does not know it): then every wait is
 * epoll_wait's. Process-wide, read and written atomically (loops in several
 * threads poll without the GIL). */
static int pwait2_refused;

/* epoll_wait with the timeout rounded up to whole milliseconds, so that the
 * loop never wakes before its first timer is due. */
static int
wait_ms(cl_poller *p, int64_t timeout_ns)
{
    int ms = timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000);
    return epoll_wait(p->epfd, p->events, p->maxevents, ms);
}

/* A positive wait through epoll_pwait2, called as a system call: glibc
 * wraps it only from 2.35, and a wheel built against an older glibc must
 * wake as finely. */
static int
wait_ns(cl_poller *p, int64_t timeout_ns)
{
#ifdef SYS_epoll_pwait2
    if (timeout_ns > 0
        && !__atomic_load_n(&pwait2_refused, __ATOMIC_RELAXED)) {
        struct timespec ts = {.tv_sec = timeout_ns / 1000000000,
                              .tv_nsec = timeout_ns % 1000000000};
        long n = syscall(SYS_epoll_pwait2, p->epfd, p->events, p->maxevents,
                         &ts, NULL, (size_t)0);
        if (n >= 0 || (errno != ENOSYS && errno != EPERM)) {
            return (int)n;
        }
        __atomic_store_n(&pwait2_refused, 1, __ATOMIC_RELAXED);
    }
#endif
    return wait_ms(p, timeout_ns);
}

int
cl_poller_fine_waits(int enable)
{
#ifdef SYS_epoll_pwait2
    if (enable >= 0) {
        __atomic_store_n(&pwait2_refused, !enable, __ATOMIC_RELAXED);
    }
    return !__atomic_load_n(&pwait2_refused, __ATOMIC_RELAXED);
#else
    (void)enable;
    return 0;
#endif
}

int
cl_poller_wait(cl_poller *p, int64_t timeout_ns)
{
    p->signalled = 0;
    rearm_fired(p);
    int n = wait_ns(p, timeout_ns);
    if (n > 0) {
        maybe_grow_events(p, n);
        n = take_internal_events(p, n);
        mark_fired(p, n);
    }
    return n;
}

int
cl_poller_wake(cl_poller *p)
{
    uint64_t one = 1;
    if (p->wakefd < 0) {
        errno = EBADF;
        return -1;
    }
    /* EAGAIN means the counter is already non-zero: the loop will wake. */
    if (write(p->wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN) {
        return -1;
    }
    return 0;
}
