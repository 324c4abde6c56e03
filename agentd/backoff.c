/* Retry delays: see backoff.h. */
#include "backoff.h"

static int64_t
jitter(int64_t base_ms, double u)
{
	if (u < 0)
		u = 0;
	if (u >= 1)
		u = 0.999999;
	return (
	    int64_t)(base_ms * (1 - BACKOFF_JITTER + 2 * BACKOFF_JITTER * u));
}

int64_t
backoff_delay_ms(unsigned failures, double u)
{
	int64_t base_ms = BACKOFF_BASE_MS;

	while (failures-- > 0 && base_ms < BACKOFF_MAX_MS)
		base_ms *= 2;
	if (base_ms > BACKOFF_MAX_MS)
		base_ms = BACKOFF_MAX_MS;
	return jitter(base_ms, u);
}

int64_t
backoff_max_ms(double u)
{
	return jitter(BACKOFF_MAX_MS, u);
}
