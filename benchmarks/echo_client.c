/* echo_client.c: the load generator of the echo benchmarks.
 *
 *   echo_client MODE ADDRESS SIZE CONNS WARMUP_MS DURATION_MS
 *
 *   MODE     tcp (ADDRESS host:port), unix (ADDRESS a path) or udp (host:port)
 *   SIZE     bytes in one message
 *   CONNS    concurrent connections (UDP: connected sockets), each doing a
 *            strict ping-pong: send one message, wait for all of it to come
 *            back, check it byte for byte, send the next
 *   WARMUP_MS   run this long before the clock starts (not counted)
 *   DURATION_MS then count the messages completed in this window
 *
 * Prints one JSON line: {"messages": N, "seconds": S, "lost": L, ...} where N
 * is the number of round trips completed inside the timed window and S the
 * window's length. After the window no new message is started; the ones in
 * flight are completed (so the server never sees a connection reset in the
 * middle of a message) and then every connection is closed.
 *
 * If the environment variable ECHO_SERVER_PID names the server's process, the
 * line also has "server_cpu": the seconds that process spent on a CPU during
 * the timed window (all its threads, user and system), read from /proc just
 * before and just after the window. Throughput alone cannot tell two servers
 * apart when this client or the wake-up latency is the limit; the server's
 * CPU per message still can. Without the variable there is no such field.
 *
 * One thread, one epoll instance, level-triggered, nonblocking sockets, so
 * that the client costs far less CPU per message than any Python server and is
 * not what is measured. Exits with status 1 and a message on stderr on any
 * error: a connection refused or closed, a wrong echo, no progress for 5 s.
 *
 * UDP: each socket is connect()ed to the server. A datagram can be lost; a
 * message not answered within 200 ms is sent again (with a new sequence
 * number; a late answer to an old one is ignored) and counted in "lost".
 *
 * The process kills itself (SIGALRM) if it ever runs 60 s past its duration,
 * and exits when its parent dies (PR_SET_PDEATHSIG).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum { MODE_TCP, MODE_UNIX, MODE_UDP };

struct conn {
    int fd;
    size_t sent;    /* bytes of the current message written */
    size_t rcvd;    /* bytes of its echo read */
    int busy;       /* a message is in flight */
    int want_out;   /* EPOLLOUT is registered */
    uint64_t seq;   /* sequence number of the current message */
    double sent_at; /* UDP: when the current datagram was sent */
    unsigned char *sbuf, *rbuf;
};

static int mode;
static size_t size;
static int nconns;
static int epfd;
static struct conn *conns;
static long long counted, lost, completed;
static int stopping; /* the timed window is over: start no new message */
static int counting; /* the warm-up is over */
static int in_flight;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("echo_client: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The server's CPU time ("server_cpu"). The first field of
 * /proc/PID/task/TID/schedstat is a thread's time on a CPU in nanoseconds;
 * summed over the threads it is the process's, exact enough for a 200 ms
 * window. A thread that exits during the window takes its time out of the
 * sum (its whole life's, not only the window's share): a known error, small
 * since the servers measured here run one thread. Kernels without scheduler
 * statistics print zeros there; then utime + stime of /proc/PID/stat is used
 * (all threads, exited ones included, but in clock ticks of 10 ms or so). */
enum cpu_source { CPU_NONE, CPU_SCHEDSTAT, CPU_STAT };

static int schedstat_seconds(pid_t pid, double *seconds)
{
    char dirpath[64], path[384];
    snprintf(dirpath, sizeof dirpath, "/proc/%d/task", (int)pid);
    DIR *dir = opendir(dirpath);
    if (!dir)
        return -1;
    unsigned long long sum = 0;
    struct dirent *d;
    while ((d = readdir(dir)) != NULL) {
        if (d->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s/schedstat", dirpath, d->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue; /* the thread exited since readdir */
        unsigned long long ns;
        if (fscanf(f, "%llu", &ns) == 1)
            sum += ns;
        fclose(f);
    }
    closedir(dir);
    if (sum == 0)
        return -1; /* no scheduler statistics: a live server has run */
    *seconds = sum * 1e-9;
    return 0;
}

static int stat_seconds(pid_t pid, double *seconds)
{
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    /* Fields 14 and 15; the command name (field 2) may hold spaces and
     * parentheses, so count from the last ')'. */
    char *p = strrchr(text, ')');
    unsigned long utime, stime;
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                     &utime, &stime) != 2)
        return -1;
    *seconds = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
    return 0;
}

/* Reads the server's CPU seconds with *source, or picks the first source
 * that works if *source is CPU_NONE; both readings of a window must come
 * from the same source. */
static int server_cpu(pid_t pid, enum cpu_source *source, double *seconds)
{
    if (*source != CPU_STAT && schedstat_seconds(pid, seconds) == 0) {
        *source = CPU_SCHEDSTAT;
        return 0;
    }
    if (*source != CPU_SCHEDSTAT && stat_seconds(pid, seconds) == 0) {
        *source = CPU_STAT;
        return 0;
    }
    return -1;
}

static void set_events(struct conn *c, int want_out)
{
    struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0),
                             .data.ptr = c};
    if (c->want_out == want_out)
        return;
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
        die("epoll_ctl: %s", strerror(errno));
    c->want_out = want_out;
}

static void try_send(struct conn *c)
{
    while (c->sent < size) {
        ssize_t n = send(c->fd, c->sbuf + c->sent, size - c->sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                set_events(c, 1);
                return;
            }
            if (errno == EINTR)
                continue;
            die("send: %s", strerror(errno));
        }
        c->sent += (size_t)n;
    }
    set_events(c, 0);
}

static void start_message(struct conn *c)
{
    c->seq++;
    memcpy(c->sbuf, &c->seq, sizeof c->seq);
    c->sent = c->rcvd = 0;
    c->busy = 1;
    c->sent_at = now();
    try_send(c);
}

static void complete_message(struct conn *c)
{
    if (c->sent != size)
        die("echo arrived before the message was sent");
    if (memcmp(c->sbuf, c->rbuf, size) != 0)
        die("the echo differs from the message");
    c->busy = 0;
    completed++;
    if (counting && !stopping)
        counted++;
    if (stopping)
        in_flight--;
    else
        start_message(c);
}

static void on_readable_stream(struct conn *c)
{
    while (c->busy && c->rcvd < size) {
        ssize_t n = recv(c->fd, c->rbuf + c->rcvd, size - c->rcvd, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            die("recv: %s", strerror(errno));
        }
        if (n == 0)
            die("the server closed a connection");
        c->rcvd += (size_t)n;
        if (c->rcvd == size)
            complete_message(c);
    }
    if (!c->busy) {
        /* Nothing is expected now: any byte is an error. */
        char extra;
        ssize_t n = recv(c->fd, &extra, 1, MSG_DONTWAIT | MSG_PEEK);
        if (n > 0)
            die("the server sent more bytes than it was sent");
        if (n == 0)
            die("the server closed a connection");
    }
}

static void on_readable_datagram(struct conn *c)
{
    for (;;) {
        ssize_t n = recv(c->fd, c->rbuf, size, MSG_TRUNC);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            die("recv: %s", strerror(errno));
        }
        if ((size_t)n != size)
            die("a datagram of %zd bytes came back for one of %zu", n, size);
        uint64_t seq;
        memcpy(&seq, c->rbuf, sizeof seq);
        if (!c->busy || seq < c->seq)
            continue; /* a late answer to a datagram already counted lost */
        if (seq != c->seq)
            die("an answer to a datagram never sent");
        c->rcvd = size;
        complete_message(c);
    }
}

static void resend_lost(double t)
{
    for (int i = 0; i < nconns; i++) {
        struct conn *c = &conns[i];
        if (c->busy && t - c->sent_at > 0.2) {
            lost++;
            start_message(c);
        }
    }
}

static int open_socket(const char *address)
{
    int fd;
    if (mode == MODE_UNIX) {
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        if (strlen(address) >= sizeof sun.sun_path)
            die("socket path too long: %s", address);
        strcpy(sun.sun_path, address);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0)
            die("connect %s: %s", address, strerror(errno));
    } else {
        char host[256];
        const char *colon = strrchr(address, ':');
        if (!colon || (size_t)(colon - address) >= sizeof host)
            die("bad address %s (want host:port)", address);
        memcpy(host, address, colon - address);
        host[colon - address] = '\0';
        struct addrinfo hints = {.ai_family = AF_UNSPEC,
                                 .ai_socktype = mode == MODE_UDP ? SOCK_DGRAM : SOCK_STREAM};
        struct addrinfo *ai;
        int rc = getaddrinfo(host, colon + 1, &hints, &ai);
        if (rc != 0)
            die("getaddrinfo %s: %s", address, gai_strerror(rc));
        fd = socket(ai->ai_family, ai->ai_socktype, 0);
        if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
            die("connect %s: %s", address, strerror(errno));
        freeaddrinfo(ai);
        if (mode == MODE_TCP) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
    }
    return fd;
}

static void run_until(double deadline, double stall_limit)
{
    struct epoll_event events[256];
    double last_progress = now(), last_scan = last_progress;
    long long last_count = -1;
    for (;;) {
        double t = now();
        if (stopping ? in_flight == 0 : t >= deadline)
            return;
        int n = epoll_wait(epfd, events, 256, mode == MODE_UDP ? 20 : 500);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait: %s", strerror(errno));
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                if (mode == MODE_UDP)
                    on_readable_datagram(c);
                else
                    on_readable_stream(c);
            }
            if ((events[i].events & EPOLLOUT) && c->busy)
                try_send(c);
        }
        t = now();
        long long progress = completed + lost;
        if (n > 0 && progress != last_count) {
            last_count = progress;
            last_progress = t;
        } else if (t - last_progress > stall_limit) {
            die("no progress for %.0f s", stall_limit);
        }
        if (mode == MODE_UDP && t - last_scan > 0.02) {
            resend_lost(t);
            last_scan = t;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: echo_client tcp|unix|udp ADDRESS SIZE CONNS WARMUP_MS DURATION_MS\n");
        return 2;
    }
    if (strcmp(argv[1], "tcp") == 0)
        mode = MODE_TCP;
    else if (strcmp(argv[1], "unix") == 0)
        mode = MODE_UNIX;
    else if (strcmp(argv[1], "udp") == 0)
        mode = MODE_UDP;
    else
        die("unknown mode %s", argv[1]);
    size = strtoul(argv[3], NULL, 10);
    nconns = atoi(argv[4]);
    double warmup = atof(argv[5]) / 1000.0, duration = atof(argv[6]) / 1000.0;
    if (size < sizeof(uint64_t) || nconns < 1 || duration <= 0 || warmup < 0)
        die("bad arguments");
    if (mode == MODE_UDP && size > 65507)
        die("a UDP message holds at most 65507 bytes");

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        die("the parent is gone");
    alarm((unsigned)(warmup + duration) + 60);

    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        die("epoll_create1: %s", strerror(errno));
    conns = calloc((size_t)nconns, sizeof *conns);
    if (!conns)
        die("out of memory");
    for (int i = 0; i < nconns; i++) {
        struct conn *c = &conns[i];
        c->fd = open_socket(argv[2]);
        c->sbuf = malloc(size);
        c->rbuf = malloc(size);
        if (!c->sbuf || !c->rbuf)
            die("out of memory");
        for (size_t j = 0; j < size; j++)
            c->sbuf[j] = (unsigned char)('a' + (j + (size_t)i) % 26);
        c->seq = (uint64_t)i << 40;
        if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) < 0)
            die("fcntl: %s", strerror(errno));
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
            die("epoll_ctl: %s", strerror(errno));
    }

    /* One round trip on every connection before anything is timed, so that
     * the server has accepted all of them. */
    for (int i = 0; i < nconns; i++)
        start_message(&conns[i]);
    stopping = 1;
    in_flight = nconns;
    run_until(0, 5.0);
    stopping = 0;
    for (int i = 0; i < nconns; i++)
        start_message(&conns[i]);

    double t0 = now();
    run_until(t0 + warmup, 5.0);
    counting = 1;
    counted = 0;
    lost = 0;
    const char *pid_text = getenv("ECHO_SERVER_PID");
    pid_t pid = pid_text ? (pid_t)atoi(pid_text) : 0;
    enum cpu_source source = CPU_NONE;
    double cpu_start = 0, cpu_end = 0;
    int have_cpu = pid > 0 && server_cpu(pid, &source, &cpu_start) == 0;
    double start = now();
    run_until(start + duration, 5.0);
    double seconds = now() - start;
    long long messages = counted;
    have_cpu = have_cpu && server_cpu(pid, &source, &cpu_end) == 0;
    if (pid_text && !have_cpu)
        fprintf(stderr, "echo_client: cannot read the CPU time of process %s\n", pid_text);

    /* Finish the messages in flight, then close. */
    stopping = 1;
    in_flight = 0;
    for (int i = 0; i < nconns; i++)
        in_flight += conns[i].busy;
    run_until(0, 5.0);
    for (int i = 0; i < nconns; i++)
        close(conns[i].fd);

    if (messages <= 0)
        die("no message completed in %.3f s", seconds);
    printf("{\"messages\": %lld, \"seconds\": %.6f, \"lost\": %lld, \"size\": %zu, "
           "\"conns\": %d, \"mode\": \"%s\"",
           messages, seconds, lost, size, nconns, argv[1]);
    if (have_cpu)
        printf(", \"server_cpu\": %.9f", cpu_end - cpu_start);
    printf("}\n");
    return 0;
}
