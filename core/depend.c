/*
 * Job dependencies (see depend.h). The parser keeps references in a fixed
 * array (DEPEND_REFS_MAX), sorted into the normal form once read, so that
 * two spellings of one dependency store and compare alike. The verdict of
 * one reference is a function of four counts; the cycle walk is a
 * breadth-first search over job ids with a visit cap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depend.h"

/* The kinds by name; "singleton" is no kind but a flag. */
static const char *const kind_names[DEPEND_NKINDS] = {
    [DEPEND_AFTER] = "after",
    [DEPEND_AFTERANY] = "afterany",
    [DEPEND_AFTEROK] = "afterok",
    [DEPEND_AFTERNOTOK] = "afternotok",
};

#define JOB_ID_MAX 999999999999999LL /* more digits than any id in use */

struct parser {
	const char *text;
	size_t at;
	char *err;
	size_t errlen;
};

const char *
depend_kind_name(enum depend_kind k)
{
	return k >= 0 && k < DEPEND_NKINDS ? kind_names[k] : "?";
}

/* "dependency 'TEXT': WHAT at COL" for index `at`; returns -1. */
static int
fail_at(struct parser *p, size_t at, const char *what)
{
	snprintf(p->err, p->errlen, "dependency '%s': %s at %zu", p->text, what,
	    at + 1);
	return -1;
}

static int
unexpected(struct parser *p, const char *wanted)
{
	unsigned char c = (unsigned char)p->text[p->at];
	char what[64];

	if (c == '\0')
		snprintf(what, sizeof(what), "%s expected", wanted);
	else if (c >= 0x20 && c < 0x7f)
		snprintf(what, sizeof(what), "unexpected '%c'", c);
	else
		snprintf(what, sizeof(what), "unexpected byte 0x%02x", c);
	return fail_at(p, p->at, what);
}

/* A decimal number at p->at, at most max. 0 or -1. */
static int
number(struct parser *p, long long max, long long *v, const char *wanted)
{
	size_t start = p->at;
	long long n = 0;

	if (p->text[p->at] < '0' || p->text[p->at] > '9')
		return unexpected(p, wanted);
	while (p->text[p->at] >= '0' && p->text[p->at] <= '9') {
		n = n * 10 + (p->text[p->at] - '0');
		if (n > max)
			return fail_at(p, start, "number too large");
		p->at++;
	}
	*v = n;
	return 0;
}

/* One condition at p->at: "singleton" or KIND:ID[:ID...]. 0 or -1. */
static int
condition(struct parser *p, struct depend *d)
{
	size_t start = p->at, wlen;
	char what[80];
	int k;

	while ((p->text[p->at] >= 'a' && p->text[p->at] <= 'z'))
		p->at++;
	wlen = p->at - start;
	if (wlen == 0)
		return unexpected(p, "a kind (afterok, afterany, ...)");
	if (wlen == 9 && strncmp(p->text + start, "singleton", 9) == 0) {
		d->singleton = 1;
		return 0;
	}
	for (k = 0; k < DEPEND_NKINDS; k++)
		if (strlen(kind_names[k]) == wlen &&
		    strncmp(p->text + start, kind_names[k], wlen) == 0)
			break;
	if (k == DEPEND_NKINDS) {
		snprintf(what, sizeof(what), "unknown kind '%.*s'", (int)wlen,
		    p->text + start);
		return fail_at(p, start, what);
	}
	if (p->text[p->at] != ':')
		return unexpected(p, "':' and a job id");
	while (p->text[p->at] == ':') {
		struct depend_ref *r;
		long long id, task = -1;
		size_t at = ++p->at;

		if (number(p, JOB_ID_MAX, &id, "a job id") < 0)
			return -1;
		if (id == 0)
			return fail_at(p, at, "job id 0");
		if (p->text[p->at] == '_') {
			p->at++;
			if (number(p, 999999999, &task, "a task id") < 0)
				return -1;
		}
		if (d->nrefs == DEPEND_REFS_MAX) {
			snprintf(what, sizeof(what), "more than %d jobs",
			    DEPEND_REFS_MAX);
			return fail_at(p, at, what);
		}
		r = &d->refs[d->nrefs++];
		r->kind = (enum depend_kind)k;
		r->job = id;
		r->task = (int)task;
	}
	return 0;
}

static int
cmp_ref(const void *a, const void *b)
{
	const struct depend_ref *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->job != y->job)
		return x->job < y->job ? -1 : 1;
	return (x->task > y->task) - (x->task < y->task);
}

int
depend_parse(const char *text, struct depend *d, char *err, size_t errlen)
{
	struct parser p = {text, 0, err, errlen};
	int i, n;

	memset(d, 0, sizeof(*d));
	if (strlen(text) >= DEPEND_TEXT_MAX) {
		snprintf(err, errlen, "dependency: longer than %d characters",
		    DEPEND_TEXT_MAX - 1);
		return -1;
	}
	if (text[0] == '\0')
		return 0;
	for (;;) {
		if (condition(&p, d) < 0)
			return -1;
		if (text[p.at] != ',')
			break;
		p.at++;
	}
	if (text[p.at] != '\0')
		return unexpected(&p, "',' or the end");
	qsort(d->refs, (size_t)d->nrefs, sizeof(d->refs[0]), cmp_ref);
	for (i = 0, n = 0; i < d->nrefs; i++)
		if (n == 0 || cmp_ref(&d->refs[n - 1], &d->refs[i]) != 0)
			d->refs[n++] = d->refs[i];
	d->nrefs = n;
	return 0;
}

int
depend_format(const struct depend *d, char *buf, size_t len)
{
	size_t used = 0;
	int i, k;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	for (i = 0; i < d->nrefs; i++) {
		const struct depend_ref *r = &d->refs[i];
		int first = i == 0 || d->refs[i - 1].kind != r->kind;

		k = snprintf(buf + used, len - used, "%s%s:%lld",
		    first && i > 0 ? "," : "", first ? kind_names[r->kind] : "",
		    (long long)r->job);
		if (k >= 0 && (size_t)k < len - used && r->task >= 0) {
			used += (size_t)k;
			k = snprintf(buf + used, len - used, "_%d", r->task);
		}
		if (k < 0 || (size_t)k >= len - used)
			return -1;
		used += (size_t)k;
	}
	if (d->singleton) {
		k = snprintf(buf + used, len - used, "%ssingleton",
		    d->nrefs > 0 ? "," : "");
		if (k < 0 || (size_t)k >= len - used)
			return -1;
	}
	return 0;
}

enum depend_verdict
depend_judge(enum depend_kind k, const struct depend_counts *c)
{
	int ended = c->ok + c->notok;

	if (c->total <= 0)
		return DEPEND_NEVER;
	switch (k) {
	case DEPEND_AFTER:
		return c->started >= c->total ? DEPEND_SATISFIED
		                              : DEPEND_WAITING;
	case DEPEND_AFTERANY:
		return ended >= c->total ? DEPEND_SATISFIED : DEPEND_WAITING;
	case DEPEND_AFTEROK:
		if (c->notok > 0)
			return DEPEND_NEVER;
		return c->ok >= c->total ? DEPEND_SATISFIED : DEPEND_WAITING;
	case DEPEND_AFTERNOTOK:
		if (c->ok >= c->total)
			return DEPEND_NEVER;
		return ended >= c->total ? DEPEND_SATISFIED : DEPEND_WAITING;
	default:
		return DEPEND_NEVER;
	}
}

enum depend_verdict
depend_eval(const struct depend *d, const struct depend_env *env)
{
	enum depend_verdict v = DEPEND_SATISFIED;
	int i;

	for (i = 0; i < d->nrefs; i++) {
		struct depend_counts c = {0, 0, 0, 0};
		enum depend_verdict one;

		if (env->lookup(env->arg, d->refs[i].job, d->refs[i].task, &c) <
		    0)
			return DEPEND_NEVER;
		one = depend_judge(d->refs[i].kind, &c);
		if (one == DEPEND_NEVER)
			return DEPEND_NEVER;
		if (one == DEPEND_WAITING)
			v = DEPEND_WAITING;
	}
	if (d->singleton && env->singleton_busy != NULL &&
	    env->singleton_busy(env->arg))
		v = DEPEND_WAITING;
	return v;
}

/* The walk of depend_cycle(): job ids seen, in the order met; those from
 * `next` on have not had their dependencies read yet. */
struct walk {
	int64_t self;
	int64_t *seen;
	int n, limit;
	int64_t from; /* the job whose dependency is being read */
	int found;    /* reached self */
	int overflow; /* more than limit jobs */
	int64_t via;  /* the job whose dependency named self */
};

static void
visit(void *ctx, int64_t id)
{
	struct walk *w = ctx;
	int i;

	if (w->found || w->overflow)
		return;
	if (id == w->self) {
		w->found = 1;
		w->via = w->from;
		return;
	}
	for (i = 0; i < w->n; i++)
		if (w->seen[i] == id)
			return;
	if (w->n == w->limit) {
		w->overflow = 1;
		w->via = w->from;
		return;
	}
	w->seen[w->n++] = id;
}

int
depend_cycle(int64_t self, const struct depend *d, const struct depend_env *env,
    int limit, int64_t *via)
{
	struct walk w = {self, NULL, 0, limit, self, 0, 0, 0};
	int i, next = 0;

	if (env->resolve == NULL || env->deps_of == NULL || limit <= 0)
		return 0;
	w.seen = malloc((size_t)limit * sizeof(*w.seen));
	if (w.seen == NULL)
		return -1;
	for (i = 0; i < d->nrefs; i++)
		env->resolve(env->arg, &d->refs[i], visit, &w);
	while (!w.found && !w.overflow && next < w.n) {
		w.from = w.seen[next++];
		env->deps_of(env->arg, w.from, visit, &w);
	}
	free(w.seen);
	if (w.found || w.overflow) {
		*via = w.via;
		return 1;
	}
	return 0;
}
