/* echo_ceiling.c: the fastest echo server a single thread can reasonably be,
 * the "ceiling" column of the echo benchmarks.
 *
 *   echo_ceiling tcp HOST PORT     (PORT 0: any free port)
 *   echo_ceiling unix PATH
 *   echo_ceiling udp HOST PORT
 *
 * Prints "READY <port>" (0 for unix) on stdout once it listens, then echoes
 * until its standard input reaches end of file (the parent closed the pipe or
 * died) or it gets SIGTERM. It also dies with its parent (PR_SET_PDEATHSIG).
 *
 * One thread, one level-triggered epoll instance, nonblocking sockets, and one
 * reusable 256 KiB buffer for every read: what an event loop in C would do
 * with no Python in the way. Stream mode: whatever one read returns is
 * written straight back; only the part the kernel refuses is copied into a
 * per-connection pending buffer, and the connection stops reading until that
 * is flushed (the same back-pressure a transport applies). Datagram mode:
 * recvfrom, sendto the sender.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define BUFSIZE (256 * 1024)
#define MAXFD 65536

struct conn {
    unsigned char *pend; /* bytes the kernel refused, or NULL */
    size_t pend_len, pend_off;
};

static unsigned char buf[BUFSIZE];
static struct conn *conns[MAXFD];
static int epfd, lfd;
static int is_stream;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("echo_ceiling: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void watch(int fd, int op, unsigned events)
{
    struct epoll_event ev = {.events = events, .data.fd = fd};
    if (epoll_ctl(epfd, op, fd, &ev) < 0)
        die("epoll_ctl: %s", strerror(errno));
}

static void set_nonblocking(int fd)
{
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
        die("fcntl: %s", strerror(errno));
}

static void drop(int fd)
{
    struct conn *c = conns[fd];
    epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    if (c) {
        free(c->pend);
        free(c);
        conns[fd] = NULL;
    }
}

static void accept_all(void)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED)
                return;
            if (errno == EINTR)
                continue;
            die("accept: %s", strerror(errno));
        }
        if (fd >= MAXFD || !(conns[fd] = calloc(1, sizeof(struct conn)))) {
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* fails harmlessly on unix */
        watch(fd, EPOLL_CTL_ADD, EPOLLIN);
    }
}

/* Write data[0:len) to fd; keep what the kernel refuses. 0, or -1 to drop. */
static int write_or_keep(int fd, struct conn *c, const unsigned char *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, data + off, len - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return -1;
            size_t rest = len - off;
            unsigned char *keep = malloc(rest);
            if (!keep)
                return -1;
            memcpy(keep, data + off, rest);
            c->pend = keep;
            c->pend_len = rest;
            c->pend_off = 0;
            watch(fd, EPOLL_CTL_MOD, EPOLLOUT); /* stop reading until flushed */
            return 0;
        }
        off += (size_t)n;
    }
    return 0;
}

static void on_stream_readable(int fd)
{
    struct conn *c = conns[fd];
    for (;;) {
        ssize_t n = recv(fd, buf, BUFSIZE, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            drop(fd);
            return;
        }
        if (n == 0 || write_or_keep(fd, c, buf, (size_t)n) < 0) {
            drop(fd);
            return;
        }
        if (c->pend || n < BUFSIZE)
            return;
    }
}

static void on_stream_writable(int fd)
{
    struct conn *c = conns[fd];
    while (c->pend_off < c->pend_len) {
        ssize_t n = send(fd, c->pend + c->pend_off, c->pend_len - c->pend_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            drop(fd);
            return;
        }
        c->pend_off += (size_t)n;
    }
    free(c->pend);
    c->pend = NULL;
    watch(fd, EPOLL_CTL_MOD, EPOLLIN);
}

static void on_datagram_readable(void)
{
    for (;;) {
        struct sockaddr_storage from;
        socklen_t fromlen = sizeof from;
        ssize_t n = recvfrom(lfd, buf, BUFSIZE, 0, (struct sockaddr *)&from, &fromlen);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            die("recvfrom: %s", strerror(errno));
        }
        /* A full socket buffer drops the answer, as UDP may. */
        sendto(lfd, buf, (size_t)n, 0, (struct sockaddr *)&from, fromlen);
    }
}

static int listen_inet(const char *host, const char *port, int socktype)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = socktype,
                             .ai_flags = AI_PASSIVE};
    struct addrinfo *ai;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0)
        die("getaddrinfo %s: %s", host, gai_strerror(rc));
    int fd = socket(ai->ai_family, socktype | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0)
        die("socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
        die("bind %s:%s: %s", host, port, strerror(errno));
    freeaddrinfo(ai);
    return fd;
}

static int bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        die("getsockname: %s", strerror(errno));
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: echo_ceiling tcp|udp HOST PORT | echo_ceiling unix PATH\n");
        return 2;
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        die("the parent is gone");
    signal(SIGPIPE, SIG_IGN);

    if (strcmp(argv[1], "unix") == 0) {
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        if (strlen(argv[2]) >= sizeof sun.sun_path)
            die("socket path too long");
        strcpy(sun.sun_path, argv[2]);
        lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof sun) < 0)
            die("bind %s: %s", argv[2], strerror(errno));
        is_stream = 1;
    } else if (argc == 4 && strcmp(argv[1], "tcp") == 0) {
        lfd = listen_inet(argv[2], argv[3], SOCK_STREAM);
        is_stream = 1;
    } else if (argc == 4 && strcmp(argv[1], "udp") == 0) {
        lfd = listen_inet(argv[2], argv[3], SOCK_DGRAM);
    } else {
        die("bad arguments");
    }
    if (is_stream && listen(lfd, 1024) < 0)
        die("listen: %s", strerror(errno));
    set_nonblocking(lfd);

    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        die("epoll_create1: %s", strerror(errno));
    watch(lfd, EPOLL_CTL_ADD, EPOLLIN);
    watch(STDIN_FILENO, EPOLL_CTL_ADD, EPOLLIN); /* readable at EOF: time to go */
    printf("READY %d\n", bound_port(lfd));
    fflush(stdout);

    struct epoll_event events[256];
    for (;;) {
        int n = epoll_wait(epfd, events, 256, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait: %s", strerror(errno));
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            unsigned ev = events[i].events;
            if (fd == STDIN_FILENO) {
                if (read(STDIN_FILENO, buf, BUFSIZE) <= 0)
                    return 0;
            } else if (fd == lfd) {
                if (is_stream)
                    accept_all();
                else
                    on_datagram_readable();
            } else if (conns[fd]) {
                if (conns[fd]->pend) {
                    if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
                        on_stream_writable(fd);
                } else if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                    on_stream_readable(fd);
                }
            }
        }
    }
}
