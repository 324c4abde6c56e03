/*
 * The simulation runner of pod-fleetsim: see runner.h. An attempt is a
 * timer: `sleep N` lasts N s, anything else JOB_SIM_DEFAULT_S, and it
 * exits 0; a signal ends it at once, killed by that signal, as a real job
 * that honours SIGTERM would be. Nothing is written to disk: a fleet of
 * thousands of simulated nodes shares one machine's state_dir, and a
 * simulated job does not outlive its process anyway. Exactly-once still
 * holds within the process: a forgotten attempt leaves a tombstone here,
 * kept a day like pod-agentd's, so a repeated reply cannot start it again.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "jobdir.h"
#include "log.h"
#include "runner.h"
#include "timeutil.h"

#define SIM_TOMBSTONES_MAX 65536 /* forgotten attempts remembered */

struct sim_tomb {
	int64_t id;
	int attempt;
	int64_t forgotten_ms; /* wall clock */
};

struct sim {
	struct event_base *base; /* borrowed */
	runner_poke_cb poke;
	void *arg;
	struct sim_tomb *tomb; /* oldest first */
	size_t ntomb;
	size_t tomb_size;
};

/* A simulated attempt, j->rp. */
struct sim_job {
	struct sim *s;
	struct job *j;
	struct event *done;
	int ended;
	int signal;       /* 0: ran to its end */
	int64_t ended_ms; /* wall clock */
};

static int
sim_scan(void *ctx, int64_t now_ms,
    void (*cb)(void *arg, int64_t id, int attempt), void *arg)
{
	return 0;
}

static int
sim_adopt(void *ctx, struct job *j)
{
	return 0;
}

/* Simulated jobs die with their agent: the agent's own check fences them. */
static int
sim_lease(void *ctx, int64_t until_ms)
{
	return 0;
}

static int64_t
sim_lease_get(void *ctx)
{
	return 0;
}

static int
sim_claim(void *ctx, struct job *j)
{
	struct sim *s = ctx;
	size_t i;

	for (i = 0; i < s->ntomb; i++)
		if (s->tomb[i].id == j->spec.id &&
		    s->tomb[i].attempt == j->spec.attempt)
			return 0;
	return 1;
}

static void
on_done(evutil_socket_t fd, short what, void *arg)
{
	struct sim_job *sj = arg;

	sj->ended = 1;
	sj->ended_ms = time_wall_ms();
	sj->s->poke(sj->s->arg);
}

static int
sim_start(void *ctx, struct job *j, char *err, size_t errlen)
{
	struct sim *s = ctx;
	struct sim_job *sj;
	struct timeval tv;
	double d = job_sim_duration_s(&j->spec);

	if ((sj = calloc(1, sizeof(*sj))) == NULL ||
	    (sj->done = evtimer_new(s->base, on_done, sj)) == NULL) {
		free(sj);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	sj->s = s;
	sj->j = j;
	tv.tv_sec = (time_t)d;
	tv.tv_usec = (suseconds_t)((d - (double)tv.tv_sec) * 1e6);
	evtimer_add(sj->done, &tv);
	j->rp = sj;
	return 0;
}

static int
sim_poll(void *ctx, struct job *j, struct job_end *end)
{
	struct sim_job *sj = j->rp;

	if (sj == NULL || !sj->ended)
		return 0;
	memset(end, 0, sizeof(*end));
	end->cause = JOB_CAUSE_EXIT;
	end->exit_code = sj->signal ? -1 : 0;
	end->signal = sj->signal;
	end->ended_ms = sj->ended_ms;
	return 1;
}

static void
sim_signal(void *ctx, struct job *j, int sig)
{
	struct sim_job *sj = j->rp;

	if (sj == NULL || sj->ended)
		return;
	evtimer_del(sj->done);
	sj->ended = 1;
	sj->signal = sig;
	sj->ended_ms = time_wall_ms();
	sj->s->poke(sj->s->arg);
}

static int
sim_save(void *ctx, struct job *j)
{
	return 0;
}

static void
sim_forget(void *ctx, struct job *j, int64_t now_ms)
{
	struct sim *s = ctx;
	struct sim_tomb *t;
	size_t size;

	if (s->ntomb == SIM_TOMBSTONES_MAX) {
		log_warnx("%s: more than %d attempts forgotten in a day; the "
		          "oldest may start again",
		    __func__, SIM_TOMBSTONES_MAX);
		memmove(s->tomb, s->tomb + 1, (s->ntomb - 1) * sizeof(*t));
		s->ntomb--;
	}
	if (s->ntomb == s->tomb_size) {
		size = s->tomb_size ? s->tomb_size * 2 : 8;
		if ((t = realloc(s->tomb, size * sizeof(*t))) == NULL) {
			log_warn("%s: realloc", __func__);
			return;
		}
		s->tomb = t;
		s->tomb_size = size;
	}
	t = &s->tomb[s->ntomb++];
	t->id = j->spec.id;
	t->attempt = j->spec.attempt;
	t->forgotten_ms = now_ms;
}

static void
sim_housekeep(void *ctx, int64_t now_ms)
{
	struct sim *s = ctx;
	size_t n = 0;

	while (
	    n < s->ntomb && now_ms - s->tomb[n].forgotten_ms >= JOBDIR_KEEP_MS)
		n++;
	memmove(s->tomb, s->tomb + n, (s->ntomb - n) * sizeof(*s->tomb));
	s->ntomb -= n;
}

static void
sim_release(void *ctx, struct job *j)
{
	struct sim_job *sj = j->rp;

	if (sj == NULL)
		return;
	event_free(sj->done);
	free(sj);
	j->rp = NULL;
}

static void
sim_free(void *ctx)
{
	struct sim *s = ctx;

	if (s == NULL)
		return;
	free(s->tomb);
	free(s);
}

static const struct runner_ops sim_ops = {
    .scan = sim_scan,
    .adopt = sim_adopt,
    .claim = sim_claim,
    .lease = sim_lease,
    .lease_get = sim_lease_get,
    .start = sim_start,
    .poll = sim_poll,
    .signal = sim_signal,
    .save_stop = sim_save,
    .save_end = sim_save,
    .forget = sim_forget,
    .housekeep = sim_housekeep,
    .release = sim_release,
    .free = sim_free,
};

int
runner_sim_new(
    struct runner *r, struct event_base *base, runner_poke_cb poke, void *arg)
{
	struct sim *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warn("%s: calloc", __func__);
		return -1;
	}
	s->base = base;
	s->poke = poke;
	s->arg = arg;
	r->ops = &sim_ops;
	r->ctx = s;
	r->simulated = 1;
	return 0;
}
