/*
 * Leadership among controllers sharing a PostgreSQL database (leader.h):
 * the roles' steps, on the store's lock and table.
 */
#include <stdio.h>
#include <string.h>

#include "leader.h"
#include "log.h"
#include "store.h"

static const char *const role_names[] = {
    "standby", "waiting", "active", "lost", "deposed"};

const char *
leader_role_name(enum leader_role r)
{
	return role_names[r];
}

int64_t
leader_acts_in_ms(const struct leader *l, int64_t now_ms)
{
	int64_t left = l->since_ms + l->lease_ms - now_ms;

	if (l->role != LEADER_WAITING)
		return -1;
	return left > 0 ? left : 0;
}

enum leader_role
leader_shown(const struct leader *l, int loaded)
{
	return !loaded && l->role == LEADER_ACTIVE ? LEADER_WAITING : l->role;
}

void
leader_init(struct leader *l, struct store *s, const char *url, int lease_ms)
{
	memset(l, 0, sizeof(*l));
	l->s = s;
	l->lease_ms = lease_ms;
	snprintf(l->url, sizeof(l->url), "%s", url);
	/* SQLite: one controller, which leads */
	l->role = store_shared(s) ? LEADER_STANDBY : LEADER_ACTIVE;
	if (l->role == LEADER_ACTIVE)
		snprintf(l->active_url, sizeof(l->active_url), "%s", url);
}

static void
become(struct leader *l, enum leader_role r, int64_t now_ms)
{
	l->role = r;
	l->since_ms = now_ms;
}

/* Standing by: takes the lock if it is free, else learns who leads. */
static void
step_standby(struct leader *l, int64_t now_ms)
{
	int64_t epoch;
	int rc = store_lead_lock(l->s);

	if (rc == 0) {
		(void)store_lead_read(
		    l->s, &epoch, l->active_url, sizeof(l->active_url));
		return;
	}
	if (rc == -1 || store_lead_claim(l->s, l->url, &epoch) == -1)
		return;
	l->epoch = epoch;
	l->held_ms = now_ms;
	snprintf(l->active_url, sizeof(l->active_url), "%s", l->url);
	become(l, LEADER_WAITING, now_ms);
	log_info("leader: took the lead (epoch %lld); acting in %lld ms, "
	         "once any earlier leader's lease has run out",
	    (long long)epoch, (long long)l->lease_ms);
}

/* Led, and lost the session: back only if nobody led in between. */
static void
step_lost(struct leader *l, int64_t now_ms)
{
	int64_t epoch;
	int rc = store_lead_lock(l->s);

	if (rc == -1)
		return;
	if (rc == 1 && store_lead_read(l->s, &epoch, l->active_url,
	                   sizeof(l->active_url)) == -1)
		return;
	if (rc == 1 && epoch == l->epoch) {
		l->held_ms = now_ms;
		become(l, LEADER_ACTIVE, now_ms);
		log_info("leader: the lead is back (epoch %lld): nobody led "
		         "in between; acting again",
		    (long long)epoch);
		return;
	}
	if (rc == 0)
		(void)store_lead_read(
		    l->s, &epoch, l->active_url, sizeof(l->active_url));
	become(l, LEADER_DEPOSED, now_ms);
	log_warnx("leader: %s leads now (epoch %lld, ours was %lld): this "
	          "controller's state is stale; stopping",
	    l->active_url[0] ? l->active_url : "another controller",
	    (long long)epoch, (long long)l->epoch);
}

enum leader_role
leader_step(struct leader *l, int64_t now_ms)
{
	int held;

	switch (l->role) {
	case LEADER_STANDBY:
		step_standby(l, now_ms);
		break;
	case LEADER_LOST:
		step_lost(l, now_ms);
		break;
	case LEADER_WAITING:
	case LEADER_ACTIVE:
		if (!store_shared(l->s))
			break;
		if ((held = store_lead_held(l->s)) == 1)
			l->held_ms = now_ms;
		if (held == 0 || now_ms - l->held_ms >= l->lease_ms) {
			log_warnx("leader: %s: not acting until the database "
			          "confirms this controller still leads",
			    held == 0 ? "the database session holding the "
			                "lead was lost"
			              : "no answer from the database for the "
			                "whole lease");
			become(l,
			    l->role == LEADER_ACTIVE ? LEADER_LOST
			                             : LEADER_STANDBY,
			    now_ms);
		} else if (l->role == LEADER_WAITING &&
		           now_ms - l->since_ms >= l->lease_ms) {
			become(l, LEADER_ACTIVE, now_ms);
			log_info("leader: acting as the active controller");
		}
		break;
	case LEADER_DEPOSED:
		break;
	}
	return l->role;
}

int
leader_acting(const struct leader *l, int64_t now_ms)
{
	if (l->role != LEADER_ACTIVE)
		return 0;
	return !store_shared(l->s) || now_ms - l->held_ms < l->lease_ms;
}
