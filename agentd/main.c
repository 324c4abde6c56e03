/*
 * pod-agentd: the node agent. It reads its configuration, loads the power
 * and cooling plugins the configuration names, and runs one agent (agent.h)
 * on one libevent loop until SIGINT or SIGTERM, which stop the agent but
 * not its jobs (their shepherds keep them; the next agent adopts them).
 * SIGHUP rereads the configuration: a bad one is refused and the running
 * agent kept, a good one replaces it (with a new boot id, as after a
 * restart, adopting the running jobs).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>

#include "agent.h"
#include "agentconf.h"
#include "agentmetrics.h"
#include "conf.h"
#include "jobdir.h"
#include "log.h"
#include "names.h"
#include "plugin.h"
#include "probe.h"

/* What one configuration brings up. */
struct agentd_run {
	struct agent_conf conf;
	struct plugin *power[1 + AGENT_MAX_EXTRA_POWER]; /* [power] first */
	struct plugin *cooling;                          /* NULL: none */
	struct agent *agent;
	struct evhttp *metrics; /* /metrics server; NULL: none */
};

struct agentd_state {
	const char *conf_path;
	const char *server; /* --server, or NULL */
	const char *name;   /* --name, or NULL */
	const char *cred;   /* --credential-file, or NULL */
	int check;          /* -n: check, start nothing, make nothing */
	int probe;          /* --probe: 1 table, 2 JSON */
	struct event_base *base;
	struct net *net;
	struct agentd_run run;
};

static struct agentd_state agentd;

/* Prints the usage, as the man page's synopsis, and exits: on stdout
 * with 0 when asked for (--help), on stderr with 1 after a bad option. */
static _Noreturn void
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: pod-agentd [-dn] -c file [--server url[,url...]] "
	    "[--name node]\n"
	    "                  [--credential-file file]\n"
	    "       pod-agentd --probe[=json] -c file [--name node]\n"
	    "       pod-agentd --help | --version\n");
	exit(status);
}

static void
run_close(struct agentd_run *run)
{
	int i;

	if (run->metrics != NULL)
		evhttp_free(run->metrics);
	agent_free(run->agent);
	plugin_unload(run->cooling);
	for (i = 0; i < 1 + AGENT_MAX_EXTRA_POWER; i++)
		plugin_unload(run->power[i]);
	agentconf_free(&run->conf);
	memset(run, 0, sizeof(*run));
}

/* Reads the configuration into run->conf, applies the command line over
 * it and loads the plugins it names. Returns 0, or -1 (logged); the caller
 * frees with run_close() either way. */
static int
run_load(struct agentd_state *st, struct agentd_run *run)
{
	struct agent_conf *ac = &run->conf;
	struct conf *c = NULL;
	const char *dir;
	char err[1024], host[256];
	int i;

	memset(run, 0, sizeof(*run));
	agentconf_init(ac);
	if ((c = conf_load(st->conf_path, err, sizeof(err))) == NULL ||
	    agentconf_parse(c, ac, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		goto fail;
	}
	if (st->server != NULL &&
	    agentconf_set_server(ac, st->server, err, sizeof(err)) == -1) {
		log_warnx("--server: %s", err);
		goto fail;
	}
	if (st->name != NULL) {
		if (!names_valid(st->name)) {
			log_warnx("--name: '%s' is not a node name (1-%d of "
			          "a-z 0-9 - _ .)",
			    st->name, NAME_MAX_LEN - 1);
			goto fail;
		}
		memcpy(ac->name, st->name, strlen(st->name) + 1);
	}
	if (st->cred != NULL &&
	    agentconf_set_credential(ac, st->cred, err, sizeof(err)) == -1) {
		log_warnx("--credential-file: %s", err);
		goto fail;
	}
	if (ac->name[0] == '\0') {
		if (gethostname(host, sizeof(host)) == -1) {
			log_warn("gethostname");
			goto fail;
		}
		host[sizeof(host) - 1] = '\0';
		if (!names_valid(host)) {
			log_warnx("host name '%s' is not a node name; set "
			          "[agent] name or --name",
			    host);
			goto fail;
		}
		/* names_valid() bounds it to NAME_MAX_LEN - 1. */
		memcpy(ac->name, host, strlen(host) + 1);
	}
	if (ac->power_plugin[0] == '\0') {
		log_warnx("%s: no [power] plugin configured", st->conf_path);
		goto fail;
	}
	if (ac->credential[0] == '\0' && !st->probe)
		log_warnx("%s: no [agent] credential_file: the controller "
		          "refuses the reports of a node without its "
		          "credential (docs/security.md)",
		    st->conf_path);
	if (st->check) {
		/* No job is adopted and no directory made by a check: the
		 * simulation runner has none, and state_dir is only looked
		 * at. */
		if (jobdir_check(ac->state_dir) == -1)
			goto fail;
		ac->job_runner = AGENT_JOBS_SIMULATED;
	}
	/* A plugin that does not load fails the start; a probe lists it as
	 * such and probes the others. */
	dir = ac->plugin_dir[0] != '\0' ? ac->plugin_dir : NULL;
	if ((run->power[0] = plugin_load(dir, "power", ac->power_plugin)) ==
	        NULL &&
	    !st->probe)
		goto fail;
	for (i = 0; i < ac->nextra_power; i++)
		if ((run->power[1 + i] = plugin_load(
		         dir, "power", ac->extra_power[i].plugin)) == NULL &&
		    !st->probe)
			goto fail;
	if (ac->cooling_plugin[0] != '\0' &&
	    (run->cooling = plugin_load(dir, "cooling", ac->cooling_plugin)) ==
	        NULL &&
	    !st->probe)
		goto fail;
	conf_free(c);
	return 0;
fail:
	conf_free(c);
	return -1;
}

/* run_load(), then creates the agent. Returns 0, or -1 (logged) with
 * nothing left to free. */
static int
run_open(struct agentd_state *st, struct agentd_run *run)
{
	struct agent_conf *ac = &run->conf;

	if (run_load(st, run) == -1)
		goto fail;
	if (net_set_ca_file(st->net, ac->ca_file) == -1 ||
	    (run->agent = agent_new(st->net, ac,
	         (const struct plugin *const *)run->power, run->cooling)) ==
	        NULL)
		goto fail;
	return 0;
fail:
	run_close(run);
	return -1;
}

/* --probe: loads what it can of the configuration's plugins and lists
 * what they find (probe.h). Returns the exit status. */
static int
run_probe(struct agentd_state *st)
{
	struct agentd_run *run = &st->run;
	int rc = 1;

	if (run_load(st, run) == 0)
		rc = probe_run(&run->conf, run->power, run->cooling,
		    st->probe == 2, stdout);
	run_close(run);
	return rc;
}

/* The first tick's offset in the interval, from the node name, so that
 * agents started together do not report together. */
static int64_t
run_stagger_ms(const struct agentd_run *run)
{
	return (int64_t)(agentconf_name_seed(run->conf.name) %
	                 (uint64_t)run->conf.interval_ms);
}

static void
on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct agentd_state *st = arg;

	log_info("%s: stopping", strsignal(sig));
	event_base_loopbreak(st->base);
}

/* Serves /metrics when configured; a port in use costs only the metrics. */
static void
run_metrics(struct agentd_state *st, struct agentd_run *run)
{
	if (run->conf.metrics_listen[0] != '\0')
		run->metrics = agentmetrics_listen(
		    st->base, run->conf.metrics_listen, run->agent);
}

static void
on_reload(evutil_socket_t sig, short what, void *arg)
{
	struct agentd_state *st = arg;
	struct agentd_run fresh;

	log_info("SIGHUP: rereading %s", st->conf_path);
	if (run_open(st, &fresh) == -1) {
		log_warnx(
		    "%s: keeping the running configuration", st->conf_path);
		return;
	}
	if (agent_start(fresh.agent, run_stagger_ms(&fresh)) == -1) {
		run_close(&fresh);
		log_warnx(
		    "%s: keeping the running configuration", st->conf_path);
		return;
	}
	run_close(&st->run);
	st->run = fresh;
	run_metrics(st, &st->run);
	log_info("%s: new configuration running for %s", st->conf_path,
	    st->run.conf.name);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"server", required_argument, NULL, 'S'},
	    {"name", required_argument, NULL, 'N'},
	    {"credential-file", required_argument, NULL, 'C'},
	    {"probe", optional_argument, NULL, 'P'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct agentd_state *st = &agentd;
	struct event *sigint = NULL, *sigterm = NULL, *sighup = NULL;
	char servers[AGENT_MAX_SERVERS * (AGENT_URL_MAX + 2)];
	int ch, debug = 0, rc = 1, i;
	size_t len;

	while ((ch = getopt_long(argc, argv, "c:dhn", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			st->conf_path = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'n':
			st->check = 1;
			break;
		case 'S':
			st->server = optarg;
			break;
		case 'N':
			st->name = optarg;
			break;
		case 'C':
			st->cred = optarg;
			break;
		case 'P':
			if (optarg != NULL && strcmp(optarg, "json") != 0)
				usage(1);
			st->probe = optarg != NULL ? 2 : 1;
			break;
		case 'h':
			usage(0);
		case 'V':
			printf("pod-agentd %s\n", POD_VERSION);
			return 0;
		default:
			usage(1);
		}
	}
	if (optind != argc || st->conf_path == NULL)
		usage(1);
	log_init("pod-agentd", debug ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	signal(SIGPIPE, SIG_IGN);
	if (st->probe)
		return run_probe(st);

	if ((st->base = event_base_new()) == NULL) {
		log_warnx("cannot create the event loop");
		goto fail;
	}
	if ((st->net = net_new(st->base)) == NULL)
		goto fail;
	if (run_open(st, &st->run) == -1)
		goto fail;
	if (st->check) {
		/* the controllers, in the order the agent tries them */
		for (i = 0; i < st->run.conf.servers.n; i++)
			printf("controller %d: %s\n", i + 1,
			    st->run.conf.servers.url[i]);
		fprintf(stderr, "configuration OK\n");
		rc = 0;
		goto fail;
	}
	if ((sigint = evsignal_new(st->base, SIGINT, on_stop, st)) == NULL ||
	    (sigterm = evsignal_new(st->base, SIGTERM, on_stop, st)) == NULL ||
	    (sighup = evsignal_new(st->base, SIGHUP, on_reload, st)) == NULL ||
	    evsignal_add(sigint, NULL) == -1 ||
	    evsignal_add(sigterm, NULL) == -1 ||
	    evsignal_add(sighup, NULL) == -1) {
		log_warnx("cannot watch signals");
		goto fail;
	}
	if (agent_start(st->run.agent, run_stagger_ms(&st->run)) == -1)
		goto fail;
	run_metrics(st, &st->run);
	len = snprintf(servers, sizeof(servers), "%s",
	    st->run.conf.servers.n > 1 ? "the active one of " : "");
	for (i = 0; i < st->run.conf.servers.n && len < sizeof(servers); i++)
		len += snprintf(servers + len, sizeof(servers) - len, "%s%s",
		    i > 0 ? ", " : "", st->run.conf.servers.url[i]);
	log_info("%s: sampling every %lld ms, reporting to %s",
	    st->run.conf.name, (long long)st->run.conf.interval_ms, servers);
	if (event_base_dispatch(st->base) == -1) {
		log_warnx("event loop failed");
		goto fail;
	}
	rc = 0;
fail:
	if (sighup != NULL)
		event_free(sighup);
	if (sigterm != NULL)
		event_free(sigterm);
	if (sigint != NULL)
		event_free(sigint);
	run_close(&st->run);
	net_free(st->net);
	if (st->base != NULL)
		event_base_free(st->base);
	libevent_global_shutdown();
	return rc;
}
