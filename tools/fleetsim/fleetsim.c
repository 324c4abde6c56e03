/*
 * pod-fleetsim: pods of simulated nodes in one process, each node a real
 * agent core (agentd/agent.h) with the sim power and cooling plugins, so a
 * controller can be exercised at the scale of a pod or a fabric from one
 * machine. The plugins are loaded once and instantiated per node; every node
 * gets its own seed and a slightly different background load, so the fleet
 * is not uniform but a run is reproducible from --seed. Faults can be planted
 * on single nodes, and nodes can be left out so that real pod-agentd
 * processes take their names.
 *
 * Jobs are simulated (agentd/runner.h): the agents follow the job protocol
 * exactly as pod-agentd does, but a job is a timer that loads its
 * accelerators, so a scheduler can be driven at fabric scale without a
 * process per job. Power is not simulated apart: every node runs the
 * agent's DVFS policies, caps and safety guard (agentd/power.h) on its own
 * plugin instances, which honour the clock caps, so the controller's
 * allocator sees nodes answer its caps as real ones would.
 *
 * Link changes of hundreds of agents are summarised: a change starts a short
 * quiet period after which one line says how many agents went which way.
 *
 * So that the generator is not the bottleneck of what it measures, the
 * agents are dealt round-robin to --threads threads, each with its own
 * event loop and HTTP client; an agent lives on one thread only. The agents
 * are built and armed by the main thread before the threads start, which
 * then only watch signals, print the summaries and add up what each thread
 * publishes under its own lock: reports and samples sent, late and failed
 * (see fleet_poll()), written as one line every --stats-every seconds and
 * as JSON to --stats-json for the benchmarks.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent.h"
#include "agentconf.h"
#include "nodecred.h"
#include "log.h"
#include "names.h"
#include "plugin.h"
#include "ring.h"
#include "timeutil.h"

#define FLEET_MAX_AGENTS        16384 /* agents in one process */
#define FLEET_MAX_PODS          999
#define FLEET_MAX_NODES_PER_POD 9999
#define FLEET_LOAD_SPREAD       0.1  /* ± per-node variation of --load */
#define FLEET_SUMMARY_MS        2000 /* quiet period before a summary line */
#define FLEET_MAX_ARGS          4096 /* --fault and --skip options, each */
#define FLEET_MAX_THREADS       256
#define FLEET_POLL_MAX_MS       250 /* a thread looks at its agents so often */
#define FLEET_CONTROL_MS        250 /* the main thread's summary clock */
/* Agents sharing one HTTP client (a curl multi handle): curl looks for a
 * connection to reuse among all of a multi's connections to the host, one
 * by one, so thousands on one multi cost more than their reports. */
#define FLEET_AGENTS_PER_NET 128

struct fleet_node {
	char name[NAME_MAX_LEN];
	int skip;                       /* 1: --skip */
	struct agent_kvlist power_kv;   /* faults for power/sim */
	struct agent_kvlist cooling_kv; /* faults for cooling/sim */
	struct agent *agent;            /* NULL when skipped */
	int thread;                     /* index of the thread it runs on */
	/* Lateness, kept by its thread's fleet_poll(): */
	uint64_t late_mark;    /* samples up to this seq counted late */
	uint64_t samples_late; /* of them */
	int64_t base_ms;       /* first poll that saw a sample; 0: none */
	uint64_t base_seq;     /* the seq it saw */
	uint64_t ticks_late;   /* ticks behind base_seq + intervals since */
};

/* What a thread's agents achieved, cumulative since the start. */
struct fleet_totals {
	uint64_t reports_ok;     /* answered 200 */
	uint64_t reports_failed; /* non-200 or a transport error */
	uint64_t samples;        /* taken (sum of the agents' seq) */
	uint64_t samples_late;   /* not accepted one interval after taken */
	uint64_t ticks_late;     /* ticks more than an interval late */
	uint64_t dropped;        /* overwritten unacknowledged */
	uint64_t buffered;       /* unacknowledged now */
	int64_t lag_max_us;      /* worst lateness of the poll timer, us */
	int64_t lag_recent_us;   /* the same since the main thread took it */
	uint64_t slowed;   /* agents the controller asks to report less often */
	int64_t polled_ms; /* monotonic, the thread's last look */
};

/* One thread: an event loop, an HTTP client, every nthreads-th agent. */
struct fleet_thread {
	struct fleetsim_state *st;
	int index;
	pthread_t tid;
	int started;
	struct event_base *base;
	struct net **nets; /* one per FLEET_AGENTS_PER_NET of its agents */
	int nnets;
	int nagents; /* agents on it so far */
	struct event *poll;
	long poll_ms;         /* its period */
	int64_t poll_due_us;  /* when the poll timer should fire next */
	pthread_mutex_t lock; /* guards pub */
	struct fleet_totals pub;
};

/* Link changes since the last summary line. */
struct fleet_changes {
	int reporting; /* first answer */
	int lost;      /* up or unknown to down */
	int refused;   /* to refused */
	int back;      /* down or refused to up */
	char why[256]; /* the last reason given */
};

struct fleetsim_state {
	const char *server;
	const char *ca_file; /* --ca-file: CAs of an https server; NULL */
	int pods;
	int nodes_per_pod;
	int accels;
	long interval_ms;
	long buffer_samples;
	uint64_t seed;
	double load;
	int has_secret; /* --node-secret-file given */
	unsigned char secret[NODECRED_SECRET_LEN]; /* from it */
	const char *faults[FLEET_MAX_ARGS];
	int nfaults;
	const char *skips[FLEET_MAX_ARGS];
	int nskips;
	struct fleet_node *nodes;
	int nnodes;
	int nactive;
	int nup;                      /* agents whose link is up */
	struct fleet_changes changes; /* under lock */
	int64_t changes_since_ms;     /* first change not summarised; 0 */
	pthread_mutex_t lock;         /* guards changes, nup */
	int nthreads;
	struct fleet_thread *threads;
	atomic_int stopping; /* 1: the threads leave their loops */
	long stats_every_s;  /* 0: no periodic line */
	const char *stats_json;
	int64_t start_ms;         /* monotonic, agents armed */
	int64_t last_stats_ms;    /* the last periodic line */
	struct fleet_totals last; /* its totals */
	struct event_base *base;  /* the main thread's: signals, summaries */
	struct plugin *power;
	struct plugin *cooling;
	struct event *control;
};

static struct fleetsim_state fleet;

/* Prints the usage, as the man page's synopsis, and exits: on stdout
 * with 0 when asked for (--help), on stderr with 1 after a bad option. */
static _Noreturn void
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: pod-fleetsim [-d] [--server url[,url...]] [--pods n]\n"
	    "\t[--nodes-per-pod m] [--accels-per-node k] [--interval-ms t]\n"
	    "\t[--buffer-samples n] [--seed s] [--load u]\n"
	    "\t[--fault node:kind@seconds]... [--skip node]...\n"
	    "\t[--ca-file file] [--node-secret-file path]\n"
	    "\t[--threads n] [--stats-every s] [--stats-json file]\n"
	    "       pod-fleetsim --help | --version\n");
	exit(status);
}

/* --node-secret-file: the site secret, from which each simulated node
 * derives its own credential as the controller does (docs/security.md). */
static void
read_secret(struct fleetsim_state *st, const char *path)
{
	char hex[NODECRED_BUF], err[1024];

	if (nodecred_read_file(path, 0, hex, err, sizeof(err)) == -1 ||
	    nodecred_parse_secret(hex, st->secret) == -1)
		fatalx("--node-secret-file: %s", err);
	st->has_secret = 1;
}

static uint64_t
splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static double
unit_random(uint64_t x)
{
	return (splitmix64(x) >> 11) * 0x1.0p-53;
}

static long
arg_long(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno == ERANGE || v < min || v > max)
		fatalx(
		    "%s: '%s' is not an integer in %ld..%ld", opt, s, min, max);
	return v;
}

static double
arg_double(const char *opt, const char *s, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v) ||
	    v < min || v > max)
		fatalx("%s: '%s' is not a number in %g..%g", opt, s, min, max);
	return v;
}

static struct fleet_node *
find_node(struct fleetsim_state *st, const char *name, size_t len)
{
	int i;

	for (i = 0; i < st->nnodes; i++)
		if (strlen(st->nodes[i].name) == len &&
		    strncmp(st->nodes[i].name, name, len) == 0)
			return &st->nodes[i];
	return NULL;
}

/* "pod01-n005:leak@30": to the node's cooling plugin; hot to power. */
static void
add_fault(struct fleetsim_state *st, const char *arg)
{
	const char *colon, *kind, *at;
	struct fleet_node *n;
	struct agent_kvlist *kv;
	size_t klen;

	if ((colon = strchr(arg, ':')) == NULL ||
	    (at = strchr(colon, '@')) == NULL)
		fatalx("--fault %s: expected NODE:KIND@SECONDS", arg);
	if ((n = find_node(st, arg, colon - arg)) == NULL)
		fatalx("--fault %s: %.*s is not a node of this fleet", arg,
		    (int)(colon - arg), arg);
	if (n->skip)
		fatalx("--fault %s: %s is skipped", arg, n->name);
	kind = colon + 1;
	klen = at - kind;
	if (klen == 3 && strncmp(kind, "hot", 3) == 0)
		kv = &n->power_kv;
	else if (klen > 4 && strncmp(kind, "hot:", 4) == 0 &&
	         strspn(kind + 4, "0123456789") == klen - 4)
		kv = &n->power_kv;
	else if ((klen == 4 && strncmp(kind, "leak", 4) == 0) ||
	         (klen == 8 && strncmp(kind, "flowloss", 8) == 0))
		kv = &n->cooling_kv;
	else
		fatalx("--fault %s: unknown kind '%.*s' (hot, hot:INDEX, leak, "
		       "flowloss)",
		    arg, (int)klen, kind);
	arg_double("--fault", at + 1, 0, 1e9);
	if (agentconf_kv_add(kv, "fault", kind, "--fault") == -1)
		fatalx("--fault %s: too many faults for %s", arg, n->name);
}

static void
build_fleet(struct fleetsim_state *st)
{
	char pod[NAME_MAX_LEN];
	struct fleet_node *n;
	int p, i, k;

	st->nnodes = st->pods * st->nodes_per_pod;
	if (st->nnodes > FLEET_MAX_AGENTS)
		fatalx("%d nodes: at most %d in one process", st->nnodes,
		    FLEET_MAX_AGENTS);
	if ((st->nodes = calloc(st->nnodes, sizeof(*st->nodes))) == NULL)
		fatal("calloc");
	for (p = 0; p < st->pods; p++) {
		names_pod(pod, sizeof(pod), p + 1, st->pods);
		for (i = 0; i < st->nodes_per_pod; i++)
			names_node(st->nodes[p * st->nodes_per_pod + i].name,
			    NAME_MAX_LEN, pod, i + 1, st->nodes_per_pod);
	}
	for (k = 0; k < st->nskips; k++) {
		if ((n = find_node(st, st->skips[k], strlen(st->skips[k]))) ==
		    NULL)
			fatalx("--skip %s: not a node of this fleet",
			    st->skips[k]);
		n->skip = 1;
	}
	for (k = 0; k < st->nfaults; k++)
		add_fault(st, st->faults[k]);
}

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Prints the link changes gathered since the last summary. Caller holds
 * st->lock. */
static void
say_changes(struct fleetsim_state *st)
{
	struct fleet_changes *c = &st->changes;

	if (c->reporting > 0)
		log_info("%d agents reporting; %d of %d up", c->reporting,
		    st->nup, st->nactive);
	if (c->back > 0)
		log_info("%d agents back; %d of %d up", c->back, st->nup,
		    st->nactive);
	if (c->lost > 0)
		log_warnx("%d agents lost the controller (%s); %d of %d up",
		    c->lost, c->why, st->nup, st->nactive);
	if (c->refused > 0)
		log_warnx("%d agents refused by the controller (%s); %d of %d "
		          "up",
		    c->refused, c->why, st->nup, st->nactive);
	memset(c, 0, sizeof(*c));
	st->changes_since_ms = 0;
}

/* On the agent's thread: counts the change for the next summary line,
 * which the main thread prints FLEET_SUMMARY_MS after the first. */
static void
on_link(struct agent *a, enum agent_link from, enum agent_link to,
    const char *why, void *arg)
{
	struct fleetsim_state *st = arg;
	struct fleet_changes *c = &st->changes;

	pthread_mutex_lock(&st->lock);
	if (from == AGENT_LINK_UP)
		st->nup--;
	if (to == AGENT_LINK_UP) {
		st->nup++;
		if (from == AGENT_LINK_UNKNOWN)
			c->reporting++;
		else
			c->back++;
	} else if (to == AGENT_LINK_DOWN)
		c->lost++;
	else if (to == AGENT_LINK_REFUSED || to == AGENT_LINK_HELD)
		c->refused++;
	if (why != NULL && *why != '\0')
		snprintf(c->why, sizeof(c->why), "%s", why);
	if (st->changes_since_ms == 0)
		st->changes_since_ms = time_mono_ms();
	pthread_mutex_unlock(&st->lock);
	log_debug("%s: link %s -> %s %s", agent_name(a), agent_link_name(from),
	    agent_link_name(to), why ? why : "");
}

/*
 * Looks at every agent of thread t and publishes the thread's totals. A
 * sample is late when it is still not accepted once the next one has been
 * taken (its report went out, or came back, more than an interval after
 * it was due: a slow reply, a failure, a backoff); each sample counts once.
 * When the controller asks an agent to report less often (back-pressure),
 * a sample is due with the first report that interval allows, and the
 * agent counts as slowed.
 * A tick is late when it fired more than an interval after it was due: the
 * loop then skips it, so the agent's seq falls behind the count of
 * intervals since its first sample seen here. Called on t's thread, or by
 * the main thread once t has ended.
 */
static void
fleet_poll(struct fleet_thread *t, int64_t now_ms)
{
	struct fleetsim_state *st = t->st;
	struct fleet_totals tot;
	struct agent_stats as;
	struct fleet_node *n;
	int64_t expected;
	uint64_t from, wait;
	int i;

	memset(&tot, 0, sizeof(tot));
	for (i = 0; i < st->nnodes; i++) {
		n = &st->nodes[i];
		if (n->agent == NULL || n->thread != t->index)
			continue;
		agent_stats(n->agent, &as);
		tot.reports_ok += as.reports_ok;
		tot.reports_failed += as.reports_failed;
		tot.samples += as.seq;
		tot.dropped += as.dropped;
		tot.buffered += as.buffered;
		/* with back-pressure a sample may wait for the next report
		 * the controller allows: it is due then */
		wait = 1;
		if (as.report_interval_ms > st->interval_ms) {
			wait = (uint64_t)(as.report_interval_ms +
			                  st->interval_ms - 1) /
			       (uint64_t)st->interval_ms;
			tot.slowed++;
		}
		if (as.seq >= as.ack_seq + wait + 1) {
			from = as.ack_seq > n->late_mark ? as.ack_seq
			                                 : n->late_mark;
			if (as.seq - wait > from)
				n->samples_late += as.seq - wait - from;
			n->late_mark = as.seq - wait;
		}
		tot.samples_late += n->samples_late;
		if (n->base_ms == 0 && as.seq > 0) {
			n->base_ms = now_ms;
			n->base_seq = as.seq;
		} else if (n->base_ms != 0) {
			expected = (int64_t)n->base_seq +
			           (now_ms - n->base_ms) / st->interval_ms;
			if (expected - (int64_t)as.seq - 1 >
			    (int64_t)n->ticks_late)
				n->ticks_late =
				    (uint64_t)(expected - (int64_t)as.seq - 1);
		}
		tot.ticks_late += n->ticks_late;
	}
	tot.polled_ms = now_ms;
	pthread_mutex_lock(&t->lock);
	tot.lag_max_us = t->pub.lag_max_us;
	tot.lag_recent_us = t->pub.lag_recent_us;
	t->pub = tot;
	pthread_mutex_unlock(&t->lock);
}

/* The thread's clock: leaves the loop when asked, measures how late it
 * fires (the loop's lag, which every agent's tick on it shares) and polls
 * the agents. */
static void
on_poll(evutil_socket_t fd, short what, void *arg)
{
	struct fleet_thread *t = arg;
	int64_t now = mono_us(), lag, period = t->poll_ms * 1000;

	if (atomic_load(&t->st->stopping)) {
		event_base_loopbreak(t->base);
		return;
	}
	lag = now - t->poll_due_us;
	t->poll_due_us += period;
	if (t->poll_due_us <= now) /* the loop skipped a firing */
		t->poll_due_us = now + period;
	pthread_mutex_lock(&t->lock);
	if (lag > t->pub.lag_max_us)
		t->pub.lag_max_us = lag;
	if (lag > t->pub.lag_recent_us)
		t->pub.lag_recent_us = lag;
	pthread_mutex_unlock(&t->lock);
	fleet_poll(t, now / 1000);
}

static void *
thread_main(void *arg)
{
	struct fleet_thread *t = arg;

	if (event_base_dispatch(t->base) == -1)
		log_warnx("thread %d: event loop failed", t->index);
	return NULL;
}

/* Sums what every thread published; takes their recent lag, or how long
 * a thread has not looked if longer. */
static void
gather(struct fleetsim_state *st, struct fleet_totals *sum)
{
	struct fleet_thread *t;
	int64_t now_ms = time_mono_ms(), stale_us;
	int i;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < st->nthreads; i++) {
		t = &st->threads[i];
		pthread_mutex_lock(&t->lock);
		sum->reports_ok += t->pub.reports_ok;
		sum->reports_failed += t->pub.reports_failed;
		sum->samples += t->pub.samples;
		sum->samples_late += t->pub.samples_late;
		sum->ticks_late += t->pub.ticks_late;
		sum->dropped += t->pub.dropped;
		sum->buffered += t->pub.buffered;
		sum->slowed += t->pub.slowed;
		if (t->pub.lag_max_us > sum->lag_max_us)
			sum->lag_max_us = t->pub.lag_max_us;
		if (t->pub.lag_recent_us > sum->lag_recent_us)
			sum->lag_recent_us = t->pub.lag_recent_us;
		/* a loop that has not looked for a while is that late */
		stale_us = (now_ms - t->pub.polled_ms - t->poll_ms) * 1000;
		if (t->pub.polled_ms != 0 && stale_us > sum->lag_recent_us)
			sum->lag_recent_us = stale_us;
		if (sum->lag_recent_us > sum->lag_max_us)
			sum->lag_max_us = sum->lag_recent_us;
		t->pub.lag_recent_us = 0;
		pthread_mutex_unlock(&t->lock);
	}
}

static uint64_t
late_of(const struct fleet_totals *x)
{
	return x->samples_late + x->ticks_late;
}

/* Writes --stats-json: the totals since the agents started and those of
 * the window since the previous statistics (whole run at exit), through a
 * temporary file renamed over it so a reader never sees half. */
static void
write_json(struct fleetsim_state *st, const struct fleet_totals *now,
    const struct fleet_totals *prev, double elapsed_s, double window_s,
    int final)
{
	char tmp[PATH_MAX];
	FILE *f;
	uint64_t reports = now->reports_ok + now->reports_failed;
	uint64_t wreports = reports - prev->reports_ok - prev->reports_failed;

	if (st->stats_json == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", st->stats_json);
	if ((f = fopen(tmp, "w")) == NULL) {
		log_warn("--stats-json %s", tmp);
		return;
	}
	fprintf(f,
	    "{\"agents\": %d, \"threads\": %d, \"interval_ms\": %ld, "
	    "\"final\": %s, \"elapsed_s\": %.3f,\n"
	    " \"total\": {\"reports\": %llu, \"reports_ok\": %llu, "
	    "\"failed\": %llu, \"samples\": %llu, \"samples_late\": %llu, "
	    "\"ticks_late\": %llu, \"late\": %llu, \"dropped\": %llu, "
	    "\"buffered\": %llu, \"slowed\": %llu, \"loop_lag_max_ms\": %.1f,\n"
	    "  \"reports_per_s\": %.1f, \"samples_per_s\": %.1f},\n"
	    " \"window\": {\"seconds\": %.3f, \"reports_per_s\": %.1f, "
	    "\"samples_per_s\": %.1f, \"late\": %llu, \"failed\": %llu, "
	    "\"loop_lag_max_ms\": %.1f}}\n",
	    st->nactive, st->nthreads, st->interval_ms,
	    final ? "true" : "false", elapsed_s, (unsigned long long)reports,
	    (unsigned long long)now->reports_ok,
	    (unsigned long long)now->reports_failed,
	    (unsigned long long)now->samples,
	    (unsigned long long)now->samples_late,
	    (unsigned long long)now->ticks_late,
	    (unsigned long long)late_of(now), (unsigned long long)now->dropped,
	    (unsigned long long)now->buffered, (unsigned long long)now->slowed,
	    now->lag_max_us / 1000.0, elapsed_s > 0 ? reports / elapsed_s : 0,
	    elapsed_s > 0 ? now->samples / elapsed_s : 0, window_s,
	    window_s > 0 ? wreports / window_s : 0,
	    window_s > 0 ? (now->samples - prev->samples) / window_s : 0,
	    (unsigned long long)(late_of(now) - late_of(prev)),
	    (unsigned long long)(now->reports_failed - prev->reports_failed),
	    now->lag_recent_us / 1000.0);
	if (fclose(f) == EOF || rename(tmp, st->stats_json) == -1)
		log_warn("--stats-json %s", st->stats_json);
}

/* One statistics line (and the JSON) over the window since the last. */
static void
stats_line(struct fleetsim_state *st, int64_t now_ms, int final)
{
	struct fleet_totals sum;
	struct fleet_totals zero;
	const struct fleet_totals *prev = final ? &zero : &st->last;
	double window_s, elapsed_s = (now_ms - st->start_ms) / 1000.0;

	memset(&zero, 0, sizeof(zero));
	gather(st, &sum);
	window_s = final ? elapsed_s : (now_ms - st->last_stats_ms) / 1000.0;
	if (window_s <= 0)
		window_s = 1e-3;
	log_info("%s %.0f s: %.1f reports/s, %.1f samples/s, %llu late, "
	         "%llu failed, loop lag up to %.0f ms; %d agents on %d "
	         "threads, %llu asked to report less often",
	    final ? "in all" : "last", window_s,
	    (sum.reports_ok + sum.reports_failed - prev->reports_ok -
	        prev->reports_failed) /
	        window_s,
	    (sum.samples - prev->samples) / window_s,
	    (unsigned long long)(late_of(&sum) - late_of(prev)),
	    (unsigned long long)(sum.reports_failed - prev->reports_failed),
	    (final ? sum.lag_max_us : sum.lag_recent_us) / 1000.0, st->nactive,
	    st->nthreads, (unsigned long long)sum.slowed);
	write_json(st, &sum, prev, elapsed_s, window_s, final);
	st->last = sum;
	st->last_stats_ms = now_ms;
}

/* The main thread's clock: summaries of link changes after their quiet
 * period, and the periodic statistics. */
static void
on_control(evutil_socket_t fd, short what, void *arg)
{
	struct fleetsim_state *st = arg;
	int64_t now = time_mono_ms();

	pthread_mutex_lock(&st->lock);
	if (st->changes_since_ms != 0 &&
	    now - st->changes_since_ms >= FLEET_SUMMARY_MS)
		say_changes(st);
	pthread_mutex_unlock(&st->lock);
	if (st->stats_every_s > 0 &&
	    now - st->last_stats_ms >= st->stats_every_s * 1000)
		stats_line(st, now, 0);
}

/* Builds each thread's loop, its HTTP client and its clock, on the main
 * thread; the threads start in start_threads(). */
static int
make_threads(struct fleetsim_state *st)
{
	struct fleet_thread *t;
	int i;

	if ((st->threads = calloc(st->nthreads, sizeof(*st->threads))) ==
	    NULL) {
		log_warnx("out of memory");
		return -1;
	}
	for (i = 0; i < st->nthreads; i++) {
		t = &st->threads[i];
		t->st = st;
		t->index = i;
		t->poll_ms = st->interval_ms / 4;
		if (t->poll_ms > FLEET_POLL_MAX_MS)
			t->poll_ms = FLEET_POLL_MAX_MS;
		pthread_mutex_init(&t->lock, NULL);
		if ((t->base = event_base_new()) == NULL) {
			log_warnx("cannot create an event loop");
			return -1;
		}
		if ((t->nets =
		            calloc(FLEET_MAX_AGENTS / FLEET_AGENTS_PER_NET + 1,
		                sizeof(*t->nets))) == NULL ||
		    (t->poll = event_new(
		         t->base, -1, EV_PERSIST, on_poll, t)) == NULL)
			return -1;
	}
	return 0;
}

/* The HTTP client of the next agent of thread t; NULL (logged) if it
 * cannot be made. */
static struct net *
thread_net(struct fleetsim_state *st, struct fleet_thread *t)
{
	struct net *n;

	if (t->nagents++ % FLEET_AGENTS_PER_NET == 0) {
		if ((n = net_new(t->base)) == NULL)
			return NULL;
		t->nets[t->nnets++] = n;
		if (net_set_ca_file(n, st->ca_file) == -1)
			return NULL;
	}
	return t->nets[t->nnets - 1];
}

static int
start_threads(struct fleetsim_state *st)
{
	struct fleet_thread *t;
	struct timeval tv;
	sigset_t block, old;
	int i, rc = 0;

	/* Signals go to the main thread, whose loop watches them. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (i = 0; i < st->nthreads; i++) {
		t = &st->threads[i];
		tv.tv_sec = t->poll_ms / 1000;
		tv.tv_usec = (t->poll_ms % 1000) * 1000;
		t->poll_due_us = mono_us() + t->poll_ms * 1000;
		if (event_add(t->poll, &tv) == -1 ||
		    (errno = pthread_create(&t->tid, NULL, thread_main, t)) !=
		        0) {
			log_warn("cannot start thread %d", i);
			rc = -1;
			break;
		}
		t->started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void
stop_threads(struct fleetsim_state *st)
{
	int i;

	atomic_store(&st->stopping, 1);
	for (i = 0; i < st->nthreads; i++)
		if (st->threads[i].started) {
			pthread_join(st->threads[i].tid, NULL);
			st->threads[i].started = 0;
		}
}

static int
start_agents(struct fleetsim_state *st)
{
	struct agent_conf ac;
	struct fleet_node *n;
	struct net *net;
	struct pod_load load;
	char accels[16], err[512];
	uint64_t s;
	int i, started = 0;

	agentconf_init(&ac);
	if (agentconf_set_server(&ac, st->server, err, sizeof(err)) == -1) {
		log_warnx("--server: %s", err);
		goto fail;
	}
	ac.interval_ms = st->interval_ms;
	ac.buffer_samples = (size_t)st->buffer_samples;
	ac.job_runner = AGENT_JOBS_SIMULATED;
	ac.seed_set = 1;
	snprintf(accels, sizeof(accels), "%d", st->accels);
	for (i = 0; i < st->nnodes; i++)
		if (!st->nodes[i].skip)
			st->nactive++;
	for (i = 0; i < st->nnodes; i++) {
		n = &st->nodes[i];
		if (n->skip)
			continue;
		s = splitmix64(st->seed * 0x100000001b3ULL + (uint64_t)i);
		memcpy(ac.name, n->name, sizeof(ac.name));
		ac.seed = s;
		if (st->has_secret &&
		    nodecred_derive(st->secret, n->name, ac.credential) == -1) {
			log_warnx("%s: cannot derive its credential", n->name);
			goto fail;
		}
		if (agentconf_kv_copy(&ac.power_kv, &n->power_kv) == -1 ||
		    agentconf_kv_add(&ac.power_kv, "accels", accels,
		        "--accels-per-node") == -1 ||
		    agentconf_kv_copy(&ac.cooling_kv, &n->cooling_kv) == -1) {
			log_warnx("%s: out of memory", n->name);
			goto fail;
		}
		/* round-robin, so each thread's agents span the interval */
		n->thread = started % st->nthreads;
		if ((net = thread_net(st, &st->threads[n->thread])) == NULL ||
		    (n->agent = agent_new(net, &ac,
		         (const struct plugin *const *)&st->power,
		         st->cooling)) == NULL)
			goto fail;
		load.util = st->load + FLEET_LOAD_SPREAD *
		                           (2 * unit_random(s ^ 0x10ad) - 1);
		load.util = load.util < 0 ? 0 : load.util > 1 ? 1 : load.util;
		load.membound = 0.2 + 0.2 * unit_random(s ^ 0x3e3);
		agent_set_load(n->agent, &load);
		agent_set_link_cb(n->agent, on_link, st);
		started++;
	}
	/* Armed once all are built (thousands take seconds), so that the
	 * first ticks are spread over one interval from now, not due at
	 * once. */
	for (i = 0, started = 0; i < st->nnodes; i++) {
		n = &st->nodes[i];
		if (n->agent == NULL)
			continue;
		if (agent_start(n->agent,
		        (int64_t)started * st->interval_ms / st->nactive) == -1)
			goto fail;
		started++;
	}
	agentconf_free(&ac);
	return 0;
fail:
	agentconf_free(&ac);
	return -1;
}

static void
on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct fleetsim_state *st = arg;

	log_info("%s: stopping", strsignal(sig));
	event_base_loopbreak(st->base);
}

static void
final_line(struct fleetsim_state *st)
{
	struct agent_stats as;
	uint64_t ok = 0, failed = 0, dropped = 0;
	size_t buffered = 0;
	int i, running = 0, limiting = 0, fallback = 0, guarded = 0;

	for (i = 0; i < st->nnodes; i++) {
		if (st->nodes[i].agent == NULL)
			continue;
		agent_stats(st->nodes[i].agent, &as);
		ok += as.reports_ok;
		failed += as.reports_failed;
		dropped += as.dropped;
		buffered += as.buffered;
		running += as.jobs_running;
		limiting += as.limiting;
		fallback += as.fallback;
		guarded +=
		    as.guard_leak || as.guard_lowflow || as.guard_overtemp > 0;
	}
	log_info("%d agents: %llu reports accepted, %llu failed, %zu samples "
	         "unsent, %llu dropped; %d simulated jobs running; %d nodes "
	         "held by a power cap, %d on their fallback cap, %d by the "
	         "safety guard",
	    st->nactive, (unsigned long long)ok, (unsigned long long)failed,
	    buffered, (unsigned long long)dropped, running, limiting, fallback,
	    guarded);
}

static void
free_fleet(struct fleetsim_state *st)
{
	struct fleet_thread *t;
	int i;

	for (i = 0; i < st->nnodes; i++) {
		agent_free(st->nodes[i].agent);
		agentconf_kv_clear(&st->nodes[i].power_kv);
		agentconf_kv_clear(&st->nodes[i].cooling_kv);
	}
	free(st->nodes);
	st->nodes = NULL;
	for (i = 0; st->threads != NULL && i < st->nthreads; i++) {
		t = &st->threads[i];
		if (t->poll != NULL)
			event_free(t->poll);
		while (t->nnets > 0)
			net_free(t->nets[--t->nnets]);
		free(t->nets);
		if (t->base != NULL)
			event_base_free(t->base);
		pthread_mutex_destroy(&t->lock);
	}
	free(st->threads);
	st->threads = NULL;
}

int
main(int argc, char *argv[])
{
	enum {
		OPT_SERVER = 256,
		OPT_PODS,
		OPT_NODES,
		OPT_ACCELS,
		OPT_INTERVAL,
		OPT_BUFFER,
		OPT_SEED,
		OPT_LOAD,
		OPT_FAULT,
		OPT_SKIP,
		OPT_CA_FILE,
		OPT_SECRET,
		OPT_THREADS,
		OPT_STATS_EVERY,
		OPT_STATS_JSON,
	};
	static const struct option longopts[] = {
	    {"server", required_argument, NULL, OPT_SERVER},
	    {"pods", required_argument, NULL, OPT_PODS},
	    {"nodes-per-pod", required_argument, NULL, OPT_NODES},
	    {"accels-per-node", required_argument, NULL, OPT_ACCELS},
	    {"interval-ms", required_argument, NULL, OPT_INTERVAL},
	    {"buffer-samples", required_argument, NULL, OPT_BUFFER},
	    {"seed", required_argument, NULL, OPT_SEED},
	    {"load", required_argument, NULL, OPT_LOAD},
	    {"fault", required_argument, NULL, OPT_FAULT},
	    {"skip", required_argument, NULL, OPT_SKIP},
	    {"ca-file", required_argument, NULL, OPT_CA_FILE},
	    {"node-secret-file", required_argument, NULL, OPT_SECRET},
	    {"threads", required_argument, NULL, OPT_THREADS},
	    {"stats-every", required_argument, NULL, OPT_STATS_EVERY},
	    {"stats-json", required_argument, NULL, OPT_STATS_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct fleetsim_state *st = &fleet;
	struct event *sigint = NULL, *sigterm = NULL;
	struct timeval ctl_tv = {0, FLEET_CONTROL_MS * 1000};
	long ncpu;
	int ch, debug = 0, rc = 1;

	st->server = AGENT_DEFAULT_SERVER;
	st->pods = 1;
	st->nodes_per_pod = 128;
	st->accels = 8;
	st->interval_ms = AGENT_DEFAULT_INTERVAL_MS;
	st->buffer_samples = AGENT_DEFAULT_BUFFER;
	st->seed = 1;
	st->load = 0.3;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	st->nthreads = ncpu < 1                   ? 1
	               : ncpu > FLEET_MAX_THREADS ? FLEET_MAX_THREADS
	                                          : (int)ncpu;
	pthread_mutex_init(&st->lock, NULL);
	log_init("pod-fleetsim", LOG_LVL_INFO);
	while ((ch = getopt_long(argc, argv, "dh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case OPT_SERVER:
			st->server = optarg;
			break;
		case OPT_PODS:
			st->pods =
			    arg_long("--pods", optarg, 1, FLEET_MAX_PODS);
			break;
		case OPT_NODES:
			st->nodes_per_pod = arg_long("--nodes-per-pod", optarg,
			    1, FLEET_MAX_NODES_PER_POD);
			break;
		case OPT_ACCELS:
			st->accels = arg_long("--accels-per-node", optarg, 1,
			    POD_MAX_DEVICES - 1);
			break;
		case OPT_INTERVAL:
			st->interval_ms = arg_long("--interval-ms", optarg,
			    AGENT_MIN_INTERVAL_MS, AGENT_MAX_INTERVAL_MS);
			break;
		case OPT_BUFFER:
			st->buffer_samples = arg_long(
			    "--buffer-samples", optarg, 1, RING_MAX_SAMPLES);
			break;
		case OPT_SEED:
			st->seed =
			    (uint64_t)arg_long("--seed", optarg, 0, LONG_MAX);
			break;
		case OPT_LOAD:
			st->load = arg_double("--load", optarg, 0, 1);
			break;
		case OPT_FAULT:
			if (st->nfaults == FLEET_MAX_ARGS)
				fatalx("more than %d --fault", FLEET_MAX_ARGS);
			st->faults[st->nfaults++] = optarg;
			break;
		case OPT_SKIP:
			if (st->nskips == FLEET_MAX_ARGS)
				fatalx("more than %d --skip", FLEET_MAX_ARGS);
			st->skips[st->nskips++] = optarg;
			break;
		case OPT_CA_FILE:
			if (access(optarg, R_OK) == -1)
				fatal("--ca-file %s", optarg);
			st->ca_file = optarg;
			break;
		case OPT_SECRET:
			read_secret(st, optarg);
			break;
		case OPT_THREADS:
			st->nthreads =
			    arg_long("--threads", optarg, 1, FLEET_MAX_THREADS);
			break;
		case OPT_STATS_EVERY:
			st->stats_every_s =
			    arg_long("--stats-every", optarg, 0, 86400);
			break;
		case OPT_STATS_JSON:
			st->stats_json = optarg;
			break;
		case 'h':
			usage(0);
		case 'V':
			printf("pod-fleetsim %s\n", POD_VERSION);
			return 0;
		default:
			usage(1);
		}
	}
	if (optind != argc)
		usage(1);
	log_init("pod-fleetsim", debug ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	if (!st->has_secret)
		log_warnx("no --node-secret-file: the nodes send no "
		          "credential, and a controller refuses their reports");
	signal(SIGPIPE, SIG_IGN);
	build_fleet(st);
	if (st->nthreads > st->nnodes - st->nskips)
		st->nthreads =
		    st->nnodes - st->nskips > 0 ? st->nnodes - st->nskips : 1;

	if ((st->base = event_base_new()) == NULL) {
		log_warnx("cannot create the event loop");
		goto fail;
	}
	if ((st->control = event_new(
	         st->base, -1, EV_PERSIST, on_control, st)) == NULL ||
	    make_threads(st) == -1)
		goto fail;
	if ((st->power = plugin_load(NULL, "power", "sim")) == NULL ||
	    (st->cooling = plugin_load(NULL, "cooling", "sim")) == NULL)
		goto fail;
	if ((sigint = evsignal_new(st->base, SIGINT, on_stop, st)) == NULL ||
	    (sigterm = evsignal_new(st->base, SIGTERM, on_stop, st)) == NULL ||
	    evsignal_add(sigint, NULL) == -1 ||
	    evsignal_add(sigterm, NULL) == -1) {
		log_warnx("cannot watch signals");
		goto fail;
	}
	if (start_agents(st) == -1)
		goto fail;
	st->start_ms = st->last_stats_ms = time_mono_ms();
	if (event_add(st->control, &ctl_tv) == -1 || start_threads(st) == -1)
		goto fail;
	log_info("%d agents (%d pod%s x %d nodes, %d accelerators each, %d "
	         "skipped) on %d thread%s reporting to %s every %ld ms",
	    st->nactive, st->pods, st->pods == 1 ? "" : "s", st->nodes_per_pod,
	    st->accels, st->nnodes - st->nactive, st->nthreads,
	    st->nthreads == 1 ? "" : "s", st->server, st->interval_ms);
	if (event_base_dispatch(st->base) == -1) {
		log_warnx("event loop failed");
		goto fail;
	}
	stop_threads(st);
	/* the threads are gone: their agents are the main thread's now */
	pthread_mutex_lock(&st->lock);
	if (st->changes_since_ms != 0)
		say_changes(st);
	pthread_mutex_unlock(&st->lock);
	for (ch = 0; ch < st->nthreads; ch++)
		fleet_poll(&st->threads[ch], time_mono_ms());
	stats_line(st, time_mono_ms(), 1);
	final_line(st);
	rc = 0;
fail:
	if (st->threads != NULL)
		stop_threads(st);
	if (sigterm != NULL)
		event_free(sigterm);
	if (sigint != NULL)
		event_free(sigint);
	free_fleet(st);
	if (st->control != NULL)
		event_free(st->control);
	plugin_unload(st->cooling);
	plugin_unload(st->power);
	if (st->base != NULL)
		event_base_free(st->base);
	libevent_global_shutdown();
	return rc;
}
