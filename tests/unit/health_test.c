/*
 * health_test: node health (core/health.c) from static tables: which
 * conditions make a node unusable, when each rule drains and requeues
 * (at once, after its time, never), what a drained node or an operator's
 * force changes, how a condition's clock starts, keeps and resets as
 * reports come, and the words and names the API and the 409 show.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "health.h"

#define L HEALTH_BIT(HEALTH_LEAK)
#define F HEALTH_BIT(HEALTH_LOWFLOW)
#define T HEALTH_BIT(HEALTH_OVERTEMP)

/* Rules of the decision cases, beside the built-in ones (rules 0). */
static const struct health_config rules[] = {
    {{{0, 1}, {30, 0}, {60, 0}}}, /* 0: the built-in defaults */
    {{{5, 0}, {0, 1}, {HEALTH_NEVER, 1}}},
};

/*
 * Decisions at now_ms = 100 s. held_s: how long each condition has held
 * (leak, low flow, overtemp); forced: conditions an operator resumed over.
 */
static const struct {
	const char *name;
	int rules;
	unsigned conds;
	int held_s[HEALTH_NCONDS];
	unsigned forced;
	int drained;
	int usable, drain, requeue;
	unsigned fired;
} decisions[] = {
    {"healthy", 0, 0, {0, 0, 0}, 0, 0, 1, 0, 0, 0},
    {"healthy and drained", 0, 0, {0, 0, 0}, 0, 1, 1, 0, 0, 0},
    {"leak: drain and requeue at once", 0, L, {0, 0, 0}, 0, 0, 0, 1, 1, L},
    {"leak on a drained node: requeue only", 0, L, {0, 0, 0}, 0, 1, 0, 0, 1, L},
    {"leak forced over: no drain, still unusable", 0, L, {0, 0, 0}, L, 0, 0, 0,
        1, L},
    {"low flow under its time: gate only", 0, F, {0, 29, 0}, 0, 0, 0, 0, 0, 0},
    {"low flow at its time: drain, no requeue", 0, F, {0, 30, 0}, 0, 0, 0, 1, 0,
        F},
    {"overtemp under its time", 0, T, {0, 0, 59}, 0, 0, 0, 0, 0, 0},
    {"overtemp at its time", 0, T, {0, 0, 60}, 0, 0, 0, 1, 0, T},
    {"two conditions, one due", 0, F | T, {0, 45, 45}, 0, 0, 0, 1, 0, F},
    {"forced over one, another due", 0, F | T, {0, 45, 90}, F, 0, 0, 1, 0,
        F | T},
    {"forced over the only due one", 0, F | T, {0, 45, 10}, F, 0, 0, 0, 0, F},
    {"site: leak waits 5 s", 1, L, {4, 0, 0}, 0, 0, 0, 0, 0, 0},
    {"site: leak after 5 s, no requeue", 1, L, {5, 0, 0}, 0, 0, 0, 1, 0, L},
    {"site: low flow at once with requeue", 1, F, {0, 0, 0}, 0, 0, 0, 1, 1, F},
    {"site: overtemp never drains nor requeues", 1, T, {0, 0, 99999}, 0, 0, 0,
        0, 0, 0},
};

static int
t_decisions(void)
{
	const int64_t now = 100000;
	struct health_decision d;
	struct health h;
	size_t k;
	int c;

	for (k = 0; k < NELEM(decisions); k++) {
		memset(&h, 0, sizeof(h));
		h.conds = decisions[k].conds;
		h.forced = decisions[k].forced;
		for (c = 0; c < HEALTH_NCONDS; c++)
			h.since_ms[c] = now - decisions[k].held_s[c] * 1000LL;
		health_decide(&rules[decisions[k].rules], &h,
		    decisions[k].drained, now, &d);
		CHECK(d.usable == decisions[k].usable &&
		          d.drain == decisions[k].drain &&
		          d.requeue == decisions[k].requeue &&
		          d.fired == decisions[k].fired,
		    "%s: usable %d drain %d requeue %d fired %#x",
		    decisions[k].name, d.usable, d.drain, d.requeue, d.fired);
	}
	return 0;
}

/* The defaults are the documented ones. */
static int
t_defaults(void)
{
	struct health_config c;

	health_config_default(&c);
	CHECK(memcmp(&c, &rules[0], sizeof(c)) == 0, "defaults changed");
	return 0;
}

/*
 * Reports one after another: at t_s the report shows conds (and the
 * operator forces before it when force is 1); then the low-flow clock
 * (since, s; -1 none) and what is forced.
 */
static const struct {
	const char *name;
	struct {
		int t_s;
		int force;
		unsigned conds;
		int since_s;
		unsigned forced;
	} steps[6];
	int nsteps;
} updates[] = {
    {"the clock starts once and keeps",
        {{1, 0, 0, -1, 0}, {2, 0, F, 2, 0}, {3, 0, F, 2, 0},
            {4, 0, F | L, 2, 0}},
        4},
    {"clearing resets the clock",
        {{1, 0, F, 1, 0}, {5, 0, 0, -1, 0}, {6, 0, F, 6, 0}}, 3},
    {"a force lasts while the condition holds",
        {{1, 0, F, 1, 0}, {2, 1, F, 1, F}, {3, 0, F | T, 1, F},
            {4, 0, T, -1, 0}, {5, 0, F | T, 5, 0}},
        5},
};

static int
t_updates(void)
{
	struct health h;
	size_t k;
	int i;

	for (k = 0; k < NELEM(updates); k++) {
		memset(&h, 0, sizeof(h));
		for (i = 0; i < updates[k].nsteps; i++) {
			int64_t t = updates[k].steps[i].t_s * 1000LL;
			int64_t want = updates[k].steps[i].since_s * 1000LL;

			if (updates[k].steps[i].force)
				health_force(&h);
			health_update(&h, updates[k].steps[i].conds, t);
			CHECK(h.conds == updates[k].steps[i].conds,
			    "%s: step %d: conds %#x", updates[k].name, i,
			    h.conds);
			if (updates[k].steps[i].since_s >= 0)
				CHECK(h.since_ms[HEALTH_LOWFLOW] == want,
				    "%s: step %d: since %lld", updates[k].name,
				    i, (long long)h.since_ms[HEALTH_LOWFLOW]);
			CHECK(h.forced == updates[k].steps[i].forced,
			    "%s: step %d: forced %#x", updates[k].name, i,
			    h.forced);
		}
	}
	return 0;
}

/* Words for people and names for programs. */
static const struct {
	unsigned conds;
	const char *words;
	const char *terse;
	const char *names;
} texts[] = {
    {0, "", "", "ok"},
    {L, "a coolant leak", "coolant leak", "leak"},
    {F, "low coolant flow", "low coolant flow", "low_flow"},
    {L | F, "a coolant leak and low coolant flow",
        "coolant leak and low coolant flow", "leak,low_flow"},
    {L | F | T,
        "a coolant leak, low coolant flow and an accelerator over its "
        "critical temperature",
        "coolant leak, low coolant flow and accelerator over critical "
        "temperature",
        "leak,low_flow,overtemp"},
    {T, "an accelerator over its critical temperature",
        "accelerator over critical temperature", "overtemp"},
};

static int
t_texts(void)
{
	char buf[256], small[8];
	size_t k;

	for (k = 0; k < NELEM(texts); k++) {
		CHECK(
		    strcmp(health_describe(texts[k].conds, 0, buf, sizeof(buf)),
		        texts[k].words) == 0,
		    "%#x: '%s'", texts[k].conds, buf);
		CHECK(
		    strcmp(health_describe(texts[k].conds, 1, buf, sizeof(buf)),
		        texts[k].terse) == 0,
		    "%#x: '%s'", texts[k].conds, buf);
		CHECK(strcmp(health_names(texts[k].conds, buf, sizeof(buf)),
		          texts[k].names) == 0,
		    "%#x: '%s'", texts[k].conds, buf);
	}
	/* a short buffer truncates, still terminated */
	CHECK(strlen(health_describe(L | F, 0, small, sizeof(small))) == 7);
	CHECK(health_cond_name(HEALTH_NCONDS) == NULL);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
    {"decisions", t_decisions},
    {"defaults", t_defaults},
    {"updates", t_updates},
    {"texts", t_texts},
};

int
main(void)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < NELEM(cases); i++)
		RUN_CASE(cases[i].name, cases[i].fn());
	return check_summary("health_test");
}
