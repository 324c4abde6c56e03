/*
 * pod-agentd's configuration: see agentconf.h. The [agent] keywords are one
 * table; a key given twice is refused rather than silently overridden, so a
 * file that says two things about one setting is caught at start.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentconf.h"
#include "ring.h"

struct keyword {
	const char *key; /* the key in [agent] */
	/* Converts e into ac: 0, or -1 with "where: key: why" in err. */
	int (*set)(struct agent_conf *ac, const struct conf_entry *e, char *err,
	    size_t errlen);
};

static int
set_server(
    struct agent_conf *ac, const struct conf_entry *e, char *err, size_t errlen)
{
	char why[AGENT_URL_MAX + 128];

	if (agentconf_set_server(ac, e->value, why, sizeof(why)) == -1) {
		conf_error(err, errlen, e, "%s", why);
		return -1;
	}
	return 0;
}

static int
set_name(
    struct agent_conf *ac, const struct conf_entry *e, char *err, size_t errlen)
{
	if (!names_valid(e->value)) {
		conf_error(err, errlen, e,
		    "'%s' is not a node name (1-%d of a-z 0-9 - _ .)", e->value,
		    NAME_MAX_LEN - 1);
		return -1;
	}
	return conf_str(e, ac->name, sizeof(ac->name), err, errlen);
}

static int
set_state_dir(
    struct agent_conf *ac, const struct conf_entry *e, char *err, size_t errlen)
{
	return conf_str(e, ac->state_dir, sizeof(ac->state_dir), err, errlen);
}

static int
set_plugin_dir(
    struct agent_conf *ac, const struct conf_entry *e, char *err, size_t errlen)
{
	return conf_str(e, ac->plugin_dir, sizeof(ac->plugin_dir), err, errlen);
}

static int
set_interval(
    struct agent_conf *ac, const struct conf_entry *e, char *err, size_t errlen)
{
	long v;

	if (conf_int(e, AGENT_MIN_INTERVAL_MS, AGENT_MAX_INTERVAL_MS, &v, err,
	        errlen) == -1)
		return -1;
	ac->interval_ms = v;
	return 0;
}

static int
set_buffer(
    struct agent_conf *ac, const struct conf_entry *e, char *err, size_t errlen)
{
	long v;

	if (conf_int(e, 1, RING_MAX_SAMPLES, &v, err, errlen) == -1)
		return -1;
	ac->buffer_samples = (size_t)v;
	return 0;
}

static int
set_seed(
    struct agent_conf *ac, const struct conf_entry *e, char *err, size_t errlen)
{
	long v;

	if (conf_int(e, 0, LONG_MAX, &v, err, errlen) == -1)
		return -1;
	ac->seed = (uint64_t)v;
	ac->seed_set = 1;
	return 0;
}

static int
set_min_flow(
    struct agent_conf *ac, const struct conf_entry *e, char *err, size_t errlen)
{
	return conf_double(
	    e, 0, AGENT_MAX_MIN_FLOW, &ac->guard_min_flow_lpm, err, errlen);
}

static int
set_clear(
    struct agent_conf *ac, const struct conf_entry *e, char *err, size_t errlen)
{
	return conf_double(
	    e, 0, AGENT_MAX_CLEAR_S, &ac->guard_clear_s, err, errlen);
}

static int
set_fence(
    struct agent_conf *ac, const struct conf_entry *e, char *err, size_t errlen)
{
	long v;

	if (conf_int(e, 1, AGENT_MAX_FENCE_S, &v, err, errlen) == -1)
		return -1;
	ac->fence_timeout_s = (int)v;
	return 0;
}

static int
set_stale(
    struct agent_conf *ac, const struct conf_entry *e, char *err, size_t errlen)
{
	long v;

	if (conf_int(e, AGENT_MIN_INTERVAL_MS, AGENT_MAX_STALE_MS, &v, err,
	        errlen) == -1)
		return -1;
	ac->stale_ms = v;
	return 0;
}

static int
set_node_limit(
    struct agent_conf *ac, const struct conf_entry *e, char *err, size_t errlen)
{
	return conf_bool(e, &ac->node_power_limit, err, errlen);
}

/* desired_poll: true (the default) holds a long poll of the desired state
 * beside the reports, so that a job starts when the controller decides it,
 * not at the next report; false waits for the reports' replies. */
static int
set_desired_poll(
    struct agent_conf *ac, const struct conf_entry *e, char *err, size_t errlen)
{
	return conf_bool(e, &ac->desired_poll, err, errlen);
}

/* "ADDR:PORT", or "none" to serve no metrics. */
static int
set_metrics(
    struct agent_conf *ac, const struct conf_entry *e, char *err, size_t errlen)
{
	const char *colon = strrchr(e->value, ':');
	char *end = NULL;
	long port;

	if (strcmp(e->value, "none") == 0) {
		ac->metrics_listen[0] = '\0';
		return 0;
	}
	port = colon ? strtol(colon + 1, &end, 10) : -1;
	if (colon == NULL || colon == e->value || colon[1] == '\0' ||
	    end == NULL || *end || port < 0 || port > 65535 ||
	    strlen(e->value) >= sizeof(ac->metrics_listen)) {
		conf_error(err, errlen, e, "'%s' is not ADDRESS:PORT or none",
		    e->value);
		return -1;
	}
	snprintf(
	    ac->metrics_listen, sizeof(ac->metrics_listen), "%s", e->value);
	return 0;
}

/* PEM CA certificates an https server must chain to; readable now. */
static int
set_ca_file(
    struct agent_conf *ac, const struct conf_entry *e, char *err, size_t errlen)
{
	if (conf_str(e, ac->ca_file, sizeof(ac->ca_file), err, errlen) == -1)
		return -1;
	if (access(ac->ca_file, R_OK) == -1) {
		conf_error(err, errlen, e, "cannot read %s: %s", ac->ca_file,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* [agent] credential_file (see agentconf_set_credential()). */
static int
set_credential(
    struct agent_conf *ac, const struct conf_entry *e, char *err, size_t errlen)
{
	char why[AGENT_PATH_MAX + 128];

	if (agentconf_set_credential(ac, e->value, why, sizeof(why)) == -1) {
		conf_error(err, errlen, e, "%s", why);
		return -1;
	}
	return 0;
}

/* The [agent] keywords: the key, and the function that converts its value
 * into struct agent_conf. */
static const struct keyword agent_keywords[] = {
    {"server", set_server},
    {"name", set_name},
    {"state_dir", set_state_dir},
    {"plugin_dir", set_plugin_dir},
    {"interval_ms", set_interval},
    {"buffer_samples", set_buffer},
    {"seed", set_seed},
    {"guard_min_flow_lpm", set_min_flow},
    {"guard_clear_s", set_clear},
    {"fence_timeout_s", set_fence},
    {"stale_after_ms", set_stale},
    {"node_power_limit", set_node_limit},
    {"desired_poll", set_desired_poll},
    {"metrics_listen", set_metrics},
    {"ca_file", set_ca_file},
    {"credential_file", set_credential},
};
#define NKEYWORDS (sizeof(agent_keywords) / sizeof(agent_keywords[0]))

void
agentconf_init(struct agent_conf *ac)
{
	memset(ac, 0, sizeof(*ac));
	ac->servers.n = 1;
	snprintf(ac->servers.url[0], sizeof(ac->servers.url[0]), "%s",
	    AGENT_DEFAULT_SERVER);
	snprintf(ac->state_dir, sizeof(ac->state_dir), "%s",
	    AGENT_DEFAULT_STATE_DIR);
	ac->interval_ms = AGENT_DEFAULT_INTERVAL_MS;
	ac->buffer_samples = AGENT_DEFAULT_BUFFER;
	ac->guard_min_flow_lpm = AGENT_DEFAULT_MIN_FLOW;
	ac->guard_clear_s = AGENT_DEFAULT_CLEAR_S;
	ac->fence_timeout_s = AGENT_DEFAULT_FENCE_S;
	ac->stale_ms = AGENT_DEFAULT_STALE_MS;
	ac->desired_poll = 1;
	snprintf(ac->metrics_listen, sizeof(ac->metrics_listen), "%s",
	    AGENT_DEFAULT_METRICS);
}

void
agentconf_free(struct agent_conf *ac)
{
	int i;

	agentconf_kv_clear(&ac->power_kv);
	agentconf_kv_clear(&ac->cooling_kv);
	for (i = 0; i < ac->nextra_power; i++)
		agentconf_kv_clear(&ac->extra_power[i].kv);
	ac->nextra_power = 0;
}

/* A file holding the node's credential, read now: a file others may read
 * or without one is an error, so that an agent never starts reporting
 * without proof of its name. */
int
agentconf_set_credential(
    struct agent_conf *ac, const char *path, char *err, size_t errlen)
{
	if (strlen(path) >= sizeof(ac->credential_file)) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	memcpy(ac->credential_file, path, strlen(path) + 1);
	return nodecred_read_file(
	    ac->credential_file, 0, ac->credential, err, errlen);
}

/* Checks one controller URL of `server` and drops its final '/'s, in
 * place. 0, or -1 with why in err. */
static int
server_url(char *url, char *err, size_t errlen)
{
	const char *host;
	size_t len = strlen(url);

	if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else {
		snprintf(
		    err, errlen, "'%s' is not an http:// or https:// URL", url);
		return -1;
	}
	if (*host == '\0' || *host == '/' || strpbrk(url, " \t\"?#") != NULL) {
		snprintf(err, errlen, "'%s' is not a server URL", url);
		return -1;
	}
	while (len > 0 && url[len - 1] == '/')
		len--;
	/* Room is kept for the longest path the agent appends. */
	if (len + NAME_MAX_LEN + 32 >= AGENT_URL_MAX) {
		snprintf(err, errlen, "server URL longer than %d characters",
		    AGENT_URL_MAX - NAME_MAX_LEN - 33);
		return -1;
	}
	url[len] = '\0';
	return 0;
}

int
agentconf_set_server(
    struct agent_conf *ac, const char *text, char *err, size_t errlen)
{
	struct ctllist l;
	int i, j;

	if (ctllist_parse(text, &l, err, errlen) == -1)
		return -1;
	for (i = 0; i < l.n; i++) {
		if (server_url(l.url[i], err, errlen) == -1)
			return -1;
		/* "http://a/" and "http://a" are one controller */
		for (j = 0; j < i; j++)
			if (strcmp(l.url[j], l.url[i]) == 0) {
				snprintf(err, errlen, "'%s' is given twice",
				    l.url[i]);
				return -1;
			}
	}
	ac->servers = l;
	return 0;
}

/* A [jobs] key: allow_root only, once. 0, or -1 with why in err. */
static int
jobs_key(struct agent_conf *ac, const struct conf_entry *e, const char **seen,
    char *err, size_t errlen)
{
	if (strcmp(e->key, "allow_root") != 0) {
		conf_error(err, errlen, e, "unknown key in [jobs]");
		return -1;
	}
	if (*seen != NULL) {
		conf_error(err, errlen, e, "given twice (first at %s)", *seen);
		return -1;
	}
	*seen = e->where;
	return conf_bool(e, &ac->jobs_allow_root, err, errlen);
}

/* Where a plugin section's keys go. */
static int
plugin_key(const struct conf_entry *e, char *plugin, size_t size,
    struct agent_kvlist *kv, char *err, size_t errlen)
{
	if (strcmp(e->key, "plugin") == 0) {
		if (plugin[0] != '\0') {
			conf_error(err, errlen, e, "given twice");
			return -1;
		}
		if (!names_valid(e->value)) {
			conf_error(err, errlen, e, "'%s' is not a plugin name",
			    e->value);
			return -1;
		}
		return conf_str(e, plugin, size, err, errlen);
	}
	if (agentconf_kv_add(kv, e->key, e->value, e->where) == -1) {
		conf_error(err, errlen, e, "more than %d keys in [%s]",
		    AGENT_KV_MAX, e->section);
		return -1;
	}
	return 0;
}

/* The [power NAME] section e belongs to, made on its first key. NULL with
 * why in err: a bad NAME, too many sections. */
static struct agent_extra_power *
extra_power(
    struct agent_conf *ac, const struct conf_entry *e, char *err, size_t errlen)
{
	struct agent_extra_power *x;
	int i;

	for (i = 0; i < ac->nextra_power; i++)
		if (strcmp(ac->extra_power[i].label, e->arg) == 0)
			return &ac->extra_power[i];
	if (!names_valid(e->arg)) {
		snprintf(err, errlen, "%s: [power %s]: '%s' is not a name",
		    e->where, e->arg, e->arg);
		return NULL;
	}
	if (ac->nextra_power == AGENT_MAX_EXTRA_POWER) {
		snprintf(err, errlen,
		    "%s: [power %s]: more than %d [power NAME] sections",
		    e->where, e->arg, AGENT_MAX_EXTRA_POWER);
		return NULL;
	}
	x = &ac->extra_power[ac->nextra_power++];
	snprintf(x->label, sizeof(x->label), "%s", e->arg);
	snprintf(x->where, sizeof(x->where), "%s", e->where);
	return x;
}

int
agentconf_parse(
    const struct conf *c, struct agent_conf *ac, char *err, size_t errlen)
{
	const struct conf_entry *e, *first_power = NULL, *first_cooling = NULL;
	const char *seen[NKEYWORDS] = {NULL}, *seen_jobs = NULL;
	struct agent_extra_power *x;
	size_t i, k;
	int j;

	for (i = 0; i < c->n; i++) {
		e = &c->v[i];
		if (strcmp(e->section, "power") == 0 && e->arg[0] != '\0') {
			if ((x = extra_power(ac, e, err, errlen)) == NULL ||
			    plugin_key(e, x->plugin, sizeof(x->plugin), &x->kv,
			        err, errlen) == -1)
				return -1;
			continue;
		}
		if (e->arg[0] != '\0') {
			snprintf(err, errlen,
			    "%s: [%s %s]: [%s] takes no "
			    "argument",
			    e->where, e->section, e->arg, e->section);
			return -1;
		}
		if (strcmp(e->section, "power") == 0) {
			if (first_power == NULL)
				first_power = e;
			if (plugin_key(e, ac->power_plugin,
			        sizeof(ac->power_plugin), &ac->power_kv, err,
			        errlen) == -1)
				return -1;
			continue;
		}
		if (strcmp(e->section, "cooling") == 0) {
			if (first_cooling == NULL)
				first_cooling = e;
			if (plugin_key(e, ac->cooling_plugin,
			        sizeof(ac->cooling_plugin), &ac->cooling_kv,
			        err, errlen) == -1)
				return -1;
			continue;
		}
		if (strcmp(e->section, "jobs") == 0) {
			if (jobs_key(ac, e, &seen_jobs, err, errlen) == -1)
				return -1;
			continue;
		}
		if (strcmp(e->section, "agent") != 0) {
			snprintf(err, errlen, "%s: unknown section [%s]",
			    e->where, e->section);
			return -1;
		}
		for (k = 0; k < NKEYWORDS; k++)
			if (strcmp(e->key, agent_keywords[k].key) == 0)
				break;
		if (k == NKEYWORDS) {
			conf_error(err, errlen, e, "unknown key in [agent]");
			return -1;
		}
		if (seen[k] != NULL) {
			conf_error(err, errlen, e, "given twice (first at %s)",
			    seen[k]);
			return -1;
		}
		seen[k] = e->where;
		if (agent_keywords[k].set(ac, e, err, errlen) == -1)
			return -1;
	}
	if (first_power != NULL && ac->power_plugin[0] == '\0') {
		snprintf(err, errlen, "%s: [power] needs 'plugin = NAME'",
		    first_power->where);
		return -1;
	}
	for (j = 0; j < ac->nextra_power; j++)
		if (ac->extra_power[j].plugin[0] == '\0') {
			snprintf(err, errlen,
			    "%s: [power %s] needs 'plugin = NAME'",
			    ac->extra_power[j].where, ac->extra_power[j].label);
			return -1;
		}
	if (ac->nextra_power > 0 && ac->power_plugin[0] == '\0') {
		snprintf(err, errlen,
		    "%s: [power %s] comes beside a [power] section, "
		    "which is missing",
		    ac->extra_power[0].where, ac->extra_power[0].label);
		return -1;
	}
	if (first_cooling != NULL && ac->cooling_plugin[0] == '\0') {
		snprintf(err, errlen, "%s: [cooling] needs 'plugin = NAME'",
		    first_cooling->where);
		return -1;
	}
	return 0;
}

int
agentconf_kv_add(struct agent_kvlist *l, const char *key, const char *value,
    const char *where)
{
	struct pod_kv *v, *kv;

	if (l->n >= AGENT_KV_MAX)
		return -1;
	if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL)
		return -1;
	l->v = v;
	kv = &l->v[l->n];
	kv->key = strdup(key);
	kv->value = strdup(value);
	kv->where = strdup(where);
	if (kv->key == NULL || kv->value == NULL || kv->where == NULL) {
		free((char *)kv->key);
		free((char *)kv->value);
		free((char *)kv->where);
		return -1;
	}
	l->n++;
	return 0;
}

int
agentconf_kv_copy(struct agent_kvlist *dst, const struct agent_kvlist *src)
{
	int i;

	agentconf_kv_clear(dst);
	for (i = 0; i < src->n; i++)
		if (agentconf_kv_add(dst, src->v[i].key, src->v[i].value,
		        src->v[i].where) == -1) {
			agentconf_kv_clear(dst);
			return -1;
		}
	return 0;
}

void
agentconf_kv_clear(struct agent_kvlist *l)
{
	int i;

	for (i = 0; i < l->n; i++) {
		free((char *)l->v[i].key);
		free((char *)l->v[i].value);
		free((char *)l->v[i].where);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

uint64_t
agentconf_name_seed(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *name; name++) {
		h ^= (unsigned char)*name;
		h *= 0x100000001b3ULL;
	}
	return h;
}
