/*
 * The controller's own counters and histograms (see selfstat.h).
 *
 * Histograms have fixed buckets, as Prometheus' client libraries do: an
 * observation is a scan of at most SELFSTAT_MAX_BOUNDS bounds and three
 * additions, and percentiles are estimated from the buckets the way
 * histogram_quantile() does, so that /status and a Prometheus query agree.
 * The last minute is kept as 60 one-second slots, each tagged with the
 * second it holds: a slot is cleared lazily when its second comes round
 * again, so that nothing has to run every second and a quiet controller
 * costs nothing. Windows are read by summing the slots whose tag is recent.
 *
 * Back-pressure lives here too because it is judged from these numbers
 * (the loop lag's recent p99, the store queue's depth): a controller that
 * falls behind asks agents to report less often, doubling the interval as
 * long as it stays behind, and eases back by halves once healthy.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "selfstat.h"

/* Handling times on the loop, s: 50 µs to 10 s. */
static const double latency_bounds[] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001,
    0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
/* Loop lag, s: how late a 100 ms timer fires. */
static const double lag_bounds[] = {
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10};
/* A sample's age at receipt, s: agents sample every second or so, and
 * batch up to 30 s when asked to. */
static const double delay_bounds[] = {
    0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300};
/* A writer batch, s. */
static const double batch_bounds[] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

#define NB(a) ((int)(sizeof(a) / sizeof(a[0])))

/* Modbus function codes with names: code, label. */
static const struct {
	int fc;
	const char *name;
} modbus_names[] = {
    {1, "read_coils"},
    {2, "read_discrete_inputs"},
    {3, "read_holding_registers"},
    {4, "read_input_registers"},
    {5, "write_single_coil"},
    {6, "write_single_register"},
    {15, "write_multiple_coils"},
    {16, "write_multiple_registers"},
    {23, "read_write_multiple_registers"},
};

double
selfstat_clock_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The slot of second sec, cleared when it held another second; 1 when it
 * was cleared. */
static int
slot_of(int64_t *tags, int64_t sec, int *i)
{
	*i = (int)(sec % SELFSTAT_WINDOW_S);
	if (tags[*i] == sec)
		return 0;
	tags[*i] = sec;
	return 1;
}

/* 1 when tag is one of the `secs` seconds up to now_sec. */
static int
recent(int64_t tag, int64_t now_sec, int secs)
{
	return tag > now_sec - secs && tag <= now_sec;
}

void
selfstat_count(struct selfstat_counter *c, int64_t now_ms, uint64_t n)
{
	int i;

	c->total += n;
	if (slot_of(c->sec, now_ms / 1000, &i))
		c->n[i] = 0;
	c->n[i] += (uint32_t)n;
}

uint64_t
selfstat_recent(const struct selfstat_counter *c, int64_t now_ms, int secs)
{
	int64_t now_sec = now_ms / 1000;
	uint64_t sum = 0;
	int i;

	if (secs > SELFSTAT_WINDOW_S)
		secs = SELFSTAT_WINDOW_S;
	for (i = 0; i < SELFSTAT_WINDOW_S; i++)
		if (recent(c->sec[i], now_sec, secs))
			sum += c->n[i];
	return sum;
}

void
selfstat_hist_init(struct selfstat_hist *h, const double *bounds, int n)
{
	memset(h, 0, sizeof(*h));
	h->bounds = bounds;
	h->nbounds = n < SELFSTAT_MAX_BOUNDS ? n : SELFSTAT_MAX_BOUNDS;
}

/* The bucket v falls in: the first bound at or above it, else +Inf. */
static int
bucket_of(const struct selfstat_hist *h, double v)
{
	int b;

	for (b = 0; b < h->nbounds && v > h->bounds[b]; b++)
		continue;
	return b;
}

void
selfstat_observe(struct selfstat_hist *h, double v)
{
	if (isnan(v))
		return;
	h->bucket[bucket_of(h, v)]++;
	h->sum += v;
	h->count++;
}

void
selfstat_wobserve(struct selfstat_whist *w, int64_t now_ms, double v)
{
	int i;

	if (isnan(v))
		return;
	selfstat_observe(&w->h, v);
	if (slot_of(w->sec, now_ms / 1000, &i))
		memset(w->slot[i], 0, sizeof(w->slot[i]));
	w->slot[i][bucket_of(&w->h, v)]++;
}

double
selfstat_quantile(
    const struct selfstat_whist *w, int64_t now_ms, int secs, double q)
{
	const struct selfstat_hist *h = &w->h;
	uint64_t b[SELFSTAT_MAX_BOUNDS + 1] = {0}, total = 0, cum = 0;
	int64_t now_sec = now_ms / 1000;
	double rank, lower;
	int i, k;

	if (secs > SELFSTAT_WINDOW_S)
		secs = SELFSTAT_WINDOW_S;
	for (i = 0; i < SELFSTAT_WINDOW_S; i++)
		if (recent(w->sec[i], now_sec, secs))
			for (k = 0; k <= h->nbounds; k++)
				b[k] += w->slot[i][k];
	for (k = 0; k <= h->nbounds; k++)
		total += b[k];
	if (total == 0)
		return NAN;
	rank = q * (double)total;
	for (k = 0; k <= h->nbounds; k++) {
		if ((double)(cum + b[k]) >= rank && b[k] > 0)
			break;
		cum += b[k];
	}
	if (k >= h->nbounds) /* in +Inf: the highest bound is all we know */
		return h->nbounds > 0 ? h->bounds[h->nbounds - 1] : NAN;
	lower = k == 0 ? 0 : h->bounds[k - 1];
	return lower + (h->bounds[k] - lower) * ((rank - (double)cum) / b[k]);
}

struct selfstat *
selfstat_new(int nnodes, int64_t now_ms)
{
	struct selfstat *s = calloc(1, sizeof(*s));
	int i;

	if (s == NULL || (nnodes > 0 && (s->node_dropped = calloc(nnodes,
	                                     sizeof(int64_t))) == NULL)) {
		log_warnx("%s: out of memory", __func__);
		free(s);
		return NULL;
	}
	s->nnodes = nnodes;
	for (i = 0; i < nnodes; i++)
		s->node_dropped[i] = -1; /* no baseline yet */
	s->start_ms = now_ms;
	selfstat_hist_init(&s->report_s.h, latency_bounds, NB(latency_bounds));
	selfstat_hist_init(
	    &s->sample_delay_s.h, delay_bounds, NB(delay_bounds));
	selfstat_hist_init(&s->loop_lag_s.h, lag_bounds, NB(lag_bounds));
	selfstat_hist_init(
	    &s->sched_pass_s.h, latency_bounds, NB(latency_bounds));
	selfstat_hist_init(&s->store_batch_s.h, batch_bounds, NB(batch_bounds));
	selfstat_hist_init(&s->http_s.h, latency_bounds, NB(latency_bounds));
	for (i = 0; i < SELFSTAT_HTTP_KEYS; i++) {
		s->http[i].self = s;
		selfstat_hist_init(
		    &s->http[i].seconds, latency_bounds, NB(latency_bounds));
	}
	return s;
}

void
selfstat_free(struct selfstat *s)
{
	if (s == NULL)
		return;
	free(s->node_dropped);
	free(s);
}

void
selfstat_http_name(struct selfstat *s, int key, const char *method,
    const char *prefix, const char *pattern)
{
	if (key < 0 || key >= SELFSTAT_HTTP_KEYS)
		return;
	snprintf(
	    s->http[key].method, sizeof(s->http[key].method), "%s", method);
	snprintf(s->http[key].route, sizeof(s->http[key].route), "%s%s", prefix,
	    pattern);
}

struct selfstat_http *
selfstat_http_slot(struct selfstat *s, int key)
{
	if (s == NULL || key < 0 || key >= SELFSTAT_HTTP_KEYS)
		return NULL;
	return &s->http[key];
}

void
selfstat_http_time(struct selfstat *s, int key, int64_t now_ms, double secs)
{
	if (s == NULL || key < 0 || key >= SELFSTAT_HTTP_KEYS)
		return;
	selfstat_observe(&s->http[key].seconds, secs);
	selfstat_wobserve(&s->http_s, now_ms, secs);
}

void
selfstat_http_code(struct selfstat_http *h, int64_t now_ms, int code)
{
	int i;

	if (h == NULL)
		return;
	selfstat_count(&h->self->http_total, now_ms, 1);
	for (i = 0; i < SELFSTAT_HTTP_CODES - 1; i++) {
		if (h->codes[i].code == code)
			break;
		if (h->codes[i].code == 0) { /* the first free slot */
			h->codes[i].code = code;
			break;
		}
	}
	/* the last slot is kept for the codes that found no room: 0 */
	h->codes[i].n++;
}

void
selfstat_report(struct selfstat *s, int64_t now_ms, int idx, int same_boot,
    int64_t ack, const int64_t *seqs, int nseqs, int64_t dropped)
{
	uint64_t received = 0, dup = 0, gaps = 0, grew = 0;
	int64_t prev = same_boot ? ack : 0;
	int i;

	for (i = 0; i < nseqs; i++) {
		if (seqs[i] <= prev) {
			dup++;
			continue;
		}
		if (prev > 0)
			gaps += (uint64_t)(seqs[i] - prev - 1);
		received++;
		prev = seqs[i];
	}
	if (idx >= 0 && idx < s->nnodes) {
		int64_t *was = &s->node_dropped[idx];

		if (same_boot && *was >= 0 && dropped > *was)
			grew = (uint64_t)(dropped - *was);
		*was = dropped;
	}
	selfstat_count(&s->samples_received, now_ms, received);
	selfstat_count(&s->samples_duplicate, now_ms, dup);
	selfstat_count(&s->samples_lost, now_ms, grew > gaps ? grew : gaps);
}

const char *
selfstat_modbus_name(int fc)
{
	size_t i;

	for (i = 0; i < sizeof(modbus_names) / sizeof(modbus_names[0]); i++)
		if (modbus_names[i].fc == fc)
			return modbus_names[i].name;
	return NULL;
}

void
selfstat_modbus(struct selfstat *s, int64_t now_ms, int fc, int exception)
{
	if (s == NULL)
		return;
	s->modbus[fc & 0xff][exception != 0]++;
	selfstat_count(&s->modbus_total, now_ms, 1);
}

void
selfstat_loop_cpu(struct selfstat *s, double cpu_s, double wall_s)
{
	double share;

	if (s == NULL)
		return;
	if (s->loop_wall_s > 0 && wall_s > s->loop_wall_s) {
		share = (cpu_s - s->loop_cpu_s) / (wall_s - s->loop_wall_s);
		s->loop_share[s->nshare++ % SELFSTAT_LAG_WINDOW_S] =
		    share > 0 ? share : 0;
	}
	s->loop_cpu_s = cpu_s;
	s->loop_wall_s = wall_s;
}

double
selfstat_loop_share(const struct selfstat *s)
{
	int i, n = s->nshare < SELFSTAT_LAG_WINDOW_S ? s->nshare
	                                             : SELFSTAT_LAG_WINDOW_S;
	double sum = 0;

	if (n == 0)
		return NAN;
	for (i = 0; i < n; i++)
		sum += s->loop_share[i];
	return sum / n;
}

/* Why the controller is behind, into s->behind ("" when it is not). */
static void
judge(struct selfstat *s, int64_t now_ms, const struct selfstat_bp_conf *conf)
{
	double lag_s = selfstat_quantile(
	    &s->loop_lag_s, now_ms, SELFSTAT_LAG_WINDOW_S, 0.99);
	double busy = selfstat_loop_share(s);

	s->behind[0] = '\0';
	if (s->store_queue_max > 0 &&
	    s->store_queue > conf->queue_share * s->store_queue_max)
		snprintf(s->behind, sizeof(s->behind),
		    "store queue %d samples, over %g of its cap %d",
		    s->store_queue, conf->queue_share, s->store_queue_max);
	else if (!isnan(lag_s) && lag_s * 1000 > conf->lag_ms)
		snprintf(s->behind, sizeof(s->behind),
		    "loop lag p99 %.0f ms over %d s, over %g ms", lag_s * 1000,
		    SELFSTAT_LAG_WINDOW_S, conf->lag_ms);
	else if (!isnan(busy) && conf->cpu_share > 0 && busy > conf->cpu_share)
		snprintf(s->behind, sizeof(s->behind),
		    "event loop busy %.0f %% of a core over %d s, over %g %%",
		    busy * 100, SELFSTAT_LAG_WINDOW_S, conf->cpu_share * 100);
}

int
selfstat_backpressure(
    struct selfstat *s, int64_t now_ms, const struct selfstat_bp_conf *conf)
{
	int was = s->ask_ms, ask = s->ask_ms;
	int floor_ms =
	    conf->floor_ms < conf->max_ms ? conf->floor_ms : conf->max_ms;

	judge(s, now_ms, conf);
	if (s->behind[0] != '\0') {
		s->healthy_ms = 0;
		if (ask == 0)
			ask = SELFSTAT_ASK_FIRST_MS;
		else if (now_ms - s->changed_ms >= ask)
			ask *= 2;
		if (ask > conf->max_ms)
			ask = conf->max_ms;
	} else {
		if (s->healthy_ms == 0)
			s->healthy_ms = now_ms;
		if (ask > 0 && now_ms - s->healthy_ms >= ask &&
		    now_ms - s->changed_ms >= ask) {
			ask /= 2;
			if (ask < SELFSTAT_ASK_FIRST_MS)
				ask = 0;
		}
	}
	if (ask < floor_ms)
		ask = floor_ms;
	s->floor_ms = floor_ms;
	if (ask != was) {
		s->prev_ask_ms = was;
		s->ask_ms = ask;
		s->changed_ms = now_ms;
		if (floor_ms > 0 && ask == floor_ms && was < ask)
			log_info("the fabric's size (report_rate_max): asking "
			         "agents to report every %d ms",
			    ask);
		else if (floor_ms > 0 && ask == floor_ms)
			log_info("caught up: agents report every %d ms, as the "
			         "fabric's size asks",
			    ask);
		else if (was == 0 || was == floor_ms)
			log_info("behind (%s): asking agents to report every "
			         "%d ms",
			    s->behind, ask);
		else if (ask == 0)
			log_info("caught up: agents report at their own "
			         "interval again");
		else
			log_info("%s: asking agents to report every %d ms",
			    s->behind[0] != '\0' ? s->behind : "easing", ask);
	}
	return s->ask_ms;
}

int
selfstat_silence_ms(const struct selfstat *s, int64_t now_ms)
{
	if (s == NULL)
		return 0;
	if (s->prev_ask_ms > s->ask_ms &&
	    now_ms - s->changed_ms < s->prev_ask_ms)
		return s->prev_ask_ms;
	return s->ask_ms;
}

/* A quantile in ms (rounded to µs) into o as key, null when unknown. */
static void
set_ms(json_t *o, const char *key, const struct selfstat_whist *w,
    int64_t now_ms, double q)
{
	double v = selfstat_quantile(w, now_ms, SELFSTAT_WINDOW_S, q);

	json_object_set_new(
	    o, key, isnan(v) ? json_null() : json_real(round(v * 1e6) / 1e3));
}

/* A counter's rate per second over the window, to 0.01. */
static void
set_rate(json_t *o, const char *key, const struct selfstat_counter *c,
    int64_t now_ms, int64_t span_s)
{
	double r = (double)selfstat_recent(c, now_ms, SELFSTAT_WINDOW_S) /
	           (double)span_s;

	json_object_set_new(o, key, json_real(round(r * 100) / 100));
}

json_t *
selfstat_json(const struct selfstat *s, int64_t now_ms)
{
	int64_t span_s = (now_ms - s->start_ms) / 1000 + 1;
	json_t *o = json_object();
	double busy;

	if (o == NULL)
		return NULL;
	if (span_s > SELFSTAT_WINDOW_S)
		span_s = SELFSTAT_WINDOW_S;
	json_object_set_new(o, "window_s", json_integer(SELFSTAT_WINDOW_S));
	json_object_set_new(o, "reports_accepted",
	    json_integer((json_int_t)s->reports_accepted.total));
	json_object_set_new(o, "reports_refused",
	    json_integer((json_int_t)s->reports_refused.total));
	set_rate(o, "reports_per_s", &s->reports_accepted, now_ms, span_s);
	json_object_set_new(o, "samples_received",
	    json_integer((json_int_t)s->samples_received.total));
	json_object_set_new(o, "samples_duplicate",
	    json_integer((json_int_t)s->samples_duplicate.total));
	json_object_set_new(
	    o, "samples_lost", json_integer((json_int_t)s->samples_lost.total));
	json_object_set_new(o, "samples_stored",
	    json_integer((json_int_t)s->samples_stored.total));
	json_object_set_new(o, "samples_dropped",
	    json_integer((json_int_t)s->samples_dropped.total));
	set_rate(o, "samples_per_s", &s->samples_received, now_ms, span_s);
	set_rate(o, "stored_per_s", &s->samples_stored, now_ms, span_s);
	set_ms(o, "report_p50_ms", &s->report_s, now_ms, 0.5);
	set_ms(o, "report_p99_ms", &s->report_s, now_ms, 0.99);
	set_ms(o, "sample_delay_p50_ms", &s->sample_delay_s, now_ms, 0.5);
	set_ms(o, "sample_delay_p99_ms", &s->sample_delay_s, now_ms, 0.99);
	set_ms(o, "loop_lag_p50_ms", &s->loop_lag_s, now_ms, 0.5);
	set_ms(o, "loop_lag_p99_ms", &s->loop_lag_s, now_ms, 0.99);
	busy = selfstat_loop_share(s);
	json_object_set_new(o, "loop_cpu_pct",
	    isnan(busy) ? json_null() : json_real(round(busy * 1000) / 10));
	set_ms(o, "sched_pass_p50_ms", &s->sched_pass_s, now_ms, 0.5);
	set_ms(o, "sched_pass_p99_ms", &s->sched_pass_s, now_ms, 0.99);
	json_object_set_new(
	    o, "http_requests", json_integer((json_int_t)s->http_total.total));
	set_rate(o, "http_per_s", &s->http_total, now_ms, span_s);
	set_ms(o, "http_p50_ms", &s->http_s, now_ms, 0.5);
	set_ms(o, "http_p99_ms", &s->http_s, now_ms, 0.99);
	json_object_set_new(o, "modbus_requests",
	    json_integer((json_int_t)s->modbus_total.total));
	json_object_set_new(
	    o, "store_queue_samples", json_integer(s->store_queue));
	json_object_set_new(
	    o, "store_queue_max", json_integer(s->store_queue_max));
	set_ms(o, "store_batch_p99_ms", &s->store_batch_s, now_ms, 0.99);
	json_object_set_new(o, "report_interval_ms", json_integer(s->ask_ms));
	json_object_set_new(
	    o, "report_interval_floor_ms", json_integer(s->floor_ms));
	json_object_set_new(o, "behind",
	    s->behind[0] != '\0' ? json_string(s->behind) : json_null());
	return o;
}
