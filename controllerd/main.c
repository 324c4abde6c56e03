/*
 * pod-controllerd: the controller daemon. It owns the desired state of the
 * fabric and the store, and serves the REST API, all on one libevent loop.
 * A one-second tick marks silent nodes down and flushes queued samples to
 * the database in one transaction; an hourly one drops expired sample
 * partitions. On a PostgreSQL database that other controllers share, it
 * first stands by, the loop serving only that, until it leads (leader.h);
 * then it loads the state and acts, while the tick sees it still leads.
 */
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "acct.h"
#include "api.h"
#include "auth.h"
#include "bms.h"
#include "config.h"
#include "db.h"
#include "ctl.h"
#include "fleet.h"
#include "httpcap.h"
#include "envelope.h"
#include "log.h"
#include "nodeauth.h"
#include "org.h"
#include "queue.h"
#include "resv.h"
#include "selfstat.h"
#include "tenancy.h"
#include "store.h"
#include "timeutil.h"
#include "tls.h"

static struct ctl_state ctl;
static const char *conf_path;
static const char *init_admin; /* --init-admin FILE */

static const struct option long_opts[] = {
    {"config", required_argument, NULL, 'c'},
    {"debug", no_argument, NULL, 'd'},
    {"check", no_argument, NULL, 'n'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"init-admin", required_argument, NULL, 'A'},
    {"routes", no_argument, NULL, 'R'},
    {NULL, 0, NULL, 0},
};

/* The synopsis, as pod-controllerd(8) gives it. */
static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: pod-controllerd [-dn] [-c file] [--init-admin file]\n"
	    "       pod-controllerd --routes | --help | --version\n");
}

/* The dashboard directory: the config's, else the installed one next to
 * this binary, else the source tree's (running from a build directory). */
static void
resolve_web_dir(struct ctl_state *st)
{
	char exe[PATH_MAX - 32], *slash;
	struct stat sb;
	ssize_t n;

	if (st->conf->web_dir[0] != '\0') {
		snprintf(
		    st->web_dir, sizeof(st->web_dir), "%s", st->conf->web_dir);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
		snprintf(st->web_dir, sizeof(st->web_dir),
		    "%s/../share/pod/web", exe);
		if (stat(st->web_dir, &sb) == 0 && S_ISDIR(sb.st_mode))
			return;
	}
	snprintf(st->web_dir, sizeof(st->web_dir), "%s", POD_SOURCE_WEB_DIR);
}

static void
node_down(struct node *n, void *arg)
{
	int *logged = arg;

	if ((*logged)++ < 8)
		log_info("node %s is down (no report for %d s)", n->name,
		    ctl.conf->heartbeat_timeout_s);
}

#define LAG_TIMER_S     0.1  /* the loop-lag timer's period */
#define STANDBY_READ_MS 5000 /* a standby reads tokens and node ids again */

/* Every 100 ms: how late the timer fired is how long the loop was busy
 * with something else (pod_loop_lag_seconds). */
static void
lag_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct timeval tv = {0, (suseconds_t)(LAG_TIMER_S * 1e6)};
	double now = selfstat_clock_s(), late = now - ctl.lag_due_s;

	if (ctl.lag_due_s > 0)
		selfstat_wobserve(
		    &ctl.self->loop_lag_s, time_mono_ms(), late > 0 ? late : 0);
	ctl.lag_due_s = now + LAG_TIMER_S;
	(void)event_add(ctl.lag_ev, &tv);
}

/* Once a second, after the flush: the report interval asked of agents. */
static void
backpressure(void)
{
	struct selfstat_bp_conf bp = {ctl.conf->bp_queue_share,
	    ctl.conf->bp_lag_ms, ctl.conf->bp_cpu_share,
	    ctl.conf->report_interval_max_ms, 0};
	int64_t nodes = ctl.fleet->nnodes, rate = ctl.conf->report_rate_max;
	struct timespec cpu;

	/* this thread runs the loop: its CPU time is the loop's */
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0)
		selfstat_loop_cpu(ctl.self, cpu.tv_sec + cpu.tv_nsec / 1e9,
		    selfstat_clock_s());

	/* agents must confirm their jobs thrice per fence timeout */
	if (bp.max_ms > ctl.conf->fence_timeout_s * 1000 / 3)
		bp.max_ms = ctl.conf->fence_timeout_s * 1000 / 3;
	/* more nodes than the reports a second planned for: each reports
	 * every nodes / rate seconds, its samples still taken every second */
	if (rate > 0 && nodes > rate)
		bp.floor_ms = (int)((nodes * 1000 + rate - 1) / rate);

	(void)selfstat_backpressure(ctl.self, time_mono_ms(), &bp);
}

static void
tick(evutil_socket_t fd, short ev, void *arg)
{
	static int64_t last_expire_ms;
	int64_t now = time_mono_ms();
	int logged = 0, down, dropped;

	(void)store_flush(ctl.store, ctl.fleet);
	(void)httpcap_sweep(ctl.httpcap);
	/* not sure it still leads: decides nothing, lets nodes be */
	if (!leader_acting(&ctl.lead, now))
		return;

	/* an agent asked to report less often is silent for longer */
	down = fleet_check_liveness(ctl.fleet, now,
	    (int64_t)ctl.conf->heartbeat_timeout_s * 1000 +
	        selfstat_silence_ms(ctl.self, now),
	    node_down, &logged);
	if (down > 8)
		log_info("%d more nodes are down", down - 8);
	if (ctl.up_logged > 8)
		log_info("%d more nodes are up", ctl.up_logged - 8);
	ctl.up_logged = 0;
	if (ctl.conf->test_loop_stall_ms > 0) /* tests: a loop that lags */
		(void)nanosleep(&(struct timespec){0,
		                    ctl.conf->test_loop_stall_ms * 1000000L},
		    NULL);
	backpressure();
	resv_tick(&ctl);
	queue_tick(&ctl);
	acct_tick(&ctl);
	envelope_tick(&ctl);
	bms_tick(ctl.bms);
	if ((dropped = store_expired(ctl.store)) > 0)
		log_info("dropped %d days of samples older than %d days",
		    dropped, ctl.conf->retention_days);
	/* at the first tick too, whatever the monotonic clock's origin */
	if (last_expire_ms == 0 || now - last_expire_ms > 3600 * 1000) {
		last_expire_ms = now;
		store_set_rollup_retention(ctl.store,
		    ctl.conf->retention_1m_days, ctl.conf->retention_1h_days);
		store_expire_later(
		    ctl.store, time_wall_ms(), ctl.conf->retention_days);
	}
}

static int
same_topology(const struct config *a, const struct config *b)
{
	int p;

	if (a->npods != b->npods || strcmp(a->listen, b->listen) != 0 ||
	    strcmp(a->modbus_listen, b->modbus_listen) != 0 ||
	    strcmp(a->database, b->database) != 0 ||
	    (a->tls_cert[0] == '\0') != (b->tls_cert[0] == '\0'))
		return 0;
	for (p = 0; p < a->npods; p++)
		if (a->pods[p].nodes != b->pods[p].nodes ||
		    a->pods[p].groups != b->pods[p].groups)
			return 0;
	return 1;
}

/* SIGHUP: a new config replaces the old one only if it is valid; settings
 * that would reshape the fabric or move the server need a restart. The TLS
 * certificate and key are read again, so they rotate without a restart. */
static void
reload(evutil_socket_t sig, short ev, void *arg)
{
	struct config *c;
	char err[512];

	if ((c = config_load(conf_path, err, sizeof(err))) == NULL) {
		log_warnx(
		    "reload refused, keeping the running config: %s", err);
		return;
	}
	if (!same_topology(c, ctl.conf)) {
		log_warnx("reload refused: pods, nodes, groups, listen, "
		          "[modbus] listen, database or TLS on/off changed; "
		          "restart to apply");
		config_free(c);
		return;
	}
	fleet_configure(ctl.fleet, c);
	config_free(ctl.conf);
	ctl.conf = c;
	httpcap_configure(ctl.httpcap, c);
	/* the certificate is re-read even when its paths are the same, so
	 * that renewed files take effect; a bad one keeps the running one */
	(void)httpcap_tls(ctl.httpcap, c);
	bms_configure(ctl.bms, c);
	store_configure_queue(ctl.store, c->store_queue_max, ctl.self);
	(void)store_load_fleet(ctl.store, ctl.fleet);
	(void)org_configure(&ctl);
	log_info("configuration reloaded");
}

/*
 * --init-admin: the first admin token, for user root, written to path
 * (mode 0600) when path does not exist yet; an existing file is left as it
 * is, so that the option may stay in a service's command line. The file is
 * written before the token is stored: a token no file holds would be lost.
 * 0 or -1 (logged).
 */
static int
make_admin(const char *path)
{
	struct auth_token t;
	char token[AUTH_TOKEN_LEN + 1];
	FILE *f = NULL;
	int fd, rc = -1;

	if (access(path, F_OK) == 0) {
		log_info("--init-admin: %s exists; no token made", path);
		return 0;
	}
	memset(&t, 0, sizeof(t));
	snprintf(t.user, sizeof(t.user), "root");
	snprintf(t.comment, sizeof(t.comment), "made by --init-admin");
	t.role = AUTH_ADMIN;
	t.created_ms = time_wall_ms();
	if (auth_token_make(token, t.hash) == -1)
		return -1;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) ==
	        -1 ||
	    (f = fdopen(fd, "w")) == NULL) {
		log_warn("--init-admin: cannot create %s", path);
		if (fd != -1)
			close(fd);
		goto fail;
	}
	if (fprintf(f, "%s\n", token) < 0 || fflush(f) != 0 ||
	    fsync(fileno(f)) == -1) {
		log_warn("--init-admin: cannot write %s", path);
		goto unlink;
	}
	if (store_put_token(ctl.store, &t, "--init-admin") == -1 ||
	    auth_add(&ctl.auth, &t) == -1)
		goto unlink;
	log_info("--init-admin: admin token %lld for root written to %s",
	    (long long)t.id, path);
	rc = 0;
	goto fail;
unlink:
	(void)unlink(path);
fail:
	if (f != NULL)
		fclose(f);
	OPENSSL_cleanse(token, sizeof(token));
	return rc;
}

/* Raises the soft limit on open files to the hard one: every connection
 * and long poll holds a descriptor. */
static void
raise_nofile(void)
{
	struct rlimit rl;
	rlim_t was;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("%s: getrlimit", __func__);
		return;
	}
	was = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			log_warn("%s: setrlimit to %llu", __func__,
			    (unsigned long long)rl.rlim_max);
			return;
		}
	}
	log_info("open-file limit %llu (was %llu)",
	    (unsigned long long)rl.rlim_cur, (unsigned long long)was);
}

static void
stop(evutil_socket_t sig, short ev, void *arg)
{
	log_info("caught signal %d, stopping", (int)sig);
	ctl.stopping = 1;
	event_base_loopbreak(ctl.base);
}

/* The URL the other controllers and the clients reach this one at: the
 * configured one, else the REST API's as bound. */
static const char *
advertised(const struct config *c)
{
	return c->advertise_url[0] != '\0' ? c->advertise_url : ctl.url;
}

/* What a standby's reads need from the database, read without writing:
 * the tokens, so that a caller signs in as at the active controller, and
 * the nodes' row ids, for their history. Read again every
 * STANDBY_READ_MS, so that a token made or revoked there counts here
 * within seconds; a failed read keeps the last one. */
static void
standby_read(void)
{
	static int64_t last_ms = INT64_MIN / 2;
	struct auth fresh = {0};
	int64_t now = time_mono_ms();

	if (now - last_ms < STANDBY_READ_MS)
		return;
	last_ms = now;
	if (store_load_tokens(ctl.store, &fresh) == 0) {
		auth_clear(&ctl.auth); /* its refusal counts stay */
		ctl.auth.tokens = fresh.tokens;
		ctl.auth.n = fresh.n;
		ctl.auth.cap = fresh.cap;
	} else {
		auth_clear(&fresh);
	}
	(void)store_read_node_ids(ctl.store, ctl.fleet);
}

/* Standing by, it asks for the lead; leading, it checks it still does,
 * three times a lease (leader.c). It stops the loop when it starts to
 * lead (stand_by()) and when it is deposed. */
static void
lead_tick(evutil_socket_t fd, short ev, void *arg)
{
	enum leader_role r = leader_step(&ctl.lead, time_mono_ms());

	if ((ctl.standby && r == LEADER_ACTIVE) || r == LEADER_DEPOSED)
		event_base_loopbreak(ctl.base);
	else if (ctl.standby && r == LEADER_STANDBY)
		standby_read();
}

/* Before any state is loaded: stands by until this controller leads, the
 * API answering that it is the standby (api.c). 0 when it leads or a
 * signal stopped it (ctl.stopping), -1 logged. */
static int
stand_by(void)
{
	if (leader_step(&ctl.lead, time_mono_ms()) == LEADER_ACTIVE)
		return 0;
	if (ctl.lead.role == LEADER_STANDBY)
		log_info("standing by: %s leads; this controller takes over "
		         "when its database session ends",
		    ctl.lead.active_url[0] ? ctl.lead.active_url
		                           : "another controller");
	ctl.standby = 1;
	standby_read();
	event_base_dispatch(ctl.base);
	ctl.standby = 0;
	auth_clear(&ctl.auth); /* the leader loads them again, and more */
	return 0;
}

int
main(int argc, char *argv[])
{
	struct event *ev_tick = NULL, *ev_int = NULL, *ev_term = NULL;
	struct event *ev_hup = NULL, *ev_lead = NULL;
	struct timeval lead_every;
	int lead_ms;
	struct timeval one_s = {1, 0};
	struct bms_handles bms_h;
	char err[512];
	int ch, check = 0, debug = 0, i, rc = 1;

	log_init("pod-controllerd", LOG_LVL_INFO);
	while (
	    (ch = getopt_long(argc, argv, "c:dnhV", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("pod-controllerd %s\n", POD_VERSION);
			return 0;
		case 'A':
			init_admin = optarg;
			break;
		case 'R':
			api_print_routes(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "pod-controllerd: unexpected argument '%s'\n",
		    argv[optind]);
		usage(stderr);
		return 2;
	}
	if (debug)
		log_init("pod-controllerd", LOG_LVL_DEBUG);
	if ((ctl.conf = config_load(conf_path, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return 1;
	}
	if (check) {
		/* the certificate and key as the server would load them:
		 * parsed, and the key matching the certificate */
		if (ctl.conf->tls_cert[0] != '\0') {
			SSL_CTX *tls =
			    tls_ctx_new(ctl.conf->tls_cert, ctl.conf->tls_key);

			if (tls == NULL) {
				config_free(ctl.conf);
				return 1;
			}
			SSL_CTX_free(tls);
		}
		if (debug)
			config_dump(ctl.conf, stdout);
		fprintf(stderr,
		    "configuration OK: %d pods, listen %s, "
		    "database %s\n",
		    ctl.conf->npods, ctl.conf->listen,
		    db_is_url(ctl.conf->database) ? "on PostgreSQL"
		                                  : ctl.conf->database);
		config_free(ctl.conf);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	ctl.start_mono_ms = time_mono_ms();
	resolve_web_dir(&ctl);
	if ((ctl.fleet = fleet_new(ctl.conf)) == NULL) {
		log_warnx("out of memory building the fleet");
		goto fail;
	}
	if ((ctl.base = event_base_new()) == NULL) {
		log_warnx("event_base_new failed");
		goto fail;
	}
	if ((ctl.self = selfstat_new(ctl.fleet->nnodes, time_mono_ms())) ==
	    NULL)
		goto fail;
	/* Every listener first: a taken port must not leave a database
	 * behind. Nothing is served before the loop runs. */
	bms_h = (struct bms_handles){.base = ctl.base,
	    .conf = ctl.conf,
	    .fleet = ctl.fleet,
	    .start_mono_ms = ctl.start_mono_ms,
	    .self = ctl.self,
	    .lead = &ctl.lead};
	if (api_start(&ctl) == -1 || bms_listen(&bms_h, &ctl.bms) == -1)
		goto fail;
	if ((ctl.store = store_open(ctl.conf->database)) == NULL)
		goto fail;
	ev_int = evsignal_new(ctl.base, SIGINT, stop, NULL);
	ev_term = evsignal_new(ctl.base, SIGTERM, stop, NULL);
	if (ev_int == NULL || ev_term == NULL ||
	    event_add(ev_int, NULL) == -1 || event_add(ev_term, NULL) == -1) {
		log_warnx("cannot set up signals");
		goto fail;
	}
	/* a standby has no state to reload: SIGHUP waits until it leads */
	signal(SIGHUP, SIG_IGN);
	leader_init(&ctl.lead, ctl.store, advertised(ctl.conf),
	    ctl.conf->leader_lease_s * 1000);
	/* a leader renews its lease well within it: every third of it */
	lead_ms = ctl.conf->leader_lease_s * 1000 / 3;
	if (lead_ms > 1000)
		lead_ms = 1000;
	lead_every = (struct timeval){lead_ms / 1000, (lead_ms % 1000) * 1000};
	/* SQLite: one controller, which leads: nothing to check */
	if (store_shared(ctl.store) &&
	    ((ev_lead = event_new(ctl.base, -1, EV_PERSIST, lead_tick, NULL)) ==
	            NULL ||
	        event_add(ev_lead, &lead_every) == -1)) {
		log_warnx("cannot set up the lead's timer");
		goto fail;
	}
	if (bms_serve_standby(ctl.bms) == -1)
		goto fail;
	/* a standby's /metrics: its own families, its role among them */
	ctl.metrics = (struct metrics_view){.fleet = ctl.fleet,
	    .start_mono_ms = ctl.start_mono_ms,
	    .api_refused = ctl.auth.refused,
	    .conf = &ctl.conf,
	    .self = ctl.self,
	    .lead = &ctl.lead,
	    .standby = &ctl.standby};
	if (stand_by() == -1)
		goto fail;
	if (ctl.stopping) {
		rc = 0;
		goto fail;
	}
	store_configure_queue(ctl.store, ctl.conf->store_queue_max, ctl.self);
	if (store_load_fleet(ctl.store, ctl.fleet) == -1 ||
	    store_load_tokens(ctl.store, &ctl.auth) == -1 ||
	    (init_admin != NULL && make_admin(init_admin) == -1))
		goto fail;
	if ((ctl.nodeauth = nodeauth_open(ctl.conf)) == NULL)
		goto fail;
	if (org_load(&ctl) == -1 || tenancy_init(&ctl) == -1)
		goto fail;
	if (queue_init(&ctl) == -1 || envelope_init(&ctl) == -1 ||
	    bms_start(ctl.bms, ctl.env, ctl.store) == -1)
		goto fail;
	ctl.metrics = (struct metrics_view){ctl.fleet, &ctl.jobs, ctl.env,
	    ctl.store, ctl.start_mono_ms, &ctl.nodeauth->refused,
	    ctl.auth.refused, &ctl.conf, ctl.self, &ctl.lead, &ctl.standby};
	ev_tick = event_new(ctl.base, -1, EV_PERSIST, tick, NULL);
	ev_hup = evsignal_new(ctl.base, SIGHUP, reload, NULL);
	ctl.lag_ev = evtimer_new(ctl.base, lag_tick, NULL);
	if (ctl.lag_ev == NULL || event_add(ctl.lag_ev, &one_s) == -1 ||
	    ev_tick == NULL || ev_hup == NULL ||
	    event_add(ev_tick, &one_s) == -1 || event_add(ev_hup, NULL) == -1) {
		log_warnx("cannot set up timers and signals");
		goto fail;
	}
	log_info("controlling %d pods, %d nodes; database %s (schema %d)",
	    ctl.fleet->npods, ctl.fleet->nnodes, store_where(ctl.store),
	    store_schema_version(ctl.store));
	event_base_dispatch(ctl.base);
	(void)store_flush_wait(ctl.store, ctl.fleet);
	if (ctl.lead.role == LEADER_DEPOSED) {
		rc = 3; /* the service manager starts it again, standing by */
		goto fail;
	}
	/* the running attempts' energy and peak, for the next start */
	(void)store_acct_put_running(
	    ctl.store, ctl.jobs.v, ctl.jobs.n, ctl.fleet);
	rc = 0;
fail:
	if (ev_tick)
		event_free(ev_tick);
	if (ev_int)
		event_free(ev_int);
	if (ev_term)
		event_free(ev_term);
	if (ev_hup)
		event_free(ev_hup);
	if (ev_lead)
		event_free(ev_lead);
	if (ctl.lag_ev)
		event_free(ctl.lag_ev);
	bms_stop(ctl.bms);
	ctl.bms = NULL;
	api_stop(&ctl);
	envelope_free(&ctl);
	queue_free(&ctl);
	tenancy_free(&ctl);
	org_free(&ctl.org);
	if (ctl.base)
		event_base_free(ctl.base);
	store_close(ctl.store);
	nodeauth_free(ctl.nodeauth);
	fleet_free(ctl.fleet);
	config_free(ctl.conf);
	selfstat_free(ctl.self);
	auth_clear(&ctl.auth);
	for (i = 0; i < ctl.nunknown; i++)
		free(ctl.unknown[i]);
	return rc;
}
