/*
 * The REST API's audit handler: who changed what, read from the store's
 * audit table with the filters an operator asks by (a time window, an
 * actor, an action) and a bounded number of lines. Routed by the table in
 * api.c; the lines are written where each change is stored (store.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/http.h>

#include "apireq.h"
#include "ctl.h"
#include "store.h"
#include "timeutil.h"

#define AUDIT_DEFAULT_LINES 100
#define AUDIT_MAX_LINES     10000

void
api_audit(struct api_req *r)
{
	static const char *const allowed[] = {
	    "since", "until", "actor", "action", "limit", NULL};
	struct evkeyvalq q;
	const char *since_s, *until_s, *limit_s, *actor, *action;
	int64_t since = 0, until = INT64_MAX;
	long limit = AUDIT_DEFAULT_LINES;
	char *end;
	json_t *lines;

	if (api_read_query(r->req, &q, allowed) == -1)
		goto done;
	since_s = evhttp_find_header(&q, "since");
	until_s = evhttp_find_header(&q, "until");
	limit_s = evhttp_find_header(&q, "limit");
	actor = evhttp_find_header(&q, "actor");
	action = evhttp_find_header(&q, "action");
	if ((since_s != NULL && (since = api_parse_time(since_s)) < 0) ||
	    (until_s != NULL && (until = api_parse_time(until_s)) < 0)) {
		api_reply_error(r->req, 400, "bad_request",
		    "audit: %s='%s' is not a time: give ms since the epoch or "
		    "RFC 3339 (2024-05-01T12:00:00Z)",
		    since < 0 ? "since" : "until",
		    since < 0 ? since_s : until_s);
		goto done;
	}
	if (since >= until) {
		api_reply_error(r->req, 400, "bad_request",
		    "audit: since must be before until");
		goto done;
	}
	if (limit_s != NULL && ((limit = strtol(limit_s, &end, 10)) < 1 ||
	                           *end != '\0' || limit > AUDIT_MAX_LINES)) {
		api_reply_error(r->req, 400, "bad_request",
		    "audit: limit must be 1 to %d lines", AUDIT_MAX_LINES);
		goto done;
	}
	if ((lines = store_audit(r->st->store, since, until,
	         actor && *actor ? actor : NULL,
	         action && *action ? action : NULL, (int)limit)) == NULL) {
		api_reply_error(
		    r->req, 500, "internal", "could not read the audit log");
		goto done;
	}
	api_reply_json(r->req, 200, json_pack("{s:o}", "audit", lines));
done:
	evhttp_clear_headers(&q);
}
