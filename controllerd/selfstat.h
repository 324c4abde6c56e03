/*
 * The controller counts itself: counters and fixed-bucket histograms of its
 * own work (reports and samples taken in, HTTP requests by route, Modbus
 * requests, loop lag, scheduling passes, the sample writer), read by
 * /metrics as Prometheus counters and histograms and by GET /status as
 * rates and percentiles over the last minute; and the back-pressure
 * verdict that the report reply carries to agents ("report_interval_ms").
 *
 * Everything is counted on the event loop, in memory allocated once by
 * selfstat_new(): an event is a few additions, never an allocation, so
 * that a request can be counted whatever it costs otherwise. Callers pass
 * the monotonic time (ms) so that the module reads no clock but
 * selfstat_clock_s() and tests drive time by hand.
 */
#ifndef CTL_SELFSTAT_H
#define CTL_SELFSTAT_H

#include <stdint.h>

#include <jansson.h>

#define SELFSTAT_WINDOW_S     60   /* the window of rates and percentiles */
#define SELFSTAT_MAX_BOUNDS   16   /* finite buckets of a histogram */
#define SELFSTAT_HTTP_KEYS    128  /* (method, route) series of HTTP */
#define SELFSTAT_HTTP_CODES   12   /* status codes kept per series */
#define SELFSTAT_ROUTE_LEN    72   /* a route label, with its prefix */
#define SELFSTAT_ASK_FIRST_MS 2000 /* the first interval asked, ms */
#define SELFSTAT_LAG_WINDOW_S 5    /* loop lag judged over, s */

/* A counter, with per-second counts of the last minute for its rate. */
struct selfstat_counter {
	uint64_t total;
	int64_t sec[SELFSTAT_WINDOW_S]; /* the second slot i holds */
	uint32_t n[SELFSTAT_WINDOW_S];
};

/* A histogram (Prometheus-style: upper bounds, then +Inf). */
struct selfstat_hist {
	const double *bounds;                     /* ascending, borrowed */
	int nbounds;                              /* finite bounds */
	uint64_t bucket[SELFSTAT_MAX_BOUNDS + 1]; /* per bucket, not summed;
	                                           * [nbounds] is +Inf */
	double sum;
	uint64_t count;
};

/* A histogram with per-second buckets of the last minute, for percentiles
 * over a window. */
struct selfstat_whist {
	struct selfstat_hist h;
	int64_t sec[SELFSTAT_WINDOW_S];
	uint32_t slot[SELFSTAT_WINDOW_S][SELFSTAT_MAX_BOUNDS + 1];
};

struct selfstat;

/* One HTTP series: a route (or "other") and a method. */
struct selfstat_http {
	struct selfstat *self; /* back, for the completion callback */
	char method[12];       /* "" when unused */
	char route[SELFSTAT_ROUTE_LEN];
	struct selfstat_hist seconds;
	struct {
		int code; /* 0: any other code, once the slots are used */
		uint64_t n;
	} codes[SELFSTAT_HTTP_CODES];
};

/* The thresholds of back-pressure ([controller] keys, config.h). */
struct selfstat_bp_conf {
	double queue_share; /* of the store queue's cap; behind above it */
	double lag_ms;      /* loop lag p99 over SELFSTAT_LAG_WINDOW_S */
	double cpu_share;   /* the loop thread's CPU over the same, of a core */
	int max_ms;         /* the longest interval asked, ms */
	int floor_ms;       /* asked whatever the load: the fabric's size over
	                       report_rate_max, ms; 0 none */
};

struct selfstat {
	int64_t start_ms; /* monotonic, selfstat_new() */
	struct selfstat_counter reports_accepted, reports_refused;
	struct selfstat_counter samples_received, samples_duplicate;
	struct selfstat_counter samples_lost, samples_stored, samples_dropped;
	struct selfstat_counter modbus_total;
	struct selfstat_whist report_s;       /* handling on the loop */
	struct selfstat_whist sample_delay_s; /* receipt - newest t_ms */
	struct selfstat_whist loop_lag_s;
	struct selfstat_whist sched_pass_s;
	struct selfstat_whist store_batch_s;
	struct selfstat_whist http_s; /* every route together */
	struct selfstat_counter http_total;
	struct selfstat_http http[SELFSTAT_HTTP_KEYS];
	uint64_t modbus[256][2]; /* by function code: ok, exception */
	/* the event loop's thread: its CPU time at the last reading, and its
	 * share of a core each of the last SELFSTAT_LAG_WINDOW_S seconds */
	double loop_cpu_s;                        /* s; 0: none read yet */
	double loop_wall_s;                       /* selfstat_clock_s() then */
	double loop_share[SELFSTAT_LAG_WINDOW_S]; /* a ring */
	int nshare;                               /* readings, ever */
	int store_queue;     /* the writer's queue depth, samples */
	int store_queue_max; /* its cap, samples */
	/* back-pressure */
	int ask_ms;            /* the report interval asked now; 0 none */
	int floor_ms;          /* the part the fabric's size asks; 0 none */
	int prev_ask_ms;       /* the one before */
	int64_t changed_ms;    /* monotonic, when ask_ms last changed */
	int64_t healthy_ms;    /* monotonic, since when not behind; 0 behind */
	char behind[96];       /* why the controller is behind; "" not */
	int nnodes;            /* entries in node_dropped */
	int64_t *node_dropped; /* each node's last dropped_samples */
};

/* A new, zeroed set for a fabric of nnodes nodes at monotonic now_ms.
 * NULL on no memory (logged). Caller frees with selfstat_free(). */
struct selfstat *selfstat_new(int nnodes, int64_t now_ms);
void selfstat_free(struct selfstat *s);

/* Seconds on the monotonic clock, to the nanosecond, for durations. */
double selfstat_clock_s(void);

/* Adds n to c at now_ms. */
void selfstat_count(struct selfstat_counter *c, int64_t now_ms, uint64_t n);
/* c's count over the last `secs` seconds (at most the window) to now_ms. */
uint64_t selfstat_recent(
    const struct selfstat_counter *c, int64_t now_ms, int secs);
/* Sets h's bounds (bounds borrowed, at most SELFSTAT_MAX_BOUNDS). */
void selfstat_hist_init(struct selfstat_hist *h, const double *bounds, int n);
/* Counts value v in h. */
void selfstat_observe(struct selfstat_hist *h, double v);
/* Counts v in w, and in its window at now_ms. */
void selfstat_wobserve(struct selfstat_whist *w, int64_t now_ms, double v);
/*
 * The q-quantile (0..1) of w over its last `secs` seconds to now_ms,
 * estimated from the buckets as Prometheus' histogram_quantile() does:
 * linear within the bucket; the highest finite bound when it falls in
 * +Inf. NaN when nothing was counted then.
 */
double selfstat_quantile(
    const struct selfstat_whist *w, int64_t now_ms, int secs, double q);

/* HTTP series key (0 .. SELFSTAT_HTTP_KEYS-1): names it (method and
 * prefix + pattern, copied). Once, at start-up. */
void selfstat_http_name(struct selfstat *s, int key, const char *method,
    const char *prefix, const char *pattern);
/* The series of key, for the completion callback's argument; NULL when
 * key is out of range. */
struct selfstat_http *selfstat_http_slot(struct selfstat *s, int key);
/* A request of series key took secs on the loop. */
void selfstat_http_time(
    struct selfstat *s, int key, int64_t now_ms, double secs);
/* A request of series h was answered with code. */
void selfstat_http_code(struct selfstat_http *h, int64_t now_ms, int code);

/*
 * Judges a report of node idx (0 .. nnodes-1) before it is applied:
 * `same_boot` when its boot id is the one the node holds, `ack` the
 * highest seq the controller holds for it (0: none yet), seqs the
 * report's sample numbers in order, dropped the agent's dropped_samples.
 * Counts received (seq above the ack), duplicate (at or below) and lost
 * (gaps between acknowledged and new seqs, or the growth of dropped when
 * larger: an overwritten sample is both). A new boot, or the first report,
 * sets the baseline of dropped without counting it.
 */
void selfstat_report(struct selfstat *s, int64_t now_ms, int idx, int same_boot,
    int64_t ack, const int64_t *seqs, int nseqs, int64_t dropped);

/* A Modbus request with function code fc, answered ok or with an
 * exception. */
void selfstat_modbus(struct selfstat *s, int64_t now_ms, int fc, int exception);
/* The name of Modbus function fc ("read_holding_registers"), or NULL when
 * it has none here (written as its number). Static. */
const char *selfstat_modbus_name(int fc);

/* Once a second: the event loop thread's CPU time cpu_s (s, its clock)
 * at wall_s (selfstat_clock_s()); the share of a core it used since the
 * last reading joins the window that selfstat_backpressure() judges. */
void selfstat_loop_cpu(struct selfstat *s, double cpu_s, double wall_s);

/* The loop thread's mean share of a core over the last
 * SELFSTAT_LAG_WINDOW_S readings, or NaN before the first two. */
double selfstat_loop_share(const struct selfstat *s);

/*
 * Once a second: judges whether the controller is behind (the store
 * queue above conf->queue_share of its cap, the loop lag's p99 over the
 * last SELFSTAT_LAG_WINDOW_S seconds above conf->lag_ms, or the loop's
 * thread busy above conf->cpu_share of a core over them) and moves the
 * interval asked of agents: SELFSTAT_ASK_FIRST_MS when it falls behind,
 * doubled while it stays behind (each step once agents have had the last
 * one in force), up to conf->max_ms; halved once healthy for as long as
 * the interval in force, to 0 below the first step. Never less than
 * conf->floor_ms (capped at conf->max_ms), behind or not. Returns the
 * interval asked, ms (0: none).
 */
int selfstat_backpressure(
    struct selfstat *s, int64_t now_ms, const struct selfstat_bp_conf *conf);

/* How much longer than usual an agent may be silent at now_ms because it
 * was asked to report less often: the longest interval that may still be
 * in force (the one before a change, until agents have heard the new
 * one), ms. Liveness and the one-agent-per-node judgement add it to the
 * heartbeat timeout. 0 when s is NULL. */
int selfstat_silence_ms(const struct selfstat *s, int64_t now_ms);

/* GET /status's "controller" object at now_ms. New reference, or NULL. */
json_t *selfstat_json(const struct selfstat *s, int64_t now_ms);

#endif
