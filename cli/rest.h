/*
 * The REST client: one libcurl easy handle, reused for every request of a
 * podctl run, speaking JSON to the controller's /api/v1. It sorts each
 * outcome into the three things an operator must tell apart — the server
 * could not be reached, the server refused (its error.message), or it
 * answered — so that podctl can exit with a distinct status for each.
 *
 * It may be given several controllers, an active one and its standbys
 * (common/ctllist.h): a request goes to the one that answered last (the
 * first, at start), and on to the next in the list, round to the one
 * before, while the one asked is not the active one (503 "standby" or
 * "not_active") or the request never reached it (no connection, a TLS
 * handshake that failed). A read (GET) also goes on after a connection
 * lost or a time-out mid-request; a write does not, since the controller
 * may have applied it: it must not be applied twice.
 */
#ifndef POD_REST_H
#define POD_REST_H

#include <jansson.h>
#include <stddef.h>

#include "ctllist.h"

#define REST_CONNECT_TIMEOUT_MS 3000               /* to open the connection */
#define REST_TOTAL_TIMEOUT_MS   15000              /* for a whole request */
#define REST_MAX_REPLY_BYTES    (64 * 1024 * 1024) /* larger is refused */

enum rest_result {
	REST_OK,          /* 2xx with a JSON body */
	REST_API_ERROR,   /* the server answered with an error, or nonsense */
	REST_UNREACHABLE, /* no answer: connect, resolve, timeout, reset */
};

struct rest_reply {
	long http_status; /* 0 when no answer came */
	char *body;       /* the bytes as received, NUL-terminated, owned */
	size_t len;       /* bytes in body, without the NUL */
	json_t *json;     /* body parsed, or NULL; owned */
};

struct rest;

/*
 * A client for the controllers of `servers` (each "http://127.0.0.1:8470"
 * or "host:port", plain HTTP; a trailing "/" is ignored), tried in that
 * order, sending "Authorization: Bearer <token>" when token is not NULL
 * (copied). An https server is always verified: against the CA
 * certificates in the PEM file cacert when not NULL, else the system's.
 * Returns NULL (logged) on failure. Caller frees with rest_free().
 * curl_global_init() must have been called.
 */
struct rest *rest_new(
    const struct ctllist *servers, const char *token, const char *cacert);
void rest_free(struct rest *r);

/* The base URL of the controller that answered last (before any answer,
 * the first), without a trailing "/". Borrowed from r. */
const char *rest_base(const struct rest *r);

/*
 * Sends `method` to a controller's base URL + path (path begins with "/"
 * and is already URL-encoded) with `body` as JSON when not NULL, going
 * round the controllers as said above. Fills *reply with the first real
 * answer, which the caller releases with rest_reply_free() whatever the
 * result. Returns REST_OK with reply->json set, or another result with one
 * line in err: the server's error.message, or what was wrong with the
 * reply (REST_API_ERROR); "cannot reach URL: why" (REST_UNREACHABLE); or,
 * when no controller took the request, REST_UNREACHABLE with "no active
 * controller: URL: why; URL: why" (for one controller that could not be
 * reached, "cannot reach URL: why").
 */
enum rest_result rest_call(struct rest *r, const char *method, const char *path,
    json_t *body, struct rest_reply *reply, char *err, size_t errlen);

void rest_reply_free(struct rest_reply *reply);

/* A URL-encoded copy of s for a path segment or query value, or NULL
 * (logged). Caller frees with free(). */
char *rest_escape(struct rest *r, const char *s);

#endif
