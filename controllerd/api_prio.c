/*
 * The queue's priorities, as Slurm's sprio shows them: GET /priority (every
 * pending job, highest first, or one user's) and GET /jobs/{id}/priority
 * (one job): the weighted factors, their sum and the fair-share factor
 * behind them (see core/prio.h and docs/scheduler.md).
 */
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "apireq.h"
#include "config.h"
#include "ctl.h"
#include "jobs.h"
#include "jsonx.h"
#include "queue.h"
#include "tenancy.h"
#include "timeutil.h"

static json_t *
prio_json(const struct config *c, const struct job *j,
    const struct prio_factors *f, double fs, int64_t now_ms)
{
	json_t *o = json_object(), *fo = json_object();

	json_object_set_new(o, "id", json_integer(j->id));
	json_object_set_new(o, "user", json_string(j->user));
	json_object_set_new(o, "account", json_string(j->account));
	json_object_set_new(o, "qos", json_string(j->qos));
	json_object_set_new(o, "partition", json_string(j->partition));
	json_object_set_new(o, "state", json_string(job_state_name(j->state)));
	jsonx_set_real(o, "priority", f->total, 1);
	jsonx_set_real(fo, "age", f->age, 1);
	jsonx_set_real(fo, "fairshare", f->fairshare, 1);
	jsonx_set_real(fo, "jobsize", f->jobsize, 1);
	jsonx_set_real(fo, "qos", f->qos, 1);
	jsonx_set_real(fo, "operator", f->operator_, 1);
	json_object_set_new(o, "factors", fo);
	jsonx_set_real(o, "fairshare_factor", fs, 4);
	/* waited past starve_after_h: ahead of every job that has not */
	json_object_set_new(o, "starved",
	    json_boolean(
	        j->state == JOB_PENDING && c->starve_after_h > 0 &&
	        now_ms - j->submit_ms >= (int64_t)c->starve_after_h * 3600000));
	return o;
}

static int
by_total(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	double p = json_number_value(json_object_get(x, "priority"));
	double q = json_number_value(json_object_get(y, "priority"));
	int sx = json_is_true(json_object_get(x, "starved"));
	int sy = json_is_true(json_object_get(y, "starved"));

	if (sx != sy)
		return sx ? -1 : 1;
	if (p != q)
		return p > q ? -1 : 1;
	return json_integer_value(json_object_get(x, "id")) <
	               json_integer_value(json_object_get(y, "id"))
	           ? -1
	           : 1;
}

/* Replies with the factors of the n jobs v; 0, or -1 after an error
 * reply. */
static int
reply_factors(struct api_req *r, struct job *const *v, int n, int one)
{
	struct prio_factors *f = calloc(n + 1, sizeof(*f));
	double *fs = calloc(n + 1, sizeof(*fs));
	json_t **rows = calloc(n + 1, sizeof(*rows)), *a;
	const struct config *c = r->st->conf;
	int i, rc = -1;

	int64_t now = time_wall_ms();

	if (f == NULL || fs == NULL || rows == NULL ||
	    tenancy_factors(r->st, v, n, now, f, fs) == -1) {
		api_reply_error(r->req, 500, "internal", "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++)
		rows[i] = prio_json(c, v[i], &f[i], fs[i], now);
	if (one) {
		api_reply_json(r->req, 200, rows[0]);
		rc = 0;
		goto done;
	}
	qsort(rows, n, sizeof(*rows), by_total);
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, rows[i]);
	api_reply_json(r->req, 200,
	    json_pack("{s:o,s:{s:f,s:i,s:i,s:f,s:f,s:s,s:f,s:f,s:f}}", "jobs",
	        a, "weights", "age_per_h", c->age_weight_per_h, "age_cap_h",
	        c->age_cap_h, "starve_after_h", c->starve_after_h, "fairshare",
	        c->w_fairshare, "jobsize", c->w_jobsize, "jobsize_favor",
	        c->jobsize_favor_small ? "small" : "large", "qos", c->w_qos,
	        "operator", c->w_operator, "half_life_h", c->half_life_h));
	rc = 0;
done:
	free(f);
	free(fs);
	free(rows);
	return rc;
}

/* GET /priority?user=: the pending jobs' factors, highest first. */
void
api_priority(struct api_req *r)
{
	static const char *const allowed[] = {"user", NULL};
	struct jobs *t = &r->st->jobs;
	struct evkeyvalq q;
	const char *user;
	struct job **v = NULL;
	int i, n = 0;

	if (api_read_query(r->req, &q, allowed) == -1)
		goto done;
	user = evhttp_find_header(&q, "user");
	if ((v = calloc(t->n + 1, sizeof(*v))) == NULL) {
		api_reply_error(r->req, 500, "internal", "out of memory");
		goto done;
	}
	for (i = 0; i < t->n; i++)
		if (t->v[i]->state == JOB_PENDING &&
		    (user == NULL || strcmp(t->v[i]->user, user) == 0))
			v[n++] = t->v[i];
	(void)reply_factors(r, v, n, 0);
done:
	free(v);
	evhttp_clear_headers(&q);
}

/* GET /jobs/{id}/priority: one job's factors, pending or not. */
void
api_job_priority(struct api_req *r)
{
	struct job *loaded, *j;
	char *end;
	long long id = strtoll(r->args[0], &end, 10);

	if (*end != '\0' || id <= 0 ||
	    (j = queue_job(r->st, id, &loaded)) == NULL) {
		api_reply_error(
		    r->req, 404, "not_found", "no job '%s'", r->args[0]);
		return;
	}
	(void)reply_factors(r, &j, 1, 1);
	job_free(loaded);
}
