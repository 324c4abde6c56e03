/*
 * Fencing decisions (see fence.h). The times are plain numbers the shells
 * read from their clocks; every comparison leans to the safe side: the
 * agent's lease starts when the report was sent, not when the answer came,
 * and the controller's silence counts only the time it was watching.
 */
#include <stddef.h>

#include "fence.h"

int64_t
fence_lease_until(int64_t sent_ms, int own_timeout_s, int said_timeout_s)
{
	int t = own_timeout_s;

	if (said_timeout_s > 0 && said_timeout_s < t)
		t = said_timeout_s;
	return sent_ms + (int64_t)t * 1000;
}

int
fence_agent_due(int64_t now_ms, int64_t until_ms)
{
	return now_ms > until_ms;
}

int64_t
fence_requeue_after_ms(const struct fence_conf *c)
{
	return ((int64_t)c->timeout_s + c->kill_grace_s + c->margin_s) * 1000;
}

int
fence_requeue_due(int64_t silent_ms, const struct fence_conf *c)
{
	return silent_ms > fence_requeue_after_ms(c);
}

int64_t
fence_credit_ms(int64_t elapsed_ms, int64_t period_ms, int64_t *lag_ms)
{
	int64_t credit = elapsed_ms < 0 ? 0 : elapsed_ms;

	if (credit > 2 * period_ms)
		credit = 2 * period_ms;
	if (lag_ms != NULL)
		*lag_ms = elapsed_ms - credit > 0 ? elapsed_ms - credit : 0;
	return credit;
}

int
fence_superseded(const struct report_job *reported, int nreported,
    const struct desired_job *listed, int nlisted, struct reply_kill *out,
    int max)
{
	int i, k, n = 0;

	for (i = 0; i < nreported && n < max; i++) {
		if (reported[i].state != RJOB_RUNNING)
			continue;
		for (k = 0; k < nlisted; k++)
			if (listed[k].id == reported[i].id &&
			    listed[k].attempt == reported[i].attempt)
				break;
		if (k < nlisted)
			continue;
		out[n].id = reported[i].id;
		out[n].attempt = reported[i].attempt;
		n++;
	}
	return n;
}
