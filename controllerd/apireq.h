/*
 * Inside the REST API: the request as its handlers see it, the reply and
 * parsing helpers they share, and the handlers that live outside api.c
 * (api_nodes.c: health, status, pods, nodes; api_agents.c: reports and
 * long polls; api_static.c: the dashboard's files and /metrics;
 * api_jobs.c: jobs; api_power.c: power, policies, alarms, telemetry;
 * api_audit.c: the audit log; api_acct.c: accounting; api_auth.c: who
 * is asking, and tokens; api_org.c: accounts, users, QOS, partitions,
 * reservations).
 * api.c owns the route table that names them all.
 */
#ifndef CTL_APIREQ_H
#define CTL_APIREQ_H

#include <sys/queue.h>

#include <stdint.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "jsonw.h"

#define MAX_ARGS 2

struct ctl_state;
struct node;
struct config;
struct metrics_view;
struct job;

struct api_req {
	struct evhttp_request *req;
	struct ctl_state *st;
	const char *args[MAX_ARGS]; /* names captured by "*" */
	char who[64];               /* the principal, for audit and logs:
	                             * the user, else the peer's address */
	char user[64];              /* the token's user, "" when anonymous */
	int role;                   /* enum auth_role of the caller */
	int64_t token_id;           /* the token used, 0 for none */
	char segbuf[1024];          /* storage for the path segments */
};

/* Sends j (reference stolen) as the reply with HTTP status code, through
 * api_send(). */
void api_reply_json(struct evhttp_request *req, int code, json_t *j);
/* The largest reply a jsonw may write, bytes: every node of a fabric of
 * 100,000 accelerators fits many times over. */
#define API_REPLY_MAX ((size_t)256 << 20)
/* As api_reply_json(), the text w wrote (borrowed); a 500 when w failed. */
void api_reply_jsonw(struct evhttp_request *req, int code, struct jsonw *w);
/* The one place replies go out: body (borrowed; the caller frees it) with
 * status code, gzipped (Content-Encoding: gzip) when it is 1 KiB or more
 * and the request's Accept-Encoding takes gzip; always with Vary:
 * Accept-Encoding. The caller has set the other headers. */
void api_send(struct evhttp_request *req, int code, struct evbuffer *body);
/* 1 when the request's Accept-Encoding takes gzip (or x-gzip, or *) with
 * a q value over 0. */
int api_accepts_gzip(struct evhttp_request *req);
/* Sends {"error":{"code":errcode,"message":…}} with status code. */
void api_reply_error(struct evhttp_request *req, int code, const char *errcode,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A write to the store failed: 503 with Retry-After when the database is
 * at fault (locked by another process, disk full; the message says so),
 * else 500. fmt says what could not be done ("could not store the drain of
 * pod01-n001"). */
void api_reply_store_error(struct api_req *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The body as JSON, or NULL after a 400 or 413 reply. New reference. */
json_t *api_read_body(struct evhttp_request *req);
/* Fills q from the query string, refusing keys not in `allowed` (NULL
 * ended). -1 after a 400 reply; the caller clears q either way. */
int api_read_query(struct evhttp_request *req, struct evkeyvalq *q,
    const char *const *allowed);
/* The request's bearer token or credential (borrowed from its headers),
 * or NULL when it sends none: no Authorization header, another scheme, or
 * an empty one. */
const char *api_bearer(struct evhttp_request *req);
/* 1 when s is text a person may have typed: valid UTF-8 without control
 * or bidirectional-override characters (common/names.h). */
int api_printable(const char *s);
/* 0 when s is such text, else -1 with "FIELD: U+202E (right-to-left
 * override) is not allowed" (or "FIELD: invalid UTF-8 at byte N") in why,
 * for the 400 reply. */
int api_text_check(const char *field, const char *s, char *why, size_t len);
/* A time from a query: milliseconds since the epoch, or an RFC 3339 time
 * (fractions of a second and offsets allowed). -1 when neither. */
int64_t api_parse_time(const char *s);
/*
 * Reads a comma-separated query value ("drained,down") into set, of n
 * entries: set[i] = 1 for every item that lookup(ctx, item) maps to i.
 * Returns 0, or -1 with the first empty or unknown item copied into bad.
 */
int api_parse_list(const char *list, int (*lookup)(void *, const char *),
    void *ctx, unsigned char *set, int n, char *bad, size_t badlen);

/* Health, status, pods and nodes (api_nodes.c). */
void api_health(struct api_req *r);
void api_status(struct api_req *r);
void api_pods(struct api_req *r);
void api_pod(struct api_req *r);
void api_nodes(struct api_req *r);
void api_node(struct api_req *r);
void api_drain(struct api_req *r);
void api_resume(struct api_req *r);

/* The agents' report and long poll (api_agents.c). */
void api_report(struct api_req *r);
void api_desired(struct api_req *r);
/* Node n's desired version moved: its held long polls are answered once
 * the loop is back from the change (an event, not a timer). */
void api_desired_wake(struct ctl_state *st, const struct node *n);
/* Drops every held long poll unanswered (at shutdown). */
void api_agents_stop(struct ctl_state *st);

/* The dashboard's files under web_dir ("" for none), and /metrics from
 * its read-only view (api_static.c). */
void api_serve_file(
    const char *web_dir, struct evhttp_request *req, const char *path);
void api_serve_metrics(
    const struct metrics_view *v, struct evhttp_request *req);

/* Jobs (api_jobs.c). */
void api_jobs(struct api_req *r);
void api_job(struct api_req *r);
void api_submit(struct api_req *r);
/* Fills j (from job_new()) from a submission body, with the time limits of
 * conf; 0, or -1 with the reason in err (j then to be freed as it is). */
int api_job_parse(const struct config *conf, json_t *body, struct job *j,
    char *err, size_t errlen);
void api_cancel(struct api_req *r);
void api_priority(struct api_req *r);
void api_job_priority(struct api_req *r);

/* Power, policies, alarms, telemetry (api_power.c). */
void api_power(struct api_req *r);
void api_power_set(struct api_req *r);
void api_policy(struct api_req *r);
void api_policy_set(struct api_req *r);
void api_alarms(struct api_req *r);
void api_alarm_ack(struct api_req *r);
void api_telemetry(struct api_req *r);

/* The audit log (api_audit.c). */
void api_audit(struct api_req *r);

/* Accounting: the attempts' records and usage per account or user
 * (api_acct.c). */
void api_acct(struct api_req *r);
void api_usage(struct api_req *r);

/* Who is asking, and the tokens (api_auth.c). */
void api_whoami(struct api_req *r);
void api_tokens(struct api_req *r);
void api_token_create(struct api_req *r);
void api_token_revoke(struct api_req *r);

/* Accounts, users, QOS, partitions and reservations (api_org.c). */
void api_accounts(struct api_req *r);
void api_account(struct api_req *r);
void api_account_add(struct api_req *r);
void api_account_modify(struct api_req *r);
void api_users(struct api_req *r);
void api_user(struct api_req *r);
void api_user_add(struct api_req *r);
void api_user_modify(struct api_req *r);
void api_qos(struct api_req *r);
void api_partitions(struct api_req *r);
void api_reservations(struct api_req *r);
void api_reservation_add(struct api_req *r);
void api_reservation_delete(struct api_req *r);

#endif
