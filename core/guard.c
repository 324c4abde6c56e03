/*
 * The safety guard: see guard.h. Three small hysteresis machines; each
 * enters on one threshold and leaves on another, so that a signal hovering
 * noisily near a threshold trips once and stays tripped instead of
 * throttling and releasing with every sample. The leak clears on time
 * rather than on a level: a wet sensor that reads dry for a moment has
 * not dried, and one that could not be read has not been seen dry.
 */
#include <math.h>
#include <string.h>

#include "guard.h"

void
guard_init(struct guard *g, double min_flow_lpm, double clear_s)
{
	memset(g, 0, sizeof(*g));
	g->min_flow_lpm = min_flow_lpm;
	g->clear_s = clear_s;
}

void
guard_loop(struct guard *g, int leak, double flow_lpm, double dt_s)
{
	if (leak == 1) {
		g->leak = 1;
		g->dry = 0;
	} else if (leak == 0 && g->leak) {
		if (!g->dry) {
			/* It dried some time since the last reading; the
			 * time counts from now, not from then. */
			g->dry = 1;
			g->dry_s = 0;
		} else
			g->dry_s += dt_s > 0 ? dt_s : 0;
		if (g->dry_s >= g->clear_s) {
			g->leak = 0;
			g->dry = 0;
		}
	} else if (leak == -1)
		g->dry = 0;
	if (!isfinite(flow_lpm) || g->min_flow_lpm <= 0) {
		if (g->min_flow_lpm <= 0)
			g->lowflow = 0;
		return;
	}
	if (!g->lowflow && flow_lpm < g->min_flow_lpm)
		g->lowflow = 1;
	else if (g->lowflow &&
	         flow_lpm >= g->min_flow_lpm * GUARD_FLOW_HYSTERESIS)
		g->lowflow = 0;
}

void
guard_accels(struct guard *g, int n, const double *temp_c, const double *crit_c)
{
	int i;

	if (n > GUARD_MAX_ACCELS)
		n = GUARD_MAX_ACCELS;
	for (i = 0; i < n; i++) {
		if (!isfinite(temp_c[i]) || !(crit_c[i] > 0))
			continue;
		if (!g->overtemp[i] && temp_c[i] > crit_c[i])
			g->overtemp[i] = 1;
		else if (g->overtemp[i] &&
		         temp_c[i] < crit_c[i] - GUARD_TEMP_HYSTERESIS_C)
			g->overtemp[i] = 0;
	}
}

int
guard_all(const struct guard *g)
{
	return g->leak || g->lowflow;
}

int
guard_pinned(const struct guard *g, int i)
{
	if (guard_all(g))
		return 1;
	return i >= 0 && i < GUARD_MAX_ACCELS && g->overtemp[i];
}
