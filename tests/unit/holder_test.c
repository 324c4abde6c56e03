/*
 * Which agent holds a node's name (core/holder.c): the verdict on a report
 * from a boot id (its holder's, a take-over once the holder is silent past
 * the heartbeat timeout, or refused), then timelines of refused reports:
 * one episode (one log line) per refused boot id while they keep coming,
 * and two agents alive at once told apart from a restarted agent waiting
 * for its old self's heartbeat to expire.
 */
#include <string.h>

#include "check.h"
#include "holder.h"

#define TIMEOUT 10000 /* heartbeat timeout, ms */

static const struct {
	const char *held;
	int64_t silent_ms;
	const char *boot;
	enum holder_verdict want;
} verdicts[] = {
    {"aaaa", 500, "aaaa", HOLDER_SAME},         /* its holder */
    {"aaaa", 50000, "aaaa", HOLDER_SAME},       /* its holder, back */
    {"", -1, "bbbb", HOLDER_TAKE},              /* never held */
    {"aaaa", -1, "bbbb", HOLDER_TAKE},          /* held before a restart */
    {"aaaa", 500, "bbbb", HOLDER_REFUSE},       /* the holder reports */
    {"aaaa", TIMEOUT, "bbbb", HOLDER_REFUSE},   /* not down yet */
    {"aaaa", TIMEOUT + 1, "bbbb", HOLDER_TAKE}, /* down: a reboot */
    {"aaaa", 0, "AAAA", HOLDER_REFUSE},         /* boot ids as sent */
};

static int
t_verdicts(void)
{
	size_t i;

	for (i = 0; i < NELEM(verdicts); i++)
		CHECK(holder_judge(verdicts[i].held, verdicts[i].silent_ms,
		          TIMEOUT, verdicts[i].boot) == verdicts[i].want,
		    "row %zu", i);
	return 0;
}

/*
 * Timelines: at wall time t_ms (s here, for reading), either the holder
 * reports (boot NULL: only its last-seen time moves), a report from boot
 * is refused (opens: whether it opens an episode), or boot takes over.
 * After each step, duplicate is holder_duplicate() at that time.
 */
enum op { HOLDER_REPORTS, REFUSED, TAKES_OVER };

static const struct timeline {
	const char *name;
	struct {
		double t_s;
		enum op op;
		const char *boot;
		int opens, duplicate;
	} steps[12];
	int nsteps;
} timelines[] = {
    {"two agents alive: one episode, a duplicate until it stops",
        {{0, HOLDER_REPORTS, NULL, 0, 0}, {1, REFUSED, "bbbb", 1, 0},
            {1.5, HOLDER_REPORTS, NULL, 0, 0}, {3, REFUSED, "bbbb", 0, 1},
            {3.5, HOLDER_REPORTS, NULL, 0, 1}, {33, REFUSED, "bbbb", 0, 1},
            {93.5, HOLDER_REPORTS, NULL, 0, 0}, {94, REFUSED, "bbbb", 1, 0},
            {95, HOLDER_REPORTS, NULL, 0, 0}, {96, REFUSED, "bbbb", 0, 1}},
        10},
    {"a restart: refused until the old one expires, never a duplicate",
        {{0, HOLDER_REPORTS, NULL, 0, 0}, {2, REFUSED, "bbbb", 1, 0},
            {3, REFUSED, "bbbb", 0, 0}, {5, REFUSED, "bbbb", 0, 0},
            {9, REFUSED, "bbbb", 0, 0}, {17, TAKES_OVER, "bbbb", 0, 0},
            {18, REFUSED, "cccc", 1, 0}},
        7},
    {"the duplicate swaps places: still one, a new line for the other",
        {{0, HOLDER_REPORTS, NULL, 0, 0}, {1, REFUSED, "bbbb", 1, 0},
            {2, HOLDER_REPORTS, NULL, 0, 0}, {3, REFUSED, "bbbb", 0, 1},
            {20, TAKES_OVER, "bbbb", 0, 1}, {21, HOLDER_REPORTS, NULL, 0, 1},
            {22, REFUSED, "aaaa", 1, 1}, {23, HOLDER_REPORTS, NULL, 0, 1},
            {24, REFUSED, "aaaa", 0, 1}},
        9},
    {"a take-over ends the episode: the same boot id refused again opens one",
        {{0, HOLDER_REPORTS, NULL, 0, 0}, {1, REFUSED, "bbbb", 1, 0},
            {12, TAKES_OVER, "bbbb", 0, 0}, {40, REFUSED, "bbbb", 1, 0}},
        4},
};

static int
t_timeline(const struct timeline *tl)
{
	struct holder_intruder x;
	int64_t seen = 0, now;
	int i, opens;

	memset(&x, 0, sizeof(x));
	CHECK(!holder_duplicate(&x, 0, 0), "%s: at rest", tl->name);
	for (i = 0; i < tl->nsteps; i++) {
		now = (int64_t)(tl->steps[i].t_s * 1000);
		switch (tl->steps[i].op) {
		case HOLDER_REPORTS:
			seen = now;
			break;
		case REFUSED:
			opens =
			    holder_refused(&x, tl->steps[i].boot, seen, now);
			CHECK(opens == tl->steps[i].opens,
			    "%s: step %d: opens %d", tl->name, i, opens);
			break;
		case TAKES_OVER:
			holder_took(&x, tl->steps[i].boot);
			seen = now;
			break;
		}
		CHECK(holder_duplicate(&x, now, 0) == tl->steps[i].duplicate,
		    "%s: step %d (t %g s): want %s", tl->name, i,
		    tl->steps[i].t_s,
		    tl->steps[i].duplicate ? "a duplicate" : "none");
	}
	return 0;
}

int
main(void)
{
	size_t i;

	RUN_CASE("verdicts", t_verdicts());
	for (i = 0; i < NELEM(timelines); i++)
		RUN_CASE(timelines[i].name, t_timeline(&timelines[i]));
	return check_summary("holder_test");
}
