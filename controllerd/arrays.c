/*
 * Job arrays (see arrays.h). A task is a whole job row: copying the
 * checked first task N-1 times costs memory (about 4.5 KB a task, mostly
 * path buffers) but keeps every other module array-blind; the limit
 * ([scheduler] max_array_size) bounds it. The tasks go to the store in one
 * transaction (store_insert_jobs()), so an array is queued whole or not at
 * all, and a 1,000-task array costs one commit, not a thousand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrays.h"
#include "arrayspec.h"
#include "config.h"
#include "ctl.h"
#include "jobs.h"
#include "log.h"
#include "queue.h"

/* A copy of checked task j as another task of its array: no id, no
 * ranks, its own command text. NULL when out of memory. */
static struct job *
task_copy(const struct job *j, int task)
{
	struct job *c = job_new();
	char *command;

	if (c == NULL)
		return NULL;
	if ((command = strdup(j->command)) == NULL) {
		job_free(c);
		return NULL;
	}
	free(c->command);
	free(c->ranks);
	*c = *j;
	c->command = command;
	c->ranks = NULL;
	c->nranks = 0;
	c->id = 0;
	c->array_task_id = task;
	return c;
}

json_t *
arrays_submit(
    struct ctl_state *st, struct job *j, char *err, size_t errlen, int *status)
{
	struct arrayspec spec;
	struct job **v = NULL;
	json_t *reply = NULL;
	int i, rc, max = st->conf->max_array_size;

	*status = 400;
	rc = arrayspec_parse(j->array_spec, max, &spec, err, errlen);
	if (rc == -2)
		snprintf(err, errlen,
		    "array '%s' has more than %d tasks, the most this "
		    "controller allows in one array ([scheduler] "
		    "max_array_size)",
		    j->array_spec, max);
	if (rc < 0)
		return NULL;
	j->array_job_id = 0; /* the first task's id, once stored */
	j->array_task_id = spec.ids[0];
	j->array_max = spec.max_running;
	if (queue_admit(st, j, err, errlen, status) == -1)
		goto fail;
	*status = 500;
	if ((v = calloc((size_t)spec.n, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	v[0] = j;
	for (i = 1; i < spec.n; i++)
		if ((v[i] = task_copy(j, spec.ids[i])) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	if (queue_enqueue(st, v, spec.n, err, errlen, status) == -1)
		goto fail;
	log_info("array %lld: %d tasks '%s'", (long long)j->array_job_id,
	    spec.n, j->array_spec);
	reply = json_pack("{s:I,s:I,s:i}", "id", (json_int_t)j->id,
	    "array_job_id", (json_int_t)j->array_job_id, "tasks", spec.n);
	free(v);
	arrayspec_free(&spec);
	return reply;
fail:
	for (i = 1; v != NULL && i < spec.n; i++)
		job_free(v[i]);
	free(v);
	arrayspec_free(&spec);
	return NULL;
}

/* A pending array task of the list: its array, its task id, where the
 * list has it. */
struct member {
	int64_t array;
	int task;
	int pos;
};

static int
by_array(const void *a, const void *b)
{
	const struct member *x = a, *y = b;

	if (x->array != y->array)
		return x->array < y->array ? -1 : 1;
	return (x->task > y->task) - (x->task < y->task);
}

/* The collapsed entry of the pending tasks m[0..k-1] (sorted by task id),
 * shown as the job at v[first]. */
static json_t *
collapsed(struct ctl_state *st, const struct job *shown, const struct member *m,
    int k)
{
	json_t *o = queue_job_json(st, shown, 0);
	int *ids = calloc((size_t)k, sizeof(*ids));
	char *text = NULL;
	size_t len;
	int i;

	if (o == NULL || ids == NULL)
		goto fail;
	for (i = 0; i < k; i++)
		ids[i] = m[i].task;
	len = arrayspec_format(ids, k, shown->array_max, NULL, 0) + 1;
	if ((text = malloc(len)) == NULL)
		goto fail;
	arrayspec_format(ids, k, shown->array_max, text, len);
	json_object_set_new(o, "array", json_string(text));
	json_object_set_new(o, "array_tasks_pending", json_integer(k));
	json_object_set_new(o, "array_task_id", json_null());
	free(ids);
	free(text);
	return o;
fail:
	json_decref(o);
	free(ids);
	free(text);
	return NULL;
}

json_t *
arrays_list_json(struct ctl_state *st, struct job **v, int n, int expand)
{
	struct member *m = NULL;
	int *lead = NULL; /* per position: -1 own row, -2 skipped, else the
	                     first member of its group */
	int *size = NULL; /* per group start: members */
	json_t *a = json_array(), *o;
	int i, k, g, nm = 0;

	if (a == NULL)
		return NULL;
	if ((m = calloc((size_t)n + 1, sizeof(*m))) == NULL ||
	    (lead = calloc((size_t)n + 1, sizeof(*lead))) == NULL ||
	    (size = calloc((size_t)n + 1, sizeof(*size))) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		lead[i] = -1;
		if (!expand && v[i]->state == JOB_PENDING &&
		    v[i]->array_job_id != 0)
			m[nm++] = (struct member){
			    v[i]->array_job_id, v[i]->array_task_id, i};
	}
	qsort(m, (size_t)nm, sizeof(*m), by_array);
	for (g = 0; g < nm; g = k) {
		int first = m[g].pos;

		for (k = g; k < nm && m[k].array == m[g].array; k++)
			if (m[k].pos < first)
				first = m[k].pos;
		for (i = g; i < k; i++)
			lead[m[i].pos] = -2;
		lead[first] = g;
		size[g] = k - g;
	}
	for (i = 0; i < n; i++) {
		if (lead[i] == -2)
			continue;
		o = lead[i] == -1
		        ? queue_job_json(st, v[i], 0)
		        : collapsed(st, v[i], &m[lead[i]], size[lead[i]]);
		if (o == NULL || json_array_append_new(a, o) == -1)
			goto fail;
	}
	free(m);
	free(lead);
	free(size);
	return a;
fail:
	log_warnx("%s: out of memory", __func__);
	json_decref(a);
	free(m);
	free(lead);
	free(size);
	return NULL;
}

int
arrays_parse_ref(const char *s, int64_t *id, int *task)
{
	char *end;
	long long v;
	long t = -1;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoll(s, &end, 10);
	if (*end == '_') {
		if (end[1] < '0' || end[1] > '9')
			return -1;
		t = strtol(end + 1, &end, 10);
		if (t > ARRAYSPEC_ID_MAX)
			return -1;
	}
	if (*end != '\0' || v <= 0)
		return -1;
	*id = v;
	*task = (int)t;
	return 0;
}

struct job *
arrays_task(struct ctl_state *st, int64_t id, int task)
{
	int i;

	for (i = 0; i < st->jobs.n; i++)
		if (st->jobs.v[i]->array_job_id == id &&
		    st->jobs.v[i]->array_task_id == task)
			return st->jobs.v[i];
	return NULL;
}

int
arrays_cancel(struct ctl_state *st, int64_t id, int *count, char *err,
    size_t errlen, int *status)
{
	struct job **v;
	int i, n = 0, rc = -1;

	*count = 0;
	*status = 500;
	if ((v = calloc((size_t)st->jobs.n + 1, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < st->jobs.n; i++)
		if (st->jobs.v[i]->array_job_id == id &&
		    !job_ended(st->jobs.v[i]))
			v[n++] = st->jobs.v[i];
	if (n == 0) {
		*status = 409;
		snprintf(err, errlen, "every task of array %lld has ended",
		    (long long)id);
	} else if (queue_cancel_jobs(st, v, n, err, errlen) == 0) {
		*count = n;
		rc = 0;
	}
	free(v);
	return rc;
}
