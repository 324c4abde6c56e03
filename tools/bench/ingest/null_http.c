/*
 * null_http: the second baseline of the ingest benchmark
 * (tools/bench/ingest/run): an evhttp server on the controller's libevent
 * that answers every request with 200 and an empty body, doing nothing
 * else. Loaded with the agents' report bodies (wrk), it shows how many
 * requests a second one event loop on this machine can take at all, so
 * the controller's report rate is given as a share of it.
 *
 * --ack answers a report as the controller would let an agent go on: the
 * body {"ack_seq": N}, N the last "seq" of the request, found by a plain
 * search (no JSON parsing), so that pod-fleetsim can load it too and show
 * what the generator reaches with a server that costs nothing.
 *
 * --save-body FILE writes the body of the first POST it gets to FILE, so
 * that the bench can load it with a real report of pod-fleetsim's.
 * Prints "listening on PORT" on stdout once bound (port 0: the kernel's
 * choice); SIGINT or SIGTERM stops it with the number of requests served.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

struct null_state {
	struct event_base *base;
	struct evhttp *http;
	const char *save_body;  /* NULL: none, or done */
	int ack;                /* --ack */
	struct evbuffer *reply; /* --ack's body, reused */
	unsigned long long served;
};

static struct null_state nullsrv;

static void
save_first(struct null_state *st, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	char tmp[4096];
	FILE *f;

	/* whole or not at all: the bench waits for the file to appear */
	snprintf(tmp, sizeof(tmp), "%s.tmp", st->save_body);
	if (len == 0 || (f = fopen(tmp, "w")) == NULL)
		return;
	if (fwrite(evbuffer_pullup(in, -1), 1, len, f) != len ||
	    fclose(f) == EOF || rename(tmp, st->save_body) == -1) {
		perror(st->save_body);
		exit(1);
	}
	st->save_body = NULL;
}

/* The number after the last "seq": of the body; 0 if none. */
static long long
last_seq(struct evbuffer *in)
{
	size_t len = evbuffer_get_length(in);
	const char *body = (const char *)evbuffer_pullup(in, -1), *p, *hit;
	static const char key[] = "\"seq\":";

	if (body == NULL)
		return 0;
	hit = NULL;
	for (p = body;
	     (p = memmem(p, len - (p - body), key, sizeof(key) - 1)) != NULL;
	     p += sizeof(key) - 1)
		hit = p;
	return hit == NULL ? 0 : strtoll(hit + sizeof(key) - 1, NULL, 10);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct null_state *st = arg;

	if (st->save_body != NULL &&
	    evhttp_request_get_command(req) == EVHTTP_REQ_POST)
		save_first(st, req);
	st->served++;
	if (st->ack) {
		evbuffer_drain(st->reply, evbuffer_get_length(st->reply));
		evbuffer_add_printf(st->reply, "{\"ack_seq\": %lld}",
		    last_seq(evhttp_request_get_input_buffer(req)));
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", "application/json");
	}
	evhttp_send_reply(req, 200, "OK", st->ack ? st->reply : NULL);
}

static void
on_stop(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopbreak(((struct null_state *)arg)->base);
}

int
main(int argc, char *argv[])
{
	struct null_state *st = &nullsrv;
	struct evhttp_bound_socket *sock;
	struct event *sigint = NULL, *sigterm = NULL;
	struct sockaddr_storage ss;
	ev_socklen_t sslen = sizeof(ss);
	int port = 0, i, rc = 1;
	char *end;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
			port = (int)strtol(argv[++i], &end, 10);
			if (*end != '\0' || port < 0 || port > 65535)
				goto usage;
		} else if (strcmp(argv[i], "--save-body") == 0 && i + 1 < argc)
			st->save_body = argv[++i];
		else if (strcmp(argv[i], "--ack") == 0)
			st->ack = 1;
		else
			goto usage;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((st->reply = evbuffer_new()) == NULL ||
	    (st->base = event_base_new()) == NULL ||
	    (st->http = evhttp_new(st->base)) == NULL)
		goto fail;
	evhttp_set_allowed_methods(st->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_max_body_size(st->http, 16 << 20);
	evhttp_set_gencb(st->http, on_request, st);
	if ((sock = evhttp_bind_socket_with_handle(
	         st->http, "127.0.0.1", (ev_uint16_t)port)) == NULL) {
		fprintf(stderr, "null_http: cannot bind 127.0.0.1:%d\n", port);
		goto fail;
	}
	/* the controller's backlog (controllerd/api.c), not libevent's 128:
	 * thousands of agents connect at once */
	if (listen(evhttp_bound_socket_get_fd(sock), 4096) == -1)
		goto fail;
	if (getsockname(evhttp_bound_socket_get_fd(sock),
	        (struct sockaddr *)&ss, &sslen) == -1)
		goto fail;
	port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if ((sigint = evsignal_new(st->base, SIGINT, on_stop, st)) == NULL ||
	    (sigterm = evsignal_new(st->base, SIGTERM, on_stop, st)) == NULL ||
	    evsignal_add(sigint, NULL) == -1 ||
	    evsignal_add(sigterm, NULL) == -1)
		goto fail;
	printf("listening on %d\n", port);
	fflush(stdout);
	if (event_base_dispatch(st->base) == -1)
		goto fail;
	printf("served %llu\n", st->served);
	rc = 0;
fail:
	if (sigint != NULL)
		event_free(sigint);
	if (sigterm != NULL)
		event_free(sigterm);
	if (st->http != NULL)
		evhttp_free(st->http);
	if (st->base != NULL)
		event_base_free(st->base);
	if (st->reply != NULL)
		evbuffer_free(st->reply);
	return rc;
usage:
	fprintf(
	    stderr, "usage: null_http [--port n] [--ack] [--save-body file]\n");
	return 2;
}
