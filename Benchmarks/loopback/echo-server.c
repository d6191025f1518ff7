// The server half of the loopback floor (see README.md): for every complete fixed-size "report"
// read from a connection, one fixed-size "acknowledgement" is written back, each by its own
// send(), so each goes out as its own TCP segment (TCP_NODELAY). Nothing is parsed or stored:
// this is what a gateway costs when it does nothing but the socket work.
//
//   echo-server [-a ADDRESS] [-p PORT] [-t THREADS] [-r REPORT_BYTES] [-k ACK_BYTES]
//
// Defaults: 127.0.0.1, port 0 (the kernel picks one), 1 thread, 55-byte reports, 20-byte acks.
// Each thread runs its own level-triggered epoll loop over its own listening socket on the same
// port (SO_REUSEPORT: the kernel spreads incoming connections over them), as fleetd spreads its
// connections over one NIO event loop per core. Once listening it prints one line and flushes:
//   listening 127.0.0.1:PORT pid=PID threads=T report=55 ack=20
// and runs until killed.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

// Per connection, indexed by descriptor (descriptors are process-wide, each owned by one loop).
struct conn {
    uint32_t pending;  // bytes of the report being received
    uint32_t owed;     // acknowledgements not yet written (only when the send buffer was full)
    uint32_t partial;  // bytes of the first owed acknowledgement already written
    uint8_t out;       // EPOLLOUT registered
};

static struct conn *conns;
static size_t conn_capacity;
static int report_bytes = 55, ack_bytes = 20;
static unsigned char ack[4096];

static void die(const char *what) {
    perror(what);
    exit(1);
}

static int listener(const char *address, int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) die("SO_REUSEPORT");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, address, &sa.sin_addr) != 1) {
        fprintf(stderr, "bad address %s\n", address);
        exit(64);
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("bind");
    if (listen(fd, SOMAXCONN) < 0) die("listen");
    return fd;
}

static void closeconn(int ep, int fd) {
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
}

// Writes the owed acknowledgements, one send() each. Returns -1 if the connection is gone.
static int flush(int ep, int fd, struct conn *c) {
    while (c->owed > 0) {
        ssize_t n = send(fd, ack + c->partial, (size_t)(ack_bytes - (int)c->partial), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (!c->out) {
                    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.fd = fd};
                    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
                    c->out = 1;
                }
                return 0;
            }
            return -1;
        }
        c->partial += (uint32_t)n;
        if ((int)c->partial == ack_bytes) {
            c->partial = 0;
            c->owed--;
        }
    }
    if (c->out) {
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
        c->out = 0;
    }
    return 0;
}

static void *loop(void *arg) {
    int lfd = (int)(intptr_t)arg;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) die("epoll_ctl");
    struct epoll_event events[1024];
    unsigned char buf[16384];
    const int one = 1;
    for (;;) {
        int n = epoll_wait(ep, events, 1024, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == lfd) {
                for (;;) {
                    int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (cfd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED) continue;
                        if (errno != EAGAIN && errno != EWOULDBLOCK) perror("accept4");
                        break;
                    }
                    if ((size_t)cfd >= conn_capacity) {
                        close(cfd);
                        continue;
                    }
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    conns[cfd] = (struct conn){0};
                    struct epoll_event cev = {.events = EPOLLIN, .data.fd = cfd};
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev) < 0) die("epoll_ctl");
                }
                continue;
            }
            struct conn *c = &conns[fd];
            if (events[i].events & EPOLLOUT) {
                if (flush(ep, fd, c) < 0) {
                    closeconn(ep, fd);
                    continue;
                }
            }
            if (!(events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
            // Level-triggered: one read per wakeup unless it filled the buffer.
            for (;;) {
                ssize_t got = recv(fd, buf, sizeof buf, 0);
                if (got < 0 && errno == EINTR) continue;
                if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
                if (got <= 0) {
                    closeconn(ep, fd);
                    break;
                }
                c->pending += (uint32_t)got;
                uint32_t reports = c->pending / (uint32_t)report_bytes;
                c->pending %= (uint32_t)report_bytes;
                if (reports > 0) {
                    int backlog = c->owed > 0;
                    c->owed += reports;
                    // One acknowledgement per report, each its own send() and so its own segment.
                    if (!backlog && flush(ep, fd, c) < 0) {
                        closeconn(ep, fd);
                        break;
                    }
                }
                if ((size_t)got < sizeof buf) break;
            }
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    const char *address = "127.0.0.1";
    int port = 0, threads = 1, opt;
    while ((opt = getopt(argc, argv, "a:p:t:r:k:h")) != -1) {
        switch (opt) {
        case 'a': address = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 't': threads = atoi(optarg); break;
        case 'r': report_bytes = atoi(optarg); break;
        case 'k': ack_bytes = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: %s [-a ADDRESS] [-p PORT] [-t THREADS] [-r REPORT_BYTES] [-k ACK_BYTES]\n", argv[0]);
            return 64;
        }
    }
    if (threads < 1 || report_bytes < 1 || ack_bytes < 1 || ack_bytes > (int)sizeof ack) {
        fprintf(stderr, "bad -t, -r or -k\n");
        return 64;
    }
    // 0x7e, the JT/T 808 frame flag, then anything: the content is never looked at.
    memset(ack, 0x7e, sizeof ack);

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) die("setrlimit");
    conn_capacity = rl.rlim_cur == RLIM_INFINITY ? (1u << 20) : (size_t)rl.rlim_cur;
    if (conn_capacity > (1u << 22)) conn_capacity = 1u << 22;
    conns = calloc(conn_capacity, sizeof *conns);
    if (!conns) die("calloc");
    signal(SIGPIPE, SIG_IGN);

    // The first listener takes the port (or gets one from the kernel); the others join it.
    int *lfds = calloc((size_t)threads, sizeof *lfds);
    lfds[0] = listener(address, port);
    struct sockaddr_in bound;
    socklen_t len = sizeof bound;
    getsockname(lfds[0], (struct sockaddr *)&bound, &len);
    port = ntohs(bound.sin_port);
    for (int t = 1; t < threads; t++) lfds[t] = listener(address, port);

    printf("listening %s:%d pid=%d threads=%d report=%d ack=%d\n", address, port, (int)getpid(), threads, report_bytes, ack_bytes);
    fflush(stdout);
    for (int t = 1; t < threads; t++) {
        pthread_t th;
        if (pthread_create(&th, NULL, loop, (void *)(intptr_t)lfds[t]) != 0) die("pthread_create");
    }
    loop((void *)(intptr_t)lfds[0]);
    return 0;
}
