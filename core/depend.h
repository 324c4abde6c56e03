/*
 * Job dependencies as sbatch writes them: "afterok:12:13,afterany:14",
 * "afternotok:9", "after:7", "singleton", a comma between conditions that
 * must all hold. A job id names a job, or every task of an array when it
 * is the array's job id; "12_3" names task 3 of array 12.
 *
 * The text is parsed into references, normalised (each kind once, in a
 * fixed order, ids ascending and unique), and judged against what the
 * caller knows of the jobs named: satisfied, waiting, or never (afterok on
 * a job that failed, was cancelled, timed out or lost its node; afternotok
 * on one that completed). Pure: the caller answers for job states through
 * the callbacks of struct depend_env, so the controller can look in memory
 * and the store, and the tests in a table.
 */
#ifndef CORE_DEPEND_H
#define CORE_DEPEND_H

#include <stddef.h>
#include <stdint.h>

#define DEPEND_TEXT_MAX 512 /* bytes of the text, NUL in (job.dependency) */
#define DEPEND_REFS_MAX 64  /* job references in one dependency */

/* The kinds, in the order the normal form writes them. */
enum depend_kind {
	DEPEND_AFTER,      /* the job started (or ended without starting) */
	DEPEND_AFTERANY,   /* the job ended, however */
	DEPEND_AFTEROK,    /* the job completed (exit 0) */
	DEPEND_AFTERNOTOK, /* the job ended otherwise */
	DEPEND_NKINDS
};

struct depend_ref {
	enum depend_kind kind;
	int64_t job; /* job id, or an array's job id */
	int task;    /* -1: the job (or every task of the array); else task */
};

struct depend {
	struct depend_ref refs[DEPEND_REFS_MAX];
	int nrefs;
	int singleton; /* wait for older jobs of the same name and user */
};

/* What the caller knows of the jobs one reference names (one job, or the
 * tasks of an array). */
struct depend_counts {
	int total;   /* jobs named; 0: none known */
	int started; /* of those, that have started an attempt */
	int ok;      /* ended completed */
	int notok;   /* ended failed, cancelled, timeout or node_fail */
};

enum depend_verdict {
	DEPEND_SATISFIED,
	DEPEND_WAITING,
	DEPEND_NEVER, /* cannot be satisfied any more */
};

struct depend_env {
	/* Fills *c for job `job` (task -1) or task `task` of array `job`.
	 * Returns 0, or -1 when there is no such job. */
	int (*lookup)(
	    void *arg, int64_t job, int task, struct depend_counts *c);
	/* 1 when another job of the same name and user is running, or
	 * pending with an older id: a singleton waits. */
	int (*singleton_busy)(void *arg);
	/* For depend_cycle(): calls fn(ctx, id) for each job id that r
	 * names (every task of an array job id). NULL: no walking. */
	void (*resolve)(void *arg, const struct depend_ref *r,
	    void (*fn)(void *ctx, int64_t id), void *ctx);
	/* For depend_cycle(): calls fn(ctx, id) for each job id that the
	 * dependency of job `job` names, resolved as above. */
	void (*deps_of)(void *arg, int64_t job,
	    void (*fn)(void *ctx, int64_t id), void *ctx);
	void *arg;
};

/*
 * Parses `text` into *d. Empty text is no dependency. Refuses unknown
 * kinds, a kind without ids, bad ids, more than DEPEND_REFS_MAX references
 * and text of DEPEND_TEXT_MAX bytes or more, with a message in err naming
 * the 1-based column ("dependency 'afterok:x': a job id expected at 9").
 * Returns 0 or -1.
 */
int depend_parse(const char *text, struct depend *d, char *err, size_t errlen);
/* Writes the normal form of d ("afterany:14,afterok:12:13,singleton") in
 * buf[len]. Returns 0, or -1 when it does not fit. */
int depend_format(const struct depend *d, char *buf, size_t len);
/* The name of a kind ("afterok"). */
const char *depend_kind_name(enum depend_kind k);
/* The verdict of one kind on what is known of the jobs named. */
enum depend_verdict depend_judge(
    enum depend_kind k, const struct depend_counts *c);
/* The verdict on all of d: never when any reference can never be
 * satisfied (or names a job the lookup does not know), else waiting when
 * any waits or the singleton condition does, else satisfied. */
enum depend_verdict depend_eval(
    const struct depend *d, const struct depend_env *env);
/*
 * Whether d, the dependency of job `self`, leads back to self through the
 * dependencies of the jobs it names (env->resolve and env->deps_of), at
 * most `limit` jobs visited; a longer walk counts as a cycle, so that it
 * always ends. Returns 1 with the job whose dependency closes the loop in
 * *via (self when d names self), 0 when there is none, -1 out of memory.
 */
int depend_cycle(int64_t self, const struct depend *d,
    const struct depend_env *env, int limit, int64_t *via);

#endif
