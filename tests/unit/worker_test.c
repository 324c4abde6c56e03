/*
 * worker_test: the plugins' I/O thread (plugins/common/worker.c) and the
 * say-once memory of pod/plugin_util.h: a trouble repeated on every poll is
 * logged once, a new trouble once more, the recovery once; lines reach the
 * host only through worker_flush(), on the caller's thread; a full queue
 * says how many lines it dropped; worker_free() stops a thread that sleeps
 * a long period at once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "plugrig.h"
#include "worker.h"

struct logbuf {
	char line[64][160];
	int n;
};

static void
test_log(
    const struct pod_host *host, enum pod_log_level level, const char *fmt, ...)
{
	struct logbuf *b = host->opaque;
	va_list ap;

	if (b->n >= 64)
		return;
	va_start(ap, fmt);
	snprintf(b->line[b->n], 4, "%c: ", level == POD_LOG_WARN ? 'W' : 'I');
	vsnprintf(b->line[b->n] + 3, sizeof(b->line[0]) - 3, fmt, ap);
	va_end(ap);
	b->n++;
}

/* A poll that fails the same way three times, then another way, then
 * works, then stops polling. */
struct scripted {
	int polls;
	int done;
	struct pod_said said;
};

static void
scripted_poll(struct worker *w, void *arg)
{
	struct scripted *s = arg;

	if (s->done)
		return;
	s->polls++;
	if (s->polls <= 3)
		worker_trouble(w, &s->said, "bmc: connection refused");
	else if (s->polls == 4)
		worker_trouble(w, &s->said, "bmc: reply is not JSON");
	else if (s->polls <= 6)
		worker_fine(w, &s->said, "bmc: answering again");
	if (s->polls == 6) {
		worker_lock(w);
		s->done = 1;
		worker_unlock(w);
	}
}

static int
case_says_once(void)
{
	struct logbuf b = {0};
	struct pod_host host = {.node = "n", .log = test_log, .opaque = &b};
	struct scripted s = {0};
	struct worker *w;
	int done = 0, tries;

	w = worker_new(1, scripted_poll, &s);
	REQUIRE(w != NULL);
	for (tries = 0; tries < 5000 && !done; tries++) {
		worker_lock(w);
		done = s.done;
		worker_unlock(w);
		if (!done)
			worker_sleep(w, 1);
	}
	CHECK(b.n == 0, "lines before flush: %d", b.n);
	worker_flush(w, &host);
	worker_free(w, &host);
	REQUIRE(done, "the poll never finished");
	CHECK(b.n == 3, "lines: %d", b.n);
	CHECK(strcmp(b.line[0], "W: bmc: connection refused") == 0, "%s",
	    b.line[0]);
	CHECK(strcmp(b.line[1], "W: bmc: reply is not JSON") == 0, "%s",
	    b.line[1]);
	CHECK(
	    strcmp(b.line[2], "I: bmc: answering again") == 0, "%s", b.line[2]);
	return 0;
fail:
	return -1;
}

static void
flood_poll(struct worker *w, void *arg)
{
	int *polls = arg, i;

	if (*polls > 0)
		return;
	for (i = 0; i < 40; i++)
		worker_log(w, POD_LOG_INFO, "line %d", i);
	worker_lock(w);
	*polls = 1;
	worker_unlock(w);
}

static int
case_queue_bounded(void)
{
	struct logbuf b = {0};
	struct pod_host host = {.node = "n", .log = test_log, .opaque = &b};
	struct worker *w;
	int polls = 0, done = 0, tries;

	w = worker_new(1, flood_poll, &polls);
	REQUIRE(w != NULL);
	for (tries = 0; tries < 5000 && !done; tries++) {
		worker_lock(w);
		done = polls;
		worker_unlock(w);
		if (!done)
			worker_sleep(w, 1);
	}
	worker_free(w, &host);
	REQUIRE(done);
	CHECK(b.n == 33, "lines: %d", b.n);
	CHECK(strcmp(b.line[32], "W: 8 more lines dropped") == 0, "%s",
	    b.line[32]);
	return 0;
fail:
	return -1;
}

static void
count_poll(struct worker *w, void *arg)
{
	int *polls = arg;

	worker_lock(w);
	(*polls)++;
	worker_unlock(w);
}

/* A period of an hour: worker_free() must not wait for it. The test
 * would hang (and ctest time it out) if it did. */
static int
case_free_wakes(void)
{
	struct worker *w;
	int polls = 0, seen = 0, tries;

	w = worker_new(3600 * 1000, count_poll, &polls);
	REQUIRE(w != NULL);
	for (tries = 0; tries < 5000 && !seen; tries++) {
		worker_lock(w);
		seen = polls;
		worker_unlock(w);
		if (!seen)
			worker_sleep(w, 1);
	}
	worker_free(w, NULL);
	CHECK(seen == 1, "polls: %d", seen);
	return 0;
fail:
	return -1;
}

static int
case_said(void)
{
	struct pod_said s = {{0}};

	CHECK(pod_said_clear(&s) == 0);
	CHECK(pod_said_new(&s, "x: timed out") == 1);
	CHECK(pod_said_new(&s, "x: timed out") == 0);
	CHECK(pod_said_new(&s, "x: junk") == 1);
	CHECK(pod_said_clear(&s) == 1);
	CHECK(pod_said_clear(&s) == 0);
	CHECK(pod_said_new(&s, "") == 1, "an empty reason is trouble too");
	CHECK(pod_said_clear(&s) == 1);
	return 0;
}

/* A first poll that never returns by itself (it waits to be stopped). */
static void
stuck_poll(struct worker *w, void *arg)
{
	(void)worker_sleep(w, 3600 * 1000);
}

/* worker_wait_first(): 1 once the first poll returned, 0 when it did not
 * within the time given, and worker_free() still stops the stuck one. */
static int
case_wait_first(void)
{
	struct worker *w;
	int polls = 0;

	w = worker_new(3600 * 1000, count_poll, &polls);
	REQUIRE(w != NULL);
	CHECK(worker_wait_first(w, 10000) == 1);
	worker_lock(w);
	CHECK(polls == 1, "polls: %d", polls);
	worker_unlock(w);
	worker_free(w, NULL);
	w = worker_new(1000, stuck_poll, NULL);
	REQUIRE(w != NULL);
	CHECK(worker_wait_first(w, 50) == 0);
	worker_free(w, NULL);
	return 0;
fail:
	return -1;
}

/* The harness the hardware plugins' tests share: the sim plugin with one
 * key of its own, then a key it does not know, refused naming its origin. */
static int
case_plugrig(void)
{
	static const char *const good[] = {"accels=2", NULL};
	static const char *const bad[] = {"accels=2", "colour=blue", NULL};
	struct pod_sample s[POD_MAX_DEVICES];
	struct plugrig r;

	REQUIRE(plugrig_open(&r, "power", "sim", "pod01-n001", good) == 0);
	CHECK(plugrig_dev(&r, "accel1") >= 0, "devices: %d", r.ndev);
	CHECK(plugrig_read(&r, 1000, s) == 0);
	CHECK(s[plugrig_dev(&r, "accel0")].valid & POD_F_POWER);
	plugrig_close(&r);
	CHECK(plugrig_open(&r, "power", "sim", "pod01-n001", bad) == -1);
	CHECK(plugrig_logged(&r, "test.conf:2") == 1, "log:");
	if (check_failed)
		plugrig_dump(&r);
	plugrig_close(&r);
	return 0;
fail:
	plugrig_close(&r);
	return -1;
}

static const struct workercase {
	const char *name;
	int (*fn)(void);
} cases[] = {
    {"said", case_said},
    {"says_once", case_says_once},
    {"queue_bounded", case_queue_bounded},
    {"free_wakes", case_free_wakes},
    {"wait_first", case_wait_first},
    {"plugrig", case_plugrig},
};

int
main(void)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < NELEM(cases); i++) {
		printf("%s\n", cases[i].name);
		RUN_CASE(cases[i].name, cases[i].fn());
	}
	return check_summary("worker_test");
}
