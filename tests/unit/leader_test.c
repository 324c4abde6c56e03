/*
 * The leader's pure parts (controllerd/leader.c): when a controller that
 * waits out the old leader's lease will act (what its 503's Retry-After
 * tells the agents), and the role it says it has before its state is
 * loaded. Cases in static tables.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "leader.h"

/* Per case: the role, since when (ms), the lease (ms), now, and the
 * answer of leader_acts_in_ms(). */
static const struct {
	enum leader_role role;
	int64_t since_ms, lease_ms, now_ms, want;
} acts_cases[] = {
    {LEADER_WAITING, 1000, 5000, 1000, 5000}, /* just took the lock */
    {LEADER_WAITING, 1000, 5000, 3500, 2500},
    {LEADER_WAITING, 1000, 5000, 6000, 0}, /* due: at its next step */
    {LEADER_WAITING, 1000, 5000, 9000, 0},
    {LEADER_STANDBY, 1000, 5000, 3500, -1}, /* another leads */
    {LEADER_ACTIVE, 1000, 5000, 3500, -1},
    {LEADER_LOST, 1000, 5000, 3500, -1},
    {LEADER_DEPOSED, 1000, 5000, 3500, -1},
};

/* Per case: the role, whether the state is loaded, the role said. */
static const struct {
	enum leader_role role;
	int loaded;
	enum leader_role want;
} shown_cases[] = {
    {LEADER_STANDBY, 0, LEADER_STANDBY},
    {LEADER_WAITING, 0, LEADER_WAITING},
    /* leads, but loads its state first: not acting yet */
    {LEADER_ACTIVE, 0, LEADER_WAITING},
    {LEADER_ACTIVE, 1, LEADER_ACTIVE},
    {LEADER_LOST, 1, LEADER_LOST},
    {LEADER_DEPOSED, 1, LEADER_DEPOSED},
};

int
main(void)
{
	struct leader l;
	size_t i;

	for (i = 0; i < sizeof(acts_cases) / sizeof(acts_cases[0]); i++) {
		memset(&l, 0, sizeof(l));
		l.role = acts_cases[i].role;
		l.since_ms = acts_cases[i].since_ms;
		l.lease_ms = acts_cases[i].lease_ms;
		CHECK(leader_acts_in_ms(&l, acts_cases[i].now_ms) ==
		          acts_cases[i].want,
		    "acts case %zu: %lld, want %lld", i,
		    (long long)leader_acts_in_ms(&l, acts_cases[i].now_ms),
		    (long long)acts_cases[i].want);
	}
	for (i = 0; i < sizeof(shown_cases) / sizeof(shown_cases[0]); i++) {
		memset(&l, 0, sizeof(l));
		l.role = shown_cases[i].role;
		CHECK(leader_shown(&l, shown_cases[i].loaded) ==
		          shown_cases[i].want,
		    "shown case %zu: %s", i,
		    leader_role_name(leader_shown(&l, shown_cases[i].loaded)));
	}
	CHECK(strcmp(leader_role_name(LEADER_WAITING), "waiting") == 0);
	return check_summary("leader_test");
}
