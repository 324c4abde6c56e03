/* Retry delays: see backoff.h; the exponential arithmetic is the
 * plugins' own. */
#include <pod/plugin_util.h>

#include "backoff.h"

int64_t
backoff_delay_ms(unsigned failures, double u)
{
	return pod_backoff_ms(
	    failures, BACKOFF_BASE_MS, BACKOFF_MAX_MS, BACKOFF_JITTER, u);
}

int64_t
backoff_max_ms(double u)
{
	return pod_backoff_ms(
	    0, BACKOFF_MAX_MS, BACKOFF_MAX_MS, BACKOFF_JITTER, u);
}

int64_t
backoff_after_ms(int64_t asked_ms, double u)
{
	if (!(u >= 0)) /* NaN too */
		u = 0;
	if (u >= 1)
		u = 0.999999;
	return asked_ms + (int64_t)(asked_ms * BACKOFF_JITTER * u);
}
