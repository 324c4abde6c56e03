/*
 * Small helpers every plugin needs, so that none copies them: strict number
 * parsing for config values, a millisecond clock, a seeded random number
 * source, retry delays with jitter, and a memory of the trouble last said,
 * so that a device that keeps failing is reported once, not once per
 * sample. Header-only (static inline), so a
 * plugin built outside the tree needs nothing but this file and
 * <pod/plugin.h>; the agent uses the same retry delays.
 */
#ifndef POD_PLUGIN_UTIL_H
#define POD_PLUGIN_UTIL_H

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Parses the whole of v as a finite decimal number. 0 with *out set, or -1
 * (nothing, trailing text, out of range, NaN or infinity). */
static inline int
pod_parse_real(const char *v, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (end == v || *end != '\0' || errno != 0 || !isfinite(d))
		return -1;
	*out = d;
	return 0;
}

/* Parses the whole of v as a base-10 integer in [min, max]. 0 with *out
 * set, or -1. */
static inline int
pod_parse_long(const char *v, long min, long max, long *out)
{
	char *end;
	long l;

	errno = 0;
	l = strtol(v, &end, 10);
	if (end == v || *end != '\0' || errno != 0 || l < min || l > max)
		return -1;
	*out = l;
	return 0;
}

/* Milliseconds on clock `id`: CLOCK_MONOTONIC for intervals, CLOCK_REALTIME
 * for times a sample carries. */
static inline int64_t
pod_clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A number in [0, 1) from the generator state *state (splitmix64), which
 * the caller seeds, say from the node's name, so runs can be repeated. */
static inline double
pod_rand01(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (double)(z >> 11) * 0x1.0p-53;
}

/*
 * The delay before retry number `failures` + 1 (failures counting from 0):
 * min(base_ms * 2^failures, max_ms), scaled by a factor in
 * [1 - jitter, 1 + jitter) that u in [0, 1) picks, so that many nodes that
 * lost a peer together do not come back in lock-step.
 */
static inline int64_t
pod_backoff_ms(
    unsigned failures, int64_t base_ms, int64_t max_ms, double jitter, double u)
{
	int64_t d = base_ms;

	while (failures-- > 0 && d < max_ms)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	if (u < 0)
		u = 0;
	if (u >= 1)
		u = 0.999999;
	return (int64_t)((double)d * (1 - jitter + 2 * jitter * u));
}

/*
 * What a plugin last said about one thing going wrong (a device, an
 * endpoint, a command), so that it says why once: pod_said_new() is 1 only
 * when the text differs from the one last said, pod_said_clear() is 1 only
 * when there was trouble to clear. Keep numbers that change on every try
 * out of the text, or it will be said every time.
 */
struct pod_said {
	char why[192]; /* the trouble last said; "" none */
};

/* Records why; 1 when it is new (log it), 0 when it was said already. */
static inline int
pod_said_new(struct pod_said *s, const char *why)
{
	size_t n = strlen(why);

	if (n >= sizeof(s->why))
		n = sizeof(s->why) - 1;
	if (s->why[0] != '\0' && strncmp(s->why, why, n) == 0 &&
	    s->why[n] == '\0')
		return 0;
	memcpy(s->why, why, n);
	s->why[n] = '\0';
	if (n == 0) {
		/* an empty reason still counts as trouble */
		s->why[0] = '?';
		s->why[1] = '\0';
	}
	return 1;
}

/* Forgets the trouble; 1 when there was some (log that it is over). */
static inline int
pod_said_clear(struct pod_said *s)
{
	int had = s->why[0] != '\0';

	s->why[0] = '\0';
	return had;
}

#endif
