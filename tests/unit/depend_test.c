/*
 * Job dependencies (core/depend.c): sbatch's texts parsed and normalised,
 * refused where they are wrong, each kind's verdict on the states of the
 * jobs it names, the whole dependency judged against a table of jobs, and
 * the cycle walk.
 */
#include <string.h>

#include "check.h"
#include "depend.h"

/* want: the normal form; error: a substring of the refusal. */
static const struct {
	const char *text;
	const char *want;
	const char *error;
} parses[] = {
    {"afterok:12:13,afterany:14", "afterany:14,afterok:12:13", NULL},
    {"afternotok:9", "afternotok:9", NULL},
    {"singleton", "singleton", NULL},
    {"singleton,afterok:3", "afterok:3,singleton", NULL},
    {"afterok:13:12:13,afterok:12", "afterok:12:13", NULL},
    {"after:7,afterok:5_3", "after:7,afterok:5_3", NULL},
    {"afterok:5_3:5", "afterok:5:5_3", NULL},
    {"", "", NULL},
    {"afterok", NULL, "':' and a job id expected at 8"},
    {"afterok:", NULL, "a job id expected at 9"},
    {"afterok:x", NULL, "dependency 'afterok:x': unexpected 'x' at 9"},
    {"afterok:0", NULL, "job id 0 at 9"},
    {"afterok:1,", NULL, "a kind (afterok, afterany, ...) expected at 11"},
    {"aftersome:1", NULL, "unknown kind 'aftersome' at 1"},
    {"afterok:1?afterany:2", NULL, "unexpected '?' at 10"},
    {"afterok:1_", NULL, "a task id expected at 11"},
    {"AFTEROK:1", NULL, "unexpected 'A' at 1"},
    {"afterok:12345678901234567", NULL, "number too large at 9"},
};

static int
t_parse(void)
{
	char err[256], out[DEPEND_TEXT_MAX];
	struct depend d;
	size_t i;

	for (i = 0; i < NELEM(parses); i++) {
		int rc;

		err[0] = '\0';
		rc = depend_parse(parses[i].text, &d, err, sizeof(err));
		if (parses[i].error != NULL) {
			CHECK(rc == -1, "row %zu: accepted", i);
			CHECK(strstr(err, parses[i].error) != NULL,
			    "row %zu: got '%s'", i, err);
			continue;
		}
		if (!CHECK(rc == 0, "row %zu: %s", i, err))
			continue;
		CHECK(depend_format(&d, out, sizeof(out)) == 0, "row %zu", i);
		CHECK(strcmp(out, parses[i].want) == 0, "row %zu: got '%s'", i,
		    out);
	}
	return 0;
}

/* Too many references, too long a text, a normal form that does not fit. */
static int
t_limits(void)
{
	char text[DEPEND_TEXT_MAX + 8], err[256], out[8];
	struct depend d;
	size_t n = 0;
	int i;

	n += (size_t)snprintf(text, sizeof(text), "afterok");
	for (i = 1; i <= DEPEND_REFS_MAX + 1; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, ":%d", i);
	CHECK(depend_parse(text, &d, err, sizeof(err)) == -1);
	CHECK(strstr(err, "more than 64 jobs") != NULL, "%s", err);
	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	CHECK(depend_parse(text, &d, err, sizeof(err)) == -1);
	CHECK(strstr(err, "longer than") != NULL, "%s", err);
	CHECK(depend_parse("afterok:123456", &d, err, sizeof(err)) == 0);
	CHECK(depend_format(&d, out, sizeof(out)) == -1);
	return 0;
}

enum { S, W, N }; /* satisfied, waiting, never */

/* One kind's verdict on counts {total, started, ok, notok}. */
static const struct {
	enum depend_kind kind;
	struct depend_counts c;
	int want;
} judges[] = {
    {DEPEND_AFTEROK, {1, 0, 0, 0}, W}, /* pending */
    {DEPEND_AFTEROK, {1, 1, 0, 0}, W}, /* running */
    {DEPEND_AFTEROK, {1, 1, 1, 0}, S}, /* completed */
    {DEPEND_AFTEROK, {1, 1, 0, 1}, N}, /* failed */
    {DEPEND_AFTEROK, {3, 3, 2, 0}, W}, /* an array, one task left */
    {DEPEND_AFTEROK, {3, 3, 1, 1}, N}, /* an array, one task failed */
    {DEPEND_AFTEROK, {0, 0, 0, 0}, N}, /* none */
    {DEPEND_AFTERANY, {1, 1, 0, 0}, W},
    {DEPEND_AFTERANY, {1, 1, 0, 1}, S},
    {DEPEND_AFTERANY, {2, 2, 1, 1}, S},
    {DEPEND_AFTERNOTOK, {1, 1, 1, 0}, N}, /* completed */
    {DEPEND_AFTERNOTOK, {1, 1, 0, 1}, S}, /* failed */
    {DEPEND_AFTERNOTOK, {1, 0, 0, 0}, W},
    {DEPEND_AFTERNOTOK, {2, 2, 1, 1}, S}, /* an array, one failed */
    {DEPEND_AFTERNOTOK, {2, 2, 1, 0}, W},
    {DEPEND_AFTER, {1, 0, 0, 0}, W},
    {DEPEND_AFTER, {1, 1, 0, 0}, S},
    {DEPEND_AFTER, {2, 1, 0, 0}, W},
};

static int
t_judge(void)
{
	size_t i;

	for (i = 0; i < NELEM(judges); i++)
		CHECK((int)depend_judge(judges[i].kind, &judges[i].c) ==
		          judges[i].want,
		    "row %zu", i);
	return 0;
}

/*
 * A table of jobs for the lookup: id, array job id (0 none), task id,
 * state ('P'ending, 'R'unning, 'C'ompleted, 'F'ailed, 'X' cancelled) and
 * its dependency text.
 */
static const struct fake {
	long long id, array;
	int task;
	char state;
	const char *dep;
} jobs[] = {
    {10, 0, -1, 'C', ""},
    {11, 0, -1, 'F', ""},
    {12, 0, -1, 'R', ""},
    {13, 0, -1, 'P', ""},
    {14, 0, -1, 'X', ""},
    {20, 20, 0, 'C', ""},
    {21, 20, 1, 'C', ""},
    {22, 20, 2, 'R', ""},
    {30, 0, -1, 'P', "afterok:31"},
    {31, 0, -1, 'P', "afterany:32"},
    {32, 0, -1, 'P', "afterok:20"},
};

static int singleton_busy_flag;

static int
match(const struct fake *f, long long job, int task)
{
	if (task >= 0)
		return f->array == job && f->task == task;
	return f->id == job || f->array == job;
}

static int
lookup(void *arg, int64_t job, int task, struct depend_counts *c)
{
	size_t i;

	(void)arg;
	for (i = 0; i < NELEM(jobs); i++) {
		if (!match(&jobs[i], job, task))
			continue;
		c->total++;
		c->started += jobs[i].state != 'P';
		c->ok += jobs[i].state == 'C';
		c->notok += jobs[i].state == 'F' || jobs[i].state == 'X';
	}
	return c->total > 0 ? 0 : -1;
}

static int
busy(void *arg)
{
	(void)arg;
	return singleton_busy_flag;
}

static void
resolve(void *arg, const struct depend_ref *r, void (*fn)(void *, int64_t),
    void *ctx)
{
	size_t i;

	(void)arg;
	for (i = 0; i < NELEM(jobs); i++)
		if (match(&jobs[i], r->job, r->task))
			fn(ctx, jobs[i].id);
}

static void
deps_of(void *arg, int64_t job, void (*fn)(void *, int64_t), void *ctx)
{
	char err[128];
	struct depend d;
	size_t i;
	int k;

	for (i = 0; i < NELEM(jobs); i++) {
		if (jobs[i].id != job ||
		    depend_parse(jobs[i].dep, &d, err, sizeof(err)) < 0)
			continue;
		for (k = 0; k < d.nrefs; k++)
			resolve(arg, &d.refs[k], fn, ctx);
	}
}

static const struct depend_env env = {lookup, busy, resolve, deps_of, NULL};

static const struct {
	const char *text;
	int busy;
	int want;
} evals[] = {
    {"afterok:10", 0, S},
    {"afterok:10:12", 0, W},
    {"afterok:10:11", 0, N},
    {"afterok:12,afternotok:10", 0, N}, /* never wins over waiting */
    {"afterany:11:14", 0, S},
    {"afternotok:14", 0, S},
    {"afterok:20", 0, W},   /* the array: one task running */
    {"afterok:20_1", 0, S}, /* one task */
    {"afterok:21", 0, S},   /* a task by its own id */
    {"after:20:12", 0, S},
    {"afterok:99", 0, N},   /* no such job */
    {"afterok:20_7", 0, N}, /* no such task */
    {"singleton", 0, S},
    {"singleton", 1, W},
    {"afterok:10,singleton", 1, W},
    {"afterok:11,singleton", 1, N},
    {"", 0, S},
};

static int
t_eval(void)
{
	char err[256];
	struct depend d;
	size_t i;

	for (i = 0; i < NELEM(evals); i++) {
		if (!CHECK(
		        depend_parse(evals[i].text, &d, err, sizeof(err)) == 0,
		        "row %zu: %s", i, err))
			continue;
		singleton_busy_flag = evals[i].busy;
		CHECK((int)depend_eval(&d, &env) == evals[i].want,
		    "row %zu: got %d", i, (int)depend_eval(&d, &env));
	}
	return 0;
}

/* Whether giving job `self` the dependency `text` closes a loop. */
static const struct {
	long long self;
	const char *text;
	int want;
	long long via;
} cycles[] = {
    {30, "afterok:30", 1, 30}, /* itself */
    {32, "afterok:30", 1, 31}, /* 32 -> 30 -> 31 -> 32 */
    {31, "afterok:32", 0, 0},  /* 32 leads to the array, not back */
    {21, "afterok:32", 1, 32}, /* 32 waits on array 20, of which 21 */
    {13, "afterok:30:10", 0, 0},
    {13, "", 0, 0},
};

static int
t_cycle(void)
{
	char err[256];
	struct depend d;
	int64_t via;
	size_t i;
	int rc;

	for (i = 0; i < NELEM(cycles); i++) {
		if (!CHECK(
		        depend_parse(cycles[i].text, &d, err, sizeof(err)) == 0,
		        "row %zu: %s", i, err))
			continue;
		via = 0;
		rc = depend_cycle(cycles[i].self, &d, &env, 100, &via);
		CHECK(rc == cycles[i].want, "row %zu: got %d", i, rc);
		CHECK(rc == 0 || via == cycles[i].via, "row %zu: via %lld", i,
		    (long long)via);
	}
	/* A walk past its limit counts as a loop, so it ends. */
	depend_parse("afterok:30", &d, err, sizeof(err));
	CHECK(depend_cycle(13, &d, &env, 2, &via) == 1);
	return 0;
}

int
main(void)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} t[] = {
	    {"parse", t_parse},
	    {"limits", t_limits},
	    {"judge", t_judge},
	    {"eval", t_eval},
	    {"cycle", t_cycle},
	};
	size_t i;

	for (i = 0; i < NELEM(t); i++)
		RUN_CASE(t[i].name, t[i].fn());
	return check_summary("depend_test");
}
