/*
 * The agent core: one node's sampling, buffering and reporting, and its
 * jobs (jobtable.h), as a library that pod-agentd runs once and pod-fleetsim
 * runs hundreds of times in one process. Everything happens on one libevent
 *loop; the agents of a process share it and one HTTP client (net.h), and never
 *block it.
 *
 * On every tick an agent reads its plugins, coupled through the host: the
 * cooling plugin hears the heat the node put out last tick, then the power
 * plugin hears the coolant temperature just read and the load asked of each
 * device. The sample goes into a bounded ring (ring.h) and, when no request
 * is in flight and the agent is not backing off, the oldest unacknowledged
 * samples go to the controller as docs/agent-protocol.md says. Power
 * (power.h) rides on the same tick: the safety guard hears the loop before
 * the accelerators are read, the DVFS policy decides after, and the clock
 * caps that changed go to the power plugin's control().
 *
 * Typical use:
 *
 *	base = event_base_new();
 *	net = net_new(base);
 *	a = agent_new(net, &conf, &power, cooling);
 *	agent_start(a, stagger_ms);
 *	event_base_dispatch(base);
 *	agent_free(a); net_free(net); event_base_free(base);
 */
#ifndef AGENT_AGENT_H
#define AGENT_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include <pod/plugin.h>

#include "agentconf.h"
#include "net.h"
#include "plugin.h"

#define AGENT_REQUEST_TIMEOUT_MS 10000 /* one report, connect included */

/* What the agent knows of the controller. */
enum agent_link {
	AGENT_LINK_UNKNOWN = 0, /* no answer yet */
	AGENT_LINK_UP,          /* the last report was answered */
	AGENT_LINK_DOWN,        /* unreachable, timed out or 5xx: backing off */
	AGENT_LINK_REFUSED,     /* 404 or another refusal: retrying slowly */
	AGENT_LINK_HELD,        /* 409: the node is held by another agent */
};

struct agent;

/* Told of every change of link state, instead of the agent logging it;
 * `why` is borrowed for the call. */
typedef void (*agent_link_cb)(struct agent *a, enum agent_link from,
    enum agent_link to, const char *why, void *arg);

/* A snapshot for status lines and tests. */
struct agent_stats {
	enum agent_link link;
	uint64_t seq;            /* last sample's sequence number */
	uint64_t ack_seq;        /* highest acknowledged */
	size_t buffered;         /* samples not yet acknowledged */
	uint64_t dropped;        /* overwritten unacknowledged */
	uint64_t reports_ok;     /* answered with 200 */
	uint64_t reports_failed; /* anything else */
	int64_t desired_version; /* latest desired state seen */
	double power_w;          /* node power of the last sample, W; NaN */
	int jobs_running;        /* job attempts running */
	int jobs_ended;          /* ended, not yet forgotten */
	int limiting;            /* 1: a power cap holds clocks down */
	int fallback;            /* 1: fallback_cap_w in force */
	double node_cap_w;       /* node cap in force, W; NaN: none */
	int guard_leak;          /* 1: the guard sees a leak */
	int guard_lowflow;       /* 1: the guard sees low flow */
	int guard_overtemp;      /* accelerators over critical */
	uint64_t guard_trip_seq; /* sample in which leak or low flow last
	                            throttled every accelerator; 0: never */
	int64_t guard_trip_us;   /* from that sample's first read to the last
	                            control(), us */
	double guard_trip_clock_mhz; /* highest clock that sample reports */
	int devices_stale; /* plugin devices without a fresh reading */
	int64_t report_interval_ms; /* reports sent at most this often: the
	                             * sampling interval, or the controller's
	                             * longer ask (back-pressure), ms */
};

/* Creates an agent for conf->name (which must be set and valid) on `net`.
 * `power` holds 1 + conf->nextra_power loaded plugins, for [power] and
 * each [power NAME] in order (power[0] may be NULL: none); `cooling` is
 * one or NULL. All are borrowed: they must outlive the agent. Each is
 * init()'ed here with its section's keys and a seed (conf->seed, else
 * agentconf_name_seed(name)). Jobs run as
 * conf->job_runner says: processes recorded in conf->state_dir (made if
 * missing; jobs an earlier agent left there are adopted), or simulated.
 * The agent copies what it needs from conf. Returns NULL (logged) on any
 * failure, including a plugin refusing its keys or an unusable state_dir.
 * Caller frees with agent_free(). */
struct agent *agent_new(struct net *net, const struct agent_conf *conf,
    const struct plugin *const *power, const struct plugin *cooling);
/* Stops the agent (a report in flight is abandoned) and frees it, its
 * plugin instances and its buffer. Running jobs are left running: their
 * shepherds own them, and the next agent adopts them. */
void agent_free(struct agent *a);
/* Arms the sampling timer: the first tick after first_ms, then every
 * interval. Spread first_ms over the interval when starting many. 0 or -1. */
int agent_start(struct agent *a, int64_t first_ms);
/* Sets the background load every accelerator is asked to run from the next
 * tick; an accelerator a job is running on is asked a job's load instead. */
void agent_set_load(struct agent *a, const struct pod_load *load);
/* The same for accelerator `index` alone. 0, or -1 if there is no such. */
int agent_set_accel_load(
    struct agent *a, int index, const struct pod_load *load);
/* Routes link changes to cb (NULL: the agent logs them itself). */
void agent_set_link_cb(struct agent *a, agent_link_cb cb, void *arg);
void agent_stats(const struct agent *a, struct agent_stats *out);
/* Accelerators on the node. */
int agent_naccels(const struct agent *a);
/* The last sample of accelerator i, or of the node's loop (i = -1), into
 * out. 0, or -1 when there is none. */
int agent_last_sample(const struct agent *a, int i, struct pod_sample *out);
/* The power plugins' device k (0, 1, … across [power] and each
 * [power NAME] in order): its description, its last fresh reading (valid
 * 0 when it has none) and the plugin's name, all borrowed until the next
 * sample. 0, or -1 past the last device. */
int agent_power_device(const struct agent *a, int k,
    const struct pod_device **dev, const struct pod_sample **s,
    const char **plugin);
/* The node name; borrowed. */
const char *agent_name(const struct agent *a);
/* "up", "down", …; static. */
const char *agent_link_name(enum agent_link l);

#endif
