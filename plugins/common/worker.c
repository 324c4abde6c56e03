/*
 * A plugin's I/O thread (worker.h): a timer loop on a condition variable,
 * so that worker_free() wakes it at once, and a bounded queue of log lines
 * that the host's thread drains.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "worker.h"

#define WORKER_LOGQ_MAX    32  /* lines the thread may queue */
#define WORKER_LOGLINE_MAX 256 /* one line, NUL included */

struct worker_line {
	enum pod_log_level level;
	char text[WORKER_LOGLINE_MAX];
};

struct worker {
	worker_fn fn;
	void *arg; /* borrowed */
	int period_ms;
	pthread_t thread;
	pthread_mutex_t mu; /* the plugin's readings, stop, the queue */
	pthread_mutex_t qmu;
	pthread_cond_t cv; /* signalled by worker_free() and after a poll */
	int stop;          /* under qmu */
	int polls;         /* under qmu: polls returned */
	struct worker_line q[WORKER_LOGQ_MAX];
	int nq;       /* under qmu */
	int qdropped; /* under qmu: lines that did not fit */
};

/* The monotonic clock as a deadline ms from now, for the condvar (which
 * is set to CLOCK_MONOTONIC). */
static void
worker_deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int
worker_sleep(struct worker *w, int ms)
{
	struct timespec ts;
	int stop;

	worker_deadline(&ts, ms > 0 ? ms : 0);
	pthread_mutex_lock(&w->qmu);
	while (!w->stop &&
	       pthread_cond_timedwait(&w->cv, &w->qmu, &ts) != ETIMEDOUT)
		;
	stop = w->stop;
	pthread_mutex_unlock(&w->qmu);
	return stop;
}

int
worker_wait_first(struct worker *w, int timeout_ms)
{
	struct timespec ts;
	int done;

	worker_deadline(&ts, timeout_ms > 0 ? timeout_ms : 0);
	pthread_mutex_lock(&w->qmu);
	while (w->polls == 0 && !w->stop &&
	       pthread_cond_timedwait(&w->cv, &w->qmu, &ts) != ETIMEDOUT)
		;
	done = w->polls > 0;
	pthread_mutex_unlock(&w->qmu);
	return done;
}

int
worker_stopping(struct worker *w)
{
	int stop;

	pthread_mutex_lock(&w->qmu);
	stop = w->stop;
	pthread_mutex_unlock(&w->qmu);
	return stop;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	int64_t start, left;

	while (!worker_stopping(w)) {
		start = pod_clock_ms(CLOCK_MONOTONIC);
		w->fn(w, w->arg);
		pthread_mutex_lock(&w->qmu);
		w->polls++;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->qmu);
		left = w->period_ms - (pod_clock_ms(CLOCK_MONOTONIC) - start);
		if (worker_sleep(w, left > 0 ? (int)left : 0))
			break;
	}
	return NULL;
}

struct worker *
worker_new(int period_ms, worker_fn fn, void *arg)
{
	struct worker *w;
	pthread_condattr_t ca;
	int err;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->fn = fn;
	w->arg = arg;
	w->period_ms = period_ms > 0 ? period_ms : 1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_mutex_init(&w->qmu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	if ((err = pthread_create(&w->thread, NULL, worker_main, w)) != 0) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->qmu);
		pthread_mutex_destroy(&w->mu);
		free(w);
		errno = err;
		return NULL;
	}
	return w;
}

void
worker_free(struct worker *w, const struct pod_host *host)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->qmu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->qmu);
	pthread_join(w->thread, NULL);
	if (host != NULL)
		worker_flush(w, host);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->qmu);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

void
worker_lock(struct worker *w)
{
	pthread_mutex_lock(&w->mu);
}

void
worker_unlock(struct worker *w)
{
	pthread_mutex_unlock(&w->mu);
}

static void
worker_vlog(
    struct worker *w, enum pod_log_level level, const char *fmt, va_list ap)
{
	struct worker_line *l;

	pthread_mutex_lock(&w->qmu);
	if (w->nq == WORKER_LOGQ_MAX) {
		w->qdropped++;
	} else {
		l = &w->q[w->nq++];
		l->level = level;
		vsnprintf(l->text, sizeof(l->text), fmt, ap);
	}
	pthread_mutex_unlock(&w->qmu);
}

void
worker_log(struct worker *w, enum pod_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	worker_vlog(w, level, fmt, ap);
	va_end(ap);
}

void
worker_trouble(struct worker *w, struct pod_said *said, const char *fmt, ...)
{
	char why[sizeof(said->why)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (pod_said_new(said, why))
		worker_log(w, POD_LOG_WARN, "%s", why);
}

void
worker_fine(struct worker *w, struct pod_said *said, const char *fmt, ...)
{
	va_list ap;

	if (!pod_said_clear(said))
		return;
	va_start(ap, fmt);
	worker_vlog(w, POD_LOG_INFO, fmt, ap);
	va_end(ap);
}

void
worker_flush(struct worker *w, const struct pod_host *host)
{
	struct worker_line q[WORKER_LOGQ_MAX];
	int i, n, dropped;

	pthread_mutex_lock(&w->qmu);
	n = w->nq;
	memcpy(q, w->q, (size_t)n * sizeof(q[0]));
	dropped = w->qdropped;
	w->nq = 0;
	w->qdropped = 0;
	pthread_mutex_unlock(&w->qmu);
	for (i = 0; i < n; i++)
		host->log(host, q[i].level, "%s", q[i].text);
	if (dropped > 0)
		host->log(host, POD_LOG_WARN, "%d more lines dropped", dropped);
}
