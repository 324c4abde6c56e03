/*
 * A small Redfish client for the plugins that read BMCs and CDUs
 * (power/redfish, cooling/redfish): GET and PATCH of JSON resources over
 * HTTPS with libcurl's easy interface, meant to run on a plugin's I/O
 * thread (worker.h), never on the agent's loop.
 *
 * What it takes care of, so that each plugin does not:
 * - the connection keys every Redfish plugin shares (url, user,
 *   password_file, ca_file, tls_verify, timeout_ms), parsed and checked
 *   with their file:line by redfish_conf_key() and redfish_conf_check();
 * - certificate verification, on unless `tls_verify = false` says
 *   otherwise (then warned once at start);
 * - a session (POST /redfish/v1/SessionService/Sessions, the X-Auth-Token
 *   it answers sent on every request, one new login when a request is
 *   answered 401, DELETE of the session's Location at the end), or no
 *   authentication at all when no user is configured;
 * - timeouts (connect and whole request), a cap on the size of a reply, and
 *   the reply parsed with Jansson;
 * - errors as short, stable texts ("GET /redfish/v1/Chassis/1: timed out",
 *   "...: reply is not JSON", "...: HTTP 500") that stay the same from one
 *   poll to the next, so that a plugin can say them once (pod_said).
 *
 * One struct redfish is used by one thread at a time.
 */
#ifndef PLUGINS_REDFISH_H
#define PLUGINS_REDFISH_H

#include <limits.h>
#include <stddef.h>

#include <jansson.h>

#include <pod/plugin.h>

#include "worker.h"

#define REDFISH_URL_MAX   256     /* base URL, NUL included */
#define REDFISH_USER_MAX  128     /* user name, NUL included */
#define REDFISH_PASS_MAX  256     /* password, NUL included */
#define REDFISH_PATH_MAX  512     /* a resource path, NUL included */
#define REDFISH_ERR_MAX   160     /* an error text, NUL included */
#define REDFISH_REPLY_MAX 1048576 /* largest reply accepted, bytes */

/* The connection keys shared by the Redfish plugins. */
struct redfish_conf {
	char url[REDFISH_URL_MAX];       /* "https://host[:port]", no path */
	char user[REDFISH_USER_MAX];     /* "": no session */
	char password[REDFISH_PASS_MAX]; /* read from password_file */
	char ca_file[PATH_MAX];          /* "": the system's CAs */
	int tls_verify;                  /* 1: verify the certificate */
	int timeout_ms;                  /* connect, and whole request, ms */
	const char *url_where;           /* file:line of url, for errors */
	const char *user_where;          /* file:line of user */
	int have_password;               /* 1: password_file was given */
};

/* Fills cf with the defaults (verification on, timeout_ms). */
void redfish_conf_default(struct redfish_conf *cf, int timeout_ms);
/* Takes kv when it is one of the connection keys: 1 taken, 0 not one of
 * them, -1 a bad value (logged with kv->where). */
int redfish_conf_key(const struct pod_host *host, const struct pod_kv *kv,
    struct redfish_conf *cf);
/* Checks the keys together once all are read (url given, user and
 * password_file together) and warns once when tls_verify is off. 0 or -1
 * (logged). `kind` names the section in messages ("power"). */
int redfish_conf_check(const struct pod_host *host,
    const struct redfish_conf *cf, const char *kind);
/* The names of the connection keys, for an "unknown key" message. */
#define REDFISH_KEYS "url, user, password_file, ca_file, tls_verify, timeout_ms"

struct redfish;

/* A client for cf (copied). `w` (borrowed, may be NULL) gets a line when
 * a session is renewed, and its worker_stopping() cuts a request short.
 * Nothing is sent yet. NULL when out of memory. Caller frees with
 * redfish_free(). */
struct redfish *redfish_new(const struct redfish_conf *cf, struct worker *w);
/* Deletes the session if there is one (one request, bounded by
 * timeout_ms) and frees r. NULL is a no-op. */
void redfish_free(struct redfish *r);
/* GETs path ("/redfish/v1/..."). 0 with *out a JSON value the caller
 * frees with json_decref(), or -1 with redfish_error() set. */
int redfish_get(struct redfish *r, const char *path, json_t **out);
/* PATCHes path with body (borrowed). 0 when answered 2xx, or -1. */
int redfish_patch(struct redfish *r, const char *path, json_t *body);
/* The last error, as "METHOD PATH: what"; borrowed, valid until the next
 * call. */
const char *redfish_error(const struct redfish *r);
/* Says the last error as a warning through w when its cause (what follows
 * "METHOD PATH: ") differs from the one `said` holds: a service that
 * hangs is one line, whichever request of a poll it hung on. */
void redfish_say(struct redfish *r, struct worker *w, struct pod_said *said);
/* The HTTP status of the last request, 0 when it got none (a timeout, a
 * refused connection). */
long redfish_status(const struct redfish *r);
/* Logins done so far (the first and every renewal). */
int redfish_logins(const struct redfish *r);

/* o[member]["@odata.id"], or NULL. Borrowed from o. */
const char *redfish_link(json_t *o, const char *member);
/* The @odata.id of the i-th member of a collection, or NULL. Borrowed. */
const char *redfish_member(json_t *coll, size_t i);
/* How many members a collection lists. */
size_t redfish_nmembers(json_t *coll);
/* o[member][field] as a number (o[member] itself when field is NULL): 0
 * with *out set, -1 when absent, null or not a number. */
int redfish_number(
    json_t *o, const char *member, const char *field, double *out);

/* What the client takes from a reply's headers, public for the fuzz target
 * (tests/fuzz/fuzz_redfish.c). redfish_header_value: when header line
 * line[len] (not NUL-terminated, as libcurl hands it over, "\r\n" and
 * all) is `name` (any case), its value without the blanks around it into
 * out, unless it does not fit; else out is left alone.
 * redfish_path_of: the path part of a Location that may be an absolute URL,
 * or "" when it has none past "/" (a relative reference, a bare host): the
 * session is then found in the login's reply. Borrowed from loc. */
void redfish_header_value(
    const char *line, size_t len, const char *name, char *out, size_t outlen);
const char *redfish_path_of(const char *loc);

#endif
