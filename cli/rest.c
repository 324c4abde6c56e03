/*
 * The REST client: see rest.h. One easy handle keeps its connection alive
 * between the requests of one run. Replies are gathered into a buffer with
 * a cap (REST_MAX_REPLY_BYTES), since a hostile or broken server could
 * otherwise make podctl eat all memory.
 *
 * "Unreachable" covers every case where no complete HTTP answer came back:
 * refused, unresolvable, timed out, reset. For a refused connection the
 * operating system's reason (strerror of the socket errno) reads better
 * than curl's own wording, so that is what err gets.
 *
 * Whether a failed request reached the server at all is curl's to say:
 * its pre-transfer time, reset for every transfer, stays 0 until the
 * connection (TLS included) is made and the request is about to go.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rest.h"

struct rest {
	CURL *curl;
	char *base[CTLLIST_MAX]; /* each without a trailing "/" */
	int nbase;
	int cur;                     /* the one asked first: last answered */
	struct curl_slist *hdr_get;  /* Accept, Authorization */
	struct curl_slist *hdr_body; /* the same and Content-Type */
	char errbuf[CURL_ERROR_SIZE];
};

struct sink {
	char *p;
	size_t len;
	size_t cap;
	int toobig; /* the reply passed REST_MAX_REPLY_BYTES */
};

static size_t
on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb, ncap;
	char *np;

	if (n > REST_MAX_REPLY_BYTES - s->len) {
		s->toobig = 1;
		return 0;
	}
	if (s->len + n + 1 > s->cap) {
		ncap = s->cap == 0 ? 16384 : s->cap;
		while (ncap < s->len + n + 1)
			ncap *= 2;
		if ((np = realloc(s->p, ncap)) == NULL)
			return 0;
		s->p = np;
		s->cap = ncap;
	}
	memcpy(s->p + s->len, data, n);
	s->len += n;
	s->p[s->len] = '\0';
	return n;
}

static struct curl_slist *
add_header(struct curl_slist *list, const char *h)
{
	struct curl_slist *n;

	if ((n = curl_slist_append(list, h)) == NULL) {
		log_warnx("%s: out of memory", __func__);
		curl_slist_free_all(list);
	}
	return n;
}

/* A base URL from an address as given: "host:port" alone means plain
 * HTTP, as curl would guess; no final "/". NULL (logged) out of memory. */
static char *
base_url(const char *addr)
{
	int scheme = strstr(addr, "://") != NULL;
	size_t len = strlen(addr) + (scheme ? 0 : strlen("http://"));
	char *b;

	if ((b = malloc(len + 1)) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	snprintf(b, len + 1, "%s%s", scheme ? "" : "http://", addr);
	while (len > 0 && b[len - 1] == '/')
		b[--len] = '\0';
	return b;
}

struct rest *
rest_new(const struct ctllist *servers, const char *token, const char *cacert)
{
	struct rest *r;
	char *auth = NULL;
	size_t len;
	int i;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	for (i = 0; i < servers->n && i < CTLLIST_MAX; i++)
		if ((r->base[r->nbase++] = base_url(servers->url[i])) == NULL)
			goto fail;
	if (r->nbase == 0) {
		log_warnx("%s: no server", __func__);
		goto fail;
	}

	if ((r->hdr_get = add_header(NULL, "Accept: application/json")) == NULL)
		goto fail;
	if (token != NULL) {
		len = strlen("Authorization: Bearer ") + strlen(token) + 1;
		if ((auth = malloc(len)) == NULL) {
			log_warn("%s", __func__);
			goto fail;
		}
		snprintf(auth, len, "Authorization: Bearer %s", token);
		if ((r->hdr_get = add_header(r->hdr_get, auth)) == NULL)
			goto fail;
		if ((r->hdr_body = add_header(NULL, auth)) == NULL)
			goto fail;
	}
	if ((r->hdr_body = add_header(
	         r->hdr_body, "Accept: application/json")) == NULL)
		goto fail;
	if ((r->hdr_body = add_header(
	         r->hdr_body, "Content-Type: application/json")) == NULL)
		goto fail;

	if ((r->curl = curl_easy_init()) == NULL) {
		log_warnx("%s: curl_easy_init failed", __func__);
		goto fail;
	}
	curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(
	    r->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)REST_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(
	    r->curl, CURLOPT_TIMEOUT_MS, (long)REST_TOTAL_TIMEOUT_MS);
	curl_easy_setopt(r->curl, CURLOPT_USERAGENT, "podctl/" POD_VERSION);
	/* every encoding libcurl decodes (gzip): a fabric's listings shrink
	 * tenfold on the wire */
	curl_easy_setopt(r->curl, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(r->curl, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, on_data);
	/* Libcurl's defaults, said out loud: an https server is always
	 * verified, against cacert or else the system's CA store. */
	curl_easy_setopt(r->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(r->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (cacert != NULL &&
	    curl_easy_setopt(r->curl, CURLOPT_CAINFO, cacert) != CURLE_OK) {
		log_warnx("%s: cannot use CA file %s", __func__, cacert);
		goto fail;
	}
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(r->curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(r->curl, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (auth != NULL)
		explicit_bzero(auth, strlen(auth));
	free(auth);
	return r;

fail:
	if (auth != NULL)
		explicit_bzero(auth, strlen(auth));
	free(auth);
	rest_free(r);
	return NULL;
}

void
rest_free(struct rest *r)
{
	int i;

	if (r == NULL)
		return;
	if (r->curl != NULL)
		curl_easy_cleanup(r->curl);
	curl_slist_free_all(r->hdr_get);
	curl_slist_free_all(r->hdr_body);
	for (i = 0; i < r->nbase; i++)
		free(r->base[i]);
	free(r);
}

const char *
rest_base(const struct rest *r)
{
	return r->base[r->cur];
}

/* Words why no answer came, for "cannot reach URL: why". */
static void
transport_error(struct rest *r, CURLcode rc, char *why, size_t whylen)
{
	curl_off_t connect_us = 0;
	long oserr = 0;

	curl_easy_getinfo(r->curl, CURLINFO_OS_ERRNO, &oserr);
	curl_easy_getinfo(r->curl, CURLINFO_CONNECT_TIME_T, &connect_us);
	if (rc == CURLE_OPERATION_TIMEDOUT && connect_us == 0)
		snprintf(why, whylen, "no connection within %d s",
		    REST_CONNECT_TIMEOUT_MS / 1000);
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		snprintf(why, whylen, "no answer within %d s",
		    REST_TOTAL_TIMEOUT_MS / 1000);
	else if (rc == CURLE_PEER_FAILED_VERIFICATION)
		snprintf(why, whylen,
		    "the server's certificate is not trusted (%s); give its "
		    "CA with --cacert or POD_CACERT",
		    r->errbuf[0] != '\0' ? r->errbuf : curl_easy_strerror(rc));
	else if (rc == CURLE_COULDNT_CONNECT && oserr != 0)
		snprintf(why, whylen, "%s", strerror((int)oserr));
	else
		snprintf(why, whylen, "%s",
		    r->errbuf[0] != '\0' ? r->errbuf : curl_easy_strerror(rc));
}

/* Words an HTTP error reply: the server's error.message when it sent one. */
static void
api_error(const char *base, const char *path, struct rest_reply *reply,
    char *err, size_t errlen)
{
	json_t *e, *m;

	e = json_object_get(reply->json, "error");
	m = json_object_get(e, "message");
	if (json_is_string(m) && json_string_length(m) > 0)
		snprintf(err, errlen, "%s", json_string_value(m));
	else
		snprintf(err, errlen, "%s%s: server answered HTTP %ld", base,
		    path, reply->http_status);
}

/* 1 for a method that may be sent twice: a read. */
static int
idempotent(const char *method)
{
	return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

/*
 * One attempt of rest_call() on the controller r->cur, the body as JSON
 * text (NULL: none). Fills *reply and err as rest_call() says, and sets
 * *next when the request may go to the next controller instead: then err
 * holds only why ("Connection refused", "standby (the active one is
 * URL)").
 */
static enum rest_result
call_one(struct rest *r, const char *method, const char *path, const char *text,
    struct rest_reply *reply, char *err, size_t errlen, int *next)
{
	const char *base = r->base[r->cur];
	struct sink sink = {0};
	json_error_t jerr;
	enum rest_result res = REST_API_ERROR;
	curl_off_t sent_us = 0;
	char *url = NULL, why[CURL_ERROR_SIZE + 128];
	size_t len;
	CURLcode rc;

	*next = 0;
	memset(reply, 0, sizeof(*reply));
	len = strlen(base) + strlen(path) + 1;
	if ((url = malloc(len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	snprintf(url, len, "%s%s", base, path);

	curl_easy_setopt(r->curl, CURLOPT_URL, url);
	curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, &sink);
	if (text != NULL || strcmp(method, "POST") == 0 ||
	    strcmp(method, "PUT") == 0) {
		curl_easy_setopt(r->curl, CURLOPT_POSTFIELDSIZE,
		    text != NULL ? (long)strlen(text) : 0L);
		curl_easy_setopt(
		    r->curl, CURLOPT_COPYPOSTFIELDS, text != NULL ? text : "");
		curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, r->hdr_body);
	} else {
		curl_easy_setopt(r->curl, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, r->hdr_get);
	}
	curl_easy_setopt(r->curl, CURLOPT_CUSTOMREQUEST,
	    strcmp(method, "GET") == 0 ? NULL : method);

	r->errbuf[0] = '\0';
	rc = curl_easy_perform(r->curl);
	reply->body = sink.p;
	reply->len = sink.len;
	sink.p = NULL;
	if (rc == CURLE_WRITE_ERROR && sink.toobig) {
		snprintf(err, errlen, "%s: reply larger than %d MiB", base,
		    REST_MAX_REPLY_BYTES / (1024 * 1024));
		goto fail;
	}
	if (rc != CURLE_OK) {
		transport_error(r, rc, why, sizeof(why));
		res = REST_UNREACHABLE;
		/* Never sent (no connection, no TLS), or a read: the next
		 * controller may have it. A write that may have reached
		 * this one must not be applied twice. */
		curl_easy_getinfo(
		    r->curl, CURLINFO_PRETRANSFER_TIME_T, &sent_us);
		if (sent_us == 0 || idempotent(method)) {
			*next = 1;
			snprintf(err, errlen, "%s", why);
		} else
			snprintf(err, errlen, "cannot reach %s: %s%s", base,
			    why,
			    r->nbase > 1 ? " (not sent to another controller: "
			                   "it may have been applied)"
			                 : "");
		goto fail;
	}
	curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &reply->http_status);
	/* a standby, or an active one without its database, took nothing */
	if (ctllist_passive(reply->http_status, reply->body, reply->len, why,
	        sizeof(why))) {
		*next = 1;
		snprintf(err, errlen, "%s", why);
		goto fail;
	}
	if (reply->body != NULL)
		reply->json = json_loadb(reply->body, reply->len, 0, &jerr);
	if (reply->http_status < 200 || reply->http_status > 299) {
		api_error(base, path, reply, err, errlen);
		goto fail;
	}
	if (reply->json == NULL) {
		snprintf(err, errlen, "%s%s: reply is not JSON%s%s", base, path,
		    reply->body != NULL ? ": " : "",
		    reply->body != NULL ? jerr.text : "");
		goto fail;
	}
	res = REST_OK;

fail:
	free(sink.p);
	free(url);
	return res;
}

enum rest_result
rest_call(struct rest *r, const char *method, const char *path, json_t *body,
    struct rest_reply *reply, char *err, size_t errlen)
{
	enum rest_result res = REST_API_ERROR;
	char *text = NULL, why[1024]; /* as much as podctl prints */
	size_t len = 0;
	int tried, next = 0, passive = 0;

	memset(reply, 0, sizeof(*reply));
	if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return REST_API_ERROR;
	}
	/* "no active controller: " then "URL: why" of each */
	len = (size_t)snprintf(err, errlen, "no active controller: ");
	for (tried = 0; tried < r->nbase; tried++) {
		rest_reply_free(reply);
		res = call_one(
		    r, method, path, text, reply, why, sizeof(why), &next);
		if (!next) {
			snprintf(err, errlen, "%s", why);
			goto done;
		}
		/* an answer, though not the active controller's */
		passive |= res != REST_UNREACHABLE;
		if (len < errlen)
			len += (size_t)snprintf(err + len, errlen - len,
			    "%s%s: %s", tried > 0 ? "; " : "", r->base[r->cur],
			    why);
		if (tried + 1 < r->nbase)
			r->cur = (r->cur + 1) % r->nbase;
	}
	/* One controller that could not be reached is just that. */
	if (r->nbase == 1 && !passive)
		snprintf(err, errlen, "cannot reach %s: %s", r->base[0], why);
	rest_reply_free(reply);
	res = REST_UNREACHABLE;
done:
	free(text);
	return res;
}

void
rest_reply_free(struct rest_reply *reply)
{
	json_decref(reply->json);
	free(reply->body);
	memset(reply, 0, sizeof(*reply));
}

char *
rest_escape(struct rest *r, const char *s)
{
	char *e, *copy;

	if ((e = curl_easy_escape(r->curl, s, 0)) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return NULL;
	}
	if ((copy = strdup(e)) == NULL)
		log_warn("%s", __func__);
	curl_free(e);
	return copy;
}
