/*
 * The Redfish client of the Redfish plugins (redfish.h): one curl easy
 * handle per client, reset and set up again for every request so that no
 * option of one request leaks into the next, while libcurl keeps the TLS
 * connection open between polls (a BMC's handshake is slow, and some count
 * connections).
 *
 * Errors are texts made of the method, the path and a cause from a fixed
 * table, never of numbers that change between tries (a byte count, a
 * duration, curl's own message with an errno in it), so that a plugin can
 * say one once and stay quiet while it lasts.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include <pod/plugin_util.h>

#include "redfish.h"

#define NELEM(a)            (sizeof(a) / sizeof((a)[0]))
#define REDFISH_TOKEN_MAX   512 /* an X-Auth-Token, NUL included */
#define REDFISH_SESSIONS    "/redfish/v1/SessionService/Sessions"
#define REDFISH_TIMEOUT_MIN 50     /* ms */
#define REDFISH_TIMEOUT_MAX 60000  /* ms */
#define REDFISH_RELOGIN_MIN 1000   /* first wait after a refused login, ms */
#define REDFISH_RELOGIN_MAX 300000 /* longest, ms */

struct redfish_buf {
	char *p;
	size_t n, cap;
	int toobig; /* 1: the reply passed REDFISH_REPLY_MAX */
};

struct redfish {
	struct redfish_conf cf;
	struct worker *w; /* borrowed; NULL */
	CURL *curl;
	int closing; /* 1: in redfish_free(), no abort on stopping */
	int logins;
	unsigned refusals;              /* logins refused in a row */
	int64_t next_login_ms;          /* monotonic: no login before this */
	char refused[REDFISH_ERR_MAX];  /* why the last login was refused */
	char token[REDFISH_TOKEN_MAX];  /* "" no session */
	char session[REDFISH_PATH_MAX]; /* the session's Location */
	char err[REDFISH_ERR_MAX];
	long status; /* of the last request; 0 none came */
	/* Of the request in progress. */
	struct redfish_buf body;
	char hdr_token[REDFISH_TOKEN_MAX];
	char hdr_location[REDFISH_PATH_MAX];
};

/*
 * What a failed transfer is called in an error text. code: libcurl's
 * result; what: the words said.
 */
static const struct redfish_cause {
	CURLcode code;
	const char *what;
} redfish_causes[] = {
    {CURLE_OPERATION_TIMEDOUT, "timed out"},
    {CURLE_COULDNT_CONNECT, "cannot connect"},
    {CURLE_COULDNT_RESOLVE_HOST, "cannot resolve the host"},
    {CURLE_PEER_FAILED_VERIFICATION, "certificate not trusted"},
    {CURLE_SSL_CACERT_BADFILE, "cannot read ca_file"},
    {CURLE_SSL_CONNECT_ERROR, "TLS handshake failed"},
    {CURLE_GOT_NOTHING, "empty reply"},
    {CURLE_RECV_ERROR, "connection lost"},
    {CURLE_SEND_ERROR, "connection lost"},
    {CURLE_PARTIAL_FILE, "reply cut short"},
    {CURLE_WEIRD_SERVER_REPLY, "not an HTTP reply"},
    {CURLE_ABORTED_BY_CALLBACK, "stopped"},
    {CURLE_UNSUPPORTED_PROTOCOL, "not an https URL"},
};

void
redfish_conf_default(struct redfish_conf *cf, int timeout_ms)
{
	memset(cf, 0, sizeof(*cf));
	cf->tls_verify = 1;
	cf->timeout_ms = timeout_ms;
}

/* "https://host[:port]" with an optional trailing '/', which is dropped. */
static int
redfish_parse_url(const char *v, struct redfish_conf *cf)
{
	const char *host = v + strlen("https://");
	size_t n = strlen(v);

	if (strncmp(v, "https://", 8) != 0 || *host == '\0' || *host == '/' ||
	    n >= sizeof(cf->url))
		return -1;
	if (v[n - 1] == '/')
		n--;
	if (memchr(host, '/', n - (size_t)(host - v)) != NULL)
		return -1; /* a path: the plugin knows its own */
	snprintf(cf->url, sizeof(cf->url), "%.*s", (int)n, v);
	return 0;
}

/* The first line of a password file that only its owner (and group) may
 * read. 0, or -1 with err set. */
static int
redfish_read_password(
    const char *path, struct redfish_conf *cf, char *err, size_t errlen)
{
	char buf[REDFISH_PASS_MAX + 2];
	struct stat sb;
	ssize_t n;
	char *nl;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "not a regular file");
		goto fail;
	}
	if ((sb.st_mode & 007) != 0) {
		snprintf(err, errlen,
		    "mode %04o lets others read or change it (chmod 600)",
		    (unsigned)(sb.st_mode & 07777));
		goto fail;
	}
	if ((n = read(fd, buf, sizeof(buf) - 1)) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	buf[n] = '\0';
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	if ((nl = strchr(buf, '\r')) != NULL)
		*nl = '\0';
	if (buf[0] == '\0' || strlen(buf) >= sizeof(cf->password)) {
		snprintf(err, errlen, "its first line is %s",
		    buf[0] == '\0' ? "empty" : "too long");
		goto fail;
	}
	memcpy(cf->password, buf, strlen(buf) + 1);
	memset(buf, 0, sizeof(buf));
	close(fd);
	return 0;
fail:
	memset(buf, 0, sizeof(buf));
	close(fd);
	return -1;
}

int
redfish_conf_key(const struct pod_host *host, const struct pod_kv *kv,
    struct redfish_conf *cf)
{
	char err[128];
	long l;

	if (strcmp(kv->key, "url") == 0) {
		cf->url_where = kv->where;
		if (redfish_parse_url(kv->value, cf) == 0)
			return 1;
		host->log(host, POD_LOG_ERROR,
		    "%s: url: '%s': want https://HOST[:PORT]", kv->where,
		    kv->value);
		return -1;
	}
	if (strcmp(kv->key, "user") == 0) {
		cf->user_where = kv->where;
		if (kv->value[0] != '\0' &&
		    strlen(kv->value) < sizeof(cf->user)) {
			snprintf(cf->user, sizeof(cf->user), "%s", kv->value);
			return 1;
		}
		host->log(host, POD_LOG_ERROR, "%s: user: want a user name",
		    kv->where);
		return -1;
	}
	if (strcmp(kv->key, "password_file") == 0) {
		if (redfish_read_password(kv->value, cf, err, sizeof(err)) ==
		    0) {
			cf->have_password = 1;
			return 1;
		}
		host->log(host, POD_LOG_ERROR, "%s: password_file: %s: %s",
		    kv->where, kv->value, err);
		return -1;
	}
	if (strcmp(kv->key, "ca_file") == 0) {
		if (kv->value[0] != '\0' &&
		    strlen(kv->value) < sizeof(cf->ca_file) &&
		    access(kv->value, R_OK) == 0) {
			snprintf(
			    cf->ca_file, sizeof(cf->ca_file), "%s", kv->value);
			return 1;
		}
		host->log(host, POD_LOG_ERROR, "%s: ca_file: %s: %s", kv->where,
		    kv->value, kv->value[0] ? strerror(errno) : "want a file");
		return -1;
	}
	if (strcmp(kv->key, "tls_verify") == 0) {
		if (strcmp(kv->value, "true") == 0 ||
		    strcmp(kv->value, "false") == 0) {
			cf->tls_verify = kv->value[0] == 't';
			return 1;
		}
		host->log(host, POD_LOG_ERROR,
		    "%s: tls_verify: '%s': want true or false", kv->where,
		    kv->value);
		return -1;
	}
	if (strcmp(kv->key, "timeout_ms") == 0) {
		if (pod_parse_long(kv->value, REDFISH_TIMEOUT_MIN,
		        REDFISH_TIMEOUT_MAX, &l) == 0) {
			cf->timeout_ms = (int)l;
			return 1;
		}
		host->log(host, POD_LOG_ERROR,
		    "%s: timeout_ms: '%s': want an integer %d..%d", kv->where,
		    kv->value, REDFISH_TIMEOUT_MIN, REDFISH_TIMEOUT_MAX);
		return -1;
	}
	return 0;
}

int
redfish_conf_check(const struct pod_host *host, const struct redfish_conf *cf,
    const char *kind)
{
	if (cf->url[0] == '\0') {
		host->log(host, POD_LOG_ERROR,
		    "[%s] plugin redfish needs url = https://HOST[:PORT]",
		    kind);
		return -1;
	}
	if ((cf->user[0] != '\0') != cf->have_password) {
		host->log(host, POD_LOG_ERROR,
		    "%s%s[%s] plugin redfish: user and password_file go "
		    "together",
		    cf->user_where ? cf->user_where : "",
		    cf->user_where ? ": " : "", kind);
		return -1;
	}
	if (!cf->tls_verify)
		host->log(host, POD_LOG_WARN,
		    "%s: tls_verify = false: the certificate of %s is not "
		    "checked; anyone on the path can read the password and "
		    "forge readings",
		    kind, cf->url);
	return 0;
}

struct redfish *
redfish_new(const struct redfish_conf *cf, struct worker *w)
{
	struct redfish *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->cf = *cf;
	r->w = w;
	if ((r->curl = curl_easy_init()) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

static size_t
redfish_on_body(char *data, size_t size, size_t n, void *arg)
{
	struct redfish_buf *b = arg;
	size_t len = size * n, cap;
	char *p;

	if (b->n + len > REDFISH_REPLY_MAX) {
		b->toobig = 1;
		return 0;
	}
	if (b->n + len + 1 > b->cap) {
		cap = b->cap ? b->cap : 8192;
		while (cap < b->n + len + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, data, len);
	b->n += len;
	b->p[b->n] = '\0';
	return len;
}

/* Contract in redfish.h, as redfish_path_of()'s. */
void
redfish_header_value(
    const char *line, size_t len, const char *name, char *out, size_t outlen)
{
	size_t k = strlen(name), e;

	if (len <= k + 1 || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return;
	line += k + 1;
	len -= k + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	for (e = len; e > 0 && isspace((unsigned char)line[e - 1]); e--)
		;
	if (e < outlen)
		snprintf(out, outlen, "%.*s", (int)e, line);
}

static size_t
redfish_on_header(char *data, size_t size, size_t n, void *arg)
{
	struct redfish *r = arg;
	size_t len = size * n;

	redfish_header_value(
	    data, len, "X-Auth-Token", r->hdr_token, sizeof(r->hdr_token));
	redfish_header_value(
	    data, len, "Location", r->hdr_location, sizeof(r->hdr_location));
	return len;
}

static int
redfish_on_progress(
    void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct redfish *r = arg;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return !r->closing && r->w != NULL && worker_stopping(r->w);
}

const char *
redfish_path_of(const char *loc)
{
	const char *p = loc;

	/* Only an absolute path is one: the request URL is the base URL and
	 * the path, so "Sessions/7", or the "/" of a bare "https://bmc",
	 * would name another resource (DELETE / at the end). */
	if (strncmp(loc, "https://", 8) == 0 || strncmp(loc, "http://", 7) == 0)
		p = strchr(strstr(loc, "//") + 2, '/');
	return p != NULL && p[0] == '/' && p[1] != '\0' ? p : "";
}

/*
 * One request: method on path with an optional JSON text. 0 with *status
 * the HTTP status and the reply in r->body, or -1 with r->err set (a
 * transfer that failed).
 */
static int
redfish_request(struct redfish *r, const char *method, const char *path,
    const char *json, long *status)
{
	struct curl_slist *hdrs = NULL, *h;
	char url[REDFISH_URL_MAX + REDFISH_PATH_MAX];
	char auth[REDFISH_TOKEN_MAX + 16];
	const char *what = NULL;
	CURLcode rc;
	size_t i;

	r->body.n = 0;
	r->body.toobig = 0;
	if (r->body.p != NULL)
		r->body.p[0] = '\0';
	r->hdr_token[0] = r->hdr_location[0] = '\0';
	*status = 0;
	r->status = 0;
	snprintf(url, sizeof(url), "%s%s", r->cf.url, path);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (hdrs != NULL && (h = curl_slist_append(hdrs, "OData-Version: 4.0")))
		hdrs = h;
	if (json != NULL && hdrs != NULL &&
	    (h = curl_slist_append(hdrs, "Content-Type: application/json")))
		hdrs = h;
	if (r->token[0] != '\0' && hdrs != NULL) {
		snprintf(auth, sizeof(auth), "X-Auth-Token: %s", r->token);
		if ((h = curl_slist_append(hdrs, auth)) != NULL)
			hdrs = h;
		memset(auth, 0, sizeof(auth));
	}
	if (hdrs == NULL) {
		snprintf(r->err, sizeof(r->err), "%s %s: out of memory", method,
		    path);
		return -1;
	}
	curl_easy_reset(r->curl);
	curl_easy_setopt(r->curl, CURLOPT_URL, url);
	curl_easy_setopt(r->curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->curl, CURLOPT_TIMEOUT_MS, (long)r->cf.timeout_ms);
	curl_easy_setopt(
	    r->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)r->cf.timeout_ms);
	curl_easy_setopt(
	    r->curl, CURLOPT_SSL_VERIFYPEER, (long)r->cf.tls_verify);
	curl_easy_setopt(
	    r->curl, CURLOPT_SSL_VERIFYHOST, r->cf.tls_verify ? 2L : 0L);
	if (r->cf.ca_file[0] != '\0')
		curl_easy_setopt(r->curl, CURLOPT_CAINFO, r->cf.ca_file);
	curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, redfish_on_body);
	curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(r->curl, CURLOPT_HEADERFUNCTION, redfish_on_header);
	curl_easy_setopt(r->curl, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(r->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(
	    r->curl, CURLOPT_XFERINFOFUNCTION, redfish_on_progress);
	curl_easy_setopt(r->curl, CURLOPT_XFERINFODATA, r);
	if (strcmp(method, "GET") != 0)
		curl_easy_setopt(r->curl, CURLOPT_CUSTOMREQUEST, method);
	if (json != NULL)
		curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, json);
	rc = curl_easy_perform(r->curl);
	curl_slist_free_all(hdrs);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, status);
		r->status = *status;
		return 0;
	}
	if (rc == CURLE_WRITE_ERROR && r->body.toobig)
		what = "reply too large";
	for (i = 0; what == NULL && i < NELEM(redfish_causes); i++)
		if (redfish_causes[i].code == rc)
			what = redfish_causes[i].what;
	snprintf(r->err, sizeof(r->err), "%s %s: %s", method, path,
	    what ? what : curl_easy_strerror(rc));
	return -1;
}

/* The session's @odata.id from the login's reply, for a BMC that sends no
 * Location header. */
static void
redfish_session_from_body(struct redfish *r)
{
	json_t *j;
	const char *id;

	if (r->body.n == 0 ||
	    (j = json_loadb(r->body.p, r->body.n, 0, NULL)) == NULL)
		return;
	if ((id = json_string_value(json_object_get(j, "@odata.id"))) != NULL)
		snprintf(r->session, sizeof(r->session), "%s", id);
	json_decref(j);
}

/*
 * Opens a session. 0, or -1 with r->err set. A login the BMC refused (a
 * wrong password, a locked account) is not tried again at every poll, which
 * would lock the account for good on many BMCs: the next try waits,
 * doubling from REDFISH_RELOGIN_MIN to REDFISH_RELOGIN_MAX, and until then
 * the refusal stands.
 */
static int
redfish_login(struct redfish *r)
{
	json_t *cred;
	char *text;
	long status;
	int rc;

	r->token[0] = r->session[0] = '\0';
	if (r->refusals > 0 &&
	    pod_clock_ms(CLOCK_MONOTONIC) < r->next_login_ms) {
		memcpy(r->err, r->refused, sizeof(r->err));
		return -1;
	}
	cred = json_pack(
	    "{s:s, s:s}", "UserName", r->cf.user, "Password", r->cf.password);
	text = cred ? json_dumps(cred, JSON_COMPACT) : NULL;
	json_decref(cred);
	if (text == NULL) {
		snprintf(r->err, sizeof(r->err), "POST %s: out of memory",
		    REDFISH_SESSIONS);
		return -1;
	}
	rc = redfish_request(r, "POST", REDFISH_SESSIONS, text, &status);
	memset(text, 0, strlen(text));
	free(text);
	if (rc == -1)
		return -1;
	if (status < 200 || status > 299) {
		snprintf(r->err, sizeof(r->err), "POST %s: HTTP %ld",
		    REDFISH_SESSIONS, status);
		if (status == 401 || status == 403) {
			memcpy(r->refused, r->err, sizeof(r->refused));
			r->next_login_ms =
			    pod_clock_ms(CLOCK_MONOTONIC) +
			    pod_backoff_ms(r->refusals++, REDFISH_RELOGIN_MIN,
			        REDFISH_RELOGIN_MAX, 0, 0.5);
		}
		return -1;
	}
	if (r->hdr_token[0] == '\0') {
		snprintf(r->err, sizeof(r->err), "POST %s: no X-Auth-Token",
		    REDFISH_SESSIONS);
		return -1;
	}
	memcpy(r->token, r->hdr_token, sizeof(r->token));
	snprintf(r->session, sizeof(r->session), "%s",
	    redfish_path_of(r->hdr_location));
	if (r->session[0] == '\0')
		redfish_session_from_body(r);
	r->logins++;
	r->refusals = 0;
	return 0;
}

/*
 * A request with the session: logs in first when there is no session,
 * and once more when the BMC answers 401 (the session expired or the BMC
 * restarted). 0 with *status, or -1.
 */
static int
redfish_call(struct redfish *r, const char *method, const char *path,
    const char *json, long *status)
{
	int fresh = 0;

	if (r->cf.user[0] != '\0' && r->token[0] == '\0') {
		if (redfish_login(r) == -1)
			return -1;
		fresh = 1;
	}
	if (redfish_request(r, method, path, json, status) == -1)
		return -1;
	if (*status != 401 || r->cf.user[0] == '\0' || fresh)
		return 0;
	if (redfish_login(r) == -1)
		return -1;
	if (r->w != NULL)
		worker_log(r->w, POD_LOG_INFO,
		    "%s: session refused (HTTP 401); logged in again",
		    r->cf.url);
	return redfish_request(r, method, path, json, status);
}

int
redfish_get(struct redfish *r, const char *path, json_t **out)
{
	json_error_t jerr;
	long status;
	json_t *j;

	*out = NULL;
	if (redfish_call(r, "GET", path, NULL, &status) == -1)
		return -1;
	if (status != 200) {
		snprintf(
		    r->err, sizeof(r->err), "GET %s: HTTP %ld", path, status);
		return -1;
	}
	j = r->body.n > 0 ? json_loadb(r->body.p, r->body.n, 0, &jerr) : NULL;
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		snprintf(
		    r->err, sizeof(r->err), "GET %s: reply is not JSON", path);
		return -1;
	}
	*out = j;
	return 0;
}

int
redfish_patch(struct redfish *r, const char *path, json_t *body)
{
	char *text;
	long status;
	int rc;

	if ((text = json_dumps(body, JSON_COMPACT)) == NULL) {
		snprintf(
		    r->err, sizeof(r->err), "PATCH %s: out of memory", path);
		return -1;
	}
	rc = redfish_call(r, "PATCH", path, text, &status);
	free(text);
	if (rc == -1)
		return -1;
	if (status < 200 || status > 299) {
		snprintf(
		    r->err, sizeof(r->err), "PATCH %s: HTTP %ld", path, status);
		return -1;
	}
	return 0;
}

void
redfish_free(struct redfish *r)
{
	long status;

	if (r == NULL)
		return;
	r->closing = 1;
	if (r->token[0] != '\0' && r->session[0] != '\0')
		(void)redfish_request(r, "DELETE", r->session, NULL, &status);
	curl_easy_cleanup(r->curl);
	free(r->body.p);
	memset(r->cf.password, 0, sizeof(r->cf.password));
	memset(r->token, 0, sizeof(r->token));
	free(r);
}

const char *
redfish_error(const struct redfish *r)
{
	return r->err;
}

void
redfish_say(struct redfish *r, struct worker *w, struct pod_said *said)
{
	const char *cause = strstr(r->err, ": ");

	if (r->w != NULL && worker_stopping(r->w))
		return; /* cut short by fini(): no trouble of the service */
	if (pod_said_new(said, cause != NULL ? cause + 2 : r->err))
		worker_log(w, POD_LOG_WARN, "%s", r->err);
}

long
redfish_status(const struct redfish *r)
{
	return r->status;
}

int
redfish_logins(const struct redfish *r)
{
	return r->logins;
}

const char *
redfish_link(json_t *o, const char *member)
{
	return json_string_value(
	    json_object_get(json_object_get(o, member), "@odata.id"));
}

size_t
redfish_nmembers(json_t *coll)
{
	return json_array_size(json_object_get(coll, "Members"));
}

const char *
redfish_member(json_t *coll, size_t i)
{
	return json_string_value(json_object_get(
	    json_array_get(json_object_get(coll, "Members"), i), "@odata.id"));
}

int
redfish_number(json_t *o, const char *member, const char *field, double *out)
{
	json_t *v = json_object_get(o, member);

	if (field != NULL)
		v = json_object_get(v, field);
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return 0;
}
