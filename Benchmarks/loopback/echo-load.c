// The load half of the loopback floor (see README.md): N TCP connections to echo-server, each
// report its own send() (TCP_NODELAY) and each acknowledgement read back and timed, in the shape
// of LoadBenchmark (Benchmarks/Sources/LoadBenchmark): same connection count, same offered-rate
// phases, reports spread round robin over the connections, paced by the clock every 5 ms on each
// of 2 client threads, at most 20 unacknowledged per connection (beyond that a turn is skipped
// and counted), latency from the write of a report to the read of its acknowledgement.
//
//   echo-load -p PORT [options] [CONNECTIONS] [RATE:SECONDS ...]
//
//   CONNECTIONS   default 10000
//   RATE:SECONDS  a phase: RATE reports/s in total for SECONDS (open loop, paced); RATE `max`:
//                 as fast as it goes, each connection keeping -m reports in flight (closed loop:
//                 a report is sent when an acknowledgement comes back). Default 20000:20 50000:60
//                 (LoadBenchmark's) max:20.
//   -a ADDRESS    server address, default 127.0.0.1
//   -p PORT       server port (required)
//   -P PID        the server's pid: its CPU time (utime+stime, /proc/PID/stat) per message
//   -t THREADS    client threads, each its own epoll loop over its share of the connections (2)
//   -w CAP        most unacknowledged reports per connection in paced phases (20)
//   -m WINDOW     reports in flight per connection in `max` phases (1)
//   -i TICK_US    pacing tick in microseconds (5000)
//   -d SECONDS    drain after each phase: acknowledgements read, not counted, nothing sent (5)
//   -s SOURCES    spread the connections over SOURCES source addresses 127.0.0.2... (0: only
//                 when the ephemeral port range could not hold them)
//   -r BYTES      report size (55: a 0x0200 location report as LoadBenchmark's terminals send it)
//   -k BYTES      acknowledgement size (20: a 0x8001 platform general response)
//
// One machine-readable line a phase (tokens key=value, separated by one space):
//   loopback: connections=10000 threads=2 offered=20000/s seconds=20 sent=400000 acknowledged=19995/s
//     skipped=0 p50=0.873ms p99=1.400ms p999=1.864ms max=5.282ms server_cpu=5.65s server_us_per_msg=14.1
//     client_cpu=4.67s client_us_per_msg=11.7 machine_busy=0.72cores steal=0.00cores
// (one line; `offered=max window=1` for a max phase; server_* only with -P). machine_busy is every
// core's non-idle time over the phase, in cores: what else ran besides the pair shows as
// machine_busy minus the two processes' CPU divided by seconds. steal: time the hypervisor took
// from this machine's cores (a virtual machine's), in cores.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
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
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

// Latency histogram in microseconds: exact below 1024 µs, then 64 buckets per power of two
// (within 1.6 %), up to 2^40 µs.
#define EXACT 1024
#define SUB 64
#define NBUCKETS (EXACT + 31 * SUB)

static int bucket(uint64_t us) {
    if (us < EXACT) return (int)us;
    int e = 63 - __builtin_clzll(us);  // >= 10
    if (e > 40) return NBUCKETS - 1;
    return EXACT + (e - 10) * SUB + (int)((us >> (e - 6)) & (SUB - 1));
}

static double bucket_value(int b) {  // the middle of the bucket, µs
    if (b < EXACT) return b;
    int e = (b - EXACT) / SUB + 10, s = (b - EXACT) % SUB;
    double low = (double)(1ull << e) + (double)s * (double)(1ull << (e - 6));
    return low + (double)(1ull << (e - 6)) / 2;
}

struct conn {
    int fd;
    uint32_t rx;                  // bytes of the acknowledgement being received
    uint32_t head, count;         // ring of send times of the unacknowledged reports
    uint64_t *sent;
};

struct worker {
    int id, ep, tfd, n;
    struct conn *conns;
    uint64_t sent, acked, skipped, errors, max_us;
    uint64_t hist[NBUCKETS];
    pthread_t thread;
};

static int report_bytes = 55, ack_bytes = 20, threads = 2, cap = 20, window = 1, drain_seconds = 5;
static long tick_us = 5000;
static unsigned char report[4096];
static pthread_barrier_t barrier;
// The phase, set by the main thread before the barrier that starts it.
static volatile int phase_max, phase_count;
static double phase_rate;
static uint64_t phase_start, phase_end;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void drop(struct worker *w, struct conn *c) {
    if (c->fd < 0) return;
    epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    w->errors++;
}

// One report, one send(). Returns 1 if it went out.
static int send_report(struct worker *w, struct conn *c, int counting) {
    if (c->fd < 0) return 0;
    uint64_t t = now_ns();
    ssize_t n;
    do n = send(c->fd, report, (size_t)report_bytes, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
    if (n == report_bytes) {
        c->sent[(c->head + c->count) % (uint32_t)(cap > window ? cap : window)] = t;
        c->count++;
        if (counting) w->sent++;
        return 1;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (counting) w->skipped++;
        return 0;
    }
    // A partial send of a few dozen bytes into a nearly empty buffer, or an error: the stream is
    // out of step either way.
    if (n >= 0) fprintf(stderr, "partial send (%zd of %d bytes)\n", n, report_bytes);
    drop(w, c);
    return 0;
}

static void read_acks(struct worker *w, struct conn *c, int counting, int resend) {
    unsigned char buf[8192];
    uint32_t ring = (uint32_t)(cap > window ? cap : window);
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n <= 0) {
            drop(w, c);
            return;
        }
        uint64_t t = now_ns();
        uint32_t total = c->rx + (uint32_t)n;
        uint32_t acks = total / (uint32_t)ack_bytes;
        c->rx = total % (uint32_t)ack_bytes;
        for (uint32_t i = 0; i < acks && c->count > 0; i++) {
            uint64_t sent = c->sent[c->head];
            c->head = (c->head + 1) % ring;
            c->count--;
            if (counting) {
                uint64_t us = (t - sent) / 1000;
                w->hist[bucket(us)]++;
                if (us > w->max_us) w->max_us = us;
                w->acked++;
            }
            if (resend) send_report(w, c, counting);
        }
        if ((size_t)n < sizeof buf) return;
    }
}

static void *work(void *arg) {
    struct worker *w = arg;
    struct epoll_event events[1024];
    for (int p = 0; p < phase_count; p++) {
        pthread_barrier_wait(&barrier);  // start
        w->sent = w->acked = w->skipped = w->max_us = 0;
        memset(w->hist, 0, sizeof w->hist);
        int max = phase_max;
        uint64_t end = phase_end, last = phase_start;
        double rate = phase_rate / threads, credit = 0;
        int next = 0;
        if (max) {
            for (int i = 0; i < w->n; i++)
                for (int k = 0; k < window; k++) send_report(w, &w->conns[i], 1);
        } else if (rate > 0) {
            struct itimerspec it = {.it_interval = {tick_us / 1000000, (tick_us % 1000000) * 1000}};
            it.it_value = it.it_interval;
            timerfd_settime(w->tfd, 0, &it, NULL);
        }
        for (uint64_t now = now_ns(); now < end; now = now_ns()) {
            int timeout = (int)((end - now + 999999) / 1000000);
            int n = epoll_wait(w->ep, events, 1024, timeout > 100 ? 100 : timeout);
            for (int i = 0; i < n; i++) {
                if (events[i].data.ptr == NULL) {
                    uint64_t expirations;
                    if (read(w->tfd, &expirations, sizeof expirations) < 0) {}
                    // By the time that passed, not the ticks that ran (as LoadBenchmark's driver).
                    uint64_t t = now_ns();
                    credit += rate * (double)(t - last) / 1e9;
                    last = t;
                    while (credit >= 1 && w->n > 0) {
                        struct conn *c = &w->conns[next];
                        next = (next + 1) % w->n;
                        credit -= 1;
                        if (c->fd < 0) continue;
                        if (c->count >= (uint32_t)cap) w->skipped++;
                        else send_report(w, c, 1);
                    }
                } else {
                    read_acks(w, events[i].data.ptr, 1, max);
                }
            }
        }
        struct itimerspec off = {0};
        timerfd_settime(w->tfd, 0, &off, NULL);
        pthread_barrier_wait(&barrier);  // end: the main thread reads the counts
        uint64_t drained = now_ns() + (uint64_t)drain_seconds * 1000000000ull;
        for (uint64_t now = now_ns(); now < drained; now = now_ns()) {
            int n = epoll_wait(w->ep, events, 1024, 100);
            for (int i = 0; i < n; i++) {
                if (events[i].data.ptr == NULL) {
                    uint64_t expirations;
                    if (read(w->tfd, &expirations, sizeof expirations) < 0) {}
                } else {
                    read_acks(w, events[i].data.ptr, 0, 0);
                }
            }
        }
        pthread_barrier_wait(&barrier);  // drained
    }
    return NULL;
}

// utime + stime of a process, in seconds.
static double process_cpu(int pid) {
    char path[64], text[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return NAN;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    char *p = strrchr(text, ')');  // the name may hold spaces
    if (!p) return NAN;
    unsigned long long utime = 0, stime = 0;
    // After ")": state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15)
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return NAN;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

// Non-idle seconds of all cores together, and the seconds the hypervisor ran something else while
// a core wanted to run (steal), from /proc/stat's first line (idle and iowait are idle).
static void machine_times(double *busy, double *steal) {
    *busy = *steal = NAN;
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return;
    unsigned long long v[8] = {0};
    int got = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (got < 8) return;
    double tick = (double)sysconf(_SC_CLK_TCK);
    *busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / tick;
    *steal = (double)v[7] / tick;
}

static double percentile(const uint64_t *hist, uint64_t total, uint64_t max_us, double p) {
    if (total == 0) return NAN;
    // As LoadBenchmark: the element at index floor(count * p) of the sorted latencies.
    uint64_t rank = (uint64_t)((double)total * p);
    if (rank >= total) rank = total - 1;
    uint64_t seen = 0;
    for (int b = 0; b < NBUCKETS; b++) {
        seen += hist[b];
        if (seen > rank) return bucket_value(b) < max_us ? bucket_value(b) : (double)max_us;
    }
    return NAN;
}

static int connect_one(struct sockaddr_in *server, int sources, int i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    int one = 1;
    if (sources > 0) {
        // The port is chosen at connect(), per (source, destination): each source address has
        // the whole ephemeral range.
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        struct sockaddr_in src = {.sin_family = AF_INET};
        src.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)(i % sources));
        if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0) die("bind source address");
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    while (connect(fd, (struct sockaddr *)server, sizeof *server) < 0) {
        if (errno == EINTR) continue;
        fprintf(stderr, "connection %d: ", i + 1);
        die("connect");
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

int main(int argc, char **argv) {
    const char *address = "127.0.0.1";
    int port = 0, server_pid = 0, sources = 0, opt;
    while ((opt = getopt(argc, argv, "a:p:P:t:w:m:i:d:s:r:k:h")) != -1) {
        switch (opt) {
        case 'a': address = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'P': server_pid = atoi(optarg); break;
        case 't': threads = atoi(optarg); break;
        case 'w': cap = atoi(optarg); break;
        case 'm': window = atoi(optarg); break;
        case 'i': tick_us = atol(optarg); break;
        case 'd': drain_seconds = atoi(optarg); break;
        case 's': sources = atoi(optarg); break;
        case 'r': report_bytes = atoi(optarg); break;
        case 'k': ack_bytes = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: %s -p PORT [-a ADDRESS] [-P SERVER_PID] [-t THREADS] [-w CAP] [-m WINDOW] [-i TICK_US] [-d DRAIN_S] [-s SOURCES] [-r REPORT_BYTES] [-k ACK_BYTES] [CONNECTIONS] [RATE:SECONDS|max:SECONDS ...]\n", argv[0]);
            return 64;
        }
    }
    if (port <= 0 || threads < 1 || cap < 1 || window < 1 || tick_us < 100 || report_bytes < 1 ||
        report_bytes > (int)sizeof report || ack_bytes < 1) {
        fprintf(stderr, "echo-load: -p PORT is required; -t, -w, -m, -r, -k must be positive, -i at least 100\n");
        return 64;
    }
    int connections = optind < argc ? atoi(argv[optind++]) : 10000;
    int nphases = argc - optind;
    int given = nphases > 0;
    if (!given) nphases = 3;
    double *rates = calloc((size_t)nphases, sizeof *rates);
    int *seconds = calloc((size_t)nphases, sizeof *seconds), *maxes = calloc((size_t)nphases, sizeof *maxes);
    for (int p = 0; p < nphases; p++) {
        const char *text = given ? argv[optind + p] : (p == 0 ? "20000:20" : p == 1 ? "50000:60" : "max:20");
        const char *colon = strchr(text, ':');
        if (!colon || (seconds[p] = atoi(colon + 1)) <= 0) {
            fprintf(stderr, "bad phase '%s': RATE:SECONDS or max:SECONDS\n", text);
            return 64;
        }
        if (strncmp(text, "max", 3) == 0) maxes[p] = 1;
        else rates[p] = atof(text);
    }
    if (connections < threads) threads = connections > 0 ? connections : 1;
    // 0x7e, the frame flag, then anything: the server counts bytes.
    memset(report, 0x7e, sizeof report);
    signal(SIGPIPE, SIG_IGN);

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) die("setrlimit");
    if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)connections + 64 > rl.rlim_cur) {
        fprintf(stderr, "echo-load: %d connections need more descriptors than the hard limit %llu\n", connections, (unsigned long long)rl.rlim_cur);
        return 1;
    }
    int low = 32768, high = 60999;
    FILE *range = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (range) {
        if (fscanf(range, "%d %d", &low, &high) != 2) {}
        fclose(range);
    }
    // Each (source address, destination) pair has the ephemeral range; keep a margin of a fifth.
    int ports = (high - low + 1) * 4 / 5;
    if (sources == 0 && connections > ports) sources = (connections + ports - 1) / ports;

    struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, address, &server.sin_addr) != 1) {
        fprintf(stderr, "bad address %s\n", address);
        return 64;
    }
    printf("loopback load: %d connections to %s:%d, %d client threads, %d-byte reports, %d-byte acks, ephemeral ports %d-%d, %s\n",
           connections, address, port, threads, report_bytes, ack_bytes, low, high,
           sources ? "several source addresses" : "source 127.0.0.1");
    fflush(stdout);

    uint32_t ring = (uint32_t)(cap > window ? cap : window);
    struct conn *conns = calloc((size_t)connections, sizeof *conns);
    uint64_t *times = calloc((size_t)connections * ring, sizeof *times);
    struct worker *workers = calloc((size_t)threads, sizeof *workers);
    if (!conns || !times || !workers) die("calloc");
    uint64_t t0 = now_ns();
    for (int i = 0; i < connections; i++) {
        conns[i].fd = connect_one(&server, sources, i);
        conns[i].sent = times + (size_t)i * ring;
        if ((i + 1) % 2000 == 0) printf("  connected %d/%d\n", i + 1, connections);
    }
    printf("connected %d in %.2f s\n", connections, (double)(now_ns() - t0) / 1e9);

    // Connection i goes to thread i % threads, as LoadBenchmark's terminals go to its loops.
    for (int t = 0; t < threads; t++) {
        struct worker *w = &workers[t];
        w->id = t;
        w->conns = calloc((size_t)connections / (size_t)threads + 1, sizeof *w->conns);
        if ((w->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) die("epoll_create1");
        if ((w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0) die("timerfd_create");
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
        if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->tfd, &ev) < 0) die("epoll_ctl");
    }
    for (int i = 0; i < connections; i++) {
        struct worker *w = &workers[i % threads];
        w->conns[w->n] = conns[i];
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &w->conns[w->n]};
        if (epoll_ctl(w->ep, EPOLL_CTL_ADD, conns[i].fd, &ev) < 0) die("epoll_ctl");
        w->n++;
    }

    // Warm-up: one report on every connection, every acknowledgement back, before any phase:
    // each connection was accepted and answers. Single-threaded and not timed as a phase.
    t0 = now_ns();
    uint64_t outstanding = 0;
    for (int t = 0; t < threads; t++)
        for (int i = 0; i < workers[t].n; i++) outstanding += (uint64_t)send_report(&workers[t], &workers[t].conns[i], 0);
    for (int t = 0; t < threads; t++) {
        struct worker *w = &workers[t];
        struct epoll_event events[1024];
        uint64_t deadline = now_ns() + 60000000000ull;
        for (;;) {
            uint64_t waiting = 0;
            for (int i = 0; i < w->n; i++) waiting += w->conns[i].count;
            if (waiting == 0 || now_ns() > deadline) break;
            int n = epoll_wait(w->ep, events, 1024, 100);
            for (int i = 0; i < n; i++)
                if (events[i].data.ptr) read_acks(w, events[i].data.ptr, 0, 0);
        }
    }
    uint64_t unanswered = 0, dropped = 0;
    for (int t = 0; t < threads; t++) {
        for (int i = 0; i < workers[t].n; i++) unanswered += workers[t].conns[i].count;
        dropped += workers[t].errors;
    }
    printf("warm-up: %llu reports, %llu unanswered, %llu connections lost, %.2f s\n", (unsigned long long)outstanding,
           (unsigned long long)unanswered, (unsigned long long)dropped, (double)(now_ns() - t0) / 1e9);
    if (unanswered || dropped) {
        fprintf(stderr, "echo-load: the server did not answer every connection\n");
        return 1;
    }
    fflush(stdout);
    sleep(1);

    phase_count = nphases;
    if (pthread_barrier_init(&barrier, NULL, (unsigned)threads + 1) != 0) die("pthread_barrier_init");
    for (int t = 0; t < threads; t++)
        if (pthread_create(&workers[t].thread, NULL, work, &workers[t]) != 0) die("pthread_create");

    char (*lines)[512] = calloc((size_t)nphases, sizeof *lines);
    uint64_t *hist = calloc(NBUCKETS, sizeof *hist);
    for (int p = 0; p < nphases; p++) {
        if (maxes[p]) printf("max rate, %d in flight per connection, for %d s...\n", window, seconds[p]);
        else printf("%.0f reports/s for %d s...\n", rates[p], seconds[p]);
        fflush(stdout);
        phase_max = maxes[p];
        phase_rate = rates[p];
        double server0 = server_pid ? process_cpu(server_pid) : NAN, self0 = self_cpu(), busy0, steal0;
        machine_times(&busy0, &steal0);
        phase_start = now_ns();
        phase_end = phase_start + (uint64_t)seconds[p] * 1000000000ull;
        pthread_barrier_wait(&barrier);  // start
        pthread_barrier_wait(&barrier);  // end
        double elapsed = (double)(now_ns() - phase_start) / 1e9;
        double server1 = server_pid ? process_cpu(server_pid) : NAN, self1 = self_cpu(), busy1, steal1;
        machine_times(&busy1, &steal1);
        uint64_t sent = 0, acked = 0, skipped = 0, errors = 0, max_us = 0;
        memset(hist, 0, NBUCKETS * sizeof *hist);
        for (int t = 0; t < threads; t++) {
            struct worker *w = &workers[t];
            sent += w->sent;
            acked += w->acked;
            skipped += w->skipped;
            errors += w->errors;
            if (w->max_us > max_us) max_us = w->max_us;
            for (int b = 0; b < NBUCKETS; b++) hist[b] += w->hist[b];
        }
        char offered[64];
        if (maxes[p]) snprintf(offered, sizeof offered, "max window=%d", window);
        else snprintf(offered, sizeof offered, "%.0f/s", rates[p]);
        char server_part[160] = "";
        if (server_pid)
            snprintf(server_part, sizeof server_part, " server_cpu=%.2fs server_us_per_msg=%.1f", server1 - server0,
                     acked ? (server1 - server0) / (double)acked * 1e6 : NAN);
        snprintf(lines[p], sizeof lines[p],
                 "loopback: connections=%d threads=%d offered=%s seconds=%d sent=%llu acknowledged=%.0f/s skipped=%llu "
                 "p50=%.3fms p99=%.3fms p999=%.3fms max=%.3fms%s client_cpu=%.2fs client_us_per_msg=%.1f machine_busy=%.2fcores steal=%.2fcores",
                 connections, threads, offered, seconds[p], (unsigned long long)sent, (double)acked / (double)seconds[p],
                 (unsigned long long)skipped, percentile(hist, acked, max_us, 0.5) / 1000, percentile(hist, acked, max_us, 0.99) / 1000,
                 percentile(hist, acked, max_us, 0.999) / 1000, (double)max_us / 1000, server_part, self1 - self0,
                 acked ? (self1 - self0) / (double)acked * 1e6 : NAN, (busy1 - busy0) / elapsed, (steal1 - steal0) / elapsed);
        printf("%s\n", lines[p]);
        if (errors) printf("  %llu connections lost so far\n", (unsigned long long)errors);
        fflush(stdout);
        pthread_barrier_wait(&barrier);  // drained
    }
    for (int t = 0; t < threads; t++) pthread_join(workers[t].thread, NULL);
    return 0;
}
