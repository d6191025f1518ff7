// The terminals' side of both load benchmarks (see README.md): N TCP connections, each report its
// own send() (TCP_NODELAY) and each acknowledgement read back and timed; reports spread round
// robin over the connections, paced by the clock every 5 ms on each of 2 client threads, at most
// 20 unacknowledged per connection (beyond that a turn is skipped and counted), latency from the
// write of a report to the read of its acknowledgement. Against echo-server it sends fixed-size
// stand-ins (the loopback floor); with -j it speaks JT/T 808 to fleetd as real terminals do
// (LoadBenchmark runs it so), so fleetd and the bare pair are measured by one generator.
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
//   -j            JT/T 808: each connection registers and authenticates as terminal i (at most
//                 500 handshakes in flight), then sends real 0x0200 frames and counts 0x8001s
//   -T EPOCH      with -j: the first report's GNSS time (default: 00:10 today, China time)
//   -G PID        a database's postmaster: its and its children's CPU time per message
//   -n LABEL      the first token of each phase's line (loopback)
//
// One machine-readable line a phase (tokens key=value, separated by one space):
//   loopback: connections=10000 threads=2 offered=20000/s seconds=20 sent=400000 acknowledged=19995/s
//     skipped=0 p50=0.873ms p99=1.400ms p999=1.864ms max=5.282ms server_cpu=5.65s server_us_per_msg=14.1
//     client_cpu=4.67s client_us_per_msg=11.7 machine_busy=0.72cores steal=0.00cores
//     acked=399900
// (one line; `offered=max window=1` for a max phase; server_* only with -P, with server_rss=KiB
// at the phase's end; db_cpu and db_us_per_msg only with -G; with -j also refused= (0x8001 with
// a non-zero result) and mismatched= (acknowledging another serial than the oldest outstanding
// report's)). With -P, the server's RSS once every connection is up and idle:
//   idle: connections=10000 server_rss=250000KiB
// machine_busy is every
// core's non-idle time over the phase, in cores: what else ran besides the pair shows as
// machine_busy minus the two processes' CPU divided by seconds. steal: time the hypervisor took
// from this machine's cores (a virtual machine's), in cores.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
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
    // JT/T 808 only:
    uint32_t terminal, gnss;      // its number (1-based); the next report's GNSS second
    uint16_t serial;              // the next frame's serial
    uint8_t state, escaped, overflow, length;
    uint8_t in[64];               // the frame being received, unescaped (longer ones are skipped)
};

struct worker {
    int id, ep, tfd, n;
    struct conn *conns;
    uint64_t sent, acked, skipped, errors, max_us, refused, mismatched, ready;
    uint64_t hist[NBUCKETS];
    pthread_t thread;
};

static int report_bytes = 55, ack_bytes = 20, threads = 2, cap = 20, window = 1, drain_seconds = 5;
static uint32_t ring;  // send times kept per connection: the larger of cap and window
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

// --- JT/T 808 (-j): the same traffic as real terminals speak it, for fleetd ---------------------
// Terminal i (1-based) is FleetSimulator's: phone 1390 and i in 7 digits, terminal ID the
// phone's last 7 digits, plate 浙BD and i % 100000 in 5 digits; it registers (0x0100, 2013
// layout, as LoadBenchmark provisions it), authenticates with the code it is given (0x0102) and
// reports 0x0200 frames: the basic 28 bytes plus mileage, signal and satellites, one GNSS second
// after the last, China time. Only 0x8001 answers to its reports count as acknowledgements.

enum { JT_CONNECTED, JT_REGISTERING, JT_AUTHENTICATING, JT_READY, JT_FAILED };

static int jt808;
static uint32_t first_gnss;  // -T: the first report's GNSS time, epoch seconds

static size_t put16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
    return 2;
}

static size_t put32(uint8_t *p, uint32_t v) {
    put16(p, (uint16_t)(v >> 16));
    return 2 + put16(p + 2, (uint16_t)v);
}

static uint8_t bcd(int v) { return (uint8_t)((v / 10) << 4 | (v % 10)); }

// Header, body and check code, escaped (0x7e -> 7d 02, 0x7d -> 7d 01) between two 0x7e flags.
// The 2013 header: id, properties (the body length), the phone in 6 BCD bytes, the serial.
static size_t jt_frame(uint8_t *out, uint16_t id, uint32_t terminal, uint16_t serial, const uint8_t *body, size_t length) {
    uint8_t raw[160];
    char phone[13];
    snprintf(phone, sizeof phone, "01390%07u", terminal % 10000000u);
    size_t n = put16(raw, id);
    n += put16(raw + n, (uint16_t)length);
    for (int k = 0; k < 12; k += 2) raw[n++] = (uint8_t)((phone[k] - '0') << 4 | (phone[k + 1] - '0'));
    n += put16(raw + n, serial);
    memcpy(raw + n, body, length);
    n += length;
    uint8_t check = 0;
    for (size_t k = 0; k < n; k++) check ^= raw[k];
    raw[n++] = check;
    size_t m = 0;
    out[m++] = 0x7e;
    for (size_t k = 0; k < n; k++) {
        if (raw[k] == 0x7e || raw[k] == 0x7d) {
            out[m++] = 0x7d;
            out[m++] = raw[k] == 0x7e ? 0x02 : 0x01;
        } else {
            out[m++] = raw[k];
        }
    }
    out[m++] = 0x7e;
    return m;
}

// One frame on the connection; a handshake frame that cannot go out entire fails the terminal.
static int jt_send(struct conn *c, uint16_t id, const uint8_t *body, size_t length) {
    uint8_t frame[340];
    size_t n = jt_frame(frame, id, c->terminal, c->serial++, body, length);
    ssize_t sent;
    do sent = send(c->fd, frame, n, MSG_NOSIGNAL); while (sent < 0 && errno == EINTR);
    return sent == (ssize_t)n;
}

static void jt_register(struct conn *c) {
    uint8_t body[64];
    size_t n = put16(body, 33);                       // province: Zhejiang
    n += put16(body + n, 200);                        // city
    memcpy(body + n, "FLEET", 5), n += 5;             // manufacturer, 5 bytes
    memset(body + n, 0, 20), memcpy(body + n, "LOAD", 4), n += 20;  // model, 20 bytes zero-padded
    char digits[8];
    snprintf(digits, sizeof digits, "%07u", c->terminal % 10000000u);
    memcpy(body + n, digits, 7), n += 7;              // terminal ID
    body[n++] = 5;                                    // plate colour
    body[n++] = 0xd5, body[n++] = 0xe3;               // 浙 in GBK
    n += (size_t)snprintf((char *)body + n, 8, "BD%05u", c->terminal % 100000u);
    c->state = jt_send(c, 0x0100, body, n) ? JT_REGISTERING : JT_FAILED;
}

// The 0x0200 body of the connection's next report; its GNSS second is c->gnss.
static size_t jt_location(struct conn *c, uint8_t *body) {
    uint32_t t = c->gnss, moved = t - first_gnss;
    size_t n = put32(body, 0);                                             // alarms
    n += put32(body + n, 1u | 2u | 1u << 18 | 1u << 19);                   // ACC on, fixed, GPS, BeiDou
    n += put32(body + n, 29868300u + c->terminal % 9973u * 7u + moved * 3u);  // latitude, µ°
    n += put32(body + n, 121544000u + c->terminal % 9967u * 11u + moved * 5u);
    n += put16(body + n, 8);                                               // altitude, m
    n += put16(body + n, 300);                                             // 30.0 km/h
    n += put16(body + n, (uint16_t)(moved * 7u % 360u));                   // course
    time_t china = (time_t)t + 8 * 3600;
    struct tm tm;
    gmtime_r(&china, &tm);
    body[n++] = bcd(tm.tm_year % 100), body[n++] = bcd(tm.tm_mon + 1), body[n++] = bcd(tm.tm_mday);
    body[n++] = bcd(tm.tm_hour), body[n++] = bcd(tm.tm_min), body[n++] = bcd(tm.tm_sec);
    body[n++] = 0x01, body[n++] = 4, n += put32(body + n, moved * 83u / 10u);  // mileage, 0.1 km
    body[n++] = 0x30, body[n++] = 1, body[n++] = 25;                       // signal
    body[n++] = 0x31, body[n++] = 1, body[n++] = 12;                       // satellites
    return n;
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
    uint8_t frame[160];
    const uint8_t *bytes = report;
    ssize_t length = report_bytes, n;
    if (jt808) {
        uint8_t body[64];
        length = (ssize_t)jt_frame(frame, 0x0200, c->terminal, c->serial, body, jt_location(c, body));
        bytes = frame;
    }
    uint64_t t = now_ns();
    do n = send(c->fd, bytes, (size_t)length, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
    if (n == length) {
        c->sent[(c->head + c->count) % ring] = t;
        c->count++;
        c->serial++;
        c->gnss++;
        if (counting) w->sent++;
        return 1;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (counting) w->skipped++;
        return 0;
    }
    // A partial send of a few dozen bytes into a nearly empty buffer, or an error: the stream is
    // out of step either way.
    if (n >= 0) fprintf(stderr, "partial send (%zd of %zd bytes)\n", n, length);
    drop(w, c);
    return 0;
}

// The connection's oldest outstanding report was acknowledged at t.
static void acknowledged(struct worker *w, struct conn *c, uint64_t t, int counting, int resend) {
    if (c->count == 0) return;
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

// A whole frame from the server, unescaped, in c->in: the handshake's answers and the reports'.
static void jt_received(struct worker *w, struct conn *c, uint64_t t, int counting, int resend) {
    const uint8_t *f = c->in;
    size_t n = c->length;
    if (n < 13) return;
    uint8_t check = 0;
    for (size_t k = 0; k + 1 < n; k++) check ^= f[k];
    uint16_t id = (uint16_t)(f[0] << 8 | f[1]), properties = (uint16_t)(f[2] << 8 | f[3]);
    size_t header = properties & 0x4000 ? 17 : 12, length = properties & 0x3ff;
    if (check != f[n - 1] || header + length + 1 != n) return;
    const uint8_t *body = f + header;
    if (id == 0x8100 && c->state == JT_REGISTERING) {
        // Reply serial, result, then the auth code, which the terminal sends back as it is.
        if (length < 3 || body[2] != 0 || !jt_send(c, 0x0102, body + 3, length - 3)) return drop(w, c);
        c->state = JT_AUTHENTICATING;
    } else if (id == 0x8001 && length >= 5) {
        uint16_t serial = (uint16_t)(body[0] << 8 | body[1]), reply = (uint16_t)(body[2] << 8 | body[3]);
        if (reply == 0x0102 && c->state == JT_AUTHENTICATING) {
            if (body[4] != 0) return drop(w, c);
            c->state = JT_READY;
            w->ready++;
        } else if (reply == 0x0200 && c->count > 0) {
            if (serial != (uint16_t)(c->serial - c->count)) w->mismatched++;
            if (body[4] != 0) w->refused++;
            acknowledged(w, c, t, counting, resend);
        }
    }
}

static void read_acks(struct worker *w, struct conn *c, int counting, int resend) {
    unsigned char buf[8192];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n <= 0) {
            drop(w, c);
            return;
        }
        uint64_t t = now_ns();
        if (jt808) {
            for (ssize_t k = 0; k < n && c->fd >= 0; k++) {
                uint8_t b = buf[k];
                if (b == 0x7e) {  // a frame's end, or the next one's start
                    if (c->length > 0 && !c->overflow) jt_received(w, c, t, counting, resend);
                    c->length = c->escaped = c->overflow = 0;
                    continue;
                }
                if (c->escaped) {
                    c->escaped = 0;
                    b = b == 0x01 ? 0x7d : b == 0x02 ? 0x7e : b;  // another byte: the check code fails
                } else if (b == 0x7d) {
                    c->escaped = 1;
                    continue;
                }
                if (c->length < sizeof c->in) c->in[c->length++] = b;
                else c->overflow = 1;
            }
            if (c->fd < 0) return;
        } else {
            uint32_t total = c->rx + (uint32_t)n;
            uint32_t acks = total / (uint32_t)ack_bytes;
            c->rx = total % (uint32_t)ack_bytes;
            for (uint32_t i = 0; i < acks; i++) acknowledged(w, c, t, counting, resend);
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

// utime + stime of a process, in seconds, and its parent's pid.
static double process_cpu_and_parent(int pid, int *parent) {
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
    // After ")": state(3) ppid(4) pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15)
    if (sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", parent, &utime, &stime) != 3) return NAN;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static double process_cpu(int pid) {
    int parent;
    return process_cpu_and_parent(pid, &parent);
}

// A process's resident memory (VmRSS), KiB; -1 if unknown.
static long process_rss_kib(int pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1) break;
    fclose(f);
    return kib;
}

// The CPU seconds of a process and of each of its children by pid: a PostgreSQL postmaster and
// its backends, WAL writer, checkpointer.
struct cpu_sample {
    int pid;
    double seconds;
};

static int family_cpu(int root, struct cpu_sample *out, int most) {
    DIR *proc = opendir("/proc");
    if (!proc) return 0;
    int n = 0;
    for (struct dirent *e; n < most && (e = readdir(proc));) {
        int pid = atoi(e->d_name), parent = 0;
        if (pid <= 0) continue;
        double seconds = process_cpu_and_parent(pid, &parent);
        if (!isnan(seconds) && (pid == root || parent == root)) out[n++] = (struct cpu_sample){pid, seconds};
    }
    closedir(proc);
    return n;
}

// What the family used between two samples: a process in both counts its difference, one started
// in between all of its time; one that ended in between is not counted (fleetd's pool keeps its
// connections through a phase).
static double family_cpu_used(const struct cpu_sample *before, int nb, const struct cpu_sample *after, int na) {
    double used = 0;
    for (int a = 0; a < na; a++) {
        used += after[a].seconds;
        for (int b = 0; b < nb; b++)
            if (before[b].pid == after[a].pid) used -= before[b].seconds;
    }
    return used;
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
    const char *label = "loopback";
    int port = 0, server_pid = 0, database_pid = 0, sources = 0, opt;
    long long gnss = -1;
    while ((opt = getopt(argc, argv, "a:p:P:t:w:m:i:d:s:r:k:jT:G:n:h")) != -1) {
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
        case 'j': jt808 = 1; break;
        case 'T': gnss = atoll(optarg); break;
        case 'G': database_pid = atoi(optarg); break;
        case 'n': label = optarg; break;
        default:
            fprintf(stderr, "usage: %s -p PORT [-a ADDRESS] [-P SERVER_PID] [-G DATABASE_PID] [-t THREADS] [-w CAP] [-m WINDOW] [-i TICK_US] [-d DRAIN_S] [-s SOURCES] [-r REPORT_BYTES] [-k ACK_BYTES] [-j [-T EPOCH]] [-n LABEL] [CONNECTIONS] [RATE:SECONDS|max:SECONDS ...]\n", argv[0]);
            return 64;
        }
    }
    if (port <= 0 || threads < 1 || cap < 1 || window < 1 || tick_us < 100 || report_bytes < 1 ||
        report_bytes > (int)sizeof report || ack_bytes < 1 || gnss > UINT32_MAX - 100000000ll) {
        fprintf(stderr, "echo-load: -p PORT is required; -t, -w, -m, -r, -k must be positive, -i at least 100, -T an epoch second before 2103\n");
        return 64;
    }
    int connections = optind < argc ? atoi(argv[optind++]) : 10000;
    if (connections < 1 || connections > 10000000) {
        fprintf(stderr, "echo-load: CONNECTIONS must be 1 to 10000000\n");
        return 64;
    }
    if (gnss < 0) {  // 00:10 today, China time (UTC+8, no daylight saving)
        long long now = (long long)time(NULL);
        gnss = (now + 28800) / 86400 * 86400 - 28800 + 600;
    }
    first_gnss = (uint32_t)gnss;
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
    if (jt808)
        printf("%s load: %d JT/T 808 terminals to %s:%d, %d client threads, ephemeral ports %d-%d, %s\n", label, connections, address,
               port, threads, low, high, sources ? "several source addresses" : "source 127.0.0.1");
    else
        printf("%s load: %d connections to %s:%d, %d client threads, %d-byte reports, %d-byte acks, ephemeral ports %d-%d, %s\n",
               label, connections, address, port, threads, report_bytes, ack_bytes, low, high,
               sources ? "several source addresses" : "source 127.0.0.1");
    fflush(stdout);

    ring = (uint32_t)(cap > window ? cap : window);
    struct conn *conns = calloc((size_t)connections, sizeof *conns);
    uint64_t *times = calloc((size_t)connections * ring, sizeof *times);
    struct worker *workers = calloc((size_t)threads, sizeof *workers);
    if (!conns || !times || !workers) die("calloc");
    uint64_t t0 = now_ns();
    // With -j each terminal registers as soon as it is connected; the answers are read on the
    // way, at most 500 handshakes in flight, as terminals come back after a restart.
    struct worker *handshakes = calloc(1, sizeof *handshakes);
    if (!handshakes || (handshakes->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) die("epoll_create1");
    struct epoll_event events[1024];
    for (int i = 0; i <= connections; i++) {
        if (i < connections) {
            struct conn *c = &conns[i];
            c->fd = connect_one(&server, sources, i);
            c->sent = times + (size_t)i * ring;
            c->terminal = (uint32_t)i + 1;
            c->gnss = first_gnss;
            if ((i + 1) % 2000 == 0) printf("  connected %d/%d\n", i + 1, connections);
            if (!jt808) continue;
            struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
            if (epoll_ctl(handshakes->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl");
            jt_register(c);
            if (c->state != JT_REGISTERING) drop(handshakes, c);
        } else if (!jt808) {
            break;
        }
        // Read what has come; wait while 500 are in flight, and at the end until none is.
        uint64_t deadline = now_ns() + 60000000000ull;
        for (;;) {
            uint64_t settled = handshakes->ready + handshakes->errors, started = (uint64_t)(i < connections ? i + 1 : i);
            int wait = started - settled >= 500 || (i == connections && settled < started);
            if (wait && now_ns() > deadline) {
                fprintf(stderr, "echo-load: %llu handshakes unanswered for 60 s\n", (unsigned long long)(started - settled));
                return 1;
            }
            int n = epoll_wait(handshakes->ep, events, 1024, wait ? 100 : 0);
            for (int k = 0; k < n; k++) read_acks(handshakes, events[k].data.ptr, 0, 0);
            if (!wait && n <= 0) break;
        }
        if (jt808 && i < connections && (i + 1) % 2000 == 0)
            printf("  authenticated %llu/%d\n", (unsigned long long)handshakes->ready, connections);
    }
    close(handshakes->ep);
    if (handshakes->errors) {
        fprintf(stderr, "echo-load: %llu of %d terminals could not register and authenticate\n", (unsigned long long)handshakes->errors, connections);
        return 1;
    }
    printf("connected %d%s in %.2f s\n", connections, jt808 ? ", each registered and authenticated," : "", (double)(now_ns() - t0) / 1e9);

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
    // Then, idle, as LoadBenchmark measured it: what the server holds for each connection.
    sleep(server_pid ? 5 : 1);
    if (server_pid) printf("idle: connections=%d server_rss=%ldKiB\n", connections, process_rss_kib(server_pid));

    phase_count = nphases;
    if (pthread_barrier_init(&barrier, NULL, (unsigned)threads + 1) != 0) die("pthread_barrier_init");
    for (int t = 0; t < threads; t++)
        if (pthread_create(&workers[t].thread, NULL, work, &workers[t]) != 0) die("pthread_create");

    char (*lines)[768] = calloc((size_t)nphases, sizeof *lines);
    struct cpu_sample *database_before = calloc(4096, sizeof *database_before), *database_after = calloc(4096, sizeof *database_after);
    uint64_t *hist = calloc(NBUCKETS, sizeof *hist);
    for (int p = 0; p < nphases; p++) {
        if (maxes[p]) printf("max rate, %d in flight per connection, for %d s...\n", window, seconds[p]);
        else printf("%.0f reports/s for %d s...\n", rates[p], seconds[p]);
        fflush(stdout);
        phase_max = maxes[p];
        phase_rate = rates[p];
        double server0 = server_pid ? process_cpu(server_pid) : NAN, self0 = self_cpu(), busy0, steal0;
        machine_times(&busy0, &steal0);
        int nb = database_pid ? family_cpu(database_pid, database_before, 4096) : 0;
        phase_start = now_ns();
        phase_end = phase_start + (uint64_t)seconds[p] * 1000000000ull;
        pthread_barrier_wait(&barrier);  // start
        pthread_barrier_wait(&barrier);  // end
        double elapsed = (double)(now_ns() - phase_start) / 1e9;
        double server1 = server_pid ? process_cpu(server_pid) : NAN, self1 = self_cpu(), busy1, steal1;
        machine_times(&busy1, &steal1);
        int na = database_pid ? family_cpu(database_pid, database_after, 4096) : 0;
        uint64_t sent = 0, acked = 0, skipped = 0, errors = 0, max_us = 0, refused = 0, mismatched = 0;
        memset(hist, 0, NBUCKETS * sizeof *hist);
        for (int t = 0; t < threads; t++) {
            struct worker *w = &workers[t];
            sent += w->sent;
            acked += w->acked;
            skipped += w->skipped;
            errors += w->errors;
            refused += w->refused;
            mismatched += w->mismatched;
            w->refused = w->mismatched = 0;
            if (w->max_us > max_us) max_us = w->max_us;
            for (int b = 0; b < NBUCKETS; b++) hist[b] += w->hist[b];
        }
        char offered[64];
        if (maxes[p]) snprintf(offered, sizeof offered, "max window=%d", window);
        else snprintf(offered, sizeof offered, "%.0f/s", rates[p]);
        char server_part[160] = "", database_part[96] = "", jt_part[64] = "";
        if (server_pid)
            snprintf(server_part, sizeof server_part, " server_cpu=%.2fs server_us_per_msg=%.1f server_rss=%ldKiB", server1 - server0,
                     acked ? (server1 - server0) / (double)acked * 1e6 : NAN, process_rss_kib(server_pid));
        if (database_pid) {
            double used = family_cpu_used(database_before, nb, database_after, na);
            snprintf(database_part, sizeof database_part, " db_cpu=%.2fs db_us_per_msg=%.1f", used, acked ? used / (double)acked * 1e6 : NAN);
        }
        if (jt808)
            snprintf(jt_part, sizeof jt_part, " refused=%llu mismatched=%llu", (unsigned long long)refused, (unsigned long long)mismatched);
        snprintf(lines[p], sizeof lines[p],
                 "%s: connections=%d threads=%d offered=%s seconds=%d sent=%llu acknowledged=%.0f/s skipped=%llu "
                 "p50=%.3fms p99=%.3fms p999=%.3fms max=%.3fms%s%s client_cpu=%.2fs client_us_per_msg=%.1f machine_busy=%.2fcores "
                 "steal=%.2fcores%s acked=%llu",
                 label, connections, threads, offered, seconds[p], (unsigned long long)sent, (double)acked / (double)seconds[p],
                 (unsigned long long)skipped, percentile(hist, acked, max_us, 0.5) / 1000, percentile(hist, acked, max_us, 0.99) / 1000,
                 percentile(hist, acked, max_us, 0.999) / 1000, (double)max_us / 1000, server_part, database_part, self1 - self0,
                 acked ? (self1 - self0) / (double)acked * 1e6 : NAN, (busy1 - busy0) / elapsed, (steal1 - steal0) / elapsed, jt_part,
                 (unsigned long long)acked);
        printf("%s\n", lines[p]);
        if (errors) printf("  %llu connections lost so far\n", (unsigned long long)errors);
        fflush(stdout);
        pthread_barrier_wait(&barrier);  // drained
    }
    for (int t = 0; t < threads; t++) pthread_join(workers[t].thread, NULL);
    return 0;
}
