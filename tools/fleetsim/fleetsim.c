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
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
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

#define FLEET_MAX_AGENTS        16384 /* agents in one process */
#define FLEET_MAX_PODS          999
#define FLEET_MAX_NODES_PER_POD 9999
#define FLEET_LOAD_SPREAD       0.1  /* ± per-node variation of --load */
#define FLEET_SUMMARY_MS        2000 /* quiet period before a summary line */
#define FLEET_MAX_ARGS          4096 /* --fault and --skip options, each */

struct fleet_node {
	char name[NAME_MAX_LEN];
	int skip;                       /* 1: --skip */
	struct agent_kvlist power_kv;   /* faults for power/sim */
	struct agent_kvlist cooling_kv; /* faults for cooling/sim */
	struct agent *agent;            /* NULL when skipped */
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
	int nup; /* agents whose link is up */
	struct fleet_changes changes;
	struct event_base *base;
	struct net *net;
	struct plugin *power;
	struct plugin *cooling;
	struct event *summary;
};

static struct fleetsim_state fleet;

/* Prints the usage, as the man page's synopsis, and exits: on stdout
 * with 0 when asked for (--help), on stderr with 1 after a bad option. */
static _Noreturn void
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: pod-fleetsim [-d] [--server url] [--pods n] "
	    "[--nodes-per-pod m]\n"
	    "\t[--accels-per-node k] [--interval-ms t] [--buffer-samples n]\n"
	    "\t[--seed s] [--load u] [--fault node:kind@seconds]... "
	    "[--skip node]...\n"
	    "\t[--ca-file file]\n"
	    "\t[--node-secret-file path]\n"
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

static void
on_summary(evutil_socket_t fd, short what, void *arg)
{
	struct fleetsim_state *st = arg;
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
}

static void
on_link(struct agent *a, enum agent_link from, enum agent_link to,
    const char *why, void *arg)
{
	struct fleetsim_state *st = arg;
	struct fleet_changes *c = &st->changes;
	struct timeval tv = {
	    FLEET_SUMMARY_MS / 1000, (FLEET_SUMMARY_MS % 1000) * 1000};

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
	log_debug("%s: link %s -> %s %s", agent_name(a), agent_link_name(from),
	    agent_link_name(to), why ? why : "");
	if (!evtimer_pending(st->summary, NULL))
		evtimer_add(st->summary, &tv);
}

static int
start_agents(struct fleetsim_state *st)
{
	struct agent_conf ac;
	struct fleet_node *n;
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
		if ((n->agent = agent_new(st->net, &ac,
		         (const struct plugin *const *)&st->power,
		         st->cooling)) == NULL)
			goto fail;
		load.util = st->load + FLEET_LOAD_SPREAD *
		                           (2 * unit_random(s ^ 0x10ad) - 1);
		load.util = load.util < 0 ? 0 : load.util > 1 ? 1 : load.util;
		load.membound = 0.2 + 0.2 * unit_random(s ^ 0x3e3);
		agent_set_load(n->agent, &load);
		agent_set_link_cb(n->agent, on_link, st);
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
	int i;

	for (i = 0; i < st->nnodes; i++) {
		agent_free(st->nodes[i].agent);
		agentconf_kv_clear(&st->nodes[i].power_kv);
		agentconf_kv_clear(&st->nodes[i].cooling_kv);
	}
	free(st->nodes);
	st->nodes = NULL;
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
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct fleetsim_state *st = &fleet;
	struct event *sigint = NULL, *sigterm = NULL;
	int ch, debug = 0, rc = 1;

	st->server = AGENT_DEFAULT_SERVER;
	st->pods = 1;
	st->nodes_per_pod = 128;
	st->accels = 8;
	st->interval_ms = AGENT_DEFAULT_INTERVAL_MS;
	st->buffer_samples = AGENT_DEFAULT_BUFFER;
	st->seed = 1;
	st->load = 0.3;
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

	if ((st->base = event_base_new()) == NULL) {
		log_warnx("cannot create the event loop");
		goto fail;
	}
	if ((st->net = net_new(st->base)) == NULL ||
	    net_set_ca_file(st->net, st->ca_file) == -1 ||
	    (st->summary = evtimer_new(st->base, on_summary, st)) == NULL)
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
	log_info("%d agents (%d pod%s x %d nodes, %d accelerators each, %d "
	         "skipped) reporting to %s every %ld ms",
	    st->nactive, st->pods, st->pods == 1 ? "" : "s", st->nodes_per_pod,
	    st->accels, st->nnodes - st->nactive, st->server, st->interval_ms);
	if (event_base_dispatch(st->base) == -1) {
		log_warnx("event loop failed");
		goto fail;
	}
	final_line(st);
	rc = 0;
fail:
	if (sigterm != NULL)
		event_free(sigterm);
	if (sigint != NULL)
		event_free(sigint);
	free_fleet(st);
	if (st->summary != NULL)
		event_free(st->summary);
	plugin_unload(st->cooling);
	plugin_unload(st->power);
	net_free(st->net);
	if (st->base != NULL)
		event_base_free(st->base);
	libevent_global_shutdown();
	return rc;
}
