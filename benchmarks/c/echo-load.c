/*
 * The C load client of the echo load run (org.jevent.benchmarks.echo.EchoLoad --stream-client c):
 * the stream workloads of issue 14 driven the way the issue drove them, from a C program that
 * checks every echoed byte, so that a client pinned to one core costs little per byte and the
 * server, not the client, sets the rate.
 *
 *   echo-load [--tls] HOST PORT CONNS SIZE DEPTH [WARMUP SECONDS]
 *
 * One thread, one epoll set, CONNS non-blocking TCP connections with TCP_NODELAY. Each keeps
 * SIZE * DEPTH bytes in flight: it sends its own byte stream (a window of a pseudo-random table
 * read from the connection's stream offset, as the Java client's ClientConn does) and compares
 * every byte that comes back with what was sent at that offset (one memcmp per read). A byte
 * that differs, more bytes back than were sent, a server that closes a connection, or any socket
 * or TLS error ends the program with a message on stderr and exit status 1; bad arguments exit 2.
 * Reads and writes are large (a 256 KiB scratch buffer, writes of up to the whole window) so
 * that a byte costs the client little.
 *
 * --tls: OpenSSL over the same loop, TLS 1.3 only, groups X25519 then P-256, ciphers in
 * BoringSSL's order (AES-128-GCM, AES-256-GCM, ChaCha20), ALPN "http/1.1": what the Java client
 * (Conscrypt, ClientTls) offers, so a server negotiates the same suite with either client. The
 * server's certificate is not checked (a load client; the servers use a throw-away one), its
 * CertificateVerify signature still is, as in any handshake. No session cache: every connection
 * handshakes in full. All connections finish their handshakes before "ready"; data starts after.
 *
 * Standard output, one line each, flushed:
 *   ready                      every connection is connected (and handshaken); data flows now
 *   mark BYTES NANOS CPU       BYTES: bytes echoed back and checked so far, all connections;
 *                              NANOS: CLOCK_MONOTONIC; CPU: CLOCK_PROCESS_CPUTIME_ID, both ns
 *
 * Who marks the window. Without WARMUP SECONDS (how EchoLoad runs it) the marks are asked for on
 * standard input: a line "mark" prints a mark line, "quit" or the end of input ends the run.
 * The driver reads the server's CPU counters from /proc right around each mark, so the
 * client's bytes, clock and CPU time and the server's CPU time belong to the same moment (to a
 * pipe round trip, tens of microseconds; the two edges are read in the same order, so even that
 * cancels), and the rate is computed from the client's own clock: bytes and time of one window
 * come from one place. A timer in this program instead would leave the driver guessing
 * when the window began. With WARMUP SECONDS it times itself (to run it by hand): a mark after
 * WARMUP seconds, one SECONDS later, a summary on stderr.
 *
 * The end of a run: nothing more is sent, each connection is closed once every byte it has in
 * flight came back and was checked (so the server sees a FIN, never a reset from unread data),
 * then status 0; bytes still missing after 10 s are an error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define TABLE_SIZE (1u << 20)          /* the byte pattern repeats every 1 MiB of a stream */
#define SCRATCH_SIZE (256u * 1024)     /* one read takes up to this much */
#define TLS_READ_BUFFER (128u * 1024)  /* OpenSSL's read-ahead buffer: several records a read */
#define MAX_EVENTS 256
#define HANDSHAKE_TIMEOUT_MS 30000
#define DRAIN_TIMEOUT_MS 10000

/*
 * One connection. Invariant: received <= sent, sent - received <= window once a step returns,
 * and the bytes [received, sent) of its stream are the ones in flight; interest is the epoll
 * event mask registered for fd.
 */
struct conn {
    int fd;
    int id;
    SSL *ssl;              /* NULL: plain TCP */
    int handshaken;
    int write_pending;     /* TLS: the last SSL_write wanted the socket and must be repeated */
    uint32_t offset;       /* where in the table this connection's stream starts */
    uint64_t sent;
    uint64_t received;
    uint32_t interest;
};

/* The pattern, twice over, so that any run of up to TABLE_SIZE bytes from any offset is contiguous. */
static unsigned char table[2 * TABLE_SIZE];
static unsigned char scratch[SCRATCH_SIZE];
static uint64_t window;          /* SIZE * DEPTH: bytes each connection keeps in flight */
static uint64_t received_total;  /* bytes echoed and checked, all connections */
static int epfd;
static SSL_CTX *ssl_ctx;         /* NULL: plain */
static int draining;             /* the end was asked for: nothing more is sent */
static int open_conns;           /* connections not closed yet */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die_tls(const struct conn *c, const char *what, int err) __attribute__((noreturn));

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("echo-load: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static uint64_t clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static void print_mark(void)
{
    printf("mark %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", received_total, clock_ns(CLOCK_MONOTONIC),
           clock_ns(CLOCK_PROCESS_CPUTIME_ID));
    fflush(stdout);
}

/* xorshift64*, seed 7: the same table on every run; only its bytes matter, not the generator. */
static void fill_table(void)
{
    uint64_t x = 7;
    for (uint32_t i = 0; i < TABLE_SIZE; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        table[i] = (unsigned char) ((x * 0x2545F4914F6CDD1DULL) >> 56);
    }
    memcpy(table + TABLE_SIZE, table, TABLE_SIZE);
}

/* The bytes of c's stream from stream offset at on (contiguous for up to TABLE_SIZE bytes). */
static const unsigned char *stream_at(const struct conn *c, uint64_t at)
{
    return table + (c->offset + at) % TABLE_SIZE;
}

/* Checks n echoed bytes against what c sent at the same offsets; any difference is fatal. */
static void verify(struct conn *c, const unsigned char *got, size_t n)
{
    if (n > c->sent - c->received) {
        die("connection %d: the server echoed %zu bytes, only %" PRIu64 " were in flight (after %" PRIu64 " bytes)",
            c->id, n, c->sent - c->received, c->received);
    }
    const unsigned char *want = stream_at(c, c->received);
    if (memcmp(got, want, n) != 0) {
        size_t i = 0;
        while (got[i] == want[i]) {
            i++;
        }
        die("connection %d: echoed byte %" PRIu64 " is 0x%02x, 0x%02x was sent", c->id, c->received + i, got[i],
            want[i]);
    }
    c->received += n;
    received_total += n;
}

static void set_interest(struct conn *c, int want_write)
{
    uint32_t events = EPOLLIN | (want_write ? EPOLLOUT : 0);
    if (events != c->interest) {
        struct epoll_event ev = {.events = events, .data.ptr = c};
        if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0) {
            die("connection %d: epoll_ctl: %s", c->id, strerror(errno));
        }
        c->interest = events;
    }
}

/* Bytes c may send now: up to the window, at most one table's length per write. */
static size_t room(const struct conn *c)
{
    uint64_t left = window - (c->sent - c->received);
    return left < TABLE_SIZE ? (size_t) left : TABLE_SIZE;
}

/*
 * While draining, a connection whose bytes have all come back is closed: nothing is left unread
 * in it, so the server sees an orderly end (a FIN, not a reset).
 */
static void close_if_drained(struct conn *c)
{
    if (draining && c->fd >= 0 && c->received == c->sent && !c->write_pending) {
        SSL_free(c->ssl);  /* no close_notify, as the Java client: a load run */
        c->ssl = NULL;
        close(c->fd);      /* leaves the epoll set with it */
        c->fd = -1;
        open_conns--;
    }
}

/* Plain TCP: one read (if readable), then writes until the window is full or the socket is. */
static void plain_step(struct conn *c, int readable)
{
    if (readable) {
        ssize_t n = read(c->fd, scratch, SCRATCH_SIZE);
        if (n == 0) {
            die("connection %d: the server closed it after echoing %" PRIu64 " bytes", c->id, c->received);
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            die("connection %d: read: %s", c->id, strerror(errno));
        }
        if (n > 0) {
            verify(c, scratch, (size_t) n);
        }
    }
    while (!draining && c->sent - c->received < window) {
        size_t len = room(c);
        ssize_t n = send(c->fd, stream_at(c, c->sent), len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN) {
                die("connection %d: write: %s", c->id, strerror(errno));
            }
            set_interest(c, 1);
            return;
        }
        c->sent += (uint64_t) n;
        if ((size_t) n < len) {
            set_interest(c, 1);  /* the socket is full: wait until it takes more */
            return;
        }
    }
    set_interest(c, 0);
}

static void die_tls(const struct conn *c, const char *what, int err)
{
    unsigned long e = ERR_peek_error();
    if (err == SSL_ERROR_ZERO_RETURN) {
        die("connection %d: the server sent close_notify after echoing %" PRIu64 " bytes", c->id, c->received);
    }
    if (err == SSL_ERROR_SYSCALL && e == 0) {
        die("connection %d: the server closed it during %s after echoing %" PRIu64 " bytes%s%s", c->id, what,
            c->received, errno ? ": " : "", errno ? strerror(errno) : "");
    }
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    die("connection %d: TLS %s failed (SSL_get_error %d): %s", c->id, what, err, e ? buf : "no OpenSSL error");
}

/* TLS handshake step; returns 1 once c is handshaken. */
static int tls_handshake(struct conn *c)
{
    ERR_clear_error();
    int r = SSL_connect(c->ssl);
    if (r == 1) {
        c->handshaken = 1;
        set_interest(c, 0);
        return 1;
    }
    int err = SSL_get_error(c->ssl, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        set_interest(c, err == SSL_ERROR_WANT_WRITE);
        return 0;
    }
    die_tls(c, "handshake", err);
}

/*
 * TLS data: reads until OpenSSL's buffer is empty (no record may be left in it, where epoll
 * would not see it; one socket read fills it with several records), then writes until the window is full or OpenSSL wants the
 * socket. A write retried after WANT_WRITE passes the same pointer and a length never smaller
 * (room() only grows while sent stands still), as SSL_write requires. Partial writes are on, so
 * every successful SSL_write counts exactly the records that went out whole: the server can
 * echo nothing that sent does not count yet. Draining, a pending write is still finished, so
 * that no record is left half sent.
 */
static void tls_step(struct conn *c)
{
    int want_write = 0;
    for (;;) {
        size_t n;
        ERR_clear_error();
        int r = SSL_read_ex(c->ssl, scratch, SCRATCH_SIZE, &n);
        if (r == 1) {
            verify(c, scratch, n);
            if (!SSL_has_pending(c->ssl)) {
                break;  /* its buffer is empty: another read would only meet EAGAIN */
            }
            continue;
        }
        int err = SSL_get_error(c->ssl, r);
        if (err == SSL_ERROR_WANT_READ) {
            break;
        }
        if (err == SSL_ERROR_WANT_WRITE) {
            want_write = 1;
            break;
        }
        die_tls(c, "read", err);
    }
    while (!want_write && (c->write_pending || (!draining && c->sent - c->received < window))) {
        size_t n;
        ERR_clear_error();
        int r = SSL_write_ex(c->ssl, stream_at(c, c->sent), room(c), &n);
        if (r == 1) {
            c->sent += n;
            c->write_pending = 0;
            continue;
        }
        int err = SSL_get_error(c->ssl, r);
        if (err != SSL_ERROR_WANT_WRITE && err != SSL_ERROR_WANT_READ) {
            die_tls(c, "write", err);
        }
        c->write_pending = 1;
        want_write = err == SSL_ERROR_WANT_WRITE;
        if (!want_write) {
            break;
        }
    }
    set_interest(c, want_write);
}

static void step(struct conn *c, uint32_t events)
{
    if (c->ssl != NULL) {
        tls_step(c);
    } else {
        plain_step(c, (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0);
    }
    close_if_drained(c);
}

/* The end: nothing more is sent; each connection closes once all its bytes came back and were checked. */
static void start_drain(struct conn *conns, int n)
{
    draining = 1;
    for (int i = 0; i < n; i++) {
        close_if_drained(&conns[i]);
    }
}

static SSL_CTX *tls_context(void)
{
    static const unsigned char alpn[] = "\x08http/1.1";
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL
        || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION)
        || !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION)
        || !SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256")
        || !SSL_CTX_set1_groups_list(ctx, "X25519:P-256")
        || SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn - 1) != 0) {
        die("TLS context: %s", ERR_error_string(ERR_get_error(), NULL));
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* Without read-ahead OpenSSL reads a record's 5-byte header, then its body: two reads a record. */
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_default_read_buffer_len(ctx, TLS_READ_BUFFER);
    return ctx;
}

static void open_conn(struct conn *c, int id, const struct addrinfo *ai)
{
    c->id = id;
    c->offset = (uint32_t) ((id * 1000003ULL) % TABLE_SIZE);
    c->fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (c->fd < 0) {
        die("connection %d: socket: %s", id, strerror(errno));
    }
    /* Blocking connect on purpose: the connections open before anything is measured. */
    if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        die("connection %d: connect: %s", id, strerror(errno));
    }
    int one = 1;
    if (setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0
        || fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) != 0) {
        die("connection %d: socket options: %s", id, strerror(errno));
    }
    c->interest = EPOLLIN;
    struct epoll_event ev = {.events = c->interest, .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
        die("connection %d: epoll_ctl: %s", id, strerror(errno));
    }
    if (ssl_ctx != NULL) {
        c->ssl = SSL_new(ssl_ctx);
        if (c->ssl == NULL || !SSL_set_fd(c->ssl, c->fd)) {
            die("connection %d: SSL_new: %s", id, ERR_error_string(ERR_get_error(), NULL));
        }
        SSL_set_connect_state(c->ssl);
    } else {
        c->handshaken = 1;
    }
}

/* Runs every connection's handshake to its end; epoll_wait bounded so a silent server fails. */
static void handshake_all(struct conn *conns, int n)
{
    int left = 0;
    for (int i = 0; i < n; i++) {
        left += !tls_handshake(&conns[i]);
    }
    struct epoll_event events[MAX_EVENTS];
    while (left > 0) {
        int k = epoll_wait(epfd, events, MAX_EVENTS, HANDSHAKE_TIMEOUT_MS);
        if (k < 0 && errno != EINTR) {
            die("epoll_wait: %s", strerror(errno));
        }
        if (k == 0) {
            die("%d of %d TLS handshakes did not finish in %d s", left, n, HANDSHAKE_TIMEOUT_MS / 1000);
        }
        for (int i = 0; i < k; i++) {
            struct conn *c = events[i].data.ptr;
            if (!c->handshaken && tls_handshake(c)) {
                left--;
            }
        }
    }
}

/*
 * Commands from the driver on stdin, one a line: "mark" prints a mark, "quit" ends the run.
 * Returns 0 once the run should end (quit, or the end of input).
 */
static int read_commands(void)
{
    static char line[256];
    static size_t len;
    ssize_t n = read(STDIN_FILENO, line + len, sizeof line - len);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) {
            return 1;
        }
        die("reading commands: %s", strerror(errno));
    }
    if (n == 0) {
        return 0;
    }
    len += (size_t) n;
    char *start = line;
    char *nl;
    while ((nl = memchr(start, '\n', len - (size_t) (start - line))) != NULL) {
        *nl = '\0';
        if (strcmp(start, "mark") == 0) {
            print_mark();
        } else if (strcmp(start, "quit") == 0) {
            return 0;
        } else {
            die("unknown command \"%s\" (mark, quit)", start);
        }
        start = nl + 1;
    }
    len -= (size_t) (start - line);
    memmove(line, start, len);
    if (len == sizeof line) {
        die("command line longer than %zu bytes", sizeof line);
    }
    return 1;
}

static long parse_arg(const char *s, const char *what, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *s == '\0' || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "echo-load: %s must be a number from %ld to %ld, not \"%s\"\n", what, min, max, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    int tls = argc > 1 && strcmp(argv[1], "--tls") == 0;
    char **a = argv + 1 + tls;
    int nargs = argc - 1 - tls;
    if (nargs != 5 && nargs != 7) {
        fprintf(stderr, "usage: echo-load [--tls] HOST PORT CONNS SIZE DEPTH [WARMUP SECONDS]\n"
                        "  without WARMUP SECONDS: \"mark\" on stdin prints a mark, \"quit\" ends the run\n");
        return 2;
    }
    const char *host = a[0];
    const char *port = a[1];
    int nconns = (int) parse_arg(a[2], "CONNS", 1, 100000);
    long size = parse_arg(a[3], "SIZE", 1, 1L << 30);
    long depth = parse_arg(a[4], "DEPTH", 1, 1L << 20);
    int timed = nargs == 7;
    long warmup = timed ? parse_arg(a[5], "WARMUP", 0, 86400) : 0;
    long seconds = timed ? parse_arg(a[6], "SECONDS", 1, 86400) : 0;
    window = (uint64_t) size * (uint64_t) depth;

    signal(SIGPIPE, SIG_IGN);
    fill_table();
    if (tls) {
        ssl_ctx = tls_context();
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai;
    int gai = getaddrinfo(host, port, &hints, &ai);
    if (gai != 0) {
        die("%s:%s: %s", host, port, gai_strerror(gai));
    }
    epfd = epoll_create1(0);
    if (epfd < 0) {
        die("epoll_create1: %s", strerror(errno));
    }
    struct conn *conns = calloc((size_t) nconns, sizeof *conns);
    if (conns == NULL) {
        die("out of memory");
    }
    for (int i = 0; i < nconns; i++) {
        open_conn(&conns[i], i, ai);
    }
    open_conns = nconns;
    freeaddrinfo(ai);
    if (tls) {
        handshake_all(conns, nconns);
    }
    if (!timed) {
        if (fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK) != 0) {
            die("stdin: %s", strerror(errno));
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, STDIN_FILENO, &ev) != 0) {
            die("stdin cannot be watched (%s): give it a pipe, or pass WARMUP SECONDS", strerror(errno));
        }
    }
    printf("ready\n");
    fflush(stdout);

    for (int i = 0; i < nconns; i++) {
        step(&conns[i], 0);
    }
    uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
    uint64_t start_at = t0 + (uint64_t) warmup * 1000000000u;
    uint64_t end_at = start_at + (uint64_t) seconds * 1000000000u;
    uint64_t drained_by = 0;  /* once draining: when every connection must have closed */
    uint64_t start_bytes = 0, start_ns = 0, start_cpu = 0;
    int started = 0;
    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int timeout = -1;
        uint64_t now = clock_ns(CLOCK_MONOTONIC);
        if (timed && !draining) {
            if (!started && now >= start_at) {
                print_mark();
                start_bytes = received_total;
                start_ns = now;
                start_cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
                started = 1;
            }
            if (now >= end_at) {
                print_mark();
                double s = (double) (now - start_ns) / 1e9;
                double bytes = (double) (received_total - start_bytes);
                fprintf(stderr, "%d conns x %ld B x %ld%s: %.0f msg/s, %.1f MB/s, client cpu %.2f s in %.2f s\n",
                        nconns, size, depth, tls ? " TLS" : "", bytes / (double) size / s, bytes / 1e6 / s,
                        (double) (clock_ns(CLOCK_PROCESS_CPUTIME_ID) - start_cpu) / 1e9, s);
                start_drain(conns, nconns);
            } else {
                timeout = (int) (((started ? end_at : start_at) - now) / 1000000u) + 1;
            }
        }
        if (draining) {
            if (open_conns == 0) {
                return 0;
            }
            if (drained_by == 0) {
                drained_by = now + (uint64_t) DRAIN_TIMEOUT_MS * 1000000u;
            }
            if (now >= drained_by) {
                die("%d connections still had bytes in flight %d s after the end", open_conns,
                    DRAIN_TIMEOUT_MS / 1000);
            }
            timeout = (int) ((drained_by - now) / 1000000u) + 1;
        }
        int k = epoll_wait(epfd, events, MAX_EVENTS, timeout);
        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("epoll_wait: %s", strerror(errno));
        }
        for (int i = 0; i < k; i++) {
            struct conn *c = events[i].data.ptr;
            if (c != NULL) {
                step(c, events[i].events);
            } else if (!read_commands()) {
                epoll_ctl(epfd, EPOLL_CTL_DEL, STDIN_FILENO, NULL);
                start_drain(conns, nconns);
            }
        }
    }
}
