/*
 * The REST API's agent side: a node's report (samples, job states, power
 * and guard), answered with its desired state, and the long poll an agent
 * holds to hear of a new desired state at once (docs/agent-protocol.md).
 * Routed by the table in api.c.
 *
 * One agent holds a node's name (core/holder.h): reports and long polls
 * from another boot id while the holder still reports are refused with
 * 409, logged once per episode, and fed to the duplicate_node alarm.
 * Before that, a request must carry the node's credential (nodeauth.c),
 * else it is refused with 401 or 403 and fed to the node_auth alarm.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "acct.h"
#include "api.h"
#include "apireq.h"
#include "ctl.h"
#include "envelope.h"
#include "fence.h"
#include "fleet.h"
#include "log.h"
#include "nodeauth.h"
#include "queue.h"
#include "selfstat.h"
#include "store.h"
#include "timeutil.h"
#include "wire.h"

/* Logs a report from an unknown agent once per name. */
static void
note_unknown(struct ctl_state *st, const char *name)
{
	int i;

	for (i = 0; i < st->nunknown; i++)
		if (strcmp(st->unknown[i], name) == 0)
			return;
	if (st->nunknown == CTL_MAX_UNKNOWN)
		return;
	log_warnx("report from unknown node '%s' refused (not in the "
	          "configured fabric)",
	    name);
	st->unknown[st->nunknown] = strdup(name);
	if (st->unknown[st->nunknown] != NULL)
		st->nunknown++;
}

/* 1 when boot is 1 to 16 hex digits, as the wire codec wants it. */
static int
valid_boot_id(const char *boot)
{
	size_t len = strlen(boot);

	return len >= 1 && len <= 16 &&
	       strspn(boot, "0123456789abcdefABCDEF") == len;
}

/*
 * Judges a report or long poll for n from boot id `boot`: 0 when it may
 * go on (its holder's, or a take-over), else -1, having answered 409 and
 * noted the refusal (one log line per episode, the alarm's input).
 */
static int
check_holder(struct api_req *r, struct node *n, const char *boot)
{
	struct ctl_state *st = r->st;
	int64_t mono = time_mono_ms(), now = time_wall_ms(), silent_s;

	/* an agent asked to report less often is silent for longer */
	if (fleet_judge_boot(st->fleet, n, boot, mono,
	        (int64_t)st->conf->heartbeat_timeout_s * 1000 +
	            selfstat_silence_ms(st->self, mono)) != HOLDER_REFUSE)
		return 0;
	silent_s = fleet_node_silent_ms(st->fleet, n, mono) / 1000;
	if (silent_s < 0)
		silent_s = 0;
	if (holder_refused(&n->intruder, boot, n->last_seen_ms, now))
		log_warnx("node %s: reports from boot id %s (at %s) refused: "
		          "the node is held by boot id %s, which reported "
		          "%lld s ago (a second agent or another host with "
		          "this name; a restarted agent takes over once the "
		          "old one is silent for %d s)",
		    n->name, boot, r->who, n->boot_id, (long long)silent_s,
		    st->conf->heartbeat_timeout_s);
	api_reply_error(r->req, 409, "conflict",
	    "%s is held by another agent (boot id %s, last report %lld s "
	    "ago); this agent's boot id is %s",
	    n->name, n->boot_id, (long long)silent_s, boot);
	return -1;
}

static void
queue_sample(struct node *n, const struct report_sample *s, void *arg)
{
	struct ctl_state *st = arg;
	int64_t every_ms = (int64_t)st->conf->store_interval_s * 1000;

	if (s->t_ms - n->stored_t_ms < every_ms && s->t_ms >= n->stored_t_ms)
		return;
	store_queue_sample(st->store, n, s);
	n->stored_t_ms = s->t_ms;
}

/*
 * Answers an agent with node n's desired state: the reply to report rep
 * (acknowledgement, attempts to kill, desired state), or the desired
 * state alone when rep is NULL. An attempt rep says runs that the desired
 * state does not list was superseded (requeued, ended, unknown): the
 * reply says "kill it" (docs/fencing.md).
 */
static void
reply_desired(struct evhttp_request *req, struct ctl_state *st,
    const struct node *n, const struct report *rep)
{
	struct reply *rp = calloc(1, sizeof(*rp));
	json_t *o = NULL;
	int i;

	if (rp != NULL && queue_desired_fill(st, n, &rp->desired) == 0) {
		rp->has_desired = 1;
		rp->ack_seq = n->ack_seq;
		if (rep != NULL)
			rp->nkill = fence_superseded(rep->jobs, rep->njobs,
			    rp->desired.jobs, rp->desired.njobs, rp->kill,
			    REPLY_MAX_KILLS);
		for (i = 0; i < rp->nkill; i++)
			log_warnx("node %s reports job %lld.%d running, which "
			          "was superseded: answered kill it",
			    n->name, (long long)rp->kill[i].id,
			    rp->kill[i].attempt);
		/* back-pressure: the interval asked rides on every reply */
		rp->report_interval_ms =
		    st->self != NULL ? st->self->ask_ms : 0;
		/* the inventory only when this boot's is not held */
		rp->want_inventory = fleet_wants_inventory(n);
		o = rep != NULL ? wire_reply_encode(rp)
		                : wire_desired_encode(&rp->desired);
		wire_reply_free(rp);
	}
	free(rp);
	if (o == NULL) {
		api_reply_error(req, 500, "internal", "out of memory");
		return;
	}
	api_reply_json(req, 200, o);
}

/*
 * Counts an accepted report of n before it is applied (selfstat.h):
 * samples new, duplicate and lost by seq against what n holds, and the
 * newest sample's age at receipt now_ms (wall).
 */
static void
count_report(struct ctl_state *st, const struct node *n,
    const struct report *rep, int64_t now_ms, int64_t mono_ms)
{
	int64_t seqs[REPORT_MAX_SAMPLES], newest_ms = 0;
	int i, k;

	selfstat_count(&st->self->reports_accepted, mono_ms, 1);
	for (i = k = 0; i < rep->nsamples && k < REPORT_MAX_SAMPLES; i++) {
		seqs[k++] = rep->samples[i].seq;
		if (rep->samples[i].t_ms > newest_ms)
			newest_ms = rep->samples[i].t_ms;
	}
	selfstat_report(st->self, mono_ms, (int)(n - st->fleet->nodes),
	    strcmp(n->boot_id, rep->boot_id) == 0, n->ack_seq, seqs, k,
	    rep->dropped_samples);
	if (newest_ms > 0)
		selfstat_wobserve(&st->self->sample_delay_s, mono_ms,
		    now_ms > newest_ms ? (now_ms - newest_ms) / 1000.0 : 0);
}

/*
 * Decodes r's body into rep: the common report straight from its text
 * (wire_scan.c), anything else, and every error, the Jansson way. 0, or
 * -1 having replied 400 or 413.
 */
static int
read_report(struct api_req *r, const struct node *n, struct report *rep)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
	size_t len = evbuffer_get_length(in);
	json_t *body;
	char err[256];

	if (len > 0 && len <= API_MAX_BODY &&
	    wire_report_scan((const char *)evbuffer_pullup(in, -1), len, rep) ==
	        1)
		return 0;
	if ((body = api_read_body(r->req)) == NULL)
		return -1;
	if (wire_report_decode(body, rep, err, sizeof(err)) == -1) {
		log_debug("report from %s refused: %s", n->name, err);
		api_reply_error(r->req, 400, "bad_request", "report: %s", err);
		json_decref(body);
		return -1;
	}
	json_decref(body);
	return 0;
}

/* A report refused: counted (pod_ingest_reports_total). */
static void
count_refused(struct ctl_state *st)
{
	if (st->self != NULL)
		selfstat_count(&st->self->reports_refused, time_mono_ms(), 1);
}

void
api_report(struct api_req *r)
{
	struct node *n = fleet_node(r->st->fleet, r->args[0]);
	struct report rep;
	double t0 = selfstat_clock_s();

	if (n == NULL) {
		note_unknown(r->st, r->args[0]);
		count_refused(r->st);
		api_reply_error(
		    r->req, 404, "not_found", "no node '%s'", r->args[0]);
		return;
	}
	if (read_report(r, n, &rep) == -1) {
		count_refused(r->st);
		return;
	}
	if (check_holder(r, n, rep.boot_id) == -1) {
		count_refused(r->st);
		wire_report_free(&rep);
		return;
	}
	if (r->st->self != NULL)
		count_report(r->st, n, &rep, time_wall_ms(), time_mono_ms());
	/* A pod returning at once logs a few lines and a count per tick. */
	if (fleet_apply_report(r->st->fleet, n, &rep, time_wall_ms(),
	        time_mono_ms(), queue_sample, r->st) &&
	    r->st->up_logged++ < 8)
		log_info("node %s is up (agent %s, boot %s)", n->name,
		    n->agent_version[0] ? n->agent_version : "?", n->boot_id);
	queue_report(r->st, n, &rep);
	envelope_report(r->st, n, &rep);
	acct_sample(r->st, (int)(n - r->st->fleet->nodes));
	reply_desired(r->req, r->st, n, &rep);
	wire_report_free(&rep);
	if (r->st->self != NULL)
		selfstat_wobserve(&r->st->self->report_s, time_mono_ms(),
		    selfstat_clock_s() - t0);
}

/* ---- desired state, long-polled ---- */

/*
 * Held GET /agents/NODE/desired requests. Each is on two lists: its
 * node's (by_node[i]), walked when the node's desired version moves
 * (api_desired_wake(), from queue_bump()), and one list of all in
 * deadline order, whose head arms the one timer that answers the waits
 * that ran out. A wake only marks the node; one event answers the marked
 * nodes' polls after the change is complete (a scheduling pass, a
 * report's commit), so 12,800 held polls cost nothing until their node's
 * state moves. An agent that hangs up first is dropped unanswered by the
 * connection's close callback.
 */
struct parked {
	struct ctl_state *st;
	struct evhttp_request *req;
	struct evhttp_connection *conn;
	int node;                     /* index into the fleet's nodes */
	int64_t version;              /* the version the agent has */
	int64_t deadline_ms;          /* monotonic */
	struct parked *prev, *next;   /* all, by deadline */
	struct parked *nprev, *nnext; /* the node's */
};

struct parking {
	struct parked **by_node; /* nnodes list heads */
	unsigned char *marked;   /* nnodes flags: version moved */
	int *woken;              /* the marked nodes, in order */
	int nwoken;
	int nnodes;
	struct parked *head, *tail; /* all, by deadline */
	struct event *deadline;     /* at head's deadline */
	struct event *wake;         /* answers the marked nodes' polls */
};

static void parking_wake(evutil_socket_t fd, short ev, void *arg);
static void parking_deadline(evutil_socket_t fd, short ev, void *arg);

static void
parking_free(struct parking *pk)
{
	if (pk == NULL)
		return;
	if (pk->deadline != NULL)
		event_free(pk->deadline);
	if (pk->wake != NULL)
		event_free(pk->wake);
	free(pk->by_node);
	free(pk->marked);
	free(pk->woken);
	free(pk);
}

/* st's parking, made on first use; NULL (logged) out of memory. */
static struct parking *
parking_get(struct ctl_state *st)
{
	struct parking *pk = st->park;
	int n = st->fleet->nnodes;

	if (pk != NULL)
		return pk;
	if ((pk = calloc(1, sizeof(*pk))) == NULL ||
	    (pk->by_node = calloc(n + 1, sizeof(*pk->by_node))) == NULL ||
	    (pk->marked = calloc(n + 1, 1)) == NULL ||
	    (pk->woken = calloc(n + 1, sizeof(*pk->woken))) == NULL ||
	    (pk->deadline = evtimer_new(st->base, parking_deadline, st)) ==
	        NULL ||
	    (pk->wake = event_new(st->base, -1, 0, parking_wake, st)) == NULL) {
		log_warnx("%s: out of memory", __func__);
		parking_free(pk);
		return NULL;
	}
	pk->nnodes = n;
	st->park = pk;
	return pk;
}

/* Arms the deadline timer at the earliest deadline, or disarms it. */
static void
parking_arm(struct parking *pk)
{
	struct timeval tv;
	int64_t ms;

	if (pk->head == NULL) {
		evtimer_del(pk->deadline);
		return;
	}
	ms = pk->head->deadline_ms - time_mono_ms();
	if (ms < 0)
		ms = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(pk->deadline, &tv);
}

static void
unpark(struct parked *p)
{
	struct ctl_state *st = p->st;
	struct parking *pk = st->park;
	int rearm = pk->head == p;

	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		pk->head = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	else
		pk->tail = p->prev;
	if (p->nprev != NULL)
		p->nprev->nnext = p->nnext;
	else
		pk->by_node[p->node] = p->nnext;
	if (p->nnext != NULL)
		p->nnext->nprev = p->nprev;
	st->nparked--;
	evhttp_connection_set_closecb(p->conn, NULL, NULL);
	free(p);
	if (rearm)
		parking_arm(pk);
}

static void
parked_closed(struct evhttp_connection *conn, void *arg)
{
	unpark(arg);
}

/* Answers p with its node's desired state now, and lets it go. */
static void
parked_answer(struct parked *p)
{
	reply_desired(p->req, p->st, &p->st->fleet->nodes[p->node], NULL);
	unpark(p);
}

static void
parking_deadline(evutil_socket_t fd, short ev, void *arg)
{
	struct ctl_state *st = arg;
	struct parking *pk = st->park;
	int64_t now = time_mono_ms();

	while (pk->head != NULL && pk->head->deadline_ms <= now)
		parked_answer(pk->head);
	parking_arm(pk);
}

static void
parking_wake(evutil_socket_t fd, short ev, void *arg)
{
	struct ctl_state *st = arg;
	struct parking *pk = st->park;
	struct parked *p, *next;
	int i, k;

	for (i = 0; i < pk->nwoken; i++) {
		k = pk->woken[i];
		pk->marked[k] = 0;
		for (p = pk->by_node[k]; p != NULL; p = next) {
			next = p->nnext;
			if (st->fleet->nodes[k].desired_version != p->version)
				parked_answer(p);
		}
	}
	pk->nwoken = 0;
}

void
api_desired_wake(struct ctl_state *st, const struct node *n)
{
	struct parking *pk = st->park;
	int k;

	if (pk == NULL)
		return;
	k = (int)(n - st->fleet->nodes);
	if (k < 0 || k >= pk->nnodes || pk->by_node[k] == NULL || pk->marked[k])
		return;
	pk->marked[k] = 1;
	pk->woken[pk->nwoken++] = k;
	if (pk->nwoken == 1)
		event_active(pk->wake, EV_TIMEOUT, 0);
}

/* Holds r for node n until n's version moves past `version` or wait_s
 * run out. 0, or -1 (logged) when it cannot be held. */
static int
park(struct api_req *r, struct node *n, int64_t version, long long wait_s)
{
	struct ctl_state *st = r->st;
	struct parking *pk;
	struct parked *p, *q;

	if (st->nparked >= API_MAX_PARKED || (pk = parking_get(st)) == NULL)
		return -1;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return -1;
	}
	p->st = st;
	p->req = r->req;
	p->conn = evhttp_request_get_connection(r->req);
	p->node = (int)(n - st->fleet->nodes);
	p->version = version;
	p->deadline_ms = time_mono_ms() + wait_s * 1000;
	/* by deadline: from the tail, where an equal wait lands at once */
	for (q = pk->tail; q != NULL && q->deadline_ms > p->deadline_ms;
	     q = q->prev)
		;
	p->prev = q;
	p->next = q != NULL ? q->next : pk->head;
	if (p->next != NULL)
		p->next->prev = p;
	else
		pk->tail = p;
	if (q != NULL)
		q->next = p;
	else
		pk->head = p;
	p->nnext = pk->by_node[p->node];
	if (p->nnext != NULL)
		p->nnext->nprev = p;
	pk->by_node[p->node] = p;
	evhttp_connection_set_closecb(p->conn, parked_closed, p);
	st->nparked++;
	if (pk->head == p)
		parking_arm(pk);
	return 0;
}

void
api_desired(struct api_req *r)
{
	static const char *const allowed[] = {
	    "version", "wait", "boot_id", NULL};
	struct node *n = fleet_node(r->st->fleet, r->args[0]);
	struct evkeyvalq q;
	const char *v, *w, *b;
	long long version = -1, wait_s = 0;
	char *end;

	if (api_read_query(r->req, &q, allowed) == -1)
		goto done;
	if (n == NULL) {
		api_reply_error(
		    r->req, 404, "not_found", "no node '%s'", r->args[0]);
		goto done;
	}
	v = evhttp_find_header(&q, "version");
	w = evhttp_find_header(&q, "wait");
	b = evhttp_find_header(&q, "boot_id");
	if (v != NULL && ((version = strtoll(v, &end, 10)) < 0 || *end)) {
		api_reply_error(r->req, 400, "bad_request",
		    "version must be a non-negative integer");
		goto done;
	}
	if (w != NULL && ((wait_s = strtoll(w, &end, 10)) < 0 || *end ||
	                     wait_s > API_MAX_WAIT_S)) {
		api_reply_error(r->req, 400, "bad_request",
		    "wait must be 0 to %d seconds", API_MAX_WAIT_S);
		goto done;
	}
	if (b != NULL && !valid_boot_id(b)) {
		api_reply_error(r->req, 400, "bad_request",
		    "boot_id must be 1 to 16 hex digits");
		goto done;
	}
	if (b != NULL && check_holder(r, n, b) == -1)
		goto done;
	if (version != n->desired_version && v != NULL)
		wait_s = 0;
	if (wait_s == 0 || park(r, n, version, wait_s) == -1)
		reply_desired(r->req, r->st, n, NULL);
done:
	evhttp_clear_headers(&q);
}

void
api_agents_stop(struct ctl_state *st)
{
	struct parking *pk = st->park;

	if (pk == NULL)
		return;
	while (pk->head != NULL)
		unpark(pk->head);
	parking_free(pk);
	st->park = NULL;
}
