/*
 * The agent core: see agent.h. An agent is a small state machine driven by
 * two timers and one request:
 *
 *	tick	every interval: sample, then send if idle and not backing off
 *	retry	once, when a backoff ends: send
 *	reply	one function, agent_apply_reply(), takes what the controller
 *		said (acknowledgement, desired state), so that later desired
 *		state (policies) is added in one place; jobs go to jobtable.h
 *	soon	a job started or ended: report now, samples or not, so an
 *		end reaches the controller in a round trip, not a tick
 *	poll	a second request beside the reports ([agent] desired_poll):
 *		GET .../desired?version=V&wait=S, held by the controller
 *		until the node's desired state moves past V, so that a job
 *		starts when it is decided, not at the next report. Its
 *		answer goes through the same agent_take_desired() as a
 *		report's; a desired state older than the one taken is
 *		dropped (two connections may answer out of order), and one
 *		is taken only while reports are answered and the lease
 *		holds: a long poll confirms nothing (docs/fencing.md).
 *
 * A controller that falls behind asks for reports less often
 * (report_interval_ms in the reply, docs/agent-protocol.md): the agent
 * still samples, and the guard still judges, every interval, but sends
 * only once the asked interval has passed since the last report, or when
 * it holds a full batch, or has job news. Without an ask, a backlog goes
 * out batch after batch, each as soon as the last is answered.
 *
 * Jobs load the accelerators they were given: while one runs, its
 * accelerators are asked AGENT_JOB_UTIL, as memory-bound as job_membound()
 * says, instead of their background load, so a simulated node running a
 * job draws the power of one (real plugins ignore loads).
 *
 * Power (power.h) rides on the tick, in the order safety needs: the loop
 * is read first and the guard hears it at once, so a leak or a lost flow
 * throttles every accelerator before they are even read; then the
 * accelerators are read, the policy decides and the guard overrides it;
 * then the caps that changed go to the plugin's control(). None of it
 * waits for the controller, whose silence only brings the fallback cap.
 *
 * A node may have several power plugins ([power] and [power NAME]: RAPL
 * for the CPUs, NVML for the GPUs, Redfish for the BMC). Their devices are
 * referred to as (plugin, device) pairs: the accelerators of all of them,
 * by plugin then index; the node's power from the first node device, else
 * the sum of every device's. A reading that is missing, or measured longer
 * than stale_ms ago, is unknown: its values leave the sample (reported
 * absent, never as new), the agent says so once per device, and once when
 * readings come back; the other devices go on as before.
 *
 * Link state (unknown, up, down, refused) changes are what gets logged, not
 * every failure: an agent that loses its controller for an hour says so
 * twice. Sampling never waits for the network.
 */
#include <sys/random.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent.h"
#include "backoff.h"
#include "ctllist.h"
#include "fence.h"
#include "jobtable.h"
#include "jsonx.h"
#include "log.h"
#include "power.h"
#include "report.h"
#include "ring.h"
#include "timeutil.h"
#include "wire.h"

#define AGENT_REJECT_LOG_MS 60000 /* at most one 400/413 line a minute */
#define AGENT_JOB_UTIL      0.95  /* a job's accelerators: busy */
#define AGENT_CTL_RETRY     60    /* samples before a refused cap again */
#define AGENT_MAX_POWER     (1 + AGENT_MAX_EXTRA_POWER)
#define AGENT_POLL_WAIT_S   30    /* a long poll's wait, s */
#define AGENT_POLL_SLACK_MS 10000 /* its time limit beyond the wait */
#define AGENT_POLL_QUICK_MS 1000  /* answered sooner, unchanged: pause */

/* Readings a device's capabilities promise, as POD_F_* bits. */
#define AGENT_F_ALL ((1u << 24) - 1)

/* One plugin instance on this node. */
struct agent_plugin {
	struct agent *agent;
	const struct plugin *pl;                /* borrowed; NULL: none */
	char section[NAME_MAX_LEN + 16];        /* "power", "power cpu" */
	void *ctx;                              /* from init() */
	int inited;                             /* 1: fini() owed */
	struct pod_host host;                   /* valid until fini() */
	struct agent_kvlist kv;                 /* host.conf's storage */
	struct pod_device dev[POD_MAX_DEVICES]; /* as enumerated */
	int ndev;
	struct pod_sample samp[POD_MAX_DEVICES]; /* last read, fresh only */
	struct pod_load load[POD_MAX_DEVICES];   /* asked of each device */
	int64_t stale_since_ms[POD_MAX_DEVICES]; /* monotonic; 0: fresh */
	int stale_said[POD_MAX_DEVICES];         /* 1: "stale" was said */
};

/* A device of the power plugins: plugin p's device d. */
struct agent_devref {
	int p;
	int d;
};

struct agent {
	struct net *net; /* borrowed */
	char name[NAME_MAX_LEN];
	char *server[AGENT_MAX_SERVERS]; /* the controllers, in order; owned */
	int nserver;
	int cur;          /* the one reported to now */
	int answered_cur; /* the one that took the last report; -1: none */
	int tried;        /* controllers that did not take it, in a row */
	int round_over;   /* 1: each was tried since the last that took one */
	char left[AGENT_URL_MAX + 192];    /* "URL: why" of the last one left */
	char round_why[4 * AGENT_URL_MAX]; /* "URL: why; …" of each tried */
	char url[AGENT_URL_MAX + NAME_MAX_LEN + 32]; /* the report URL */
	char boot_id[17]; /* 16 hex digits, new per agent */
	int64_t interval_ms;
	struct agent_plugin power[AGENT_MAX_POWER]; /* [power] first */
	int npower;
	struct agent_plugin cooling;
	struct agent_devref accel_dev[RING_MAX_ACCELS]; /* accelerator i's */
	int naccel;
	struct agent_devref node_dev; /* the node's; p = -1: none */
	int loop_dev;                 /* cooling device of the loop; -1 */
	int64_t stale_ms;             /* readings older are unknown, ms */
	int node_limit;               /* 1: node cap to node_dev's limit */
	double limit_applied_w;       /* node_dev's limit set; NaN unknown */
	double limit_failed_w;        /* last refused; NaN */
	uint64_t limit_retry_seq;     /* not again before */
	int devices_stale;            /* devices without a fresh reading */
	struct pod_load bg_load[RING_MAX_ACCELS]; /* asked without a job */
	int job_refs[RING_MAX_ACCELS]; /* jobs running on accelerator i */
	double job_membound[RING_MAX_ACCELS];    /* their membound, summed */
	struct power pw;                         /* policy, caps, guard */
	double applied_mhz[RING_MAX_ACCELS];     /* cap in force; NaN unknown */
	double ctl_failed_mhz[RING_MAX_ACCELS];  /* last refused; NaN */
	uint64_t ctl_retry_seq[RING_MAX_ACCELS]; /* not again before */
	struct guard guard_said;    /* the guard state last logged */
	int fallback_said;          /* the fallback state last logged */
	int64_t power_said_version; /* desired whose power was refused */
	int64_t answered_ms;        /* monotonic, last 200; 0: never */
	int64_t sent_ms;            /* monotonic, the request in flight */
	int64_t report_ask_ms;      /* the controller's report interval; 0 */
	int64_t ask_gap_ms;         /* the next report's gap under an ask */
	int64_t lease_ms;           /* monotonic: jobs confirmed until */
	int64_t confirmed_ms;       /* monotonic, sent_ms last answered */
	int fence_own_s;            /* fence_timeout_s of the config */
	int fence_said_s;           /* the controller's; 0: not said */
	int64_t last_tick_ms;       /* monotonic, previous sample; 0 */
	uint64_t trip_seq;          /* sample the guard last throttled all */
	int64_t trip_us;            /* from its first read to control(), us */
	double trip_clock_mhz;      /* highest clock that sample reports */
	int simulated;              /* 1: one of many (pod-fleetsim) */
	double guard_min_flow_lpm;  /* from the configuration, L/min */
	double guard_clear_s;       /* from the configuration, s */
	struct jobtable *jobs;
	double last_power_w; /* node power, W; NaN before the first */
	struct ring *ring;
	uint64_t seq;     /* last sample's */
	uint64_t ack_seq; /* highest acknowledged */
	json_t *inventory;
	int send_inventory; /* 0: the controller said it holds it */
	struct net_req *req;
	uint64_t batch_first; /* seq range of the request in flight */
	uint64_t batch_last;
	struct event *tick;
	struct event *retry;
	struct event *soon;       /* a report with job news, from the loop */
	struct net_req *poll;     /* the long poll; NULL: not held */
	struct event *poll_pause; /* before the next poll, after a quick one */
	int64_t poll_sent_ms;     /* monotonic, the poll in flight */
	int64_t poll_version;     /* the version it asked past */
	uint64_t polls_ok;        /* answered 200 */
	uint64_t polls_failed;    /* anything else */
	int report_owed;   /* 1: job or guard news not yet in a report sent */
	int first_tick;    /* 1: the tick timer still has first_ms */
	int backing_off;   /* 1: retry timer armed */
	unsigned failures; /* consecutive, for the backoff */
	/* the soonest a controller of this round said to come back (one
	 * taking the lead: its Retry-After), ms, 0: none said; which one;
	 * and whether that was logged since the last report taken */
	int64_t round_retry_ms;
	char round_retry_url[AGENT_URL_MAX];
	int retry_told;
	enum agent_link link;
	int64_t link_since_ms; /* monotonic, when link last changed */
	uint64_t rejected;     /* batches refused since the last line */
	int64_t reject_log_ms; /* monotonic, the last such line */
	int64_t desired_version;
	uint64_t rng; /* xorshift64* state for jitter */
	uint64_t reports_ok;
	uint64_t reports_failed;
	agent_link_cb link_cb;
	void *link_arg;
};

static void agent_send(struct agent *a);
static void on_tick(evutil_socket_t fd, short what, void *arg);
static void on_retry(evutil_socket_t fd, short what, void *arg);
static void on_soon(evutil_socket_t fd, short what, void *arg);
static void on_job_news(void *arg);
static void on_job_accel(void *arg, int index, int busy, double membound);
static void on_poll_pause(evutil_socket_t fd, short what, void *arg);
static void agent_poll(struct agent *a);

const char *
agent_link_name(enum agent_link l)
{
	static const char *const names[] = {
	    "unknown", "up", "down", "refused", "held"};

	if ((unsigned)l >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[l];
}

/* Uniform in [0, 1). */
static double
agent_random(struct agent *a)
{
	a->rng ^= a->rng >> 12;
	a->rng ^= a->rng << 25;
	a->rng ^= a->rng >> 27;
	return ((a->rng * 0x2545f4914f6cdd1dULL) >> 11) * 0x1.0p-53;
}

static void
make_boot_id(struct agent *a)
{
	static uint64_t counter;
	unsigned char b[8];
	uint64_t v = 0;
	size_t i;

	if (getrandom(b, sizeof(b), GRND_NONBLOCK) != (ssize_t)sizeof(b)) {
		/* Early boot without entropy: unique enough per process. */
		v = (uint64_t)time_wall_ms() * 1000003u ^
		    ((uint64_t)getpid() << 32) ^ ++counter;
		for (i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)(v >> (8 * i));
	}
	for (i = 0; i < sizeof(b); i++) {
		snprintf(a->boot_id + 2 * i, 3, "%02x", b[i]);
		v = v << 8 | b[i];
	}
	a->rng = v ? v : 0x9e3779b97f4a7c15ULL;
}

/* pod_host.log: a plugin's line, prefixed with node and plugin. */
static void
host_log(
    const struct pod_host *host, enum pod_log_level level, const char *fmt, ...)
{
	const struct agent_plugin *ap = host->opaque;
	char line[1024];
	va_list va;

	va_start(va, fmt);
	vsnprintf(line, sizeof(line), fmt, va);
	va_end(va);
	switch (level) {
	case POD_LOG_ERROR:
	case POD_LOG_WARN:
		log_warnx("%s: %s/%s: %s", host->node, ap->pl->desc->kind,
		    ap->pl->desc->name, line);
		break;
	case POD_LOG_INFO:
		log_info("%s: %s/%s: %s", host->node, ap->pl->desc->kind,
		    ap->pl->desc->name, line);
		break;
	default:
		log_debug("%s: %s/%s: %s", host->node, ap->pl->desc->kind,
		    ap->pl->desc->name, line);
		break;
	}
}

/* Creates the plugin instance and enumerates its devices. 0 or -1. */
static int
plugin_start(struct agent *a, struct agent_plugin *ap, const struct plugin *pl,
    const char *section, const struct agent_kvlist *kv, uint64_t seed)
{
	const struct pod_plugin *d;
	int n;

	ap->agent = a;
	ap->pl = pl;
	snprintf(ap->section, sizeof(ap->section), "%s", section);
	if (pl == NULL)
		return 0;
	d = pl->desc;
	if (agentconf_kv_copy(&ap->kv, kv) == -1) {
		log_warnx("%s: %s: out of memory", __func__, a->name);
		return -1;
	}
	ap->host.node = a->name;
	ap->host.conf = ap->kv.v;
	ap->host.nconf = ap->kv.n;
	ap->host.seed = seed;
	ap->host.log = host_log;
	ap->host.opaque = ap;
	if (d->init(&ap->host, &ap->ctx) == -1) {
		log_warnx("%s: %s: %s plugin %s of [%s] refused to start",
		    __func__, a->name, d->kind, d->name, section);
		return -1;
	}
	ap->inited = 1;
	n = d->ops->devices(ap->ctx, ap->dev, POD_MAX_DEVICES);
	if (n < 0 || n > POD_MAX_DEVICES) {
		log_warnx("%s: %s: %s plugin %s cannot enumerate its devices",
		    __func__, a->name, d->kind, d->name);
		return -1;
	}
	ap->ndev = n;
	return 0;
}

static void
plugin_stop(struct agent_plugin *ap)
{
	if (ap->inited)
		ap->pl->desc->fini(ap->ctx);
	ap->inited = 0;
	agentconf_kv_clear(&ap->kv);
}

/* The device r refers to; borrowed. */
static const struct pod_device *
power_dev(const struct agent *a, struct agent_devref r)
{
	return &a->power[r.p].dev[r.d];
}

/* Its last fresh reading; borrowed. */
static const struct pod_sample *
power_samp(const struct agent *a, struct agent_devref r)
{
	return &a->power[r.p].samp[r.d];
}

/* Finds the accelerators (by plugin, then index), the node and the loop,
 * and builds the inventory, whose power_plugin names every power plugin
 * ("nvml,rapl"). 0 or -1. */
static int
map_devices(struct agent *a)
{
	struct pod_device accels[RING_MAX_ACCELS];
	const struct pod_device *dev;
	char names[64];
	size_t used = 0;
	int i, j, k, p, first;

	a->node_dev.p = -1;
	a->loop_dev = -1;
	names[0] = '\0';
	for (p = 0; p < a->npower; p++) {
		if (a->power[p].pl == NULL)
			continue;
		used += snprintf(names + used, sizeof(names) - used, "%s%s",
		    used ? "," : "", a->power[p].pl->desc->name);
		if (used >= sizeof(names))
			used = sizeof(names) - 1;
		dev = a->power[p].dev;
		first = a->naccel;
		for (i = 0; i < a->power[p].ndev; i++) {
			if (dev[i].domain == POD_DOMAIN_NODE &&
			    a->node_dev.p < 0)
				a->node_dev = (struct agent_devref){p, i};
			if (dev[i].domain != POD_DOMAIN_ACCEL)
				continue;
			if (a->naccel == RING_MAX_ACCELS) {
				log_warnx("%s: %s: more than %d accelerators",
				    __func__, a->name, RING_MAX_ACCELS);
				return -1;
			}
			/* Insertion by index within the plugin: enumeration
			 * order is the plugin's. */
			for (j = a->naccel;
			     j > first &&
			     dev[a->accel_dev[j - 1].d].index > dev[i].index;
			     j--)
				a->accel_dev[j] = a->accel_dev[j - 1];
			a->accel_dev[j] = (struct agent_devref){p, i};
			a->naccel++;
		}
	}
	for (i = 0; i < a->cooling.ndev; i++)
		if (a->cooling.dev[i].domain == POD_DOMAIN_LOOP) {
			a->loop_dev = i;
			break;
		}
	for (k = 0; k < a->naccel; k++)
		accels[k] = *power_dev(a, a->accel_dev[k]);
	power_init(
	    &a->pw, accels, a->naccel, a->guard_min_flow_lpm, a->guard_clear_s);
	a->inventory = report_inventory(used ? names : NULL,
	    a->cooling.pl ? a->cooling.pl->desc->name : NULL, accels,
	    a->naccel);
	return a->inventory ? 0 : -1;
}

/* Reports, and the long poll, go to controller i from now on: a poll
 * held by the one left is dropped (the next answered report starts it on
 * this one). */
static void
agent_aim(struct agent *a, int i)
{
	a->cur = i;
	snprintf(a->url, sizeof(a->url), "%s/api/v1/agents/%s/report",
	    a->server[i], a->name);
	if (a->poll != NULL)
		net_req_cancel(a->poll);
	if (a->poll_pause != NULL)
		evtimer_del(a->poll_pause);
}

struct agent *
agent_new(struct net *net, const struct agent_conf *conf,
    const struct plugin *const *power, const struct plugin *cooling)
{
	struct event_base *base = net_base(net);
	struct jobs_hooks hooks = {on_job_news, on_job_accel, NULL};
	struct agent *a;
	char section[NAME_MAX_LEN + 16];
	uint64_t seed;
	int i;

	if (!names_valid(conf->name)) {
		log_warnx("%s: '%s' is not a node name", __func__, conf->name);
		return NULL;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		log_warn("%s: calloc", __func__);
		return NULL;
	}
	a->net = net;
	snprintf(a->name, sizeof(a->name), "%s", conf->name);
	for (i = 0; i < conf->servers.n && i < AGENT_MAX_SERVERS; i++)
		if ((a->server[a->nserver++] = strdup(conf->servers.url[i])) ==
		    NULL) {
			log_warn("%s: strdup", __func__);
			goto fail;
		}
	if (a->nserver == 0) {
		log_warnx("%s: %s: no controller", __func__, a->name);
		goto fail;
	}
	a->answered_cur = -1;
	agent_aim(a, 0);
	a->interval_ms = conf->interval_ms;
	a->send_inventory = 1;
	a->last_power_w = NAN;
	a->simulated = conf->job_runner == AGENT_JOBS_SIMULATED;
	a->power_said_version = -1;
	a->guard_min_flow_lpm = conf->guard_min_flow_lpm;
	a->guard_clear_s = conf->guard_clear_s;
	a->stale_ms =
	    conf->stale_ms > 0 ? conf->stale_ms : AGENT_DEFAULT_STALE_MS;
	a->node_limit = conf->node_power_limit;
	a->limit_applied_w = a->limit_failed_w = NAN;
	for (i = 0; i < RING_MAX_ACCELS; i++)
		a->applied_mhz[i] = a->ctl_failed_mhz[i] = NAN;
	make_boot_id(a);
	seed = conf->seed_set ? conf->seed : agentconf_name_seed(conf->name);
	a->npower = 1 + conf->nextra_power;
	if (plugin_start(a, &a->power[0], power[0], "power", &conf->power_kv,
	        seed) == -1)
		goto fail;
	for (i = 0; i < conf->nextra_power; i++) {
		snprintf(section, sizeof(section), "power %s",
		    conf->extra_power[i].label);
		if (plugin_start(a, &a->power[1 + i], power[1 + i], section,
		        &conf->extra_power[i].kv, seed) == -1)
			goto fail;
	}
	if (plugin_start(a, &a->cooling, cooling, "cooling", &conf->cooling_kv,
	        seed) == -1 ||
	    map_devices(a) == -1)
		goto fail;
	if ((a->ring = ring_new(conf->buffer_samples, a->naccel)) == NULL)
		goto fail;
	if ((a->req = net_req_new(net, "pod-agentd/" POD_VERSION)) == NULL ||
	    net_req_set_bearer(a->req, conf->credential) == -1)
		goto fail;
	/* A simulated fleet's thousands of agents share one process and
	 * its descriptors: they hear desired state in report replies. */
	if (conf->desired_poll && !a->simulated &&
	    ((a->poll = net_req_new(net, "pod-agentd/" POD_VERSION)) == NULL ||
	        net_req_set_bearer(a->poll, conf->credential) == -1 ||
	        (a->poll_pause = evtimer_new(base, on_poll_pause, a)) == NULL))
		goto fail;
	if ((a->tick = event_new(base, -1, EV_PERSIST, on_tick, a)) == NULL ||
	    (a->retry = evtimer_new(base, on_retry, a)) == NULL ||
	    (a->soon = evtimer_new(base, on_soon, a)) == NULL) {
		log_warnx("%s: %s: cannot create timers", __func__, a->name);
		goto fail;
	}
	/* Last: adopting an earlier agent's jobs calls the hooks. */
	hooks.arg = a;
	if ((a->jobs = jobtable_new(base, conf, a->naccel, &hooks)) == NULL)
		goto fail;
	/* An earlier agent's lease still holds for the jobs it confirmed;
	 * without one, what it left gets a lease from now. */
	a->fence_own_s = conf->fence_timeout_s;
	a->confirmed_ms = time_mono_ms();
	if ((a->lease_ms = jobtable_lease_get(a->jobs)) == 0)
		a->lease_ms =
		    fence_lease_until(a->confirmed_ms, a->fence_own_s, 0);
	return a;
fail:
	agent_free(a);
	return NULL;
}

void
agent_free(struct agent *a)
{
	int i;

	if (a == NULL)
		return;
	jobtable_free(a->jobs);
	if (a->soon != NULL)
		event_free(a->soon);
	if (a->tick != NULL)
		event_free(a->tick);
	if (a->retry != NULL)
		event_free(a->retry);
	if (a->poll_pause != NULL)
		event_free(a->poll_pause);
	net_req_free(a->poll);
	net_req_free(a->req);
	plugin_stop(&a->cooling);
	for (i = 0; i < a->npower; i++)
		plugin_stop(&a->power[i]);
	ring_free(a->ring);
	json_decref(a->inventory);
	for (i = 0; i < a->nserver; i++)
		free(a->server[i]);
	free(a);
}

/* Lines one of a simulated fleet's thousands of agents would each say
 * about the same cause go to debug there; a real node says them at
 * `level`. */
static void __attribute__((format(printf, 3, 4)))
agent_log(const struct agent *a, enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(a->simulated ? LOG_LVL_DEBUG : level, fmt, ap);
	va_end(ap);
}

/*
 * The link to the controllers is now `to`, for `why`. left: when reports
 * now go to another controller than the one that took the last ("URL:
 * why" of the one left), else NULL. Each change is said once, as is each
 * move to another controller; an agent that goes round its list while
 * none is active says so once, not once a controller.
 */
static void
set_link(struct agent *a, enum agent_link to, const char *why, const char *left)
{
	enum agent_link from = a->link;
	int64_t now = time_mono_ms(), away_s;
	const char *server = a->server[a->cur];

	if (from == to) {
		if (to == AGENT_LINK_UP && left != NULL)
			agent_log(a, LOG_LVL_INFO,
			    "%s: reporting to %s now; left %s", a->name, server,
			    left);
		return;
	}
	away_s = (now - a->link_since_ms) / 1000;
	a->link = to;
	a->link_since_ms = now;
	if (a->link_cb != NULL) {
		a->link_cb(a, from, to, why, a->link_arg);
		if (to == AGENT_LINK_UP && left != NULL)
			agent_log(a, LOG_LVL_INFO,
			    "%s: reporting to %s now; left %s", a->name, server,
			    left);
		return;
	}
	switch (to) {
	case AGENT_LINK_UP:
		if (from == AGENT_LINK_UNKNOWN)
			log_info("%s: controller %s accepts reports%s%s",
			    a->name, server, left ? "; left " : "",
			    left ? left : "");
		else if (left != NULL)
			log_info("%s: controller %s accepts reports after %lld "
			         "s without one, %zu samples to send; left %s",
			    a->name, server, (long long)away_s,
			    ring_len(a->ring), left);
		else
			log_info("%s: controller %s back after %lld s, %zu "
			         "samples to send",
			    a->name, server, (long long)away_s,
			    ring_len(a->ring));
		break;
	case AGENT_LINK_DOWN:
		if (a->round_over)
			log_warnx("%s: %s: %s; going round them with backoff "
			          "up to %d s",
			    a->name,
			    from == AGENT_LINK_UP ? "lost the active controller"
			                          : "no active controller",
			    why, BACKOFF_MAX_MS / 1000);
		else
			log_warnx("%s: controller %s %s: %s; retrying with "
			          "backoff up to %d s",
			    a->name, server,
			    from == AGENT_LINK_UP ? "lost" : "unreachable", why,
			    BACKOFF_MAX_MS / 1000);
		break;
	case AGENT_LINK_REFUSED:
		log_warnx("%s: controller %s refuses reports: %s; retrying "
		          "every %d s",
		    a->name, server, why, BACKOFF_MAX_MS / 1000);
		break;
	case AGENT_LINK_HELD:
		log_warnx("%s: controller refuses %s: %s; retrying with "
		          "backoff up to %d s (the controller accepts it "
		          "once the other has been silent for its heartbeat "
		          "timeout)",
		    a->name, a->name, why, BACKOFF_MAX_MS / 1000);
		break;
	default:
		break;
	}
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;

	a->backing_off = 0;
	agent_send(a);
}

/* A failed report: back off (at the longest delay when refused, as for
 * an unknown node; a node held by another agent retries with the usual
 * backoff, to take it over soon after the other's heartbeat expires) and
 * say so if the link state changed. */
static void
agent_fail(struct agent *a, enum agent_link to, const char *why)
{
	struct timeval tv;
	int64_t ms;

	a->reports_failed++;
	jobtable_report_done(a->jobs, 0);
	a->report_owed = 1;
	if (to == AGENT_LINK_REFUSED)
		ms = backoff_max_ms(agent_random(a));
	else if (a->round_retry_ms > 0) { /* one said when it leads */
		ms = backoff_after_ms(a->round_retry_ms, agent_random(a));
		if (!a->retry_told)
			log_info("%s: controller %s takes the lead in %lld s; "
			         "reporting again then",
			    a->name, a->round_retry_url,
			    (long long)a->round_retry_ms / 1000);
		a->retry_told = 1;
	} else
		ms = backoff_delay_ms(a->failures, agent_random(a));
	a->round_retry_ms = 0;
	if (a->failures < 32)
		a->failures++;
	set_link(a, to, why, NULL);
	/* a new round of the controllers after the backoff */
	a->tried = 0;
	a->round_over = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (evtimer_add(a->retry, &tv) == 0)
		a->backing_off = 1;
	log_debug("%s: report failed (%s), retry in %lld ms", a->name, why,
	    (long long)ms);
}

/*
 * The controller reported to answered: a round of the controllers ends.
 * Returns "URL: why" of the one left to come to it when it is not the one
 * that answered last, else NULL.
 */
static const char *
agent_reached(struct agent *a)
{
	const char *left = NULL;

	if (a->cur != a->answered_cur && a->left[0] != '\0')
		left = a->left;
	a->answered_cur = a->cur;
	a->retry_told = 0;
	a->tried = 0;
	a->round_over = 0;
	return left;
}

/*
 * The controller reported to did not take the report: it could not be
 * reached or did not answer in time, or said it is not the active one
 * (`why` says which). With more controllers configured, the report goes
 * to the next one in the list at once, until each has been tried since
 * the last that took one: returns NULL. Then, or with one controller, it
 * returns what the caller backs off with, as after any failure: `why`, or
 * with several controllers what each said. retry_s: the reply's
 * Retry-After, 0 none; the round's soonest replaces the backoff after it.
 */
static const char *
agent_leave(struct agent *a, const char *why, int retry_s)
{
	struct timeval now = {0, 0};
	size_t len;

	if (a->tried == 0)
		a->round_retry_ms = 0;
	if (retry_s > 0 &&
	    (a->round_retry_ms == 0 || retry_s * 1000 < a->round_retry_ms)) {
		a->round_retry_ms = retry_s * 1000;
		snprintf(a->round_retry_url, sizeof(a->round_retry_url), "%s",
		    a->server[a->cur]);
	}
	if (a->nserver < 2)
		return why;
	if (a->tried == 0)
		a->round_why[0] = '\0';
	len = strlen(a->round_why);
	snprintf(a->round_why + len, sizeof(a->round_why) - len, "%s%s: %s",
	    len > 0 ? "; " : "", a->server[a->cur], why);
	snprintf(a->left, sizeof(a->left), "%s: %s", a->server[a->cur], why);
	log_debug("%s: report to %s failed (%s); next: %s", a->name,
	    a->server[a->cur], why, a->server[(a->cur + 1) % a->nserver]);
	agent_aim(a, (a->cur + 1) % a->nserver);
	if (++a->tried >= a->nserver) {
		a->round_over = 1;
		return a->round_why;
	}
	a->reports_failed++;
	jobtable_report_done(a->jobs, 0);
	a->report_owed = 1;
	/* as a backoff of no time, so that a tick does not send first */
	if (evtimer_add(a->retry, &now) == 0)
		a->backing_off = 1;
	return NULL;
}

/* desired.power: taken when valid, refused (once per desired version)
 * when not; absent or null keeps what the agent had. */
static void
agent_apply_power(struct agent *a, const struct desired *d)
{
	const struct power_want *old = &a->pw.want;
	int64_t version = d->version;
	struct power_want w;
	char err[256];

	if (!d->has_power)
		return;
	if (d->power_error[0] != '\0')
		snprintf(err, sizeof(err), "%s", d->power_error);
	if (d->power_error[0] != '\0' ||
	    power_from_wire(&d->power, &w, err, sizeof(err)) == -1) {
		if (version != a->power_said_version)
			agent_log(a, LOG_LVL_WARN,
			    "%s: desired state %lld: power settings refused: "
			    "%s; keeping %s",
			    a->name, (long long)version, err,
			    dvfs_policy_name(old->policy.policy));
		a->power_said_version = version;
		return;
	}
	if (!power_want_equal(&w, old)) {
		power_describe(&w, err, sizeof(err));
		agent_log(a, LOG_LVL_INFO, "%s: power %s", a->name, err);
	}
	power_set(&a->pw, &w);
}

/*
 * Converges to desired state d, from a report's reply or the long poll,
 * unless it is older than the one taken last: the two requests ride two
 * connections, whose answers may arrive out of order, and an older list
 * would stop an attempt the newer one started. Versions only grow
 * (docs/agent-protocol.md).
 */
static void
agent_take_desired(struct agent *a, struct desired *d)
{
	if (d->version < a->desired_version) {
		log_debug("%s: desired state %lld ignored: %lld taken already",
		    a->name, (long long)d->version,
		    (long long)a->desired_version);
		return;
	}
	if (d->version != a->desired_version)
		log_debug("%s: desired state version %lld", a->name,
		    (long long)d->version);
	a->desired_version = d->version;
	jobtable_apply(a->jobs, d);
	agent_apply_power(a, d);
}

/*
 * Takes in what the controller answered to an accepted report. Everything
 * the reply can carry is applied here and only here.
 */
static void
agent_apply_reply(struct agent *a, struct reply *rep)
{
	int64_t fence_ms;
	int i;

	if ((uint64_t)rep->ack_seq > a->seq)
		log_debug("%s: controller acknowledges seq %llu beyond the "
		          "last sample %llu",
		    a->name, (unsigned long long)rep->ack_seq,
		    (unsigned long long)a->seq);
	a->answered_ms = time_mono_ms();
	/* Everything the report listed is confirmed from when it was sent:
	 * the controller heard of it no earlier (docs/fencing.md). */
	if (rep->has_desired && rep->desired.fence_timeout_s > 0)
		a->fence_said_s = rep->desired.fence_timeout_s;
	fence_ms =
	    (int64_t)(a->fence_said_s > 0 ? a->fence_said_s : a->fence_own_s) *
	    1000;
	a->confirmed_ms = a->sent_ms;
	a->lease_ms =
	    fence_lease_until(a->sent_ms, a->fence_own_s, a->fence_said_s);
	(void)jobtable_lease(a->jobs, a->lease_ms);
	for (i = 0; i < rep->nkill; i++)
		jobtable_kill(a->jobs, rep->kill[i].id, rep->kill[i].attempt);
	ring_ack(a->ring, (uint64_t)rep->ack_seq);
	if (rep->report_interval_ms != a->report_ask_ms)
		agent_log(a, LOG_LVL_INFO,
		    rep->report_interval_ms > a->interval_ms
		        ? "%s: controller asks for a report every %lld ms"
		        : "%s: controller no longer asks for fewer reports "
		          "(%lld ms)",
		    a->name, (long long)rep->report_interval_ms);
	/* whatever is asked, jobs are confirmed thrice per fence timeout */
	a->report_ask_ms = rep->report_interval_ms;
	if (a->report_ask_ms > fence_ms / 3)
		a->report_ask_ms = fence_ms / 3;
	/* Each gap drawn anew, 0.75 to 1.25 times the ask: agents that
	 * reported together (a controller's restart, the burst that made it
	 * ask) drift apart instead of arriving together every interval. */
	a->ask_gap_ms =
	    (int64_t)(a->report_ask_ms * (0.75 + 0.5 * agent_random(a)));
	if (a->ask_gap_ms > fence_ms / 3)
		a->ask_gap_ms = fence_ms / 3;
	if ((uint64_t)rep->ack_seq > a->ack_seq)
		a->ack_seq = (uint64_t)rep->ack_seq;
	/* a controller that does not say so wants it every time */
	a->send_inventory = rep->want_inventory != 0;
	/* The ends this report carried are the controller's now: only
	 * those may be forgotten when desired no longer lists them. */
	jobtable_report_done(a->jobs, 1);
	if (rep->has_desired)
		agent_take_desired(a, &rep->desired);
}

/* 400 or 413: the batch would never be accepted; drop it, say so now and
 * then. */
static void
agent_reject(struct agent *a, long status, const char *why)
{
	int64_t now = time_mono_ms();

	a->reports_failed++;
	jobtable_report_done(a->jobs, 0);
	a->report_owed = 1;
	ring_ack(a->ring, a->batch_last);
	a->rejected++;
	if (a->reject_log_ms == 0 ||
	    now - a->reject_log_ms >= AGENT_REJECT_LOG_MS) {
		log_warnx("%s: controller refused samples %llu..%llu with %ld "
		          "(%s); dropped %llu batch(es)",
		    a->name, (unsigned long long)a->batch_first,
		    (unsigned long long)a->batch_last, status, why,
		    (unsigned long long)a->rejected);
		a->rejected = 0;
		a->reject_log_ms = now;
	}
}

/* The controller's words on a 409, "conflict: NODE is held by another
 * agent (...)", less what the agent's line says already. */
static const char *
held_why(const struct agent *a, const char *why)
{
	static const char code[] = "conflict: ";
	const char *p = why;
	size_t len = strlen(a->name);

	if (strncmp(p, code, sizeof(code) - 1) == 0)
		p += sizeof(code) - 1;
	if (strncmp(p, a->name, len) == 0 && strncmp(p + len, " is ", 4) == 0)
		return p + len + 4;
	return why;
}

static void
on_reply(struct net_req *req, const struct net_result *res, void *arg)
{
	struct agent *a = arg;
	struct reply *rep;
	const char *back;
	char why[256];

	if (!res->ok) {
		if ((back = agent_leave(a, res->error, 0)) != NULL)
			agent_fail(a, AGENT_LINK_DOWN, back);
		return;
	}
	if (res->status == 200) {
		if ((rep = malloc(sizeof(*rep))) == NULL) {
			agent_fail(a, AGENT_LINK_DOWN, "out of memory");
			return;
		}
		if (report_parse_reply(res->body, res->body_len, rep, why,
		        sizeof(why)) == -1) {
			free(rep);
			agent_fail(a, AGENT_LINK_DOWN, why);
			return;
		}
		a->reports_ok++;
		a->failures = 0;
		set_link(a, AGENT_LINK_UP, "", agent_reached(a));
		agent_apply_reply(a, rep);
		wire_reply_free(rep);
		free(rep);
		/* job news, or a backlog to catch up on when nothing slows
		 * the agent down: the next report at once */
		if (a->report_owed)
			on_job_news(a);
		else if (a->report_ask_ms <= a->interval_ms &&
		         ring_len(a->ring) >= REPORT_BATCH_MAX)
			event_active(a->soon, EV_TIMEOUT, 0);
		agent_poll(a);
		return;
	}
	report_error_text(res->body, res->body_len, why, sizeof(why));
	if (res->status == 400 || res->status == 413) {
		a->failures = 0;
		set_link(a, AGENT_LINK_UP, "", agent_reached(a));
		agent_reject(a, res->status, why);
	} else if (res->status >= 500) {
		char msg[300], passive[CTLLIST_WHY_MAX];

		snprintf(msg, sizeof(msg), "HTTP %ld %s", res->status, why);
		/* a standby, or an active one without its database: the next
		 * controller, as when one cannot be reached */
		if (!ctllist_passive(res->status, res->body, res->body_len,
		        passive, sizeof(passive)))
			agent_fail(a, AGENT_LINK_DOWN, msg);
		else if ((back = agent_leave(a, passive, res->retry_after_s)) !=
		         NULL)
			agent_fail(
			    a, AGENT_LINK_DOWN, a->nserver > 1 ? back : msg);
	} else if (res->status == 409) {
		agent_fail(a, AGENT_LINK_HELD, held_why(a, why));
	} else {
		char msg[300];

		/* 404 (node unknown), or a refusal we cannot act on. */
		snprintf(msg, sizeof(msg), "HTTP %ld %s", res->status, why);
		agent_fail(a, AGENT_LINK_REFUSED, msg);
	}
}

/*
 * The long poll's answer: a desired state past the version asked, or the
 * same one when the wait ran out. It is taken only while the reports are
 * answered and the jobs' lease holds (a controller that cannot hear this
 * agent's reports must not have it start anything). The next poll goes at
 * once, unless this one came back quickly with nothing new (a controller
 * that answers at once, or refuses): then after an interval. A failure
 * waits for the next answered report, which starts it again.
 */
static void
on_poll(struct net_req *req, const struct net_result *res, void *arg)
{
	struct agent *a = arg;
	struct desired *d = NULL;
	json_t *root = NULL;
	int64_t now = time_mono_ms(), took = 0;
	struct timeval tv;
	char why[256];

	if (!res->ok || res->status != 200) {
		a->polls_failed++;
		if (res->ok)
			report_error_text(
			    res->body, res->body_len, why, sizeof(why));
		log_debug("%s: long poll failed: %s", a->name,
		    res->ok ? why : res->error);
		return;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (root = jsonx_parse(res->body, res->body_len, why, sizeof(why))) ==
	        NULL ||
	    wire_desired_decode(root, d, why, sizeof(why)) == -1) {
		a->polls_failed++;
		log_debug("%s: long poll: %s", a->name,
		    d == NULL ? "out of memory" : why);
		json_decref(root);
		free(d);
		return;
	}
	json_decref(root);
	a->polls_ok++;
	if (a->link == AGENT_LINK_UP && !fence_agent_due(now, a->lease_ms) &&
	    d->version != a->poll_version) {
		agent_take_desired(a, d);
		took = 1;
	}
	wire_desired_free(d);
	free(d);
	if (took || now - a->poll_sent_ms >= AGENT_POLL_QUICK_MS) {
		agent_poll(a);
		return;
	}
	tv.tv_sec = a->interval_ms / 1000;
	tv.tv_usec = (a->interval_ms % 1000) * 1000;
	evtimer_add(a->poll_pause, &tv);
}

static void
on_poll_pause(evutil_socket_t fd, short what, void *arg)
{
	agent_poll(arg);
}

/* Holds the long poll, when configured, idle, and the reports are
 * answered: asks past the version taken last. */
static void
agent_poll(struct agent *a)
{
	char url[AGENT_URL_MAX + NAME_MAX_LEN + 128];

	if (a->poll == NULL || net_req_busy(a->poll) ||
	    evtimer_pending(a->poll_pause, NULL) || a->link != AGENT_LINK_UP)
		return;
	snprintf(url, sizeof(url),
	    "%s/api/v1/agents/%s/desired?version=%lld&wait=%d&boot_id=%s",
	    a->server[a->cur], a->name, (long long)a->desired_version,
	    AGENT_POLL_WAIT_S, a->boot_id);
	a->poll_version = a->desired_version;
	a->poll_sent_ms = time_mono_ms();
	if (net_req_get(a->poll, url,
	        AGENT_POLL_WAIT_S * 1000L + AGENT_POLL_SLACK_MS, on_poll,
	        a) == -1)
		a->polls_failed++;
}

static void
agent_send(struct agent *a)
{
	struct report_head h;
	size_t n, len;
	char *body;

	if (net_req_busy(a->req) || a->backing_off)
		return;
	if ((n = ring_len(a->ring)) == 0 && !a->report_owed)
		return;
	/* back-pressure: hold the samples until the interval asked has
	 * passed (half a tick early is on time), unless news or a full
	 * batch are waiting */
	if (!a->report_owed && n < REPORT_BATCH_MAX &&
	    a->report_ask_ms > a->interval_ms &&
	    time_mono_ms() - a->sent_ms + a->interval_ms / 2 < a->ask_gap_ms)
		return;
	if (n > REPORT_BATCH_MAX)
		n = REPORT_BATCH_MAX;
	h.boot_id = a->boot_id;
	h.interval_ms = a->interval_ms;
	h.desired_version = a->desired_version;
	h.dropped_samples = a->ring->dropped;
	h.inventory = a->send_inventory ? a->inventory : NULL;
	if ((h.jobs = jobtable_report(a->jobs)) == NULL)
		return;
	h.power = power_json(&a->pw, a->applied_mhz);
	body = report_build(&h, a->ring, n, &len);
	json_decref(h.jobs);
	json_decref(h.power);
	if (body == NULL) {
		jobtable_report_done(a->jobs, 0);
		return;
	}
	a->report_owed = 0;
	a->sent_ms = time_mono_ms();
	a->batch_first = n > 0 ? ring_at(a->ring, 0)->seq : 0;
	a->batch_last = n > 0 ? ring_at(a->ring, n - 1)->seq : 0;
	if (net_req_post(a->req, a->url, body, len, AGENT_REQUEST_TIMEOUT_MS,
	        on_reply, a) == -1)
		agent_fail(a, AGENT_LINK_DOWN, "cannot start a request");
}

/*
 * Keeps of ap's samples only fresh readings: one measured more than
 * stale_ms ago (by its t_ms; 0 means now) loses its valid bits. A device
 * whose capabilities promise readings and that has none for two intervals
 * is said stale once, and fresh again once; a->devices_stale counts them.
 */
static void
plugin_judge(struct agent *a, struct agent_plugin *ap, int64_t now_ms)
{
	const struct pod_plugin *d = ap->pl->desc;
	struct pod_sample *sp;
	int64_t wall = time_wall_ms(), since;
	int i;

	for (i = 0; i < ap->ndev; i++) {
		sp = &ap->samp[i];
		if (sp->valid != 0 && sp->t_ms > 0 &&
		    wall - sp->t_ms > a->stale_ms)
			sp->valid = 0;
		if ((ap->dev[i].caps & AGENT_F_ALL) == 0)
			continue;
		if (sp->valid != 0) {
			if (ap->stale_said[i])
				log_info("%s: %s/%s: %s: readings again after "
				         "%.0f s",
				    a->name, d->kind, d->name, ap->dev[i].name,
				    (now_ms - ap->stale_since_ms[i]) / 1000.0);
			if (ap->stale_since_ms[i] != 0)
				a->devices_stale--;
			ap->stale_since_ms[i] = 0;
			ap->stale_said[i] = 0;
			continue;
		}
		if (ap->stale_since_ms[i] == 0) {
			ap->stale_since_ms[i] = now_ms;
			a->devices_stale++;
		}
		since = now_ms - ap->stale_since_ms[i];
		if (!ap->stale_said[i] && since >= 2 * a->interval_ms) {
			log_warnx("%s: %s/%s: %s: no fresh reading for %.1f s: "
			          "its values are reported unknown",
			    a->name, d->kind, d->name, ap->dev[i].name,
			    since / 1000.0);
			ap->stale_said[i] = 1;
		}
	}
}

/* Reads every device of a plugin and keeps the fresh readings; 0, or -1
 * when the plugin read nothing. */
static int
plugin_read(struct agent *a, struct agent_plugin *ap, const struct pod_env *env,
    int64_t now_ms)
{
	const struct pod_plugin_ops *ops;
	int rc;

	if (ap->pl == NULL || ap->ndev == 0)
		return -1;
	ops = ap->pl->desc->ops;
	if (ops->environ != NULL)
		ops->environ(ap->ctx, env);
	memset(ap->samp, 0, ap->ndev * sizeof(ap->samp[0]));
	if ((rc = ops->read(ap->ctx, now_ms, ap->samp, ap->ndev)) != 0)
		memset(ap->samp, 0, ap->ndev * sizeof(ap->samp[0]));
	plugin_judge(a, ap, now_ms);
	return rc == 0 ? 0 : -1;
}

static void
take_loop(struct agent *a, struct sample *s, int ok)
{
	const struct pod_sample *p;
	struct sample_loop *l = &s->loop;

	if (a->loop_dev < 0)
		return;
	s->has_loop = 1;
	if (!ok)
		return;
	p = &a->cooling.samp[a->loop_dev];
	l->valid = p->valid &
	           (POD_F_SUPPLY | POD_F_RETURN | POD_F_FLOW | POD_F_PRESSURE |
	               POD_F_LEAK | POD_F_CAPACITY | POD_F_PUMP);
	l->supply_c = p->supply_c;
	l->return_c = p->return_c;
	l->flow_lpm = p->flow_lpm;
	l->pressure_kpa = p->pressure_kpa;
	l->capacity_w = p->capacity_w;
	l->pump_pct = p->pump_pct;
	l->leak = p->leak != 0;
}

static void
take_power(struct agent *a, struct sample *s)
{
	const struct pod_sample *p;
	struct sample_accel *sa;
	double sum = 0;
	int i, k, any = 0;

	for (i = 0; i < a->naccel; i++) {
		p = power_samp(a, a->accel_dev[i]);
		sa = &s->accels[i];
		sa->valid =
		    p->valid & (POD_F_POWER | POD_F_ENERGY | POD_F_TEMP |
		                   POD_F_CLOCK | POD_F_UTIL | POD_F_MEM);
		sa->power_w = p->power_w;
		sa->energy_j = p->energy_j;
		sa->temp_c = p->temp_c;
		sa->clock_mhz = p->clock_mhz;
		sa->util_pct = p->util_pct;
		sa->mem_used_mib = p->mem_used_mib;
	}
	if (a->node_dev.p >= 0) {
		p = power_samp(a, a->node_dev);
		s->power_w = (p->valid & POD_F_POWER) ? p->power_w : NAN;
		return;
	}
	for (k = 0; k < a->npower; k++)
		for (i = 0; i < a->power[k].ndev; i++)
			if (a->power[k].samp[i].valid & POD_F_POWER) {
				sum += a->power[k].samp[i].power_w;
				any = 1;
			}
	s->power_w = any ? sum : NAN;
}

/* Microseconds on the monotonic clock, for the guard's latency. */
static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Applies the decided clock caps that differ from the ones in force,
 * through the power plugin's control(): nothing is sent while the
 * decision stays the same. A cap the plugin refused (it logs why) is tried
 * again AGENT_CTL_RETRY samples later, or at once when the decision
 * changes.
 */
static void
agent_apply_caps(struct agent *a)
{
	const struct pod_plugin_ops *ops;
	struct agent_plugin *ap;
	struct pod_control c;
	double want;
	int i, dev;

	for (i = 0; i < a->naccel; i++) {
		want = a->pw.caps_mhz[i];
		ap = &a->power[a->accel_dev[i].p];
		dev = a->accel_dev[i].d;
		if (!ap->inited || (ops = ap->pl->desc->ops)->control == NULL)
			continue;
		if (!isfinite(want) || !(ap->dev[dev].caps & POD_CTL_CLOCK))
			continue;
		if (fabs(want - a->applied_mhz[i]) < 0.5)
			continue;
		if (want == a->ctl_failed_mhz[i] &&
		    a->seq < a->ctl_retry_seq[i])
			continue;
		memset(&c, 0, sizeof(c));
		c.set = POD_CTL_CLOCK;
		c.clock_max_mhz = want;
		if (ops->control(ap->ctx, dev, &c) == 0) {
			a->applied_mhz[i] = want;
			a->ctl_failed_mhz[i] = NAN;
		} else {
			a->applied_mhz[i] = NAN;
			a->ctl_failed_mhz[i] = want;
			a->ctl_retry_seq[i] = a->seq + AGENT_CTL_RETRY;
		}
	}
}

/*
 * With [agent] node_power_limit, the node cap in force (the allocator's
 * or the fallback) goes to the node device's power limit too, when it has
 * one: a BMC then holds the node under the cap in hardware, even if the
 * agent stops. No cap lifts the limit to the device's highest. Sent on
 * change only; a refusal (the plugin says why) is tried again
 * AGENT_CTL_RETRY samples later.
 */
static void
agent_apply_node_limit(struct agent *a)
{
	const struct pod_plugin_ops *ops;
	const struct pod_device *dv;
	struct agent_plugin *ap;
	struct pod_control c;
	double want;

	if (!a->node_limit || a->node_dev.p < 0)
		return;
	ap = &a->power[a->node_dev.p];
	dv = &ap->dev[a->node_dev.d];
	if (!ap->inited || (ops = ap->pl->desc->ops)->control == NULL ||
	    !(dv->caps & POD_CTL_POWER_LIMIT))
		return;
	want = isfinite(a->pw.node_cap_w) ? a->pw.node_cap_w : dv->power_max_w;
	if (want > dv->power_max_w)
		want = dv->power_max_w;
	if (want < dv->power_min_w)
		want = dv->power_min_w;
	if (fabs(want - a->limit_applied_w) < 0.5)
		return;
	if (want == a->limit_failed_w && a->seq < a->limit_retry_seq)
		return;
	memset(&c, 0, sizeof(c));
	c.set = POD_CTL_POWER_LIMIT;
	c.power_limit_w = want;
	if (ops->control(ap->ctx, a->node_dev.d, &c) == 0) {
		a->limit_applied_w = want;
		a->limit_failed_w = NAN;
	} else {
		a->limit_applied_w = NAN;
		a->limit_failed_w = want;
		a->limit_retry_seq = a->seq + AGENT_CTL_RETRY;
	}
}

/* Logs what the guard and the fallback changed since they were last
 * logged: entering as a warning, clearing as information, once each. A
 * guard change is news: the controller gates work on it (a leaking node
 * takes none), so it goes out with this tick's report, whatever interval
 * the controller asked. */
static void
agent_say_power(struct agent *a, const struct sample *s)
{
	const struct guard *g = &a->pw.guard;
	struct guard *was = &a->guard_said;
	int i;

	if (g->leak != was->leak || g->lowflow != was->lowflow ||
	    memcmp(g->overtemp, was->overtemp, sizeof(g->overtemp)) != 0)
		a->report_owed = 1;

	if (g->leak && !was->leak)
		log_warnx("%s: guard: leak on the coolant loop: every "
		          "accelerator to its lowest clock",
		    a->name);
	else if (!g->leak && was->leak)
		log_info("%s: guard: loop dry for %g s: leak cleared", a->name,
		    g->clear_s);
	if (g->lowflow && !was->lowflow)
		log_warnx("%s: guard: coolant flow %.2f L/min under %g: every "
		          "accelerator to its lowest clock",
		    a->name, s->loop.flow_lpm, g->min_flow_lpm);
	else if (!g->lowflow && was->lowflow)
		log_info("%s: guard: coolant flow back to %.2f L/min", a->name,
		    s->loop.flow_lpm);
	for (i = 0; i < a->naccel && i < GUARD_MAX_ACCELS; i++) {
		if (g->overtemp[i] && !was->overtemp[i])
			log_warnx("%s: guard: accelerator %d at %.1f °C, over "
			          "its critical %.0f °C: to its lowest clock",
			    a->name, i, s->accels[i].temp_c,
			    a->pw.temp_crit_c[i]);
		else if (!g->overtemp[i] && was->overtemp[i])
			log_info("%s: guard: accelerator %d back to %.1f °C",
			    a->name, i, s->accels[i].temp_c);
	}
	*was = *g;
	if (a->pw.fallback && !a->fallback_said)
		agent_log(a, LOG_LVL_WARN,
		    "%s: controller silent for %g s: fallback cap %.0f W in "
		    "force",
		    a->name, a->pw.want.fallback_after_s,
		    a->pw.want.fallback_cap_w);
	else if (!a->pw.fallback && a->fallback_said)
		agent_log(a, LOG_LVL_INFO,
		    "%s: controller answers again: fallback cap lifted",
		    a->name);
	a->fallback_said = a->pw.fallback;
}

/*
 * One sample: cooling first (it hears last tick's heat), and the guard
 * hears the loop at once, so that a leak or a lost flow throttles before
 * the accelerators are read; then power (it hears the coolant just read),
 * the policy and the guard's word on every accelerator, and the caps.
 */
static void
agent_sample(struct agent *a)
{
	struct pod_load job_load = {AGENT_JOB_UTIL, 0};
	struct pod_env env;
	struct sample *s;
	const struct sample_loop *l;
	struct agent_plugin *ap;
	struct pod_load *load;
	double dt_s, silent_s, membound[RING_MAX_ACCELS];
	int64_t now = time_mono_ms(), t0_us = mono_us();
	int ok, i, k, all;

	s = ring_push(a->ring);
	s->seq = ++a->seq;
	s->t_ms = time_wall_ms();
	s->power_w = NAN;
	dt_s = a->last_tick_ms > 0 ? (now - a->last_tick_ms) / 1000.0 : 0;
	a->last_tick_ms = now;

	env.coolant_c = NAN;
	env.heat_w = a->last_power_w;
	env.load = NULL;
	env.nload = 0;
	ok = plugin_read(a, &a->cooling, &env, now) == 0;
	take_loop(a, s, ok);
	all = guard_all(&a->pw.guard);
	if (power_loop(&a->pw, ok && s->has_loop ? &s->loop : NULL, dt_s)) {
		agent_apply_caps(a);
		if (!all) {
			a->trip_seq = s->seq;
			a->trip_us = mono_us() - t0_us;
		}
	}

	l = &s->loop;
	if (s->has_loop && (l->valid & POD_F_SUPPLY) &&
	    (l->valid & POD_F_RETURN))
		env.coolant_c = (l->supply_c + l->return_c) / 2;
	env.heat_w = NAN;
	for (i = 0; i < a->naccel; i++) {
		ap = &a->power[a->accel_dev[i].p];
		load = &ap->load[a->accel_dev[i].d];
		if (a->job_refs[i] > 0) {
			job_load.membound = a->job_membound[i] / a->job_refs[i];
			*load = job_load;
		} else
			*load = a->bg_load[i];
		membound[i] = load->membound;
	}
	for (k = 0; k < a->npower; k++) {
		env.load = a->power[k].load;
		env.nload = a->power[k].ndev;
		(void)plugin_read(a, &a->power[k], &env, now);
	}
	take_power(a, s);
	if (!isnan(s->power_w))
		a->last_power_w = s->power_w;
	if (a->trip_seq == s->seq) {
		a->trip_clock_mhz = 0;
		for (i = 0; i < a->naccel; i++)
			if (s->accels[i].clock_mhz > a->trip_clock_mhz)
				a->trip_clock_mhz = s->accels[i].clock_mhz;
	}

	silent_s = a->answered_ms > 0 ? (now - a->answered_ms) / 1000.0 : NAN;
	if (a->naccel > 0) {
		power_step(&a->pw, s, membound, dt_s, silent_s);
		agent_say_power(a, s);
		agent_apply_caps(a);
	}
	agent_apply_node_limit(a);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	struct timeval tv;
	int64_t now;

	if (a->first_tick) {
		/* The stagger is over: from now on, the interval. */
		tv.tv_sec = a->interval_ms / 1000;
		tv.tv_usec = (a->interval_ms % 1000) * 1000;
		event_add(a->tick, &tv);
		a->first_tick = 0;
	}
	jobtable_poll(a->jobs);
	now = time_mono_ms();
	if (fence_agent_due(now, a->lease_ms))
		(void)jobtable_fence(a->jobs, (now - a->confirmed_ms) / 1000);
	agent_sample(a);
	agent_send(a);
}

static void
on_soon(evutil_socket_t fd, short what, void *arg)
{
	agent_send(arg);
}

/* jobtable.h hook: an attempt started or ended. A report in flight or a
 * backoff sends it later (report_owed); else it goes now. */
static void
on_job_news(void *arg)
{
	struct agent *a = arg;
	struct timeval now = {0, 0};

	a->report_owed = 1;
	if (!net_req_busy(a->req) && !a->backing_off)
		evtimer_add(a->soon, &now);
}

/* jobtable.h hook: a job's accelerator starts or stops working. */
static void
on_job_accel(void *arg, int index, int busy, double membound)
{
	struct agent *a = arg;

	if (index < 0 || index >= a->naccel)
		return;
	a->job_refs[index] += busy ? 1 : -1;
	a->job_membound[index] += busy ? membound : -membound;
	if (a->job_refs[index] == 0)
		a->job_membound[index] = 0; /* no rounding left behind */
}

int
agent_start(struct agent *a, int64_t first_ms)
{
	struct timeval tv;

	if (first_ms < 0)
		first_ms = 0;
	tv.tv_sec = first_ms / 1000;
	tv.tv_usec = (first_ms % 1000) * 1000;
	if (event_add(a->tick, &tv) == -1) {
		log_warnx(
		    "%s: %s: cannot arm the sampling timer", __func__, a->name);
		return -1;
	}
	a->first_tick = 1;
	a->link_since_ms = time_mono_ms();
	return 0;
}

void
agent_set_load(struct agent *a, const struct pod_load *load)
{
	int i;

	for (i = 0; i < a->naccel; i++)
		a->bg_load[i] = *load;
}

int
agent_set_accel_load(struct agent *a, int index, const struct pod_load *load)
{
	if (index < 0 || index >= a->naccel)
		return -1;
	a->bg_load[index] = *load;
	return 0;
}

void
agent_set_link_cb(struct agent *a, agent_link_cb cb, void *arg)
{
	a->link_cb = cb;
	a->link_arg = arg;
}

void
agent_stats(const struct agent *a, struct agent_stats *out)
{
	int i;

	memset(out, 0, sizeof(*out));
	out->link = a->link;
	out->seq = a->seq;
	out->ack_seq = a->ack_seq;
	out->buffered = ring_len(a->ring);
	out->dropped = a->ring->dropped;
	out->reports_ok = a->reports_ok;
	out->reports_failed = a->reports_failed;
	out->desired_version = a->desired_version;
	out->power_w = a->last_power_w;
	jobtable_count(a->jobs, &out->jobs_running, &out->jobs_ended);
	out->limiting = a->pw.limiting;
	out->fallback = a->pw.fallback;
	out->guard_leak = a->pw.guard.leak;
	out->guard_lowflow = a->pw.guard.lowflow;
	for (i = 0; i < a->naccel && i < GUARD_MAX_ACCELS; i++)
		out->guard_overtemp += a->pw.guard.overtemp[i];
	out->node_cap_w = a->pw.node_cap_w;
	out->guard_trip_seq = a->trip_seq;
	out->guard_trip_us = a->trip_us;
	out->guard_trip_clock_mhz = a->trip_clock_mhz;
	out->devices_stale = a->devices_stale;
	out->report_interval_ms = a->report_ask_ms > a->interval_ms
	                              ? a->report_ask_ms
	                              : a->interval_ms;
}

int
agent_naccels(const struct agent *a)
{
	return a->naccel;
}

int
agent_last_sample(const struct agent *a, int i, struct pod_sample *out)
{
	if (i == -1 && a->loop_dev >= 0) {
		*out = a->cooling.samp[a->loop_dev];
		return 0;
	}
	if (i >= 0 && i < a->naccel) {
		*out = *power_samp(a, a->accel_dev[i]);
		return 0;
	}
	return -1;
}

int
agent_power_device(const struct agent *a, int k, const struct pod_device **dev,
    const struct pod_sample **s, const char **plugin)
{
	int p;

	for (p = 0; p < a->npower && k >= a->power[p].ndev; p++)
		k -= a->power[p].ndev;
	if (k < 0 || p == a->npower)
		return -1;
	*dev = &a->power[p].dev[k];
	*s = &a->power[p].samp[k];
	*plugin = a->power[p].pl->desc->name;
	return 0;
}

const char *
agent_name(const struct agent *a)
{
	return a->name;
}
