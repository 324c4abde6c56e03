/*
 * The report's fast path (see wire.h): the common report read straight
 * from its text into struct report, with no JSON tree. Jansson builds an
 * allocated value for every member of every sample, which was most of
 * the controller's cost per sample; this scanner allocates only the
 * samples' and jobs' arrays.
 *
 * It takes a strict subset of what wire_report_decode() takes and
 * declines the rest, which the caller then decodes the Jansson way: so
 * the two cannot disagree on a report they both take, and every error
 * message stays the Jansson path's. Declined: strings other than
 * printable ASCII without escapes, members it does not know (Jansson
 * would refuse a duplicate among them), a member twice, a member of a
 * type other than the one wire.c reads, a value out of wire.c's range,
 * an inventory, anything deeper than the report's own shape. Numbers
 * are read as Jansson reads them: an integer without fraction or
 * exponent by strtoll, else a real by strtod (the C locale). strtod was
 * a fifth of the scanner's time, so the common real (at most 15 digits,
 * a decimal exponent within ±22) is read as its digits divided or
 * multiplied by an exact power of ten: both operands are exact doubles
 * and IEEE rounds the one operation correctly, as strtod does, so the
 * bits are the same (Clinger's fast path); any other goes to strtod.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

struct scan {
	const char *p, *end;
};

/* A value's kind as scanned. */
enum { V_NONE, V_NULL, V_TRUE, V_FALSE, V_INT, V_REAL, V_STR, V_OPEN };

/* What a scalar value held: its kind, and its number or string. */
struct val {
	int kind;
	long long i;   /* V_INT */
	double d;      /* V_INT and V_REAL */
	const char *s; /* V_STR: its bytes, not terminated */
	size_t n;      /* V_STR: how many */
};

static int
more(struct scan *sc)
{
	while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\n' ||
	                              *sc->p == '\r' || *sc->p == '\t'))
		sc->p++;
	return sc->p < sc->end;
}

/* Takes c, after white space; 0 when the next byte is another. */
static int
eat(struct scan *sc, char c)
{
	if (!more(sc) || *sc->p != c)
		return 0;
	sc->p++;
	return 1;
}

static int
digit(const struct scan *sc)
{
	return sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9';
}

static int
digits(struct scan *sc)
{
	if (!digit(sc))
		return 0;
	while (digit(sc))
		sc->p++;
	return 1;
}

/* 10^0 .. 10^22: every one an exact double. */
static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
    1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21,
    1e22};

/*
 * The real of the JSON number text b (n bytes, its syntax checked) into
 * *out when it is exact in one operation (the paragraph at the top); 0
 * otherwise, for strtod.
 */
static int
fast_real(const char *b, size_t n, double *out)
{
	const char *p = b, *end = b + n;
	unsigned long long m = 0;
	int neg = 0, frac = 0, sig = 0, exp10 = 0, e = 0, eneg = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	for (; p < end && *p != 'e' && *p != 'E'; p++) {
		if (*p == '.') {
			frac = 1;
			continue;
		}
		if (sig > 0 || *p != '0')
			sig++;
		if (sig > 15)
			return 0;
		m = m * 10 + (unsigned)(*p - '0');
		exp10 -= frac;
	}
	if (p < end) {
		p++;
		if (*p == '+' || *p == '-')
			eneg = *p++ == '-';
		for (; p < end; p++) {
			e = e * 10 + (*p - '0');
			if (e > 1000)
				return 0;
		}
		exp10 += eneg ? -e : e;
	}
	if (exp10 < -22 || exp10 > 22)
		return 0;
	*out = exp10 < 0 ? (double)m / pow10[-exp10] : (double)m * pow10[exp10];
	if (neg)
		*out = -*out;
	return 1;
}

/* A JSON number into v; 0 declined (not one, or too big for Jansson). */
static int
number(struct scan *sc, struct val *v)
{
	const char *b = sc->p;
	char buf[64];
	size_t n;
	int real = 0;

	if (sc->p < sc->end && *sc->p == '-')
		sc->p++;
	if (!digit(sc))
		return 0;
	if (*sc->p == '0')
		sc->p++;
	else
		(void)digits(sc);
	if (sc->p < sc->end && *sc->p == '.') {
		sc->p++;
		if (!digits(sc))
			return 0;
		real = 1;
	}
	if (sc->p < sc->end && (*sc->p == 'e' || *sc->p == 'E')) {
		sc->p++;
		if (sc->p < sc->end && (*sc->p == '+' || *sc->p == '-'))
			sc->p++;
		if (!digits(sc))
			return 0;
		real = 1;
	}
	if ((n = (size_t)(sc->p - b)) >= sizeof(buf))
		return 0;
	memcpy(buf, b, n);
	buf[n] = '\0';
	errno = 0;
	if (!real) {
		v->i = strtoll(buf, NULL, 10);
		if (errno != 0)
			return 0;
		v->d = (double)v->i;
		v->kind = V_INT;
		return 1;
	}
	if (!fast_real(buf, n, &v->d)) {
		v->d = strtod(buf, NULL);
		if (errno == ERANGE && isinf(v->d))
			return 0;
	}
	v->kind = V_REAL;
	return 1;
}

static int
literal(struct scan *sc, const char *word, int kind, struct val *v)
{
	size_t n = strlen(word);

	if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, word, n) != 0)
		return 0;
	sc->p += n;
	v->kind = kind;
	return 1;
}

/* A string of printable ASCII without escapes; 0 declined. */
static int
string(struct scan *sc, struct val *v)
{
	sc->p++; /* the opening quote */
	v->s = sc->p;
	while (sc->p < sc->end && *sc->p != '"') {
		if (*sc->p < 0x20 || *sc->p > 0x7e || *sc->p == '\\')
			return 0;
		sc->p++;
	}
	if (sc->p == sc->end)
		return 0;
	v->n = (size_t)(sc->p - v->s);
	sc->p++;
	v->kind = V_STR;
	return 1;
}

/* The next value: a scalar into v, or V_OPEN with sc at the '{' or '['
 * (the caller reads what is inside). 0 declined. */
static int
value(struct scan *sc, struct val *v)
{
	v->kind = V_NONE;
	if (!more(sc))
		return 0;
	switch (*sc->p) {
	case '"':
		return string(sc, v);
	case '{':
	case '[':
		v->kind = V_OPEN;
		return 1;
	case 't':
		return literal(sc, "true", V_TRUE, v);
	case 'f':
		return literal(sc, "false", V_FALSE, v);
	case 'n':
		return literal(sc, "null", V_NULL, v);
	default:
		return number(sc, v);
	}
}

/* The next member's key of the object at sc, its index in keys (a
 * NULL-terminated list) in *k, the ':' taken; 1 a member, 0 the end of
 * the object ('}' taken), -1 declined (an unknown key, one seen before
 * by `seen`, or not JSON). *first: no member read yet. */
static int
member(struct scan *sc, const char *const *keys, unsigned *seen, int *first,
    int *k)
{
	struct val v;

	if (eat(sc, '}'))
		return 0;
	if (!*first && !eat(sc, ','))
		return -1;
	*first = 0;
	if (!more(sc) || *sc->p != '"' || !string(sc, &v) || !eat(sc, ':'))
		return -1;
	for (*k = 0; keys[*k] != NULL; (*k)++)
		if (strncmp(keys[*k], v.s, v.n) == 0 && keys[*k][v.n] == '\0')
			break;
	if (keys[*k] == NULL || (*seen & 1u << *k))
		return -1;
	*seen |= 1u << *k;
	return 1;
}

/* An optional number in [min, max] as wire.c's get_num reads it: NaN for
 * null. 0 declined. */
static int
num_in(struct scan *sc, double min, double max, double *out)
{
	struct val v;

	if (!value(sc, &v))
		return 0;
	if (v.kind == V_NULL) {
		*out = NAN;
		return 1;
	}
	if ((v.kind != V_INT && v.kind != V_REAL) || v.d < min || v.d > max)
		return 0;
	*out = v.d;
	return 1;
}

/* An integer (not a real) into *out; null leaves it. 0 declined. */
static int
int_or_null(struct scan *sc, long long *out, int *set)
{
	struct val v;

	*set = 0;
	if (!value(sc, &v) || (v.kind != V_INT && v.kind != V_NULL))
		return 0;
	if (v.kind == V_INT) {
		*out = v.i;
		*set = 1;
	}
	return 1;
}

/* true or false into *out; null leaves it. 0 declined. */
static int
bool_or_null(struct scan *sc, int *out)
{
	struct val v;

	if (!value(sc, &v))
		return 0;
	if (v.kind == V_TRUE || v.kind == V_FALSE)
		*out = v.kind == V_TRUE;
	return v.kind == V_TRUE || v.kind == V_FALSE || v.kind == V_NULL;
}

/* A string copied into out (size bytes): truncated when `cut`, else
 * declined when longer than size - 1; null gives "". 0 declined. */
static int
str_or_null(struct scan *sc, char *out, size_t size, int cut)
{
	struct val v;
	size_t n;

	out[0] = '\0';
	if (!value(sc, &v) || (v.kind != V_STR && v.kind != V_NULL))
		return 0;
	if (v.kind == V_NULL)
		return 1;
	if (v.n >= size && !cut)
		return 0;
	n = v.n < size ? v.n : size - 1;
	memcpy(out, v.s, n);
	out[n] = '\0';
	return 1;
}

/* The array at sc, each element read by each(sc, arg, its index). 0
 * declined (not an array, or each() declined). */
static int
elements(struct scan *sc, int (*each)(struct scan *, void *, int), void *arg)
{
	int i = 0;

	if (!eat(sc, '['))
		return 0;
	if (eat(sc, ']'))
		return 1;
	do {
		if (!each(sc, arg, i++))
			return 0;
	} while (eat(sc, ','));
	return eat(sc, ']');
}

/* A number or null in an array wire.c reads leniently: its value in
 * *v. 0 declined (another type). */
static int
lenient(struct scan *sc, struct val *v)
{
	return value(sc, v) &&
	       (v->kind == V_INT || v->kind == V_REAL || v->kind == V_NULL);
}

static int
accel(struct scan *sc, struct report_accel *a)
{
	static const char *const keys[] = {"power_w", "energy_j", "temp_c",
	    "clock_mhz", "util_pct", "mem_used_mib", NULL};
	unsigned seen = 0;
	int first = 1, k, m;
	struct val v;

	a->power_w = a->energy_j = a->temp_c = NAN;
	a->clock_mhz = a->util_pct = a->mem_used_mib = NAN;
	if (!value(sc, &v) || (v.kind != V_NULL && v.kind != V_OPEN))
		return 0;
	if (v.kind == V_NULL)
		return 1;
	if (!eat(sc, '{'))
		return 0;
	while ((m = member(sc, keys, &seen, &first, &k)) == 1) {
		static const double lo[] = {0, 0, -50, 0, 0, 0};
		static const double hi[] = {1e5, 1e18, 250, 1e5, 100, 1e8};
		double *f[] = {&a->power_w, &a->energy_j, &a->temp_c,
		    &a->clock_mhz, &a->util_pct, &a->mem_used_mib};

		if (!num_in(sc, lo[k], hi[k], f[k]))
			return 0;
	}
	return m == 0;
}

static int
loop(struct scan *sc, struct report_sample *s)
{
	static const char *const keys[] = {"supply_c", "return_c", "flow_lpm",
	    "pressure_kpa", "capacity_w", "pump_pct", "leak", NULL};
	static const double lo[] = {-50, -50, 0, -1e4, 0, 0};
	static const double hi[] = {250, 250, 1e5, 1e5, 1e8, 100};
	double *f[] = {&s->supply_c, &s->return_c, &s->flow_lpm,
	    &s->pressure_kpa, &s->capacity_w, &s->pump_pct};
	unsigned seen = 0;
	int first = 1, k, m;
	struct val v;

	s->supply_c = s->return_c = s->flow_lpm = s->pressure_kpa = NAN;
	s->capacity_w = s->pump_pct = NAN;
	s->leak = -1;
	s->has_loop = 0;
	if (!value(sc, &v) || (v.kind != V_NULL && v.kind != V_OPEN))
		return 0;
	if (v.kind == V_NULL)
		return 1;
	if (!eat(sc, '{'))
		return 0;
	while ((m = member(sc, keys, &seen, &first, &k)) == 1) {
		if (k == 6) {
			if (!bool_or_null(sc, &s->leak))
				return 0;
		} else if (!num_in(sc, lo[k], hi[k], f[k]))
			return 0;
	}
	s->has_loop = 1;
	return m == 0;
}

static int
each_accel(struct scan *sc, void *arg, int i)
{
	struct report_sample *s = arg;

	if (i == REPORT_MAX_ACCELS || !accel(sc, &s->accels[i]))
		return 0;
	s->naccels = i + 1;
	return 1;
}

/* The accels member: null, or an array of at most REPORT_MAX_ACCELS. */
static int
accels(struct scan *sc, struct report_sample *s)
{
	struct val v;

	s->naccels = 0;
	if (!value(sc, &v) || (v.kind != V_NULL && v.kind != V_OPEN))
		return 0;
	return v.kind == V_NULL || elements(sc, each_accel, s);
}

static int
sample(struct scan *sc, struct report_sample *s)
{
	static const char *const keys[] = {
	    "seq", "t_ms", "power_w", "accels", "loop", NULL};
	unsigned seen = 0;
	int first = 1, k, m, set;
	long long v;

	s->power_w = NAN;
	s->naccels = 0;
	s->has_loop = 0;
	s->supply_c = s->return_c = s->flow_lpm = s->pressure_kpa = NAN;
	s->capacity_w = s->pump_pct = NAN;
	s->leak = -1;
	if (!eat(sc, '{'))
		return 0;
	while ((m = member(sc, keys, &seen, &first, &k)) == 1) {
		switch (k) {
		case 0:
		case 1:
			if (!int_or_null(sc, &v, &set) || !set ||
			    v < (k == 0 ? 1 : 0))
				return 0;
			*(k == 0 ? &s->seq : &s->t_ms) = v;
			break;
		case 2:
			if (!num_in(sc, 0, 1e6, &s->power_w))
				return 0;
			break;
		case 3:
			if (!accels(sc, s))
				return 0;
			break;
		case 4:
			if (!loop(sc, s))
				return 0;
			break;
		}
	}
	return m == 0 && (seen & 3u) == 3u;
}

/* Grows *arr of *cap elements of size each to hold n + 1, up to max;
 * new ones zeroed. 0 declined (too many, or no memory). */
static int
room(void **arr, int *cap, int n, int max, size_t size)
{
	void *p;
	int c;

	if (n < *cap)
		return 1;
	if (n >= max)
		return 0;
	c = *cap > 0 ? *cap * 2 : 8;
	if (c > max)
		c = max;
	if ((p = realloc(*arr, (size_t)c * size)) == NULL)
		return 0;
	memset((char *)p + (size_t)*cap * size, 0, (size_t)(c - *cap) * size);
	*arr = p;
	*cap = c;
	return 1;
}

/* A report and the room its growing array has. */
struct growing {
	struct report *r;
	int cap;
};

static int
each_sample(struct scan *sc, void *arg, int i)
{
	struct growing *g = arg;
	struct report *r = g->r;

	if (!room((void **)&r->samples, &g->cap, i, REPORT_MAX_SAMPLES,
	        sizeof(*r->samples)) ||
	    !sample(sc, &r->samples[i]))
		return 0;
	r->nsamples = i + 1;
	return 1;
}

static int
samples(struct scan *sc, struct report *r)
{
	struct growing g = {r, 0};

	return elements(sc, each_sample, &g);
}

static int
job(struct scan *sc, struct report_job *j)
{
	static const char *const keys[] = {"id", "attempt", "state", "cause",
	    "log", "message", "exit_code", "signal", "started_ms", "ended_ms",
	    "pid", NULL};
	static const char *const causes[] = {
	    "exit", "cancelled", "timeout", "launch_error", "fenced", NULL};
	char state[16] = "";
	unsigned seen = 0;
	int first = 1, k, m, set, i;
	long long v;

	if (!eat(sc, '{'))
		return 0;
	while ((m = member(sc, keys, &seen, &first, &k)) == 1) {
		switch (k) {
		case 2:
			if (!str_or_null(sc, state, sizeof(state), 0))
				return 0;
			break;
		case 3:
			if (!str_or_null(sc, j->cause, sizeof(j->cause), 0))
				return 0;
			break;
		case 4:
			if (!str_or_null(sc, j->log, sizeof(j->log), 1))
				return 0;
			break;
		case 5:
			if (!str_or_null(sc, j->message, sizeof(j->message), 1))
				return 0;
			break;
		default:
			if (!int_or_null(sc, &v, &set))
				return 0;
			if (!set && k < 2)
				return 0;
			if (!set)
				break;
			if ((k == 0 && v < 1) ||
			    (k == 1 && (v < 1 || v > 1000000)) ||
			    (k == 6 && (v < -1000 || v > 1000)))
				return 0;
			if (k == 0)
				j->id = v;
			else if (k == 1)
				j->attempt = (int)v;
			else if (k == 6) {
				j->has_exit = 1;
				j->exit_code = (int)v;
			} else if (k == 7 && v > 0 && v < 128)
				j->signal = (int)v;
			else if (k == 8 && v > 0)
				j->started_ms = v;
			else if (k == 9 && v > 0)
				j->ended_ms = v;
			else if (k == 10 && v > 0 && v <= INT32_MAX)
				j->pid = (int)v;
		}
	}
	if (m != 0 || (seen & 7u) != 7u)
		return 0;
	if (strcmp(state, "running") == 0) {
		j->state = RJOB_RUNNING;
		return 1;
	}
	if (strcmp(state, "ended") != 0)
		return 0;
	j->state = RJOB_ENDED;
	for (i = 0; causes[i] != NULL; i++)
		if (strcmp(j->cause, causes[i]) == 0)
			return 1;
	return 0;
}

static int
each_job(struct scan *sc, void *arg, int i)
{
	struct growing *g = arg;
	struct report *r = g->r;

	if (!room((void **)&r->jobs, &g->cap, i, REPORT_MAX_JOBS,
	        sizeof(*r->jobs)) ||
	    !job(sc, &r->jobs[i]))
		return 0;
	r->njobs = i + 1;
	return 1;
}

static int
jobs(struct scan *sc, struct report *r)
{
	struct growing g = {r, 0};
	struct val v;

	if (!value(sc, &v) || (v.kind != V_NULL && v.kind != V_OPEN))
		return 0;
	if (v.kind == V_NULL)
		return 1;
	r->njobs = 0;
	return elements(sc, each_job, &g);
}

/* An overtemp entry: an index 0 to 63 sets its bit; others are left. */
static int
each_hot(struct scan *sc, void *arg, int i)
{
	struct report_power *p = arg;
	struct val v;

	if (!lenient(sc, &v))
		return 0;
	if (v.kind == V_INT && v.i >= 0 && v.i < 64)
		p->guard_overtemp |= (uint64_t)1 << v.i;
	return 1;
}

/* A clock cap: an integer 0 to 1000000, else -1; past
 * REPORT_MAX_ACCELS, read and left. */
static int
each_cap(struct scan *sc, void *arg, int i)
{
	struct report_power *p = arg;
	struct val v;

	if (!lenient(sc, &v))
		return 0;
	if (i < REPORT_MAX_ACCELS) {
		p->clock_caps_mhz[i] =
		    v.kind == V_INT && v.i >= 0 && v.i <= 1000000 ? (int)v.i
		                                                  : -1;
		p->ncaps = i + 1;
	}
	return 1;
}

/* The guard object of power, as parse_power reads it. */
static int
guard(struct scan *sc, struct report_power *p)
{
	static const char *const keys[] = {"leak", "lowflow", "overtemp", NULL};
	unsigned seen = 0;
	int first = 1, k, m;

	if (!eat(sc, '{'))
		return 0;
	while ((m = member(sc, keys, &seen, &first, &k)) == 1) {
		if (k == 0 && !bool_or_null(sc, &p->guard_leak))
			return 0;
		if (k == 1 && !bool_or_null(sc, &p->guard_lowflow))
			return 0;
		if (k == 2 && !elements(sc, each_hot, p))
			return 0;
	}
	return m == 0;
}

static int
power(struct scan *sc, struct report *r)
{
	static const char *const keys[] = {"policy", "cap_w", "limiting",
	    "fallback", "clock_caps_mhz", "guard", NULL};
	struct report_power *p = &r->power;
	unsigned seen = 0;
	int first = 1, k, m;
	struct val v;

	if (!value(sc, &v) || (v.kind != V_NULL && v.kind != V_OPEN))
		return 0;
	if (v.kind == V_NULL)
		return 1;
	if (!eat(sc, '{'))
		return 0;
	r->has_power = 1;
	p->cap_w = NAN;
	while ((m = member(sc, keys, &seen, &first, &k)) == 1) {
		switch (k) {
		case 0:
			if (!str_or_null(sc, p->policy, sizeof(p->policy), 1))
				return 0;
			break;
		case 1:
			if (!num_in(sc, -INFINITY, INFINITY, &p->cap_w))
				return 0;
			break;
		case 2:
			if (!bool_or_null(sc, &p->limiting))
				return 0;
			break;
		case 3:
			if (!bool_or_null(sc, &p->fallback))
				return 0;
			break;
		case 4:
			if (!elements(sc, each_cap, p))
				return 0;
			break;
		case 5:
			if (!guard(sc, p))
				return 0;
			break;
		}
	}
	return m == 0;
}

static int
by_seq(const void *a, const void *b)
{
	const struct report_sample *x = a, *y = b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The top-level object into r; 0 declined. */
static int
report(struct scan *sc, struct report *r)
{
	static const char *const keys[] = {"boot_id", "agent_version",
	    "interval_ms", "desired_version", "dropped_samples", "inventory",
	    "jobs", "power", "samples", NULL};
	unsigned seen = 0;
	int first = 1, k, m, set;
	long long v;
	struct val x;

	if (!eat(sc, '{'))
		return 0;
	while ((m = member(sc, keys, &seen, &first, &k)) == 1) {
		switch (k) {
		case 0:
			if (!str_or_null(
			        sc, r->boot_id, sizeof(r->boot_id), 0) ||
			    r->boot_id[0] == '\0' ||
			    strspn(r->boot_id, "0123456789abcdefABCDEF") !=
			        strlen(r->boot_id))
				return 0;
			break;
		case 1:
			if (!str_or_null(sc, r->agent_version,
			        sizeof(r->agent_version), 0))
				return 0;
			break;
		case 2:
		case 3:
		case 4:
			if (!int_or_null(sc, &v, &set))
				return 0;
			if (set)
				*(k == 2     ? &r->interval_ms
				    : k == 3 ? &r->desired_version
				             : &r->dropped_samples) = v;
			break;
		case 5: /* the Jansson path's */
			if (!value(sc, &x) || x.kind != V_NULL)
				return 0;
			break;
		case 6:
			if (!jobs(sc, r))
				return 0;
			break;
		case 7:
			if (!power(sc, r))
				return 0;
			break;
		case 8:
			if (!samples(sc, r))
				return 0;
			break;
		}
	}
	/* boot_id and samples are required */
	return m == 0 && (seen & 1u) && (seen & 1u << 8);
}

int
wire_report_scan(const char *text, size_t len, struct report *r)
{
	struct scan sc = {text, text + len};

	memset(r, 0, sizeof(*r));
	r->ninventory = -1;
	r->njobs = -1;
	if (!report(&sc, r) || more(&sc)) {
		wire_report_free(r);
		return 0;
	}
	if (r->nsamples > 1)
		qsort(r->samples, r->nsamples, sizeof(*r->samples), by_seq);
	return 1;
}
