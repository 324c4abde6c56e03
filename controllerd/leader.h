/*
 * Which of several controllers sharing one PostgreSQL database acts: the
 * one whose event-loop session holds the store's advisory lock
 * (store_lead_lock). The others stand by, asking for the lock; the active
 * one checks that it still holds it; both every third of the lease, at
 * most a second (main.c).
 *
 * Holding the lock is not enough to act: a leader acts only within
 * lease_ms of the last time it saw its lock held, and a new leader waits
 * lease_ms after taking the lock before it acts, so that a leader cut off
 * from the database has stopped confirming jobs to agents before another
 * starts. A leader that gets its lock back after losing its session goes
 * on only if the epoch it claimed is still the database's: else another
 * led in between, its memory is stale, and it must stop.
 *
 * On SQLite there is one controller: it leads from the start.
 */
#ifndef CTL_LEADER_H
#define CTL_LEADER_H

#include <stddef.h>
#include <stdint.h>

struct store;

enum leader_role {
	LEADER_STANDBY, /* another leads, or none yet */
	LEADER_WAITING, /* holds the lock, waits out the old lease */
	LEADER_ACTIVE,  /* leads */
	LEADER_LOST,    /* led, lost its session; not acting */
	LEADER_DEPOSED  /* another led while it was cut off: must stop */
};
#define LEADER_NROLES (LEADER_DEPOSED + 1)

struct leader {
	struct store *s;
	enum leader_role role;
	char url[512];        /* this controller's, for the others */
	char active_url[512]; /* the leader's, as the database says */
	int64_t lease_ms;
	int64_t epoch;    /* the one this controller claimed */
	int64_t since_ms; /* monotonic: the role's start */
	int64_t held_ms;  /* monotonic: the lock last seen held */
};

/* Standing by on s, as url (borrowed, copied). */
void leader_init(
    struct leader *l, struct store *s, const char *url, int lease_ms);
/* One step, every third of the lease or so, at monotonic now_ms: asks for the
 * lock, claims it, waits out the lease, checks it is still held. Logs each
 * change of role. The role after the step. */
enum leader_role leader_step(struct leader *l, int64_t now_ms);
/* Whether this controller may act (schedule, confirm agents' jobs, write)
 * at now_ms. */
int leader_acting(const struct leader *l, int64_t now_ms);
const char *leader_role_name(enum leader_role r);
/* While it waits out the old leader's lease: ms until it acts (at its
 * next step from then on); -1 in any other role. */
int64_t leader_acts_in_ms(const struct leader *l, int64_t now_ms);
/* The role the controller says it has (/health, /metrics): while it has
 * not loaded its state (loaded 0), an active one still says it is
 * waiting, as it does not act yet. */
enum leader_role leader_shown(const struct leader *l, int loaded);

#endif
