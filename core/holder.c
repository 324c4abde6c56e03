/*
 * Which agent holds a node's name (see holder.h). The verdict is a
 * comparison of boot ids and of the holder's silence with the heartbeat
 * timeout; the rest keeps the episode of the last refused boot id.
 */
#include <stdio.h>
#include <string.h>

#include "holder.h"

enum holder_verdict
holder_judge(
    const char *held, int64_t silent_ms, int64_t timeout_ms, const char *boot)
{
	if (strcmp(held, boot) == 0)
		return HOLDER_SAME;
	if (held[0] == '\0' || silent_ms < 0 || silent_ms > timeout_ms)
		return HOLDER_TAKE;
	return HOLDER_REFUSE;
}

int
holder_refused(struct holder_intruder *x, const char *boot,
    int64_t holder_seen_ms, int64_t now_ms)
{
	int open = x->last_ms == 0 || x->ended ||
	           strcmp(x->boot_id, boot) != 0 ||
	           now_ms - x->last_ms > HOLDER_EPISODE_MS;

	if (open) {
		/* A duplicate going on under another boot id (the two agents
		 * swapped places) stays one; a lone refusal does not. */
		x->both = x->both && x->last_ms != 0 &&
		          now_ms - x->last_ms <= HOLDER_EPISODE_MS;
		snprintf(x->boot_id, sizeof(x->boot_id), "%s", boot);
		x->since_ms = now_ms;
		x->reports = 0;
		x->ended = 0;
	}
	x->reports++;
	x->last_ms = now_ms;
	if (holder_seen_ms > x->since_ms)
		x->both = 1;
	return open;
}

void
holder_took(struct holder_intruder *x, const char *boot)
{
	if (strcmp(x->boot_id, boot) == 0)
		x->ended = 1;
}

int
holder_duplicate(
    const struct holder_intruder *x, int64_t now_ms, int64_t window_ms)
{
	int64_t w = window_ms > 0 ? window_ms : HOLDER_EPISODE_MS;

	return x->both && x->last_ms != 0 && now_ms - x->last_ms <= w;
}
