/*
 * The libevent 2.1 peer of the echo load run (org.jevent.benchmarks.echo.EchoLoad): an echo
 * server written the way a libevent user writes one, plain or TLS, on one event base.
 *
 *   libevent-echo [--port P] [--cert PEM --key PEM] [--tickets N] [--max-read N]
 *
 * One evconnlistener; per connection one bufferevent (bufferevent_socket_new, or with --cert
 * bufferevent_openssl_socket_new in BUFFEREVENT_SSL_ACCEPTING state) whose read callback moves
 * the whole input to the output (evbuffer_add_buffer: chains relinked, no copy) and whose event
 * callback frees it on EOF, error or timeout. Nothing else: no timeouts, no logging, no
 * watermarks, libevent's defaults everywhere unless an option says otherwise.
 *
 * Prints "listening on 127.0.0.1:PORT" once it accepts; SIGTERM or SIGINT ends the loop. The
 * load run reads its CPU time, connections and RSS from /proc, so nothing here counts.
 *
 * --tickets N: TLS 1.3 session tickets sent after each full handshake (default: OpenSSL's, 2;
 *   BoringSSL, under Conscrypt and netty-tcnative, also sends 2 by default, so the servers
 *   compared do the same work per handshake).
 * --max-read N: bufferevent_set_max_single_read (libevent 2.1's default is 16384).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static SSL_CTX *ssl_ctx;     /* NULL: plain TCP */
static long max_read = -1;   /* -1: libevent's default */

static void echo_read_cb(struct bufferevent *bev, void *arg)
{
    (void) arg;
    bufferevent_write_buffer(bev, bufferevent_get_input(bev));
}

static void echo_event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void) arg;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
        bufferevent_free(bev);
    }
}

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int socklen, void *arg)
{
    struct event_base *base = evconnlistener_get_base(lev);
    struct bufferevent *bev;
    (void) sa;
    (void) socklen;
    (void) arg;
    if (ssl_ctx != NULL) {
        /* As jevent's SslBufferevent.socket and Netty do for TLS; plain sockets keep Nagle, as
           in jevent's Bufferevent.socket and libevent's own samples. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        SSL *ssl = SSL_new(ssl_ctx);
        if (ssl == NULL) {
            evutil_closesocket(fd);
            return;
        }
        bev = bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
    } else {
        bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    }
    if (bev == NULL) {
        evutil_closesocket(fd);
        return;
    }
    if (max_read > 0) {
        bufferevent_set_max_single_read(bev, (size_t) max_read);
    }
    bufferevent_setcb(bev, echo_read_cb, NULL, echo_event_cb, NULL);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void stop_cb(evutil_socket_t sig, short what, void *arg)
{
    (void) sig;
    (void) what;
    event_base_loopexit((struct event_base *) arg, NULL);
}

static SSL_CTX *server_ctx(const char *cert, const char *key, int tickets)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1
            || SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        ERR_print_errors_fp(stderr);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (tickets >= 0) {
        SSL_CTX_set_num_tickets(ctx, (size_t) tickets);
    }
    return ctx;
}

static void usage(void)
{
    fprintf(stderr, "usage: libevent-echo [--port P] [--cert PEM --key PEM] [--tickets N] [--max-read N]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *cert = NULL;
    const char *key = NULL;
    int port = 0;
    int tickets = -1;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) {
            usage();
        }
        if (strcmp(argv[i], "--port") == 0) {
            port = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--cert") == 0) {
            cert = argv[++i];
        } else if (strcmp(argv[i], "--key") == 0) {
            key = argv[++i];
        } else if (strcmp(argv[i], "--tickets") == 0) {
            tickets = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--max-read") == 0) {
            max_read = atol(argv[++i]);
        } else {
            usage();
        }
    }
    if ((cert == NULL) != (key == NULL)) {
        usage();
    }
    signal(SIGPIPE, SIG_IGN);
    if (cert != NULL && (ssl_ctx = server_ctx(cert, key, tickets)) == NULL) {
        fprintf(stderr, "libevent-echo: TLS set-up failed\n");
        return 1;
    }

    struct event_base *base = event_base_new();
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = htons((unsigned short) port);
    struct evconnlistener *lev = evconnlistener_new_bind(base, accept_cb, NULL,
            LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024, (struct sockaddr *) &sin, sizeof sin);
    if (lev == NULL) {
        fprintf(stderr, "libevent-echo: cannot listen: %s\n", strerror(errno));
        return 1;
    }
    struct sockaddr_in bound;
    socklen_t len = sizeof bound;
    getsockname(evconnlistener_get_fd(lev), (struct sockaddr *) &bound, &len);
    struct event *sigterm = evsignal_new(base, SIGTERM, stop_cb, base);
    struct event *sigint = evsignal_new(base, SIGINT, stop_cb, base);
    event_add(sigterm, NULL);
    event_add(sigint, NULL);
    fprintf(stderr, "libevent-echo: libevent %s, %s\n", event_get_version(),
            ssl_ctx != NULL ? OpenSSL_version(OPENSSL_VERSION) : "plain TCP");
    printf("listening on 127.0.0.1:%d\n", ntohs(bound.sin_port));
    fflush(stdout);

    event_base_dispatch(base);

    event_free(sigterm);
    event_free(sigint);
    evconnlistener_free(lev);
    event_base_free(base);
    if (ssl_ctx != NULL) {
        SSL_CTX_free(ssl_ctx);
    }
    return 0;
}
