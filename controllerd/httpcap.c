/*
 * Request caps in front of evhttp. libevent 2.1 answers a body over its
 * limit, or a request head over its limit, with an HTML page of its own and
 * no hook for the server to speak first. So each connection's input buffer
 * has a callback that reads every request's head line by line as it
 * arrives, before evhttp parses it. When a Content-Length is over
 * API_MAX_BODY, or the head grows past HTTPCAP_MAX_HEAD, the rest of the
 * head is replaced by an HTTPCAP_REJECT header and its end (or, before the
 * request line was whole, by a small stand-in request carrying it), the
 * connection's further input is dropped, and api.c answers with the JSON
 * error and closes. Bodies within the limit pass untouched, counted by
 * Content-Length so that the next head is found; a chunked body ends the
 * watching for that connection, and evhttp's own limit stays the backstop.
 *
 * libevent tells nobody when evhttp frees a connection's bufferevent, so
 * each one is held by a reference of ours, and httpcap_sweep() lets go of
 * those evhttp has finished with (their callbacks are cleared on free).
 */
#include <sys/queue.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "api.h"
#include "httpcap.h"
#include "log.h"

enum cap_state {
	CAP_HEAD,    /* reading a request's head, line by line */
	CAP_BODY,    /* passing `left` bytes of a body */
	CAP_PASS,    /* passing everything: a chunked body came */
	CAP_DISCARD, /* dropping everything: a request was refused */
};

struct cap {
	struct bufferevent *bev; /* held by our reference */
	enum cap_state state;
	size_t pos;  /* bytes of the input already looked at */
	size_t head; /* bytes of the current head so far */
	int lines;   /* lines of the current head so far */
	size_t clen; /* its Content-Length */
	int chunked; /* it has a Transfer-Encoding */
	size_t left; /* bytes of the current body still to pass */
	int busy;    /* our own edits of the buffer are under way */
	LIST_ENTRY(cap) link;
};

struct httpcap {
	LIST_HEAD(, cap) caps;
	int n;
};

/* Keeps the first `keep` bytes of `in` and drops the rest. */
static void
truncate_at(struct evbuffer *in, size_t keep)
{
	struct evbuffer *tmp = evbuffer_new();

	if (tmp == NULL) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	evbuffer_remove_buffer(in, tmp, keep);
	evbuffer_drain(in, evbuffer_get_length(in));
	evbuffer_add_buffer(in, tmp);
	evbuffer_free(tmp);
}

/* Ends the current head at c->pos with the reject header, and drops what
 * follows. */
static void
refuse(struct cap *c, struct evbuffer *in, const char *why)
{
	truncate_at(in, c->pos);
	evbuffer_add_printf(in,
	    "%s" HTTPCAP_REJECT ": %s\r\nConnection: close\r\n\r\n",
	    c->lines == 0 ? "GET / HTTP/1.1\r\n" : "", why);
	c->pos = evbuffer_get_length(in);
	c->state = CAP_DISCARD;
}

/* The value of header line `line` if its name is `name`, else NULL. */
static const char *
header_value(const char *line, const char *name)
{
	size_t n = strlen(name);

	if (strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	for (line += n + 1; *line == ' ' || *line == '\t'; line++)
		;
	return line;
}

/* One whole line of a head (without its end of line). 0, or -1 after
 * refusing the request. */
static int
head_line(struct cap *c, struct evbuffer *in, const char *line)
{
	const char *v;
	char *end, why[64];
	unsigned long long n;

	if (c->lines++ == 0)
		return 0; /* the request line */
	if ((v = header_value(line, "Transfer-Encoding")) != NULL)
		c->chunked = 1;
	if ((v = header_value(line, "Content-Length")) == NULL)
		return 0;
	n = strtoull(v, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (!isdigit((unsigned char)*v) || *end != '\0') {
		c->lines--; /* this line is replaced */
		refuse(c, in, "400 bad Content-Length");
		return -1;
	}
	if (n > API_MAX_BODY) {
		c->lines--;
		snprintf(why, sizeof(why), "413 %llu", n);
		refuse(c, in, why);
		return -1;
	}
	c->clen = (size_t)n;
	return 0;
}

/* Looks at the input past c->pos. */
static void
scan(struct cap *c, struct evbuffer *in)
{
	struct evbuffer_ptr p, eol;
	size_t have, n, eol_len;
	char line[HTTPCAP_MAX_HEAD + 1];

	while ((have = evbuffer_get_length(in)) > c->pos) {
		switch (c->state) {
		case CAP_DISCARD:
			truncate_at(in, c->pos);
			return;
		case CAP_PASS:
			c->pos = have;
			return;
		case CAP_BODY:
			n = have - c->pos < c->left ? have - c->pos : c->left;
			c->pos += n;
			if ((c->left -= n) == 0)
				c->state = CAP_HEAD;
			break;
		case CAP_HEAD:
			evbuffer_ptr_set(in, &p, c->pos, EVBUFFER_PTR_SET);
			eol_len = 0;
			eol = evbuffer_search_eol(
			    in, &p, &eol_len, EVBUFFER_EOL_CRLF);
			n = eol.pos < 0 ? have - c->pos
			                : (size_t)eol.pos - c->pos;
			if (c->head + n + eol_len > HTTPCAP_MAX_HEAD) {
				refuse(c, in, "431");
				return;
			}
			if (eol.pos < 0)
				return; /* wait for the rest of the line */
			evbuffer_copyout_from(in, &p, line, n);
			line[n] = '\0';
			c->head += n + eol_len;
			if (n == 0 && c->lines == 0) {
				/* evhttp skips blank lines before a request */
				c->pos += eol_len;
				c->head = 0;
				break;
			}
			if (n == 0) {
				c->pos += eol_len;
				c->state = c->chunked    ? CAP_PASS
				           : c->clen > 0 ? CAP_BODY
				                         : CAP_HEAD;
				c->left = c->clen;
				c->head = c->clen = 0;
				c->lines = c->chunked = 0;
				break;
			}
			if (head_line(c, in, line) == -1)
				return;
			c->pos += n + eol_len;
			break;
		}
	}
}

static void
on_input(struct evbuffer *in, const struct evbuffer_cb_info *info, void *arg)
{
	struct cap *c = arg;

	if (c->busy)
		return;
	/* evhttp reads from the front, and never past what we saw */
	c->pos -= info->n_deleted < c->pos ? info->n_deleted : c->pos;
	if (info->n_added == 0)
		return;
	c->busy = 1;
	scan(c, in);
	c->busy = 0;
}

struct httpcap *
httpcap_new(void)
{
	struct httpcap *h = calloc(1, sizeof(*h));

	if (h != NULL)
		LIST_INIT(&h->caps);
	return h;
}

struct bufferevent *
httpcap_bev(struct event_base *base, void *arg)
{
	struct httpcap *h = arg;
	struct cap *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL || evbuffer_add_cb(bufferevent_get_input(c->bev),
	                          on_input, c) == NULL) {
		log_warnx("%s: out of memory", __func__);
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		free(c);
		return NULL;
	}
	bufferevent_incref(c->bev);
	LIST_INSERT_HEAD(&h->caps, c, link);
	h->n++;
	return c->bev;
}

/* Lets go of one connection: its callback, then our reference (which
 * closes the socket when evhttp has let go too). */
static void
release(struct httpcap *h, struct cap *c)
{
	evbuffer_remove_cb(bufferevent_get_input(c->bev), on_input, c);
	LIST_REMOVE(c, link);
	h->n--;
	bufferevent_decref(c->bev);
	free(c);
}

int
httpcap_sweep(struct httpcap *h)
{
	bufferevent_event_cb ecb;
	struct cap *c, *next;

	if (h == NULL)
		return 0;
	for (c = LIST_FIRST(&h->caps); c != NULL; c = next) {
		next = LIST_NEXT(c, link);
		bufferevent_getcb(c->bev, NULL, NULL, &ecb, NULL);
		if (ecb == NULL)
			release(h, c);
	}
	return h->n;
}

void
httpcap_free(struct httpcap *h)
{
	if (h == NULL)
		return;
	while (!LIST_EMPTY(&h->caps))
		release(h, LIST_FIRST(&h->caps));
	free(h);
}
