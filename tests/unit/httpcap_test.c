/*
 * The connection caps in front of evhttp (httpcap.c), on a real loopback
 * socket: a connection it admits has Nagle's algorithm off, so that a
 * large reply is not held back until the client's delayed ACK (40 ms a
 * reply before); the reply still arrives whole. The server's end of the
 * connection is found among this process's descriptors by its peer
 * address, and asked with getsockopt().
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "check.h"
#include "config.h"
#include "httpcap.h"
#include "timeutil.h"

#define BODY_BYTES (64 * 1024) /* many segments: Nagle would hold one */

static void
reply(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();
	static char body[BODY_BYTES];

	(void)arg;
	memset(body, 'x', sizeof(body));
	evbuffer_add(b, body, sizeof(body));
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* The descriptor of this process whose peer is sa (the client's end):
 * the server's end of that connection, or -1. */
static int
server_end(const struct sockaddr_in *client)
{
	struct sockaddr_in peer;
	socklen_t len;
	int fd;

	for (fd = 3; fd < 1024; fd++) {
		len = sizeof(peer);
		if (getpeername(fd, (struct sockaddr *)&peer, &len) == 0 &&
		    peer.sin_family == AF_INET &&
		    peer.sin_port == client->sin_port &&
		    peer.sin_addr.s_addr == client->sin_addr.s_addr)
			return fd;
	}
	return -1;
}

static int
case_nodelay(void)
{
	struct event_base *base = event_base_new();
	struct evhttp *http = base ? evhttp_new(base) : NULL;
	struct httpcap *h = base ? httpcap_new(base) : NULL;
	struct config *c = NULL;
	struct event *guard = NULL;
	struct evhttp_bound_socket *bs;
	struct sockaddr_in srv, me;
	socklen_t len = sizeof(srv);
	static char in[BODY_BYTES + 1024];
	const char *get =
	    "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	char err[256];
	size_t got = 0;
	int fd = -1, srvfd, on = 0, n;
	ssize_t r;
	socklen_t onlen = sizeof(on);
	int64_t end = time_mono_ms() + 10000;

	REQUIRE(http != NULL && h != NULL, "out of memory");
	/* the loop's turns end at least this often: the client's socket is
	 * not one of its events */
	REQUIRE((guard = event_new(base, -1, EV_PERSIST, tick, NULL)) != NULL);
	event_add(guard, &(struct timeval){0, 10000});
	REQUIRE((c = config_load(NULL, err, sizeof(err))) != NULL, "%s", err);
	httpcap_configure(h, c);
	evhttp_set_bevcb(http, httpcap_bev, h);
	evhttp_set_gencb(http, reply, NULL);
	REQUIRE((bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0)) !=
	        NULL);
	httpcap_listen(h, evhttp_bound_socket_get_listener(bs));
	REQUIRE(getsockname(evhttp_bound_socket_get_fd(bs),
	            (struct sockaddr *)&srv, &len) == 0);
	REQUIRE((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) >= 0);
	REQUIRE(connect(fd, (struct sockaddr *)&srv, sizeof(srv)) == 0 ||
	        errno == EINPROGRESS);
	len = sizeof(me);
	REQUIRE(getsockname(fd, (struct sockaddr *)&me, &len) == 0);
	/* the request once connected, then the whole reply until close */
	n = -1;
	while (time_mono_ms() < end) {
		event_base_loop(base, EVLOOP_ONCE);
		if (n == -1 && (n = (int)send(fd, get, strlen(get), 0)) == -1 &&
		    errno != EAGAIN && errno != ENOTCONN)
			break;
		r = recv(fd, in + got, sizeof(in) - 1 - got, 0);
		if (r == 0)
			break;
		if (r > 0)
			got += (size_t)r;
	}
	in[got] = '\0';
	CHECK(strncmp(in, "HTTP/1.1 200", 12) == 0, "got '%.40s'", in);
	CHECK(got > BODY_BYTES && in[got - 1] == 'x', "got %zu bytes", got);
	/* the server's end is gone with the reply: ask a second connection
	 * while it is open */
	close(fd);
	REQUIRE((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	REQUIRE(connect(fd, (struct sockaddr *)&srv, sizeof(srv)) == 0);
	len = sizeof(me);
	REQUIRE(getsockname(fd, (struct sockaddr *)&me, &len) == 0);
	srvfd = -1;
	while (time_mono_ms() < end) {
		/* admitted on the loop's turn after the accept */
		event_base_loop(base, EVLOOP_ONCE);
		if ((srvfd = server_end(&me)) >= 0 &&
		    getsockopt(srvfd, IPPROTO_TCP, TCP_NODELAY, &on, &onlen) ==
		        0 &&
		    on)
			break;
	}
	CHECK(srvfd >= 0, "no server end found");
	CHECK(on == 1, "TCP_NODELAY is %d on the server's end", on);
fail:
	if (fd >= 0)
		close(fd);
	if (guard != NULL)
		event_free(guard);
	if (http != NULL)
		evhttp_free(http);
	if (h != NULL)
		httpcap_free(h);
	config_free(c);
	if (base != NULL)
		event_base_free(base);
	return 0;
}

int
main(void)
{
	RUN_CASE("nodelay", case_nodelay());
	return check_summary("httpcap_test");
}
